"""What the bot remembers between messages: user settings and eligibility-check dialogs.

A small async protocol keyed like aiogram's StorageKey (chat_id, user_id), and its SQLite
implementation on aiosqlite: WAL, a busy timeout, `?` parameters only, a schema_version table with
ordered migrations, and every write committed before the method returns, so a handler that awaits
a save can reply knowing the step survives a crash. Only parsed answers are stored (the dialog
state); the free text of users' questions only when the operator turned on STORE_QUESTIONS, and
then with the asker's id (table questions), so that /mydata shows it and /forget deletes it.

Each thread round trip of aiosqlite costs about 0.2 ms of CPU, several times the query itself, so
the per-message reads are served from memory: a user's language, time zone and dialog are cached
write-through (filled and updated under the same lock as the SQL, so the cache follows the file's
order of changes). That holds while one SQLiteStorage is the only writer of a given user's rows, as
in the bot, where every update of a user goes through the one process; other connections may read.
Daily counters are aggregates with no user in them; they are summed in memory and written every
few seconds (and on close), so an answer costs one statement instead of a four-step transaction.
A SIGKILL loses at most those few seconds of counts, never a user's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, cast

import aiosqlite

from bot.datadir import DIRECTORY_MODE, create_private_file
from bot.schema import SCHEMA_VERSION
from bot.schema import SQLITE_MIGRATIONS as MIGRATIONS

log = logging.getLogger(__name__)

# Tables with a user_id that /mydata leaves out, and why: a user's rows in the inbox live only
# until their updates are handled (the /mydata request itself is one of them); /forget deletes
# them like every other table's.
NOT_EXPORTED = frozenset({"inbox"})
DEFAULT_BUSY_TIMEOUT_MS = 5000
ALL_CALLS = "*"
# Users whose settings and dialog stay in memory; the least recently stored go first.
CACHED_USERS = 20_000
# How long counted events may wait in memory before they are written.
COUNT_FLUSH_SECONDS = 5.0
_MISSING: Any = object()


@dataclass(frozen=True)
class StorageKey:
    """Whose dialog: the chat it runs in and the user in that chat."""

    chat_id: int
    user_id: int


@dataclass(frozen=True)
class StoredDialog:
    """A saved eligibility-check dialog."""

    check_id: str
    state: str
    updated_at: datetime


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


class Storage(Protocol):
    """What handlers need to remember; every write is durable when the call returns."""

    async def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None if they never chose."""
        ...

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        ...

    async def load_dialog(self, key: StorageKey) -> StoredDialog | None:
        """The dialog in progress for this chat and user, if any."""
        ...

    async def save_dialog(self, key: StorageKey, check_id: str, state: str) -> None:
        """Store the dialog state (JSON text) for this chat and user, replacing any earlier one."""
        ...

    async def delete_dialog(self, key: StorageKey) -> bool:
        """Forget the dialog of this chat and user; True if there was one."""
        ...

    async def expire_dialogs(self, older_than: timedelta) -> int:
        """Delete dialogs untouched for longer than older_than; return how many."""
        ...

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Everything stored about a user: {"user_id": id, <table>: [rows], ...} (for /mydata)."""
        ...

    async def forget_user(self, user_id: int) -> int:
        """Delete every row about a user in every table; return how many rows."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    """Fixed-width UTC ISO text, so that text order is time order in SQL comparisons."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class SQLiteStorage:
    """Storage in one SQLite file; use as `async with SQLiteStorage(path) as store:`."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout_ms = busy_timeout_ms
        self._db: aiosqlite.Connection | None = None
        # One connection is shared by every task; the lock keeps each write transaction whole.
        self._lock = asyncio.Lock()
        self._languages: _Bounded[int, str | None] = _Bounded(CACHED_USERS)
        self._timezones: _Bounded[int, str | None] = _Bounded(CACHED_USERS)
        self._dialogs: _Bounded[StorageKey, StoredDialog | None] = _Bounded(CACHED_USERS)
        self._counts: dict[tuple[str, str], int] = {}
        self._count_flush: asyncio.Task[None] | None = None

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

    async def open(self) -> None:
        """Connect, set WAL and the busy timeout, and apply pending migrations."""
        if self._db is not None:
            return
        # Users' data: only the bot's own user may read the folder and the files (SQLite
        # gives the -wal and -shm files the mode of the database file).
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
        create_private_file(self.path)
        # isolation_level=None: no implicit transactions; writes use explicit BEGIN IMMEDIATE.
        db = await aiosqlite.connect(self.path, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            await db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            await self._set_wal(db)
            await db.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten, not only unlinked: /forget leaves no bytes behind.
            await db.execute("PRAGMA secure_delete = ON")
            await self._migrate(db)
        except BaseException:
            await db.close()
            raise
        self._db = db

    async def _set_wal(self, db: aiosqlite.Connection) -> None:
        """Switch the file to WAL, waiting (up to the busy timeout) for others doing the same.

        The switch needs the whole file and, unlike other statements, does not wait for it:
        processes opening a new file at the same moment (the bot's worker processes, or the bot
        and `amif-bot ingest`) can get "database is locked". Three plain sqlite3 processes
        switching 200 new files at the same instant got it in 23 of 600 openings.
        """
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        pause = 0.005
        while True:
            try:
                await db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(0.1, pause * 2)

    async def close(self) -> None:
        """Write pending counts and close the connection (idempotent)."""
        flush, self._count_flush = self._count_flush, None
        if flush is not None and flush is not asyncio.current_task():
            flush.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flush
        if self._db is not None:
            try:
                await self.flush_counts()
            finally:
                db, self._db = self._db, None
                self._forget_cached()
                await db.close()

    def _forget_cached(self) -> None:
        self._languages.clear()
        self._timezones.clear()
        self._dialogs.clear()

    @property
    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open; use `async with SQLiteStorage(...)`")
        return self._db

    @staticmethod
    async def _migrate(db: aiosqlite.Connection) -> None:
        await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        # BEGIN IMMEDIATE: two processes opening a fresh file must not both run migration 1.
        await db.execute("BEGIN IMMEDIATE")
        try:
            async with db.execute("SELECT version FROM schema_version") as cursor:
                row = await cursor.fetchone()
            current = int(row[0]) if row is not None else 0
            if row is None:
                await db.execute("INSERT INTO schema_version (version) VALUES (0)")
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"database schema {current} is newer than this code ({SCHEMA_VERSION})"
                )
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                for statement in statements:
                    await db.execute(statement)
                await db.execute("UPDATE schema_version SET version = ?", (version,))
            await db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise

    async def schema_version(self) -> int:
        """The schema version of the open file."""
        async with self._conn.execute("SELECT version FROM schema_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def _write(
        self,
        statements: Sequence[tuple[str, tuple[Any, ...]]],
        then: Callable[[], None] | None = None,
    ) -> list[int]:
        """Run statements in one committed transaction; return each one's row count.

        then() runs after the commit, still under the lock: how caches follow the file.
        """
        db = self._conn
        async with self._lock:
            if len(statements) == 1:
                # In autocommit mode (isolation_level=None) one statement is its own
                # transaction: atomic and committed when it returns, in one thread round trip.
                counts = [await self._changes(*statements[0])]
            else:
                await db.execute_fetchall("BEGIN IMMEDIATE")
                try:
                    counts = [await self._changes(sql, params) for sql, params in statements]
                    await db.execute_fetchall("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        await db.execute_fetchall("ROLLBACK")
                    raise
            if then is not None:
                then()
        return counts

    async def _changes(self, sql: str, params: tuple[Any, ...]) -> int:
        """Run one write (under the lock) and return how many rows it changed.

        execute_fetchall runs and finishes the statement in one thread round trip, where
        execute + rowcount + cursor.close take two; total_changes gives the row count.
        """
        db = self._conn
        before = db.total_changes
        await db.execute_fetchall(sql, params)
        return db.total_changes - before

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        db = self._conn
        async with self._lock:
            rows = await db.execute_fetchall(sql, params)
        return list(rows)

    async def _cached(
        self,
        cache: _Bounded[K, V],
        key: K,
        sql: str,
        params: tuple[Any, ...],
        decode: Callable[[list[sqlite3.Row]], V],
    ) -> V:
        """cache[key], else the decoded query result, remembered under the lock."""
        found = cache.get(key, _MISSING)
        if found is not _MISSING:
            return cast(V, found)
        db = self._conn
        async with self._lock:
            # Another task may have filled (or changed) it while this one waited.
            found = cache.get(key, _MISSING)
            if found is not _MISSING:
                return cast(V, found)
            value = decode(list(await db.execute_fetchall(sql, params)))
            cache.put(key, value)
        return value

    # --- user settings ---

    async def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None if they never chose."""
        return await self._cached(
            self._languages,
            user_id,
            "SELECT language FROM user_settings WHERE user_id = ?",
            (user_id,),
            lambda rows: str(rows[0]["language"]) if rows else None,
        )

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        await self._write(
            [
                (
                    "INSERT INTO user_settings (user_id, language, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id) DO UPDATE SET language = excluded.language,"
                    " updated_at = excluded.updated_at",
                    (user_id, language, _timestamp(self._clock())),
                )
            ],
            then=lambda: self._languages.put(user_id, language),
        )

    # --- dialogs ---

    async def load_dialog(self, key: StorageKey) -> StoredDialog | None:
        """The dialog in progress for this chat and user, if any."""
        return await self._cached(
            self._dialogs,
            key,
            "SELECT check_id, state, updated_at FROM dialogs WHERE chat_id = ? AND user_id = ?",
            (key.chat_id, key.user_id),
            _stored_dialog,
        )

    async def save_dialog(self, key: StorageKey, check_id: str, state: str) -> None:
        """Store the dialog state (JSON text) for this chat and user, replacing any earlier one."""
        json.loads(state)  # refuse anything that is not JSON before it reaches the file
        stamp = _timestamp(self._clock())
        saved = StoredDialog(check_id, state, datetime.fromisoformat(stamp))
        await self._write(
            [
                (
                    "INSERT INTO dialogs (chat_id, user_id, check_id, state, updated_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, user_id) DO UPDATE SET"
                    " check_id = excluded.check_id, state = excluded.state,"
                    " updated_at = excluded.updated_at",
                    (key.chat_id, key.user_id, check_id, state, stamp),
                )
            ],
            then=lambda: self._dialogs.put(key, saved),
        )

    async def delete_dialog(self, key: StorageKey) -> bool:
        """Forget the dialog of this chat and user; True if there was one."""
        (count,) = await self._write(
            [
                (
                    "DELETE FROM dialogs WHERE chat_id = ? AND user_id = ?",
                    (key.chat_id, key.user_id),
                )
            ],
            then=lambda: self._dialogs.put(key, None),
        )
        return count > 0

    async def expire_dialogs(self, older_than: timedelta) -> int:
        """Delete dialogs untouched for longer than older_than; return how many."""
        moment = self._clock() - older_than
        cutoff = _timestamp(moment)

        def drop_expired() -> None:
            for key, dialog in self._dialogs.items():
                if dialog is not None and dialog.updated_at < moment:
                    self._dialogs.put(key, None)

        (count,) = await self._write(
            [("DELETE FROM dialogs WHERE updated_at < ?", (cutoff,))], then=drop_expired
        )
        return count

    # --- the user's data (/mydata, /forget) ---

    async def _user_tables(self) -> list[str]:
        """Every table with a user_id column, found in the schema so new tables are included."""
        tables = await self._fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
        found = []
        for row in tables:
            name = str(row["name"])
            columns = await self._fetchall(f'PRAGMA table_info("{name}")')
            if any(col["name"] == "user_id" for col in columns):
                found.append(name)
        return found

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """{"user_id": id, <table>: [rows], ...} for every table (dialog states decoded)."""
        export: dict[str, Any] = {"user_id": user_id}
        for table in await self._user_tables():
            if table in NOT_EXPORTED:
                continue
            rows = await self._fetchall(
                f'SELECT * FROM "{table}" WHERE user_id = ? ORDER BY rowid', (user_id,)
            )
            records = []
            for row in rows:
                record = dict(row)
                if table == "dialogs":
                    record["state"] = json.loads(record["state"])
                records.append(record)
            export[table] = records
        return export

    async def forget_user(self, user_id: int) -> int:
        """Delete every row about a user in every table, in one transaction; return the count."""
        tables = await self._user_tables()

        def forget_cached() -> None:
            self._languages.pop(user_id)
            self._timezones.pop(user_id)
            for key in [k for k, _ in self._dialogs.items() if k.user_id == user_id]:
                self._dialogs.pop(key)

        # secure_delete overwrites the deleted rows' bytes in their pages (the connection keeps
        # it on, see open()); the checkpoint then moves those pages from the WAL into the main
        # file and truncates the WAL, so no copy of the user's rows is left in either file.
        counts = await self._write(
            [(f'DELETE FROM "{table}" WHERE user_id = ?', (user_id,)) for table in tables],
            then=forget_cached,
        )
        async with self._lock, self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0]:
            # Another process was reading: the pages stay in the WAL until its next checkpoint.
            log.warning("the checkpoint after /forget could not finish; it completes later")
        return sum(counts)

    # --- subscriptions and reminders ---

    async def subscribe(self, user_id: int, chat_id: int, call_id: str, lang: str) -> bool:
        """Subscribe a user to a call ('*': every call); False if they already were."""
        (count,) = await self._write(
            [
                (
                    "INSERT INTO subscriptions (user_id, chat_id, call_id, lang, created_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, call_id) DO NOTHING",
                    (user_id, chat_id, call_id, lang, _timestamp(self._clock())),
                )
            ]
        )
        return count > 0

    async def unsubscribe(self, user_id: int, call_id: str | None = None) -> int:
        """End one subscription of a user, or all of them (call_id None); return how many."""
        statement: tuple[str, tuple[Any, ...]]
        if call_id is None:
            statement = ("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
        else:
            statement = (
                "DELETE FROM subscriptions WHERE user_id = ? AND call_id = ?",
                (user_id, call_id),
            )
        (count,) = await self._write([statement])
        return count

    async def drop_call_subscriptions(self, call_id: str) -> int:
        """End every subscription to one call (it left the knowledge); return how many."""
        (count,) = await self._write([("DELETE FROM subscriptions WHERE call_id = ?", (call_id,))])
        return count

    async def subscriptions(self, user_id: int) -> list[Subscription]:
        """A user's subscriptions, oldest first."""
        rows = await self._fetchall(
            "SELECT * FROM subscriptions WHERE user_id = ? ORDER BY created_at, rowid",
            (user_id,),
        )
        return [_subscription(row) for row in rows]

    async def subscribers(self, call_ids: Iterable[str] | None = None) -> list[Subscriber]:
        """Every subscription (or those to call_ids) with the user's language and time zone."""
        sql = (
            "SELECT s.*, COALESCE(u.language, s.lang) AS reply_lang, z.timezone AS timezone"
            " FROM subscriptions s LEFT JOIN user_settings u ON u.user_id = s.user_id"
            " LEFT JOIN user_timezones z ON z.user_id = s.user_id"
        )
        params: tuple[Any, ...] = ()
        if call_ids is not None:
            wanted = tuple(call_ids)
            if not wanted:
                return []
            sql += f" WHERE s.call_id IN ({', '.join('?' for _ in wanted)})"
            params = wanted
        rows = await self._fetchall(sql + " ORDER BY s.user_id, s.created_at", params)
        return [
            Subscriber(_subscription(row), str(row["reply_lang"]), row["timezone"]) for row in rows
        ]

    async def get_timezone(self, user_id: int) -> str | None:
        """The IANA time zone the user chose, or None."""
        return await self._cached(
            self._timezones,
            user_id,
            "SELECT timezone FROM user_timezones WHERE user_id = ?",
            (user_id,),
            lambda rows: str(rows[0]["timezone"]) if rows else None,
        )

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        """Remember the user's time zone (an IANA name, validated by the caller)."""
        await self._write(
            [
                (
                    "INSERT INTO user_timezones (user_id, timezone, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone,"
                    " updated_at = excluded.updated_at",
                    (user_id, timezone, _timestamp(self._clock())),
                )
            ],
            then=lambda: self._timezones.put(user_id, timezone),
        )

    async def reminders_decided(self, deadlines_after: datetime) -> set[ReminderKey]:
        """Reminders already decided on for deadlines after the given instant."""
        rows = await self._fetchall(
            "SELECT user_id, call_id, deadline, days_before FROM reminders_sent"
            " WHERE deadline > ?",
            (_timestamp(deadlines_after),),
        )
        return {
            ReminderKey(
                int(row["user_id"]),
                str(row["call_id"]),
                datetime.fromisoformat(row["deadline"]),
                int(row["days_before"]),
            )
            for row in rows
        }

    async def claim_reminder(self, key: ReminderKey) -> bool:
        """Record a reminder as decided, committed before it is sent; False if it already was."""
        (count,) = await self._write(
            [
                (
                    "INSERT INTO reminders_sent (user_id, call_id, deadline, days_before, sent_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        key.user_id,
                        key.call_id,
                        _timestamp(key.deadline),
                        key.days_before,
                        _timestamp(self._clock()),
                    ),
                )
            ]
        )
        return count > 0

    async def release_reminder(self, key: ReminderKey) -> None:
        """Forget a claimed reminder that could not be delivered, so a later tick retries it."""
        await self._write(
            [
                (
                    "DELETE FROM reminders_sent WHERE user_id = ? AND call_id = ?"
                    " AND deadline = ? AND days_before = ?",
                    (key.user_id, key.call_id, _timestamp(key.deadline), key.days_before),
                )
            ]
        )

    # --- answers, votes and counters (no user ids) ---

    async def record_answer(self, record: AnswerRecord | None, metric: str | None) -> None:
        """Keep an answer for voting (committed on return) and count it under metric for today."""
        now = self._clock()
        if metric is not None:
            self._count(now, metric)
        if record is not None:
            statements: list[tuple[str, tuple[Any, ...]]] = [
                (
                    "INSERT INTO answers (token, created_at, lang, kind, passages, sources)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        record.token,
                        _timestamp(now),
                        record.lang,
                        record.kind,
                        json.dumps(list(record.passages)),
                        json.dumps(list(record.sources)),
                    ),
                )
            ]
            if record.question is not None and record.asker is not None:
                statements.append(
                    (
                        "INSERT INTO questions (user_id, asked_at, lang, question)"
                        " VALUES (?, ?, ?, ?)",
                        (record.asker, _timestamp(now), record.lang, record.question),
                    )
                )
            await self._write(statements)

    async def count_event(self, metric: str) -> None:
        """Add one to today's count of metric (written within COUNT_FLUSH_SECONDS)."""
        self._count(self._clock(), metric)

    def _count(self, now: datetime, metric: str) -> None:
        self._conn  # noqa: B018 -- a closed store refuses counts as it refuses writes
        key = (now.astimezone(UTC).date().isoformat(), metric)
        self._counts[key] = self._counts.get(key, 0) + 1
        if self._count_flush is None:
            self._count_flush = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(COUNT_FLUSH_SECONDS)
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
            await self._write(
                [
                    (
                        "INSERT INTO daily_counts (day, metric, count) VALUES (?, ?, ?)"
                        " ON CONFLICT (day, metric) DO UPDATE SET count = count + excluded.count",
                        (day, metric, n),
                    )
                    for (day, metric), n in pending.items()
                ]
            )
        except BaseException:
            for key, n in pending.items():
                self._counts[key] = self._counts.get(key, 0) + n
            raise

    async def vote(self, token: str, value: int) -> bool:
        """Set (or change) the vote on an answer: 1 helpful, -1 not; False for unknown tokens."""
        if value not in (1, -1):
            raise ValueError("a vote is 1 or -1")
        (count,) = await self._write(
            [
                (
                    "UPDATE answers SET vote = ?, voted_at = ? WHERE token = ?",
                    (value, _timestamp(self._clock()), token),
                )
            ]
        )
        return count > 0

    async def answer_state(self, token: str) -> tuple[str, int | None] | None:
        """The language of a recorded answer and its current vote; None for unknown tokens."""
        rows = await self._fetchall("SELECT lang, vote FROM answers WHERE token = ?", (token,))
        if not rows:
            return None
        vote = rows[0]["vote"]
        return str(rows[0]["lang"]), None if vote is None else int(vote)

    async def usage_stats(self, dialog_ttl: timedelta, recent_days: int = 7) -> UsageStats:
        """Aggregate numbers for /stats: counts, votes per passage, subscribers, active checks."""
        await self.flush_counts()
        now = self._clock()
        since = (now - timedelta(days=recent_days - 1)).astimezone(UTC).date().isoformat()
        totals = await self._fetchall(
            "SELECT metric, SUM(count) AS n FROM daily_counts GROUP BY metric"
        )
        recent = await self._fetchall(
            "SELECT metric, SUM(count) AS n FROM daily_counts WHERE day >= ? GROUP BY metric",
            (since,),
        )
        up: dict[str, int] = {}
        down: dict[str, int] = {}
        for row in await self._fetchall(
            "SELECT passages, sources, vote FROM answers WHERE vote IS NOT NULL"
        ):
            items = json.loads(row["passages"]) or json.loads(row["sources"])
            tally = up if int(row["vote"]) > 0 else down
            for item in items:
                tally[str(item)] = tally.get(str(item), 0) + 1
        votes = tuple(
            ItemVotes(item, up.get(item, 0), down.get(item, 0))
            for item in sorted({*up, *down}, key=lambda i: (-(up.get(i, 0) + down.get(i, 0)), i))
        )
        by_call = await self._fetchall(
            "SELECT call_id, COUNT(*) AS n FROM subscriptions GROUP BY call_id ORDER BY call_id"
        )
        return UsageStats(
            counts={str(r["metric"]): int(r["n"]) for r in totals},
            counts_recent={str(r["metric"]): int(r["n"]) for r in recent},
            recent_days=recent_days,
            votes=votes,
            answers_recorded=await self._scalar("SELECT COUNT(*) FROM answers"),
            subscribers=await self._scalar("SELECT COUNT(DISTINCT user_id) FROM subscriptions"),
            subscriptions_by_call={str(r["call_id"]): int(r["n"]) for r in by_call},
            active_checks=await self._scalar(
                "SELECT COUNT(*) FROM dialogs WHERE updated_at >= ?",
                (_timestamp(now - dialog_ttl),),
            ),
            reminders_sent=await self._scalar("SELECT COUNT(*) FROM reminders_sent"),
        )

    async def prune(self, answers_older_than: timedelta, deadlines_before: datetime) -> int:
        """Delete unvoted answers older than the age and reminders of passed deadlines."""
        cutoff = _timestamp(self._clock() - answers_older_than)
        counts = await self._write(
            [
                ("DELETE FROM answers WHERE vote IS NULL AND created_at < ?", (cutoff,)),
                ("DELETE FROM questions WHERE asked_at < ?", (cutoff,)),
                (
                    "DELETE FROM reminders_sent WHERE deadline < ?",
                    (_timestamp(deadlines_before),),
                ),
            ]
        )
        return sum(counts)

    async def _scalar(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        rows = await self._fetchall(sql, params)
        return int(rows[0][0] or 0) if rows else 0


def _subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        int(row["user_id"]),
        int(row["chat_id"]),
        str(row["call_id"]),
        str(row["lang"]),
        datetime.fromisoformat(row["created_at"]),
    )


def _stored_dialog(rows: list[sqlite3.Row]) -> StoredDialog | None:
    if not rows:
        return None
    row = rows[0]
    return StoredDialog(
        str(row["check_id"]), str(row["state"]), datetime.fromisoformat(row["updated_at"])
    )


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Bounded(Generic[K, V]):
    """A dict that forgets its least recently stored entries beyond a size."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: dict[K, V] = {}

    def get(self, key: K, default: Any) -> V | Any:
        return self._data.get(key, default)

    def put(self, key: K, value: V) -> None:
        self._data.pop(key, None)
        self._data[key] = value
        if len(self._data) > self._size:
            del self._data[next(iter(self._data))]

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def items(self) -> list[tuple[K, V]]:
        return list(self._data.items())

    def clear(self) -> None:
        self._data.clear()
