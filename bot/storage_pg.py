"""PostgreSQL storage: the shared engine when DATABASE_URL is set (SQLite stays the default).

The same aggregates and semantics as SQLiteStorage (both written once in bot/storage/sql.py), on
psycopg 3's asyncio driver with a connection pool: `%s` parameters only, every write committed
before the method returns (one statement in autocommit is its own transaction; several run in one
explicit transaction), and the same versioned migrations (bot/schema.py), applied under an
advisory lock so that replicas starting together do not both run one.

Unlike SQLiteStorage, reads are not cached in memory: several processes or replicas may change
a user's rows, and a cache filled by one would go stale without telling. A read is one round
trip on an open pooled connection (about 0.1 ms on loopback), which keeps per-message reads
cheap enough. Daily counters (no user in them) are summed in memory and added every few seconds,
as in SQLite: addition commutes, so replicas flushing at once still add up.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.schema import POSTGRES_MIGRATIONS as MIGRATIONS
from bot.schema import SCHEMA_VERSION
from bot.storage import SQLiteStorage
from bot.storage.queries import dialect_queries, subscribers_query
from bot.storage.records import COUNT_FLUSH_SECONDS, Bounded, NoCache, aware, utc_now
from bot.storage.sql import (
    Cache,
    Decode,
    Row,
    SQLStore,
    Statement,
    exported_value,
    pending_migrations,
)

# pg_advisory_xact_lock key held while migrating: "AMIF" in ASCII.
MIGRATION_LOCK = 0x414D4946
POOL_MIN_SIZE = 1
# Per process: the bot's worker processes and replicas each have their own pool, and
# PostgreSQL's default max_connections is 100.
POOL_MAX_SIZE = 4
CONNECT_TIMEOUT_S = 10.0
__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStorage", "redacted_url"]

# PostgreSQL's own: the state is a json column (not jsonb: it comes back as the very text that
# was saved), call_id breaks ties where SQLite has its rowid, and a list of call ids arrives as
# one jsonb parameter.
POSTGRES_QUERIES = dialect_queries(
    "%s",
    save_dialog=(
        "INSERT INTO dialogs (chat_id, user_id, check_id, state, updated_at, last_update_id)"
        " VALUES (%s, %s, %s, %s::json, %s, %s) ON CONFLICT (chat_id, user_id) DO UPDATE SET"
        " check_id = EXCLUDED.check_id, state = EXCLUDED.state,"
        " updated_at = EXCLUDED.updated_at, last_update_id = EXCLUDED.last_update_id"
    ),
    subscriptions="SELECT * FROM subscriptions WHERE user_id = %s ORDER BY created_at, call_id",
    subscribers_of_calls=subscribers_query(
        "WHERE s.call_id IN (SELECT jsonb_array_elements_text(%s::jsonb))"
    ),
)


def redacted_url(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStorage(SQLStore):
    """Storage in a PostgreSQL database; use as `async with PostgresStorage(url) as store:`."""

    queries = POSTGRES_QUERIES

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        pool_max_size: int = POOL_MAX_SIZE,
        count_flush_seconds: float = COUNT_FLUSH_SECONDS,
    ) -> None:
        super().__init__(clock, count_flush_seconds)
        self.url = url
        self._pool_max_size = pool_max_size
        self._pool: AsyncConnectionPool[AsyncConnection[DictRow]] | None = None

    def __repr__(self) -> str:
        return f"PostgresStorage({redacted_url(self.url)!r})"

    def _new_cache(self) -> Bounded[Any, Any]:
        return NoCache()

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

    async def _disconnect(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def _is_open(self) -> bool:
        return self._pool is not None

    @property
    def _connections(self) -> AsyncConnectionPool[AsyncConnection[DictRow]]:
        return self._opened(self._pool)

    async def _write(
        self, statements: Sequence[Statement], then: Callable[[], None] | None = None
    ) -> list[int]:
        async with self._connections.connection() as conn:
            if len(statements) == 1:
                # Autocommit: one statement is its own transaction, in one round trip.
                cursor = await conn.execute(*statements[0])
                counts = [cursor.rowcount]
            else:
                counts = []
                async with conn.transaction():
                    for statement in statements:
                        cursor = await conn.execute(*statement)
                        counts.append(cursor.rowcount)
        if then is not None:
            then()
        return counts

    async def _fetchall(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connections.connection() as conn:
            cursor = await conn.execute(query, params)
            return list(await cursor.fetchall())

    async def _read_through(
        self, cache: Cache, key: Any, statement: Statement, decode: Decode
    ) -> Any:
        return decode(await self._fetchall(*statement))

    def _put_time(self, moment: datetime) -> datetime:
        return aware(moment)

    def _get_time(self, value: Any) -> datetime:
        return value.astimezone(UTC)

    async def _after_forget(self) -> None:
        """Nothing: PostgreSQL's VACUUM reclaims the deleted rows' space."""

    def _put_json(self, value: Any) -> Jsonb:
        return Jsonb(value)

    def _get_json(self, value: Any) -> Any:
        return value

    def _put_day(self, day: str) -> date:
        return date.fromisoformat(day)

    async def _user_tables(self) -> list[str]:
        rows = await self._fetchall(
            "SELECT c.table_name FROM information_schema.columns c"
            " JOIN information_schema.tables t"
            " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
            " WHERE c.table_schema = current_schema() AND c.column_name = 'user_id'"
            " AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
        )
        return [str(row["table_name"]) for row in rows]

    async def _exported_rows(self, table: str, user_id: int) -> list[dict[str, Any]]:
        rows = [
            {k: exported_value(v) for k, v in row.items()}
            for row in await self._fetchall(
                f'SELECT * FROM "{table}" WHERE user_id = %s', (user_id,)
            )
        ]
        # A stable order where SQLite has its rowid: by every column, in column order.
        rows.sort(key=lambda row: [str(value) for value in row.values()])
        return rows

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
        ("chat_id", "user_id", "check_id", "state", "updated_at", "last_update_id"),
        lambda r: (
            r["chat_id"],
            r["user_id"],
            r["check_id"],
            r["state"],
            _when(r["updated_at"]),
            r["last_update_id"],
        ),
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
        if row is None:
            await conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        current = int(row["version"]) if row is not None else 0
        for version, statements in pending_migrations(current, MIGRATIONS):
            for statement in statements:
                await conn.execute(statement)
            await conn.execute("UPDATE schema_version SET version = %s", (version,))
