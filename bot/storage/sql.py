"""The aggregates written once for every SQL engine; SQLite and PostgreSQL supply SQL and I/O.

`SQLEngine` names what an engine must provide: run statements in one committed transaction,
fetch rows as mappings, read through a cache, and convert values (SQLite keeps timestamps as
fixed-width text and JSON as text; PostgreSQL has TIMESTAMPTZ, DATE and JSONB). Each aggregate
is a class of its own over that engine (`SQLUserSettings`, `SQLDialogs`, `SQLSubscriptions`,
`SQLAnswers`, `SQLPrivacy`); an engine's store class combines them with its connection code and
its `Queries`, the SQL text in its dialect. So what differs between the engines is SQL text and
connections, and what a method means is written in one place.

Daily counters are aggregates with no user in them; they are summed in memory and written every
few seconds (and on close), so an answer costs one statement instead of a read-modify-write.
A SIGKILL loses at most those few seconds of counts, never a user's data. Addition commutes, so
several processes flushing at once still add up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import bot.storage.records as records
from bot.schema import SCHEMA_VERSION
from bot.storage.queries import Queries
from bot.storage.records import (
    NOT_EXPORTED,
    AnswerRecord,
    Bounded,
    Opening,
    ReminderKey,
    StorageKey,
    StoredDialog,
    Subscriber,
    Subscription,
    UsageStats,
    check_vote,
    day_of,
    tally_votes,
    utc_now,
)

log = logging.getLogger(__name__)

Statement = tuple[str, Sequence[Any]]
Row = Mapping[str, Any]
Cache = Bounded[Any, Any]
Decode = Callable[[list[Row]], Any]
H = TypeVar("H")


def pending_migrations(
    current: int, migrations: Sequence[Sequence[str]]
) -> list[tuple[int, Sequence[str]]]:
    """The (version, statements) steps after the current version; a newer schema is refused."""
    if current > SCHEMA_VERSION:
        raise RuntimeError(f"database schema {current} is newer than this code ({SCHEMA_VERSION})")
    return [(v, steps) for v, steps in enumerate(migrations, start=1) if v > current]


class SQLEngine(Opening, ABC):
    """Connections, conversions and the counter buffer, shared by the aggregate classes."""

    queries: Queries

    def __init__(
        self,
        clock: Callable[[], datetime] = utc_now,
        count_flush_seconds: float = records.COUNT_FLUSH_SECONDS,
    ) -> None:
        self._clock = clock
        self._count_flush_seconds = count_flush_seconds
        self._languages: Bounded[int, str | None] = self._new_cache()
        self._timezones: Bounded[int, str | None] = self._new_cache()
        self._dialogs: Bounded[StorageKey, StoredDialog | None] = self._new_cache()
        self._counts: dict[tuple[str, str], int] = {}
        self._count_flush: asyncio.Task[None] | None = None

    # --- what an engine provides ---

    @abstractmethod
    def _new_cache(self) -> Bounded[Any, Any]:
        """A cache for per-user reads (NoCache where other processes write the same rows)."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations (idempotent)."""

    @abstractmethod
    async def _disconnect(self) -> None:
        """Close the connections (after the last counts were written)."""

    @abstractmethod
    def _is_open(self) -> bool:
        """Whether open() has connected and close() has not disconnected yet."""

    def _not_open(self) -> RuntimeError:
        return RuntimeError(f"storage is not open; use `async with {type(self).__name__}(...)`")

    def _opened(self, handle: H | None) -> H:
        """The engine's connection (or pool), or the error for a store not open."""
        if handle is None:
            raise self._not_open()
        return handle

    def _require_open(self) -> None:
        if not self._is_open():
            raise self._not_open()

    @abstractmethod
    async def _write(
        self, statements: Sequence[Statement], then: Callable[[], None] | None = None
    ) -> list[int]:
        """Run statements in one committed transaction, then then(); each one's row count."""

    @abstractmethod
    async def _fetchall(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one query, as mappings by column name."""

    @abstractmethod
    async def _read_through(
        self, cache: Cache, key: Any, statement: Statement, decode: Decode
    ) -> Any:
        """cache[key], else the decoded query result, remembered in the cache."""

    @abstractmethod
    def _put_time(self, moment: datetime) -> Any:
        """An instant as the engine's timestamp parameter (refusing naive ones)."""

    @abstractmethod
    def _get_time(self, value: Any) -> datetime:
        """A timestamp column's value as an aware UTC datetime."""

    @abstractmethod
    def _put_json(self, value: Any) -> Any:
        """A JSON value as the engine's parameter."""

    @abstractmethod
    def _get_json(self, value: Any) -> Any:
        """A JSON column's value, decoded."""

    @abstractmethod
    def _put_day(self, day: str) -> Any:
        """A UTC day ('2026-11-24') as the engine's date parameter."""

    @abstractmethod
    async def _user_tables(self) -> list[str]:
        """Every table with a user_id column, found in the schema so new tables are included."""

    @abstractmethod
    async def _exported_rows(self, table: str, user_id: int) -> list[dict[str, Any]]:
        """One user's rows of a table as /mydata shows them (SQLite's text forms)."""

    @abstractmethod
    async def _after_forget(self) -> None:
        """What an engine does once a user's rows are deleted (SQLite: a WAL checkpoint)."""

    # --- the lifecycle shared by every engine ---

    async def close(self) -> None:
        """Write pending counts and disconnect (idempotent)."""
        flush, self._count_flush = self._count_flush, None
        if flush is not None and flush is not asyncio.current_task():
            flush.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flush
        if self._is_open():
            try:
                await self.flush_counts()
            finally:
                self._languages.clear()
                self._timezones.clear()
                self._dialogs.clear()
                await self._disconnect()

    async def schema_version(self) -> int:
        """The schema version of the database."""
        return await self._scalar(self.queries.schema_version)

    async def _scalar(self, query: str, params: Sequence[Any] = ()) -> int:
        """The column `n` of the first row (0 for none or NULL)."""
        rows = await self._fetchall(query, params)
        return int(rows[0]["n"] or 0) if rows else 0

    async def _one(self, query: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement; how many rows it changed."""
        (count,) = await self._write([(query, params)])
        return count

    # --- daily counters ---

    def _count(self, now: datetime, metric: str) -> None:
        self._require_open()  # a closed store refuses counts as it refuses writes
        key = (day_of(now), metric)
        self._counts[key] = self._counts.get(key, 0) + 1
        if self._count_flush is None:
            self._count_flush = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._count_flush_seconds)
        self._count_flush = None
        try:
            await self.flush_counts()
        except Exception as exc:  # the counts stay pending for the next flush
            log.warning("writing daily counts failed: %s", type(exc).__name__)

    async def flush_counts(self) -> None:
        """Write the counts summed in memory, in one transaction."""
        if not self._counts:
            return
        pending, self._counts = self._counts, {}
        try:
            # Sorted: concurrent flushes from several processes lock rows in one order.
            await self._write(
                [
                    (self.queries.add_count, (self._put_day(day), metric, n))
                    for (day, metric), n in sorted(pending.items())
                ]
            )
        except BaseException:
            for key, n in pending.items():
                self._counts[key] = self._counts.get(key, 0) + n
            raise


def _first(column: str) -> Callable[[list[Row]], str | None]:
    return lambda rows: str(rows[0][column]) if rows else None


class SQLUserSettings(SQLEngine):
    """Language and time zone (the UserSettings protocol)."""

    async def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None if they never chose."""
        return await self._read_through(
            self._languages, user_id, (self.queries.get_language, (user_id,)), _first("language")
        )

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        await self._write(
            [(self.queries.set_language, (user_id, language, self._put_time(self._clock())))],
            then=lambda: self._languages.put(user_id, language),
        )

    async def get_timezone(self, user_id: int) -> str | None:
        """The IANA time zone the user chose, or None."""
        return await self._read_through(
            self._timezones, user_id, (self.queries.get_timezone, (user_id,)), _first("timezone")
        )

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        """Remember the user's time zone (an IANA name, validated by the caller)."""
        await self._write(
            [(self.queries.set_timezone, (user_id, timezone, self._put_time(self._clock())))],
            then=lambda: self._timezones.put(user_id, timezone),
        )


class SQLDialogs(SQLEngine):
    """Eligibility-check dialogs (the Dialogs protocol)."""

    def _dialog(self, rows: list[Row]) -> StoredDialog | None:
        if not rows:
            return None
        row = rows[0]
        last = row["last_update_id"]
        return StoredDialog(
            str(row["check_id"]),
            str(row["state"]),
            self._get_time(row["updated_at"]),
            None if last is None else int(last),
        )

    async def load_dialog(self, key: StorageKey) -> StoredDialog | None:
        """The dialog in progress for this chat and user, if any."""
        return await self._read_through(
            self._dialogs,
            key,
            (self.queries.load_dialog, (key.chat_id, key.user_id)),
            self._dialog,
        )

    async def save_dialog(
        self, key: StorageKey, check_id: str, state: str, last_update_id: int | None = None
    ) -> None:
        """Store the dialog state (JSON text) and the id of the update that produced it."""
        json.loads(state)  # refuse anything that is not JSON before it reaches the database
        stamp = self._put_time(self._clock())
        saved = StoredDialog(check_id, state, self._get_time(stamp), last_update_id)
        await self._write(
            [
                (
                    self.queries.save_dialog,
                    (key.chat_id, key.user_id, check_id, state, stamp, last_update_id),
                )
            ],
            then=lambda: self._dialogs.put(key, saved),
        )

    async def delete_dialog(self, key: StorageKey) -> bool:
        """Forget the dialog of this chat and user; True if there was one."""
        (count,) = await self._write(
            [(self.queries.delete_dialog, (key.chat_id, key.user_id))],
            then=lambda: self._dialogs.put(key, None),
        )
        return count > 0

    async def expire_dialogs(self, older_than: timedelta) -> int:
        """Delete dialogs untouched for longer than older_than; return how many."""
        moment = self._clock() - older_than
        (count,) = await self._write(
            [(self.queries.expire_dialogs, (self._put_time(moment),))],
            then=lambda: self._dialogs.drop(lambda _, d: d is not None and d.updated_at < moment),
        )
        return count


class SQLSubscriptions(SQLEngine):
    """Subscriptions and reminder claims (the Subscriptions protocol)."""

    def _subscription(self, row: Row) -> Subscription:
        return Subscription(
            int(row["user_id"]),
            int(row["chat_id"]),
            str(row["call_id"]),
            str(row["lang"]),
            self._get_time(row["created_at"]),
        )

    def _reminder_params(self, key: ReminderKey) -> tuple[Any, ...]:
        return (key.user_id, key.call_id, self._put_time(key.deadline), key.days_before)

    async def subscribe(self, user_id: int, chat_id: int, call_id: str, lang: str) -> bool:
        """Subscribe a user to a call ('*': every call); False if they already were."""
        now = self._put_time(self._clock())
        return await self._one(self.queries.subscribe, (user_id, chat_id, call_id, lang, now)) > 0

    async def unsubscribe(self, user_id: int, call_id: str | None = None) -> int:
        """End one subscription of a user, or all of them (call_id None); return how many."""
        if call_id is None:
            return await self._one(self.queries.unsubscribe_all, (user_id,))
        return await self._one(self.queries.unsubscribe_one, (user_id, call_id))

    async def drop_call_subscriptions(self, call_id: str) -> int:
        """End every subscription to one call (it left the knowledge); return how many."""
        return await self._one(self.queries.drop_call, (call_id,))

    async def subscriptions(self, user_id: int) -> list[Subscription]:
        """A user's subscriptions, oldest first."""
        rows = await self._fetchall(self.queries.subscriptions, (user_id,))
        return [self._subscription(row) for row in rows]

    async def subscribers(self, call_ids: Iterable[str] | None = None) -> list[Subscriber]:
        """Every subscription (or those to call_ids) with the user's language and time zone."""
        if call_ids is None:
            rows = await self._fetchall(self.queries.subscribers)
        else:
            wanted = list(call_ids)
            if not wanted:
                return []
            rows = await self._fetchall(
                self.queries.subscribers_of_calls, (self._put_json(wanted),)
            )
        return [
            Subscriber(self._subscription(row), str(row["reply_lang"]), row["timezone"])
            for row in rows
        ]

    async def reminders_decided(self, deadlines_after: datetime) -> set[ReminderKey]:
        """Reminders already decided on for deadlines after the given instant."""
        rows = await self._fetchall(
            self.queries.reminders_decided, (self._put_time(deadlines_after),)
        )
        return {
            ReminderKey(
                int(row["user_id"]),
                str(row["call_id"]),
                self._get_time(row["deadline"]),
                int(row["days_before"]),
            )
            for row in rows
        }

    async def claim_reminder(self, key: ReminderKey) -> bool:
        """Record a reminder as decided, committed before it is sent; False if it already was."""
        # The primary key decides between concurrent claimers: the second insert finds the
        # first one's row (after its commit) and does nothing.
        params = (*self._reminder_params(key), self._put_time(self._clock()))
        return await self._one(self.queries.claim_reminder, params) > 0

    async def release_reminder(self, key: ReminderKey) -> None:
        """Forget a claimed reminder that could not be delivered, so a later tick retries it."""
        await self._one(self.queries.release_reminder, self._reminder_params(key))


class SQLAnswers(SQLEngine):
    """Answers, votes, counters and /stats (the Answers protocol); no user id but the asker's."""

    async def record_answer(self, record: AnswerRecord | None, metric: str | None) -> None:
        """Keep an answer for voting (committed on return) and count it under metric for today."""
        now = self._clock()
        if metric is not None:
            self._count(now, metric)
        if record is None:
            return
        stamp = self._put_time(now)
        statements: list[Statement] = [
            (
                self.queries.insert_answer,
                (
                    record.token,
                    stamp,
                    record.lang,
                    record.kind,
                    self._put_json(list(record.passages)),
                    self._put_json(list(record.sources)),
                ),
            )
        ]
        if record.question is not None and record.asker is not None:
            statements.append(
                (self.queries.insert_question, (record.asker, stamp, record.lang, record.question))
            )
        await self._write(statements)

    async def count_event(self, metric: str) -> None:
        """Add one to today's count of metric (written within COUNT_FLUSH_SECONDS)."""
        self._count(self._clock(), metric)

    async def vote(self, token: str, value: int) -> bool:
        """Set (or change) the vote on an answer: 1 helpful, -1 not; False for unknown tokens."""
        check_vote(value)
        now = self._put_time(self._clock())
        return await self._one(self.queries.vote, (value, now, token)) > 0

    async def answer_state(self, token: str) -> tuple[str, int | None] | None:
        """The language of a recorded answer and its current vote; None for unknown tokens."""
        rows = await self._fetchall(self.queries.answer_state, (token,))
        if not rows:
            return None
        vote = rows[0]["vote"]
        return str(rows[0]["lang"]), None if vote is None else int(vote)

    async def usage_stats(self, dialog_ttl: timedelta, recent_days: int = 7) -> UsageStats:
        """Aggregate numbers for /stats: counts, votes per passage, subscribers, active checks."""
        await self.flush_counts()
        q = self.queries
        now = self._clock()
        since = day_of(now - timedelta(days=recent_days - 1))
        totals = await self._fetchall(q.count_totals)
        recent = await self._fetchall(q.count_recent, (self._put_day(since),))
        voted = [
            (self._get_json(r["passages"]), self._get_json(r["sources"]), int(r["vote"]))
            for r in await self._fetchall(q.voted_answers)
        ]
        by_call = await self._fetchall(q.subscriptions_by_call)
        return UsageStats(
            counts={str(r["metric"]): int(r["n"]) for r in totals},
            counts_recent={str(r["metric"]): int(r["n"]) for r in recent},
            recent_days=recent_days,
            votes=tally_votes(voted),
            answers_recorded=await self._scalar(q.count_answers),
            subscribers=await self._scalar(q.count_subscribers),
            subscriptions_by_call={str(r["call_id"]): int(r["n"]) for r in by_call},
            active_checks=await self._scalar(
                q.count_active_dialogs, (self._put_time(now - dialog_ttl),)
            ),
            reminders_sent=await self._scalar(q.count_reminders),
        )

    async def prune(self, answers_older_than: timedelta, deadlines_before: datetime) -> int:
        """Delete unvoted answers (and kept questions) older than the age, past reminders."""
        cutoff = self._put_time(self._clock() - answers_older_than)
        counts = await self._write(
            [
                (self.queries.prune_answers, (cutoff,)),
                (self.queries.prune_questions, (cutoff,)),
                (self.queries.prune_reminders, (self._put_time(deadlines_before),)),
            ]
        )
        return sum(counts)


class SQLPrivacy(SQLEngine):
    """/mydata and /forget over every table with a user_id (the Privacy protocol)."""

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """{"user_id": id, <table>: [rows], ...} for every table (dialog states decoded)."""
        export: dict[str, Any] = {"user_id": user_id}
        for table in await self._user_tables():
            if table not in NOT_EXPORTED:
                export[table] = await self._exported_rows(table, user_id)
        return export

    async def forget_user(self, user_id: int) -> int:
        """Delete every row about a user in every table, in one transaction; return the count."""
        tables = await self._user_tables()

        def forget_cached() -> None:
            self._languages.pop(user_id)
            self._timezones.pop(user_id)
            self._dialogs.drop(lambda key, _: key.user_id == user_id)

        counts = await self._write(
            [(self.queries.delete_user_rows(table), (user_id,)) for table in tables],
            then=forget_cached,
        )
        await self._after_forget()
        return sum(counts)


class SQLStore(SQLUserSettings, SQLDialogs, SQLSubscriptions, SQLAnswers, SQLPrivacy):
    """Every aggregate over one SQL engine: what SQLiteStorage and PostgresStorage complete."""


def exported_value(value: Any) -> Any:
    """A value as /mydata shows it: timestamps and days as text, the rest as it is."""
    if isinstance(value, datetime):
        return records.timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
