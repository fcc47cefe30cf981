"""What the bot remembers between messages: user settings and eligibility-check dialogs.

A small async protocol keyed like aiogram's StorageKey (chat_id, user_id), and its SQLite
implementation on aiosqlite: WAL, a busy timeout, `?` parameters only, a schema_version table with
ordered migrations, and every write committed before the method returns, so a handler that awaits
a save can reply knowing the step survives a crash. Only parsed answers are stored (the dialog
state), never the free text of users' questions.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import aiosqlite

# Each migration runs once, in order, inside one transaction with its version bump. Append new
# ones; never edit a released one. A table holding data about a person must have a `user_id`
# column: export_user and forget_user find such tables by that column.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE user_settings (
               user_id    INTEGER PRIMARY KEY,
               language   TEXT NOT NULL,
               updated_at TEXT NOT NULL
           )""",
        """CREATE TABLE dialogs (
               chat_id    INTEGER NOT NULL,
               user_id    INTEGER NOT NULL,
               check_id   TEXT NOT NULL,
               state      TEXT NOT NULL,
               updated_at TEXT NOT NULL,
               PRIMARY KEY (chat_id, user_id)
           )""",
        "CREATE INDEX dialogs_by_user ON dialogs (user_id)",
        "CREATE INDEX dialogs_by_age ON dialogs (updated_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
DEFAULT_BUSY_TIMEOUT_MS = 5000


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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; writes use explicit BEGIN IMMEDIATE.
        db = await aiosqlite.connect(self.path, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            await db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await self._migrate(db)
        except BaseException:
            await db.close()
            raise
        self._db = db

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

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

    async def _write(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[int]:
        """Run statements in one committed transaction; return each one's row count."""
        db = self._conn
        async with self._lock:
            await db.execute("BEGIN IMMEDIATE")
            try:
                counts = []
                for sql, params in statements:
                    cursor = await db.execute(sql, params)
                    counts.append(cursor.rowcount)
                    await cursor.close()
                await db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    await db.execute("ROLLBACK")
                raise
        return counts

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        db = self._conn
        async with self._lock, db.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return list(rows)

    # --- user settings ---

    async def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None if they never chose."""
        rows = await self._fetchall(
            "SELECT language FROM user_settings WHERE user_id = ?", (user_id,)
        )
        return str(rows[0]["language"]) if rows else None

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
            ]
        )

    # --- dialogs ---

    async def load_dialog(self, key: StorageKey) -> StoredDialog | None:
        """The dialog in progress for this chat and user, if any."""
        rows = await self._fetchall(
            "SELECT check_id, state, updated_at FROM dialogs WHERE chat_id = ? AND user_id = ?",
            (key.chat_id, key.user_id),
        )
        if not rows:
            return None
        row = rows[0]
        return StoredDialog(
            str(row["check_id"]), str(row["state"]), datetime.fromisoformat(row["updated_at"])
        )

    async def save_dialog(self, key: StorageKey, check_id: str, state: str) -> None:
        """Store the dialog state (JSON text) for this chat and user, replacing any earlier one."""
        json.loads(state)  # refuse anything that is not JSON before it reaches the file
        await self._write(
            [
                (
                    "INSERT INTO dialogs (chat_id, user_id, check_id, state, updated_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, user_id) DO UPDATE SET"
                    " check_id = excluded.check_id, state = excluded.state,"
                    " updated_at = excluded.updated_at",
                    (key.chat_id, key.user_id, check_id, state, _timestamp(self._clock())),
                )
            ]
        )

    async def delete_dialog(self, key: StorageKey) -> bool:
        """Forget the dialog of this chat and user; True if there was one."""
        (count,) = await self._write(
            [("DELETE FROM dialogs WHERE chat_id = ? AND user_id = ?", (key.chat_id, key.user_id))]
        )
        return count > 0

    async def expire_dialogs(self, older_than: timedelta) -> int:
        """Delete dialogs untouched for longer than older_than; return how many."""
        cutoff = _timestamp(self._clock() - older_than)
        (count,) = await self._write([("DELETE FROM dialogs WHERE updated_at < ?", (cutoff,))])
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
        counts = await self._write(
            [(f'DELETE FROM "{table}" WHERE user_id = ?', (user_id,)) for table in tables]
        )
        return sum(counts)
