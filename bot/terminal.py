"""The terminal conversation: the same assistant and eligibility checks as on Telegram."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TextIO

from bot.assistant import Assistant
from bot.config import Settings
from bot.eligibility import (
    OPTION_STOP,
    Ask,
    Back,
    Cancel,
    Cancelled,
    CheckSpec,
    Done,
    EligibilitySessions,
    Invalid,
    Pressed,
    Stale,
    Step,
    Typed,
    flow,
    load_checks,
    render_ask,
    render_invalid,
    render_text,
    render_verdict,
)
from bot.eligibility.spec import QuestionType
from bot.storage import StorageKey
from bot.stores import Store, open_storage
from i18n import LANGUAGE_NAMES, LANGUAGES, N_, normalize_language, translator
from i18n.detect import detect_language

HELP = N_(
    "Ask me anything about AMIF calls: budgets, grant sizes, funding rates, deadlines, who may "
    "apply, consortium rules, priorities. Commands:\n"
    "/calls – the calls I know, with status and deadline\n"
    "/eligibility – check step by step whether you can apply (type the number of an option)\n"
    "/back, /cancel – during a check\n"
    "/language – choose English, Svenska or Suomi\n"
    "/help – this text\n"
    "/quit – leave"
)
CHECK_INTRO = N_(
    "Eligibility check: {title}. Answer by typing the number of an option or your answer in "
    "words; type ? for help with a question, /back to change your last answer, /cancel to stop."
)
GOODBYE = N_("Goodbye!")
STOP_HINT = N_("Type /stop to see the result now.")
PROMPT = "> "
# The terminal has one local user; its check is stored like a Telegram user's, under this key.
TERMINAL_KEY = StorageKey(0, 0)
# Steps whose numbered options a typed number picks, like a button on Telegram.
_NUMBERED = (QuestionType.YESNO, QuestionType.CHOICE, QuestionType.MULTI)


class TerminalChat:
    """A line-oriented chat session over the assistant and the stored eligibility checks."""

    def __init__(self, assistant: Assistant, settings: Settings, lang: str | None = None) -> None:
        self.assistant = assistant
        self.settings = settings
        self.lang = lang
        self.sessions: EligibilitySessions | None = None
        self._choosing: str | None = None
        # The calls of the last answer, for follow-ups ("and the deadline?").
        self._previous_calls: tuple[str, ...] = ()
        # The question last shown, so that a typed number can pick one of its options.
        self._asked: Ask | None = None

    async def handle(self, line: str) -> str | None:
        """The response to one line of input; None means the user wants to leave."""
        text = line.strip()
        if self._choosing == "language":
            self._choosing = None
            choice = _language_choice(text)
            if choice is not None:
                return self._set_language(choice)
        if self._choosing == "check":
            self._choosing = None
            spec = flow.choose(self.sessions, text) if self.sessions is not None else None
            if spec is not None:
                return await self._begin(spec)
        if text.startswith("/"):
            command, _, arg = text[1:].partition(" ")
            return await self._command(command.lower(), arg.strip())
        step = await self._continue_check(text)
        if step is not None:
            return step
        reply = self.assistant.answer(text, self.lang, previous=self._previous_calls)
        self._previous_calls = reply.calls or self._previous_calls
        return reply.text

    async def _command(self, command: str, arg: str) -> str | None:
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
            self._choosing = "language"
            options = "\n".join(f"{i}. {LANGUAGE_NAMES[c]}" for i, c in enumerate(LANGUAGES, 1))
            return t.gettext("Choose a language (type its number):") + "\n" + options
        if command in ("eligibility", "check"):
            return await self._eligibility(arg)
        if command == "stop" and self.sessions is not None and self._asked is not None:
            # After a failed criterion: the verdict now, the remaining questions left open.
            asked = self._asked
            pressed = await flow.press(
                self.sessions, TERMINAL_KEY, asked.check, asked.step, OPTION_STOP, t
            )
            if isinstance(pressed, flow.Answered):
                return self._render(pressed.step)
        if command in ("back", "cancel") and self.sessions is not None:
            event = Back() if command == "back" else Cancel()
            step = await flow.control(self.sessions, TERMINAL_KEY, event, t)
            if step is not None:
                return self._render(step)
            return t.gettext(flow.NO_CHECK)
        return t.gettext("I don't know the command {command}.").format(command="/" + command) + (
            "\n\n" + t.gettext(HELP)
        )

    async def _eligibility(self, arg: str) -> str:
        t = translator(self.lang or "en")
        assert self.sessions is not None
        opened = await flow.open_check(self.sessions, TERMINAL_KEY, arg, t)
        if isinstance(opened, flow.Resumed):
            return t.gettext(flow.RESUMING) + ("\n\n" + self._render(opened.step))
        if isinstance(opened, flow.Begun):
            return self._begun(opened)
        self._choosing = "check"
        options = [f"{i}. {render_text(s.title, t)}" for i, s in enumerate(opened.checks, 1)]
        return t.gettext(flow.WHICH_CALL) + "\n" + "\n".join(options)

    async def _begin(self, spec: CheckSpec) -> str:
        assert self.sessions is not None
        return self._begun(await flow.begin(self.sessions, TERMINAL_KEY, spec))

    def _begun(self, begun: flow.Begun) -> str:
        t = translator(self.lang or "en")
        # The check's own intro speaks of buttons; the terminal has none.
        intro = t.gettext(CHECK_INTRO).format(title=render_text(begun.step.spec.title, t))
        return intro + "\n\n" + self._render(begun.step)

    async def _continue_check(self, text: str) -> str | None:
        if self.sessions is None or not text:
            return None
        active = await self.sessions.load(TERMINAL_KEY)
        if active is None:
            return None
        t = translator(self.lang or detect_language(text).lang)
        event = self._event(text)
        if isinstance(event, Pressed) and not await self.sessions.is_paused(TERMINAL_KEY):
            pressed = await flow.press(
                self.sessions, TERMINAL_KEY, active[0].id, event.step, event.option, t
            )
            if isinstance(pressed, flow.Answered):
                return self._render(pressed.step)
        reply = await flow.answer(self.sessions, TERMINAL_KEY, text, t, found=active)
        if reply is None:
            return None  # a finished check: the line is a question
        if isinstance(reply, flow.Held):
            return render_ask(reply.ask, t)
        # The terminal never pauses a check: a question mid-check gets the question's hint.
        return self._render(reply.step)

    def _event(self, text: str) -> Typed | Pressed:
        """A typed number picks that option of the question shown, as its button would."""
        asked = self._asked
        if asked is not None and asked.question.type in _NUMBERED and text.isdigit():
            number = int(text)
            if 1 <= number <= len(asked.options):
                return Pressed(asked.step, asked.options[number - 1].id)
        return Typed(text)

    def _render(self, step: Step) -> str:
        t = translator(self.lang or "en")
        outcome = step.outcome
        if isinstance(outcome, Stale):
            outcome = outcome.current
        self._asked = (
            outcome
            if isinstance(outcome, Ask)
            else outcome.ask
            if isinstance(outcome, Invalid)
            else None
        )
        if isinstance(outcome, Cancelled):
            return t.gettext(flow.CANCELLED)
        if isinstance(outcome, Done):
            names = {k: s.title for k, s in self.assistant.kb.sources.items()}
            return render_verdict(outcome.verdict, t, source_names=names)
        if isinstance(outcome, Invalid):
            return render_invalid(outcome, t)
        assert isinstance(outcome, Ask)
        text = render_ask(outcome, t)
        return text + ("\n" + t.gettext(STOP_HINT) if outcome.can_stop else "")

    def _set_language(self, lang: str) -> str:
        self.lang = lang
        return translator(lang).gettext("I will answer in English from now on.")

    async def _open(self) -> Store:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # users' data
        store = open_storage(self.settings)
        await store.open()
        self.sessions = EligibilitySessions(
            load_checks(),
            store,
            self.assistant.clock,
            timedelta(hours=self.settings.dialog_ttl_hours),
        )
        await self.sessions.expire()
        return store

    def run(
        self,
        lines: Iterable[str],
        out: TextIO,
        interactive: bool,
        read: Callable[[str], str] | None = None,
    ) -> int:
        """Read lines until the end of input, /quit or Ctrl-C; print each response.

        Interactive, lines come from read (input() with readline: history and line editing)
        and are read outside the event loop, so that the first Ctrl-C ends the chat at once.
        """
        t = translator(self.lang or "en")
        with asyncio.Runner() as runner:
            store = runner.run(self._open())
            try:
                if interactive:
                    out.write(t.gettext(HELP) + "\n\n")
                    out.flush()
                    return self._loop(runner, _prompted(read or _line_editor(), out), out, True)
                return self._loop(runner, iter(lines), out, False)
            except KeyboardInterrupt:
                # Ctrl-C while reading or while an answer is worked out: leave cleanly.
                out.write("\n" + translator(self.lang or "en").gettext(GOODBYE) + "\n")
                out.flush()
                return 0
            finally:
                runner.run(store.close())

    def _loop(
        self, runner: asyncio.Runner, lines: Iterable[str], out: TextIO, interactive: bool
    ) -> int:
        for line in lines:
            response = runner.run(self.handle(line))
            if response is None:
                break
            out.write(response + "\n" + ("\n" if interactive else ""))
            out.flush()
        if interactive:
            out.write(translator(self.lang or "en").gettext(GOODBYE) + "\n")
            out.flush()
        return 0


def _line_editor() -> Callable[[str], str]:
    """input() with GNU readline (or libedit) loaded: arrow keys edit, Up recalls a line."""
    with contextlib.suppress(ImportError):  # Windows has no readline module
        import readline  # noqa: F401  (importing it is what turns line editing on)
    return input


def _prompted(read: Callable[[str], str], out: TextIO) -> Iterable[str]:
    """Lines typed at the prompt until the end of input (Ctrl-D)."""
    while True:
        try:
            yield read(PROMPT)
        except EOFError:
            out.write("\n")
            return


def _language_choice(text: str) -> str | None:
    text = text.strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(LANGUAGES):
        return LANGUAGES[int(text) - 1]
    by_name = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
    by_name.update(
        {
            "engelska": "en",
            "englanti": "en",
            "svenska": "sv",
            "swedish": "sv",
            "ruotsi": "sv",
            "finska": "fi",
            "finnish": "fi",
            "suomi": "fi",
        }
    )
    return normalize_language(text) or by_name.get(text)
