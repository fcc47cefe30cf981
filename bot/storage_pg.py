"""PostgreSQL storage: the shared engine when DATABASE_URL is set (SQLite stays the default).

The same methods and semantics as SQLiteStorage (bot/storage.py), on psycopg 3's asyncio driver
with a connection pool: `%s` parameters only, every write committed before the method returns
(one statement in autocommit is its own transaction; several run in one explicit transaction),
and the same versioned migrations (a schema_version table, numbered steps, applied under an
advisory lock so that replicas starting together do not both run one).

Unlike SQLiteStorage, reads are not cached in memory: several processes or replicas may change
a user's rows, and a cache filled by one would go stale without telling. A read is one round
trip on an open pooled connection (about 0.1 ms on loopback), which keeps per-message reads
cheap enough; invalidating caches across replicas is left to the replica layer. Daily counters
(no user in them) are summed in memory and added every few seconds, as in SQLite: addition
commutes, so replicas flushing at once still add up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.schema import POSTGRES_MIGRATIONS as MIGRATIONS
from bot.schema import SCHEMA_VERSION
from bot.storage import (
    COUNT_FLUSH_SECONDS,
    NOT_EXPORTED,
    AnswerRecord,
    ItemVotes,
    ReminderKey,
    SQLiteStorage,
    StorageKey,
    StoredDialog,
    Subscriber,
    Subscription,
    UsageStats,
    _timestamp,
    _utc_now,
)

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key held while migrating: "AMIF" in ASCII.
MIGRATION_LOCK = 0x414D4946
POOL_MIN_SIZE = 1
# Per process: the bot's worker processes and replicas each have their own pool, and
# PostgreSQL's default max_connections is 100.
POOL_MAX_SIZE = 4
CONNECT_TIMEOUT_S = 10.0

Statement = tuple[str, Sequence[Any]]


def redacted_url(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStorage:
    """Storage in a PostgreSQL database; use as `async with PostgresStorage(url) as store:`."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        pool_max_size: int = POOL_MAX_SIZE,
    ) -> None:
        self.url = url
        self._clock = clock
        self._pool_max_size = pool_max_size
        self._pool: AsyncConnectionPool[AsyncConnection[DictRow]] | None = None
        self._counts: dict[tuple[str, str], int] = {}
        self._count_flush: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"PostgresStorage({redacted_url(self.url)!r})"

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
        """Open the pool (waiting for a first connection) and apply pending migrations."""
        if self._pool is not None:
            return
        pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
            self.url,
            connection_class=AsyncConnection[DictRow],
            # Autocommit: a read leaves no transaction open; writes begin their own.
            kwargs={"autocommit": True, "row_factory": dict_row},
            min_size=POOL_MIN_SIZE,
            max_size=self._pool_max_size,
            open=False,
            configure=_configure,
            name="amif-storage",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            async with pool.connection() as conn:
                await _migrate(conn)
        except PoolTimeout:
            await pool.close()
            raise ConnectionError(
                f"no PostgreSQL connection to {redacted_url(self.url)} within "
                f"{CONNECT_TIMEOUT_S:.0f} s"
            ) from None
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        """Write pending counts and close the pool (idempotent)."""
        flush, self._count_flush = self._count_flush, None
        if flush is not None and flush is not asyncio.current_task():
            flush.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flush
        if self._pool is not None:
            try:
                await self.flush_counts()
            finally:
                pool, self._pool = self._pool, None
                await pool.close()

    @property
    def _connections(self) -> AsyncConnectionPool[AsyncConnection[DictRow]]:
        if self._pool is None:
            raise RuntimeError("storage is not open; use `async with PostgresStorage(...)`")
        return self._pool

    async def schema_version(self) -> int:
        """The schema version of the database."""
        return await self._scalar("SELECT version FROM schema_version")

    async def _write(self, statements: Sequence[Statement]) -> list[int]:
        """Run statements in one committed transaction; return each one's row count."""
        async with self._connections.connection() as conn:
            if len(statements) == 1:
                # Autocommit: one statement is its own transaction, in one round trip.
                cursor = await conn.execute(*statements[0])
                return [cursor.rowcount]
            counts = []
            async with conn.transaction():
                for statement in statements:
                    cursor = await conn.execute(*statement)
                    counts.append(cursor.rowcount)
            return counts

    async def _fetchall(self, query: str, params: Sequence[Any] = ()) -> list[DictRow]:
        async with self._connections.connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

    async def _scalar(self, query: str, params: Sequence[Any] = ()) -> int:
        rows = await self._fetchall(query, params)
        return int(next(iter(rows[0].values())) or 0) if rows else 0

    # --- user settings ---

    async def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None if they never chose."""
        rows = await self._fetchall(
            "SELECT language FROM user_settings WHERE user_id = %s", (user_id,)
        )
        return str(rows[0]["language"]) if rows else None

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        await self._write(
            [
                (
                    "INSERT INTO user_settings (user_id, language, updated_at)"
                    " VALUES (%s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET"
                    " language = EXCLUDED.language, updated_at = EXCLUDED.updated_at",
                    (user_id, language, self._clock()),
                )
            ]
        )

    # --- dialogs ---

    async def load_dialog(self, key: StorageKey) -> StoredDialog | None:
        """The dialog in progress for this chat and user, if any."""
        rows = await self._fetchall(
            "SELECT check_id, state::text AS state, updated_at FROM dialogs"
            " WHERE chat_id = %s AND user_id = %s",
            (key.chat_id, key.user_id),
        )
        if not rows:
            return None
        row = rows[0]
        return StoredDialog(str(row["check_id"]), str(row["state"]), _utc(row["updated_at"]))

    async def save_dialog(self, key: StorageKey, check_id: str, state: str) -> None:
        """Store the dialog state (JSON text) for this chat and user, replacing any earlier one."""
        json.loads(state)  # the same error as SQLite's for text that is not JSON
        await self._write(
            [
                (
                    "INSERT INTO dialogs (chat_id, user_id, check_id, state, updated_at)"
                    " VALUES (%s, %s, %s, %s::json, %s) ON CONFLICT (chat_id, user_id) DO UPDATE"
                    " SET check_id = EXCLUDED.check_id, state = EXCLUDED.state,"
                    " updated_at = EXCLUDED.updated_at",
                    (key.chat_id, key.user_id, check_id, state, self._clock()),
                )
            ]
        )

    async def delete_dialog(self, key: StorageKey) -> bool:
        """Forget the dialog of this chat and user; True if there was one."""
        (count,) = await self._write(
            [
                (
                    "DELETE FROM dialogs WHERE chat_id = %s AND user_id = %s",
                    (key.chat_id, key.user_id),
                )
            ]
        )
        return count > 0

    async def expire_dialogs(self, older_than: timedelta) -> int:
        """Delete dialogs untouched for longer than older_than; return how many."""
        (count,) = await self._write(
            [("DELETE FROM dialogs WHERE updated_at < %s", (self._clock() - older_than,))]
        )
        return count

    # --- the user's data (/mydata, /forget) ---

    async def _user_tables(self) -> list[str]:
        """Every table with a user_id column, found in the schema so new tables are included."""
        rows = await self._fetchall(
            "SELECT c.table_name FROM information_schema.columns c"
            " JOIN information_schema.tables t"
            " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
            " WHERE c.table_schema = current_schema() AND c.column_name = 'user_id'"
            " AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
        )
        return [str(row["table_name"]) for row in rows]

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """{"user_id": id, <table>: [rows], ...} for every table, in SQLite's text forms."""
        export: dict[str, Any] = {"user_id": user_id}
        for table in await self._user_tables():
            if table in NOT_EXPORTED:
                continue
            query = sql.SQL("SELECT * FROM {} WHERE user_id = %s").format(sql.Identifier(table))
            async with self._connections.connection() as conn:
                cursor = await conn.execute(query, (user_id,))
                rows = [
                    {k: _exported(v) for k, v in row.items()} for row in await cursor.fetchall()
                ]
            # A stable order where SQLite has its rowid: by every column, in column order.
            rows.sort(key=lambda row: [str(value) for value in row.values()])
            export[table] = rows
        return export

    async def forget_user(self, user_id: int) -> int:
        """Delete every row about a user in every table, in one transaction; return the count."""
        tables = await self._user_tables()
        total = 0
        async with self._connections.connection() as conn, conn.transaction():
            for table in tables:
                query = sql.SQL("DELETE FROM {} WHERE user_id = %s").format(sql.Identifier(table))
                cursor = await conn.execute(query, (user_id,))
                total += cursor.rowcount
        return total

    # --- subscriptions and reminders ---

    async def subscribe(self, user_id: int, chat_id: int, call_id: str, lang: str) -> bool:
        """Subscribe a user to a call ('*': every call); False if they already were."""
        (count,) = await self._write(
            [
                (
                    "INSERT INTO subscriptions (user_id, chat_id, call_id, lang, created_at)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, call_id) DO NOTHING",
                    (user_id, chat_id, call_id, lang, self._clock()),
                )
            ]
        )
        return count > 0

    async def unsubscribe(self, user_id: int, call_id: str | None = None) -> int:
        """End one subscription of a user, or all of them (call_id None); return how many."""
        statement: Statement
        if call_id is None:
            statement = ("DELETE FROM subscriptions WHERE user_id = %s", (user_id,))
        else:
            statement = (
                "DELETE FROM subscriptions WHERE user_id = %s AND call_id = %s",
                (user_id, call_id),
            )
        (count,) = await self._write([statement])
        return count

    async def drop_call_subscriptions(self, call_id: str) -> int:
        """End every subscription to one call (it left the knowledge); return how many."""
        (count,) = await self._write(
            [("DELETE FROM subscriptions WHERE call_id = %s", (call_id,))]
        )
        return count

    async def subscriptions(self, user_id: int) -> list[Subscription]:
        """A user's subscriptions, oldest first."""
        rows = await self._fetchall(
            "SELECT * FROM subscriptions WHERE user_id = %s ORDER BY created_at, call_id",
            (user_id,),
        )
        return [_subscription(row) for row in rows]

    async def subscribers(self, call_ids: Iterable[str] | None = None) -> list[Subscriber]:
        """Every subscription (or those to call_ids) with the user's language and time zone."""
        query = (
            "SELECT s.*, COALESCE(u.language, s.lang) AS reply_lang, z.timezone AS timezone"
            " FROM subscriptions s LEFT JOIN user_settings u ON u.user_id = s.user_id"
            " LEFT JOIN user_timezones z ON z.user_id = s.user_id"
        )
        params: tuple[Any, ...] = ()
        if call_ids is not None:
            wanted = list(call_ids)
            if not wanted:
                return []
            query += " WHERE s.call_id = ANY(%s)"
            params = (wanted,)
        rows = await self._fetchall(query + " ORDER BY s.user_id, s.created_at", params)
        return [
            Subscriber(_subscription(row), str(row["reply_lang"]), row["timezone"]) for row in rows
        ]

    async def get_timezone(self, user_id: int) -> str | None:
        """The IANA time zone the user chose, or None."""
        rows = await self._fetchall(
            "SELECT timezone FROM user_timezones WHERE user_id = %s", (user_id,)
        )
        return str(rows[0]["timezone"]) if rows else None

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        """Remember the user's time zone (an IANA name, validated by the caller)."""
        await self._write(
            [
                (
                    "INSERT INTO user_timezones (user_id, timezone, updated_at)"
                    " VALUES (%s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET"
                    " timezone = EXCLUDED.timezone, updated_at = EXCLUDED.updated_at",
                    (user_id, timezone, self._clock()),
                )
            ]
        )

    async def reminders_decided(self, deadlines_after: datetime) -> set[ReminderKey]:
        """Reminders already decided on for deadlines after the given instant."""
        rows = await self._fetchall(
            "SELECT user_id, call_id, deadline, days_before FROM reminders_sent"
            " WHERE deadline > %s",
            (_aware(deadlines_after),),
        )
        return {
            ReminderKey(
                int(row["user_id"]),
                str(row["call_id"]),
                _utc(row["deadline"]),
                int(row["days_before"]),
            )
            for row in rows
        }

    async def claim_reminder(self, key: ReminderKey) -> bool:
        """Record a reminder as decided, committed before it is sent; False if it already was."""
        # The primary key decides between concurrent claimers: the second insert waits for the
        # first one's commit and then does nothing.
        (count,) = await self._write(
            [
                (
                    "INSERT INTO reminders_sent (user_id, call_id, deadline, days_before, sent_at)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (
                        key.user_id,
                        key.call_id,
                        _aware(key.deadline),
                        key.days_before,
                        self._clock(),
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
                    "DELETE FROM reminders_sent WHERE user_id = %s AND call_id = %s"
                    " AND deadline = %s AND days_before = %s",
                    (key.user_id, key.call_id, _aware(key.deadline), key.days_before),
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
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    (
                        record.token,
                        now,
                        record.lang,
                        record.kind,
                        Jsonb(list(record.passages)),
                        Jsonb(list(record.sources)),
                    ),
                )
            ]
            if record.question is not None and record.asker is not None:
                statements.append(
                    (
                        "INSERT INTO questions (user_id, asked_at, lang, question)"
                        " VALUES (%s, %s, %s, %s)",
                        (record.asker, now, record.lang, record.question),
                    )
                )
            await self._write(statements)

    async def count_event(self, metric: str) -> None:
        """Add one to today's count of metric (written within COUNT_FLUSH_SECONDS)."""
        self._count(self._clock(), metric)

    def _count(self, now: datetime, metric: str) -> None:
        self._connections  # noqa: B018 -- a closed store refuses counts as it refuses writes
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
            # Sorted: concurrent flushes from several processes lock rows in one order.
            await self._write(
                [
                    (
                        "INSERT INTO daily_counts (day, metric, count) VALUES (%s, %s, %s)"
                        " ON CONFLICT (day, metric) DO UPDATE"
                        " SET count = daily_counts.count + EXCLUDED.count",
                        (date.fromisoformat(day), metric, n),
                    )
                    for (day, metric), n in sorted(pending.items())
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
                    "UPDATE answers SET vote = %s, voted_at = %s WHERE token = %s",
                    (value, self._clock(), token),
                )
            ]
        )
        return count > 0

    async def answer_state(self, token: str) -> tuple[str, int | None] | None:
        """The language of a recorded answer and its current vote; None for unknown tokens."""
        rows = await self._fetchall("SELECT lang, vote FROM answers WHERE token = %s", (token,))
        if not rows:
            return None
        vote = rows[0]["vote"]
        return str(rows[0]["lang"]), None if vote is None else int(vote)

    async def usage_stats(self, dialog_ttl: timedelta, recent_days: int = 7) -> UsageStats:
        """Aggregate numbers for /stats: counts, votes per passage, subscribers, active checks."""
        await self.flush_counts()
        now = self._clock()
        since = (now - timedelta(days=recent_days - 1)).astimezone(UTC).date()
        totals = await self._fetchall(
            "SELECT metric, SUM(count) AS n FROM daily_counts GROUP BY metric"
        )
        recent = await self._fetchall(
            "SELECT metric, SUM(count) AS n FROM daily_counts WHERE day >= %s GROUP BY metric",
            (since,),
        )
        up: dict[str, int] = {}
        down: dict[str, int] = {}
        for row in await self._fetchall(
            "SELECT passages, sources, vote FROM answers WHERE vote IS NOT NULL"
        ):
            items = row["passages"] or row["sources"]
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
                "SELECT COUNT(*) FROM dialogs WHERE updated_at >= %s", (now - dialog_ttl,)
            ),
            reminders_sent=await self._scalar("SELECT COUNT(*) FROM reminders_sent"),
        )

    async def prune(self, answers_older_than: timedelta, deadlines_before: datetime) -> int:
        """Delete unvoted answers older than the age and reminders of passed deadlines."""
        counts = await self._write(
            [
                (
                    "DELETE FROM answers WHERE vote IS NULL AND created_at < %s",
                    (self._clock() - answers_older_than,),
                ),
                (
                    "DELETE FROM questions WHERE asked_at < %s",
                    (self._clock() - answers_older_than,),
                ),
                ("DELETE FROM reminders_sent WHERE deadline < %s", (_aware(deadlines_before),)),
            ]
        )
        return sum(counts)

    # --- moving an SQLite installation in (`amif-bot migrate --from-sqlite FILE`) ---

    async def copy_from_sqlite(self, source: Path) -> dict[str, tuple[int, int]]:
        """Copy every row of an SQLite file in, in one transaction: {table: (read, added)}."""
        # Rows already here win (ON CONFLICT DO NOTHING): a second run adds nothing and never
        # overwrites what the bot has written to PostgreSQL since.
        rows = await read_sqlite(source)
        copied: dict[str, tuple[int, int]] = {}
        async with self._connections.connection() as conn, conn.transaction():
            for table, (columns, convert, key) in COPIED_TABLES.items():
                values = [convert(row) for row in rows[table]]
                added = 0
                if values:
                    query = sql.SQL(
                        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING"
                    ).format(
                        sql.Identifier(table),
                        sql.SQL(", ").join(map(sql.Identifier, columns)),
                        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                        sql.SQL(", ").join(map(sql.Identifier, key)),
                    )
                    async with conn.cursor() as cursor:
                        await cursor.executemany(query, values)
                        added = cursor.rowcount
                copied[table] = (len(values), added)
        return copied


