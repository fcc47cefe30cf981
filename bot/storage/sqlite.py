"""The SQLite store, the embedded default: one file in the data directory, on aiosqlite.

WAL, a busy timeout, `?` parameters only, a schema_version table with ordered migrations
(bot/schema.py), and every write committed before the method returns, so a handler that awaits a
save can reply knowing the step survives a crash. What the methods mean is written once for every
SQL engine (bot/storage/sql.py); this module holds the connection and SQLite's SQL text.

Each thread round trip of aiosqlite costs about 0.2 ms of CPU, several times the query itself, so
the per-message reads are served from memory: a user's language, time zone and dialog are cached
write-through (filled and updated under the same lock as the SQL, so the cache follows the file's
order of changes). That holds while one SQLiteStorage is the only writer of a given user's rows, as
in the bot, where every update of a user goes through the one process; other connections may read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import aiosqlite

from bot.datadir import DIRECTORY_MODE, create_private_file
from bot.schema import SQLITE_MIGRATIONS as MIGRATIONS
from bot.storage.queries import dialect_queries, subscribers_query
from bot.storage.records import (
    CACHED_USERS,
    COUNT_FLUSH_SECONDS,
    MISSING,
    Bounded,
    timestamp,
    utc_now,
)
from bot.storage.sql import (
    Cache,
    Decode,
    Row,
    SQLStore,
    Statement,
    pending_migrations,
)

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 5000

# SQLite's own: rowid breaks ties between two subscriptions of one instant, and a list of
# call ids arrives as one JSON parameter.
SQLITE_QUERIES = dialect_queries(
    "?",
    subscriptions="SELECT * FROM subscriptions WHERE user_id = ? ORDER BY created_at, rowid",
    subscribers_of_calls=subscribers_query("WHERE s.call_id IN (SELECT value FROM json_each(?))"),
)


class SQLiteStorage(SQLStore):
    """Storage in one SQLite file; use as `async with SQLiteStorage(path) as store:`.

    One aiosqlite connection is shared by every task; the lock keeps each write transaction
    whole.
    """

    queries = SQLITE_QUERIES

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Callable[[], datetime] = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        count_flush_seconds: float = COUNT_FLUSH_SECONDS,
    ) -> None:
        super().__init__(clock, count_flush_seconds)
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    def _new_cache(self) -> Bounded[Any, Any]:
        return Bounded(CACHED_USERS)

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
            await _migrate(db)
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

    async def _disconnect(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await db.close()

    def _is_open(self) -> bool:
        return self._db is not None

    @property
    def _connection(self) -> aiosqlite.Connection:
        return self._opened(self._db)

    async def _write(
        self, statements: Sequence[Statement], then: Callable[[], None] | None = None
    ) -> list[int]:
        """Run statements in one committed transaction; return each one's row count.

        then() runs after the commit, still under the lock: how caches follow the file.
        """
        db = self._connection
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

    async def _changes(self, sql: str, params: Sequence[Any]) -> int:
        """Run one write (under the lock) and return how many rows it changed.

        execute_fetchall runs and finishes the statement in one thread round trip, where
        execute + rowcount + cursor.close take two; total_changes gives the row count.
        """
        db = self._connection
        before = db.total_changes
        await db.execute_fetchall(sql, tuple(params))
        return db.total_changes - before

    async def _fetchall(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        db = self._connection
        async with self._lock:
            rows = await db.execute_fetchall(query, tuple(params))
        return cast(list[Row], list(rows))

    async def _read_through(
        self, cache: Cache, key: Any, statement: Statement, decode: Decode
    ) -> Any:
        found = cache.get(key, MISSING)
        if found is not MISSING:
            return found
        db = self._connection
        async with self._lock:
            # Another task may have filled (or changed) it while this one waited.
            found = cache.get(key, MISSING)
            if found is not MISSING:
                return found
            query, params = statement
            rows = cast(list[Row], list(await db.execute_fetchall(query, tuple(params))))
            value = decode(rows)
            cache.put(key, value)
        return value

    def _put_time(self, moment: datetime) -> str:
        return timestamp(moment)

    def _get_time(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def _put_json(self, value: Any) -> str:
        return json.dumps(value)

    def _get_json(self, value: Any) -> Any:
        return json.loads(value)

    def _put_day(self, day: str) -> str:
        return day

    async def _user_tables(self) -> list[str]:
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

    async def _exported_rows(self, table: str, user_id: int) -> list[dict[str, Any]]:
        rows = await self._fetchall(
            f'SELECT * FROM "{table}" WHERE user_id = ? ORDER BY rowid', (user_id,)
        )
        records = [dict(row) for row in rows]
        if table == "dialogs":
            for record in records:
                record["state"] = json.loads(record["state"])
        return records

    async def _after_forget(self) -> None:
        # secure_delete overwrites the deleted rows' bytes in their pages (the connection keeps
        # it on, see open()); the checkpoint then moves those pages from the WAL into the main
        # file and truncates the WAL, so no copy of the user's rows is left in either file.
        rows = await self._fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
        if rows and rows[0]["busy"]:
            # Another process was reading: the pages stay in the WAL until its next checkpoint.
            log.warning("the checkpoint after /forget could not finish; it completes later")


async def _migrate(db: aiosqlite.Connection) -> None:
    await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    # BEGIN IMMEDIATE: two processes opening a fresh file must not both run migration 1.
    await db.execute("BEGIN IMMEDIATE")
    try:
        async with db.execute("SELECT version FROM schema_version") as cursor:
            row = await cursor.fetchone()
        if row is None:
            await db.execute("INSERT INTO schema_version (version) VALUES (0)")
        for version, statements in pending_migrations(int(row[0]) if row else 0, MIGRATIONS):
            for statement in statements:
                await db.execute(statement)
            await db.execute("UPDATE schema_version SET version = ?", (version,))
        await db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            await db.execute("ROLLBACK")
        raise
