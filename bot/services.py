"""The long-lived services of the bot and what one update knows about its sender.

`Services` is what the composition root (bot/telegram_app.py) builds once and every handler
reads; `UserContext` is what one update knows about its sender (language, time zone, translator,
chat kind, ids), built once per update by handlers/common.py and passed to each handler.
Nothing here knows Telegram (PTB's side: handlers/common.BotContext and bot/context.py) or
imports handlers/.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from zoneinfo import ZoneInfo

from bot.assistant import Assistant
from bot.config import Settings
from bot.eligibility import EligibilitySessions
from bot.followups import RecentCalls
from bot.reminders import user_zone
from bot.storage import StorageKey
from bot.stores import Store
from i18n import Translator, translator
from i18n.detect import detect_language


@dataclass
class Services:
    """The long-lived services handlers use, opened and closed with the application."""

    settings: Settings
    assistant: Assistant
    store: Store
    sessions: EligibilitySessions
    recent_calls: RecentCalls = field(default_factory=RecentCalls)
    # Users already asked which zone to show times in (handlers/subscriptions.ask_zone_once).
    zone_asked: set[int] = field(default_factory=set)


class ChatKind(Enum):
    """Where an update comes from: personal flows run only in a private chat."""

    PRIVATE = "private"
    GROUP = "group"  # a group or a supergroup
    OTHER = "other"  # a channel, or no chat at all (an inline query)


@dataclass(frozen=True)
class UserContext:
    """What one update knows about its sender, resolved once: the one place languages are chosen.

    `lang` is the language of the bot's own texts: the user's /language choice, else the
    language their Telegram app is set to, else English. A question's answer may instead follow
    the question's own language when the user chose none (`answer_language`).
    """

    lang: str
    chosen: str | None
    zone_name: str | None
    chat: ChatKind
    user_id: int | None
    chat_id: int | None

    @property
    def t(self) -> Translator:
        """The translator of the bot's texts for this user."""
        return translator(self.lang)

    @property
    def group(self) -> bool:
        """Whether the update comes from a group or supergroup."""
        return self.chat is ChatKind.GROUP

    @property
    def key(self) -> StorageKey | None:
        """The key of this user's eligibility check in this chat, when both are known."""
        if self.chat_id is None or self.user_id is None:
            return None
        return StorageKey(self.chat_id, self.user_id)

    @property
    def conversation(self) -> tuple[int, int]:
        """The key follow-up questions are remembered under (chat id, user id)."""
        return (self.chat_id or 0, self.user_id or 0)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone for times shown to the user: their choice, else their language's."""
        return user_zone(self.lang, self.zone_name)

    def text_language(self, text: str) -> str:
        """The language of a reply to text: the choice, else the text's own, else `lang`."""
        if self.chosen:
            return self.chosen
        detection = detect_language(text)
        return detection.lang if detection.decided else self.lang

    def answer_language(self, text: str) -> str | None:
        """The language to ask the assistant for: None lets it follow the question's language.

        With no stored choice the assistant follows the question; only when the text carries no
        evidence (e.g. "AMIF?") does the app's language decide.
        """
        if self.chosen:
            return self.chosen
        return None if detect_language(text).decided else self.lang

    def zone_in(self, lang: str) -> ZoneInfo:
        """The time zone for a reply in lang: the user's choice, else that language's default."""
        return user_zone(lang, self.zone_name)

    def choosing(self, lang: str) -> UserContext:
        """The same user after choosing lang (with /language or a /start link)."""
        return replace(self, lang=lang, chosen=lang)