async def read_sqlite(source: Path) -> dict[str, list[sqlite3.Row]]:
    """Every copied table's rows of an SQLite file, brought to the current schema first."""
    if not source.is_file():
        raise FileNotFoundError(f"no SQLite database at {source}")
    # Opening migrates an older file in place, as the bot would at its next start.
    async with SQLiteStorage(source):
        pass
    db = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        tables = {
            str(name)
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'schema_version'"
            )
        }
        unknown = tables - COPIED_TABLES.keys()
        if unknown:
            raise ValueError(f"tables this version cannot copy: {', '.join(sorted(unknown))}")
        return {
            table: list(db.execute(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY rowid'))
            for table, (columns, _, _) in COPIED_TABLES.items()
        }
    finally:
        db.close()


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# Per SQLite table: its columns, how a row becomes PostgreSQL values, and its primary key. A
# table added to the schema must be added here (read_sqlite refuses files with unknown ones).
COPIED_TABLES: dict[
    str, tuple[tuple[str, ...], Callable[[sqlite3.Row], tuple[Any, ...]], tuple[str, ...]]
] = {
    "user_settings": (
        ("user_id", "language", "updated_at"),
        lambda r: (r["user_id"], r["language"], _when(r["updated_at"])),
        ("user_id",),
    ),
    "user_timezones": (
        ("user_id", "timezone", "updated_at"),
        lambda r: (r["user_id"], r["timezone"], _when(r["updated_at"])),
        ("user_id",),
    ),
    "dialogs": (
        ("chat_id", "user_id", "check_id", "state", "updated_at"),
        lambda r: (r["chat_id"], r["user_id"], r["check_id"], r["state"], _when(r["updated_at"])),
        ("chat_id", "user_id"),
    ),
    "subscriptions": (
        ("user_id", "chat_id", "call_id", "lang", "created_at"),
        lambda r: (r["user_id"], r["chat_id"], r["call_id"], r["lang"], _when(r["created_at"])),
        ("user_id", "call_id"),
    ),
    "reminders_sent": (
        ("user_id", "call_id", "deadline", "days_before", "sent_at"),
        lambda r: (
            r["user_id"],
            r["call_id"],
            _when(r["deadline"]),
            r["days_before"],
            _when(r["sent_at"]),
        ),
        ("user_id", "call_id", "deadline", "days_before"),
    ),
    "answers": (
        (
            "token",
            "created_at",
            "lang",
            "kind",
            "passages",
            "sources",
            "question",
            "vote",
            "voted_at",
        ),
        lambda r: (
            r["token"],
            _when(r["created_at"]),
            r["lang"],
            r["kind"],
            Jsonb(json.loads(r["passages"])),
            Jsonb(json.loads(r["sources"])),
            r["question"],
            r["vote"],
            _when(r["voted_at"]),
        ),
        ("token",),
    ),
    "questions": (
        ("user_id", "asked_at", "lang", "question"),
        lambda r: (r["user_id"], _when(r["asked_at"]), r["lang"], r["question"]),
        # A kept question has no key of its own; one asked twice in the same instant is one.
        ("user_id", "asked_at", "question"),
    ),
    # Updates not yet handled are handled by the bot on PostgreSQL; done rows are copied too.
    "inbox": (
        ("update_id", "user_id", "chat_id", "body", "received_at"),
        lambda r: (r["update_id"], r["user_id"], r["chat_id"], r["body"], _when(r["received_at"])),
        ("update_id",),
    ),
    "daily_counts": (
        ("day", "metric", "count"),
        lambda r: (date.fromisoformat(r["day"]), r["metric"], r["count"]),
        ("day", "metric"),
    ),
    # Empty on SQLite (its knowledge is the data directory's files: `amif-bot reload` with
    # DATABASE_URL set puts them into an empty database), copied should one ever hold rows.
    "knowledge_files": (
        ("kind", "name", "content", "sha256", "updated_at"),
        lambda r: (r["kind"], r["name"], r["content"], r["sha256"], _when(r["updated_at"])),
        ("kind", "name"),
    ),
    "knowledge_version": (
        ("id", "version", "digest", "notified_version", "report", "updated_at"),
        lambda r: (
            r["id"],
            r["version"],
            r["digest"],
            r["notified_version"],
            r["report"],
            _when(r["updated_at"]),
        ),
        ("id",),
    ),
    "knowledge_index": (
        ("key", "data", "created_at"),
        lambda r: (r["key"], bytes(r["data"]), _when(r["created_at"])),
        ("key",),
    ),
}


async def _configure(conn: AsyncConnection[DictRow]) -> None:
    """Every pooled connection reads timestamps in UTC, as the SQLite store writes them."""
    await conn.execute("SET TIME ZONE 'UTC'")


async def _migrate(conn: AsyncConnection[DictRow]) -> None:
    """Apply pending migrations in one transaction, one process at a time."""
    async with conn.transaction():
        # Replicas starting together: the second waits here, then finds the work done.
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        cursor = await conn.execute("SELECT version FROM schema_version")
        row = await cursor.fetchone()
        current = int(row["version"]) if row is not None else 0
        if row is None:
            await conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"database schema {current} is newer than this code ({SCHEMA_VERSION})"
            )
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            for statement in statements:
                await conn.execute(statement)
            await conn.execute("UPDATE schema_version SET version = %s", (version,))


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _exported(value: Any) -> Any:
    """A value as SQLite's export shows it: timestamps and days as text, JSON decoded."""
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _subscription(row: DictRow) -> Subscription:
    return Subscription(
        int(row["user_id"]),
        int(row["chat_id"]),
        str(row["call_id"]),
        str(row["lang"]),
        _utc(row["created_at"]),
    )
