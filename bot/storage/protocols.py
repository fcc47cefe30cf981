"""What the bot remembers, as one small protocol per aggregate (like Rasa's TrackerStore).

A handler or service asks for the protocol it uses: the language handler for `UserSettings`,
eligibility sessions for `Dialogs`, reminders for `Subscriptions`, feedback and /stats for
`Answers`, /mydata and /forget for `Privacy`. `Store` is all of them plus the lifecycle, what the
composition root opens. Three implementations keep the same contract
(tests/test_storage_contract.py): in memory (bot/storage/memory.py), SQLite
(bot/storage/sqlite.py) and PostgreSQL (bot/storage_pg.py). Every write is durable when the call
returns (for the in-memory store: visible to every later call).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from bot.storage.records import (
    AnswerRecord,
    ReminderKey,
    StorageKey,
    StoredDialog,
    Subscriber,
    Subscription,
    UsageStats,
)


class UserSettings(Protocol):
    """A user's chosen language and time zone."""

    async def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None if they never chose."""
        ...

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        ...

    async def get_timezone(self, user_id: int) -> str | None:
        """The IANA time zone the user chose, or None."""
        ...

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        """Remember the user's time zone (an IANA name, validated by the caller)."""
        ...


class Dialogs(Protocol):
    """Eligibility-check dialogs in progress, keyed by (chat, user)."""

    async def load_dialog(self, key: StorageKey) -> StoredDialog | None:
        """The dialog in progress for this chat and user, if any."""
        ...

    async def save_dialog(
        self, key: StorageKey, check_id: str, state: str, last_update_id: int | None = None
    ) -> None:
        """Store the dialog state (JSON text) and the id of the update that produced it."""
        ...

    async def delete_dialog(self, key: StorageKey) -> bool:
        """Forget the dialog of this chat and user; True if there was one."""
        ...

    async def expire_dialogs(self, older_than: timedelta) -> int:
        """Delete dialogs untouched for longer than older_than; return how many."""
        ...


class Subscriptions(Protocol):
    """Who wants reminders of which call, and which reminders were decided on."""

    async def subscribe(self, user_id: int, chat_id: int, call_id: str, lang: str) -> bool:
        """Subscribe a user to a call ('*': every call); False if they already were."""
        ...

    async def unsubscribe(self, user_id: int, call_id: str | None = None) -> int:
        """End one subscription of a user, or all of them (call_id None); return how many."""
        ...

    async def drop_call_subscriptions(self, call_id: str) -> int:
        """End every subscription to one call (it left the knowledge); return how many."""
        ...

    async def subscriptions(self, user_id: int) -> list[Subscription]:
        """A user's subscriptions, oldest first."""
        ...

    async def subscribers(self, call_ids: Iterable[str] | None = None) -> list[Subscriber]:
        """Every subscription (or those to call_ids) with the user's language and time zone."""
        ...

    async def reminders_decided(self, deadlines_after: datetime) -> set[ReminderKey]:
        """Reminders already decided on for deadlines after the given instant."""
        ...

    async def claim_reminder(self, key: ReminderKey) -> bool:
        """Record a reminder as decided, committed before it is sent; False if it already was."""
        ...

    async def release_reminder(self, key: ReminderKey) -> None:
        """Forget a claimed reminder that could not be delivered, so a later tick retries it."""
        ...


class Answers(Protocol):
    """Answers open to votes, the votes, and daily counters: numbers with no person in them."""

    async def record_answer(self, record: AnswerRecord | None, metric: str | None) -> None:
        """Keep an answer for voting (committed on return) and count it under metric for today."""
        ...

    async def count_event(self, metric: str) -> None:
        """Add one to today's count of metric."""
        ...

    async def vote(self, token: str, value: int) -> bool:
        """Set (or change) the vote on an answer: 1 helpful, -1 not; False for unknown tokens."""
        ...

    async def answer_state(self, token: str) -> tuple[str, int | None] | None:
        """The language of a recorded answer and its current vote; None for unknown tokens."""
        ...

    async def usage_stats(self, dialog_ttl: timedelta, recent_days: int = 7) -> UsageStats:
        """Aggregate numbers for /stats: counts, votes per passage, subscribers, active checks."""
        ...

    async def prune(self, answers_older_than: timedelta, deadlines_before: datetime) -> int:
        """Delete unvoted answers (and kept questions) older than the age, past reminders."""
        ...


class Privacy(Protocol):
    """A user's data across every aggregate: shown by /mydata, deleted by /forget."""

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Everything stored about a user: {"user_id": id, <table>: [rows], ...}."""
        ...

    async def forget_user(self, user_id: int) -> int:
        """Delete every row about a user in every table; return how many rows."""
        ...


class Store(UserSettings, Dialogs, Subscriptions, Answers, Privacy, Protocol):
    """Every aggregate plus opening and closing: what the composition root holds."""

    async def open(self) -> None:
        """Connect and bring the schema up to date (idempotent)."""
        ...

    async def close(self) -> None:
        """Write what is pending and disconnect (idempotent)."""
        ...

    async def schema_version(self) -> int:
        """The schema version of the database."""
        ...

    async def flush_counts(self) -> None:
        """Write the counts summed in memory."""
        ...

    async def __aenter__(self) -> Self:
        """Open; `async with store:`."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close."""
        ...
