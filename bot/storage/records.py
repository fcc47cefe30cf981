"""The values every store hands out and takes in, and the little logic all engines share.

Keys and records are frozen dataclasses, the same for the in-memory, SQLite and PostgreSQL
stores, so that a caller never learns which engine answered. Timestamps are timezone-aware and in
UTC; what a store writes as text (SQLite's columns, /mydata's export) is `timestamp(moment)`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

# Tables with a user_id that /mydata leaves out, and why: a user's rows in the inbox live only
# until their updates are handled (the /mydata request itself is one of them); /forget deletes
# them like every other table's.
NOT_EXPORTED = frozenset({"inbox"})
ALL_CALLS = "*"
# Users whose settings and dialog stay in memory; the least recently stored go first.
CACHED_USERS = 20_000
# How long counted events may wait in memory before they are written.
COUNT_FLUSH_SECONDS = 5.0
MISSING: Any = object()


@dataclass(frozen=True)
class StorageKey:
    """Whose dialog: the chat it runs in and the user in that chat."""

    chat_id: int
    user_id: int


@dataclass(frozen=True)
class StoredDialog:
    """A saved eligibility-check dialog, and the id of the last Telegram update applied to it."""

    check_id: str
    state: str
    updated_at: datetime
    last_update_id: int | None = None


@dataclass(frozen=True)
class Subscription:
    """A user's wish to be reminded of one call's deadline and changes ('*': every call)."""

    user_id: int
    chat_id: int
    call_id: str
    lang: str
    created_at: datetime


@dataclass(frozen=True)
class Subscriber:
    """A subscription with what a reminder needs: the user's language and time zone."""

    subscription: Subscription
    lang: str
    timezone: str | None


@dataclass(frozen=True)
class ReminderKey:
    """One reminder: this user, this call, this deadline, this many days before it."""

    user_id: int
    call_id: str
    deadline: datetime
    days_before: int


@dataclass(frozen=True)
class AnswerRecord:
    """An answer the user may vote on: which passages and sources it used, never who asked.

    question and asker: the question as typed, kept (in its own table, with the asker's user
    id) only when the operator turned on STORE_QUESTIONS.
    """

    token: str
    lang: str
    kind: str
    passages: tuple[str, ...]
    sources: tuple[str, ...]
    question: str | None = None
    asker: int | None = None


@dataclass(frozen=True)
class ItemVotes:
    """Votes on answers that used one passage (or one source, for answers from facts)."""

    item: str
    up: int
    down: int


@dataclass(frozen=True)
class UsageStats:
    """Aggregate numbers for operators; nothing in here identifies a person."""

    counts: Mapping[str, int]
    counts_recent: Mapping[str, int]
    recent_days: int
    votes: tuple[ItemVotes, ...]
    answers_recorded: int
    subscribers: int
    subscriptions_by_call: Mapping[str, int]
    active_checks: int
    reminders_sent: int


def utc_now() -> datetime:
    """The current instant in UTC (the stores' default clock)."""
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC ISO text, so that text order is time order in SQL comparisons."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def aware(moment: datetime) -> datetime:
    """The instant itself, refused when it has no time zone (as `timestamp` refuses it)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment


def day_of(moment: datetime) -> str:
    """The UTC day of an instant, as the daily counters key it."""
    return moment.astimezone(UTC).date().isoformat()


def check_vote(value: int) -> None:
    """Refuse anything but a helpful (1) or unhelpful (-1) vote."""
    if value not in (1, -1):
        raise ValueError("a vote is 1 or -1")


def tally_votes(
    voted: Iterable[tuple[Iterable[str], Iterable[str], int]],
) -> tuple[ItemVotes, ...]:
    """Votes per passage (or per source, for an answer without passages), most voted first.

    voted: for each voted answer, its passages, its sources and the vote.
    """
    up: dict[str, int] = {}
    down: dict[str, int] = {}
    for passages, sources, vote in voted:
        items = list(passages) or list(sources)
        tally = up if vote > 0 else down
        for item in items:
            tally[str(item)] = tally.get(str(item), 0) + 1
    return tuple(
        ItemVotes(item, up.get(item, 0), down.get(item, 0))
        for item in sorted({*up, *down}, key=lambda i: (-(up.get(i, 0) + down.get(i, 0)), i))
    )


class Opening:
    """`async with store:` opens a store and closes it again, whichever store it is."""

    async def open(self) -> None:
        """Connect and bring the schema up to date (idempotent)."""
        raise NotImplementedError

    async def close(self) -> None:
        """Write what is pending and disconnect (idempotent)."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A dict that forgets its least recently stored entries beyond a size."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: dict[K, V] = {}

    def get(self, key: K, default: Any) -> V | Any:
        """The value stored under key, or default."""
        return self._data.get(key, default)

    def put(self, key: K, value: V) -> None:
        """Store a value, forgetting the oldest entry beyond the size."""
        self._data.pop(key, None)
        self._data[key] = value
        if len(self._data) > self._size:
            del self._data[next(iter(self._data))]

    def pop(self, key: K) -> None:
        """Forget one key (if present)."""
        self._data.pop(key, None)

    def drop(self, unwanted: Callable[[K, V], bool]) -> None:
        """Forget every entry for which unwanted(key, value) holds."""
        for key in [k for k, v in self._data.items() if unwanted(k, v)]:
            del self._data[key]

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()


class NoCache(Bounded[K, V]):
    """No cache at all: every read goes to the database (other processes may write)."""

    def __init__(self) -> None:
        super().__init__(0)

    def put(self, key: K, value: V) -> None:
        """Keep nothing."""
