"""The terminal conversation: the same assistant as on Telegram, with /help, /language, /calls."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from bot.assistant import Assistant
from bot.config import Settings
from i18n import LANGUAGE_NAMES, LANGUAGES, N_, normalize_language, translator
from i18n.detect import detect_language

HELP = N_(
    "Ask me anything about AMIF calls: budgets, grant sizes, funding rates, deadlines, who may "
    "apply, consortium rules, priorities. Commands:\n"
    "/calls – the calls I know, with status and deadline\n"
    "/language – choose English, Svenska or Suomi\n"
    "/help – this text\n"
    "/quit – leave"
)


class TerminalChat:
    """A line-oriented chat session; holds only the chosen language."""

    def __init__(self, assistant: Assistant, settings: Settings, lang: str | None = None) -> None:
        self.assistant = assistant
        self.settings = settings
        self.lang = lang
        self._choosing_language = False

    def _reply_lang(self, text: str) -> str:
        return self.lang or detect_language(text).lang

    def handle(self, line: str) -> str | None:
        """The response to one line of input; None means the user wants to leave."""
        text = line.strip()
        if self._choosing_language:
            self._choosing_language = False
            choice = _language_choice(text)
            if choice is not None:
                return self._set_language(choice)
        if text.startswith("/"):
            command, _, arg = text[1:].partition(" ")
            return self._command(command.lower(), arg.strip())
        return self.assistant.answer(text, self.lang).text

    def _command(self, command: str, arg: str) -> str | None:
        t = translator(self.lang or "en")
        if command in ("quit", "exit", "q"):
            return None
        if command in ("help", "start"):
            return t.gettext(HELP)
        if command == "calls":
            return self.assistant.list_calls(t.lang).text
        if command in ("language", "lang", "kieli", "språk"):
            choice = _language_choice(arg)
            if choice is not None:
                return self._set_language(choice)
            self._choosing_language = True
            options = "\n".join(
                f"{i}. {LANGUAGE_NAMES[code]}" for i, code in enumerate(LANGUAGES, 1)
            )
            return t.gettext("Choose a language (type its number):") + "\n" + options
        return t.gettext("I don't know the command /{command}.").format(command=command) + "\n\n" \
            + t.gettext(HELP)

    def _set_language(self, lang: str) -> str:
        self.lang = lang
        return translator(lang).gettext("I will answer in English from now on.")

    def run(self, lines: Iterable[str], out: TextIO, interactive: bool) -> int:
        """Read lines until the end of input or /quit; print each response."""
        t = translator(self.lang or "en")
        if interactive:
            out.write(t.gettext(HELP) + "\n\n> ")
            out.flush()
        for line in lines:
            response = self.handle(line)
            if response is None:
                break
            out.write(response + "\n")
            if interactive:
                out.write("\n> ")
            out.flush()
        return 0


def _language_choice(text: str) -> str | None:
    text = text.strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(LANGUAGES):
        return LANGUAGES[int(text) - 1]
    by_name = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
    by_name.update({"engelska": "en", "englanti": "en", "svenska": "sv", "swedish": "sv",
                    "ruotsi": "sv", "finska": "fi", "finnish": "fi", "suomi": "fi"})
    return normalize_language(text) or by_name.get(text)
