"""The durable update inbox: an update is committed here before Telegram is told it arrived.

The main process (bot/workers.py) adds each update to the inbox before it advances the
getUpdates offset or answers the webhook 200, then routes it; the worker that handled it marks
it done. At start-up the main process hands the pending rows to the workers again, in
update_id order. A row is keyed by update_id, so an update Telegram delivers again (the offset
was not advanced yet, or the webhook's answer was lost) is not added, nor routed, twice.

A pending row holds the user's and chat's ids and the raw update (the message's text): /forget
deletes it (forget_user finds every table with a user_id). Marking done clears all three and
keeps only update_id and received_at, so that a late re-delivery is still recognised; the main
process prunes done rows after DONE_KEPT. /mydata leaves the inbox out: a user's rows there
live only until their updates are handled, and the /mydata request itself is one of them.

Both engines have one table of the same shape (migration 4). Nothing in a row is tied to one
process, so replicas sharing a PostgreSQL database can all add to it (the primary key makes a
re-delivery to another replica a no-op). Who handles a pending row is not stored in it: on
PostgreSQL a replica claims a user by an advisory lock of its own session (bot/replicas.py), so
a replica's start-up takes only the rows of users no live replica holds. An add that inserted
rows notifies INBOX_CHANNEL in the same statement, which wakes every replica's claimer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.config import Settings
from bot.storage import DEFAULT_BUSY_TIMEOUT_MS, SQLiteStorage, _timestamp

if TYPE_CHECKING:
    from psycopg import AsyncConnection

log = logging.getLogger("amif.inbox")

# After a failed write of done marks, a worker tries again after this long.
MARKS_RETRY_S = 1.0
# The inbox's connection, by name in pg_stat_activity (the replica count counts another one).
APPLICATION_NAME = "amif-inbox"
# What an add that inserted rows notifies (bot/replicas.py listens).
INBOX_CHANNEL = "amif_inbox"
# Done rows are kept this long, for recognising an update Telegram delivers again.
DONE_KEPT = timedelta(hours=1)

Update = Mapping[str, Any]


class Inbox(Protocol):
    """Updates committed before they are confirmed to Telegram, until a worker handled them."""

    async def open(self, *, migrate: bool = True) -> None:
        """Connect (bringing the schema up to date first unless migrate=False)."""

    async def close(self) -> None:
        """Disconnect (idempotent)."""

    async def add(self, updates: Sequence[Update]) -> list[Update]:
        """Commit the updates in one transaction; return those not already in the inbox."""

    async def pending(self) -> list[dict[str, Any]]:
        """Every update not yet handled, in update_id order."""

    async def done(self, update_ids: Sequence[int]) -> None:
        """Mark handled: the ids and the update's content are cleared."""

    async def prune(self, older_than: timedelta = DONE_KEPT) -> int:
        """Delete done rows received more than older_than ago; return how many."""

    async def ping(self) -> None:
        """Raise unless the database answers (the readiness probe)."""


def parties(update: Update) -> tuple[int | None, int | None]:
    """The (user id, chat id) of an update, as far as it names them."""
    user = chat = None
    for kind, body in update.items():
        if kind == "update_id" or not isinstance(body, dict):
            continue
        for field in ("from", "user"):
            party = body.get(field)
            if user is None and isinstance(party, dict) and isinstance(party.get("id"), int):
                user = int(party["id"])
        message = body.get("message")
        holder = body.get("chat") or (message.get("chat") if isinstance(message, dict) else None)
        if chat is None and isinstance(holder, dict) and isinstance(holder.get("id"), int):
            chat = int(holder["id"])
    return user, chat


def _rows(updates: Sequence[Update], now: datetime) -> list[tuple[Any, ...]]:
    rows = []
    for update in updates:
        user, chat = parties(update)
        body = json.dumps(update, separators=(",", ":"), ensure_ascii=False)
        rows.append((int(update["update_id"]), user, chat, body, now))
    return rows


def open_inbox(settings: Settings) -> SQLiteInbox | PostgresInbox:
    """The inbox in the configured database, not yet connected."""
    if settings.database_url:
        return PostgresInbox(settings.database_url)
    return SQLiteInbox(settings.database_path)


class SQLiteInbox:
    """The inbox in the bot's SQLite file: plain sqlite3 on one thread of its own."""

    def __init__(self, path: Path, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._db: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="inbox")

    async def _run(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    async def open(self, *, migrate: bool = True) -> None:
        """Connect (after the store's own opening has set WAL and migrated, unless told not)."""
        if self._db is not None:
            return
        if migrate:
            async with SQLiteStorage(self.path):
                pass

        def connect() -> sqlite3.Connection:
            db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=5.0
            )
            db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            # A cleared row's message text is overwritten, not only unlinked.
            db.execute("PRAGMA secure_delete = ON")
            return db

        self._db = await self._run(connect)

    async def close(self) -> None:
        """Close the connection and its thread."""
        db, self._db = self._db, None
        if db is not None:
            await self._run(db.close)
        self._thread.shutdown(wait=False)

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the inbox is not open")
        return self._db

    async def add(self, updates: Sequence[Update]) -> list[Update]:
        """Commit the updates in one transaction; return those not already in the inbox."""
        if not updates:
            return []
        rows = _rows(updates, datetime.now(UTC))
        index_of = {int(update["update_id"]): n for n, update in enumerate(updates)}
        db = self._conn

        def insert() -> list[int]:
            added = []
            db.execute("BEGIN IMMEDIATE")
            try:
                for update_id, user, chat, body, now in rows:
                    cursor = db.execute(
                        "INSERT OR IGNORE INTO inbox"
                        " (update_id, user_id, chat_id, body, received_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (update_id, user, chat, body, _timestamp(now)),
                    )
                    if cursor.rowcount:
                        added.append(index_of[update_id])
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return added

        return [updates[n] for n in await self._run(insert)]

    async def pending(self) -> list[dict[str, Any]]:
        """Every update not yet handled, in update_id order."""
        db = self._conn

        def select() -> list[str]:
            query = "SELECT body FROM inbox WHERE body IS NOT NULL ORDER BY update_id"
            return [str(body) for (body,) in db.execute(query)]

        return [json.loads(body) for body in await self._run(select)]

    async def done(self, update_ids: Sequence[int]) -> None:
        """Mark handled: the ids and the update's content are cleared."""
        if not update_ids:
            return
        db = self._conn

        def clear() -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "UPDATE inbox SET user_id = NULL, chat_id = NULL, body = NULL"
                    " WHERE update_id = ?",
                    [(update_id,) for update_id in update_ids],
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

        await self._run(clear)

    async def prune(self, older_than: timedelta = DONE_KEPT) -> int:
        """Delete done rows received more than older_than ago; return how many."""
        db = self._conn
        cutoff = _timestamp(datetime.now(UTC) - older_than)

        def delete() -> int:
            query = "DELETE FROM inbox WHERE body IS NULL AND received_at < ?"
            return int(db.execute(query, (cutoff,)).rowcount)

        return int(await self._run(delete))

    async def ping(self) -> None:
        """Raise unless the database answers (the readiness probe)."""
        db = self._conn
        await self._run(lambda: db.execute("SELECT 1").fetchone())


class PostgresInbox:
    """The inbox in PostgreSQL, the same table for every replica: one connection (psycopg)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: AsyncConnection[Any] | None = None
        self._open = False
        self._lock = asyncio.Lock()

    async def open(self, *, migrate: bool = True) -> None:
        """Connect (after the store's own opening has migrated, unless told not)."""
        if self._open:
            return
        from bot.storage_pg import PostgresStorage

        if migrate:
            async with PostgresStorage(self.url):
                pass
        self._conn = await self._connect()
        self._open = True

    async def _connect(self) -> AsyncConnection[Any]:
        from psycopg import AsyncConnection

        from bot.storage_pg import CONNECT_TIMEOUT_S

        return await AsyncConnection.connect(
            self.url,
            autocommit=True,
            connect_timeout=int(CONNECT_TIMEOUT_S),
            application_name=APPLICATION_NAME,
        )

    async def close(self) -> None:
        """Close the connection."""
        self._open = False
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def _execute(self, query: str, params: Sequence[Any] = ()) -> tuple[list[Any], int]:
        """One autocommitted statement: its rows and row count; a broken connection is renewed."""
        import psycopg

        async with self._lock:
            if not self._open:
                raise RuntimeError("the inbox is not open")
            if self._conn is None or self._conn.closed:
                self._conn = await self._connect()  # after a restart of the server
            try:
                cursor = await self._conn.execute(query, params)
                rows = await cursor.fetchall() if cursor.description else []
            except psycopg.OperationalError:
                conn, self._conn = self._conn, None
                await conn.close()
                raise
            return list(rows), int(cursor.rowcount)

    async def add(self, updates: Sequence[Update]) -> list[Update]:
        """Commit the updates in one statement; return those not already in the inbox."""
        if not updates:
            return []
        rows = _rows(updates, datetime.now(UTC))
        columns = [list(column) for column in zip(*rows, strict=True)]
        # The notification wakes the replicas' claimers (bot/replicas.py), at the commit.
        added, _ = await self._execute(
            "WITH added AS (INSERT INTO inbox (update_id, user_id, chat_id, body, received_at)"
            " SELECT u, p, c, b::json, r FROM unnest("
            "%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::timestamptz[]"
            ") AS t(u, p, c, b, r) ON CONFLICT (update_id) DO NOTHING RETURNING update_id)"
            " SELECT update_id, pg_notify(%s, '') FROM added",
            [*columns, INBOX_CHANNEL],
        )
        ids = {int(row[0]) for row in added}
        return [update for update in updates if int(update["update_id"]) in ids]

    async def pending(self) -> list[dict[str, Any]]:
        """Every update not yet handled, in update_id order."""
        rows, _ = await self._execute(
            "SELECT body::text FROM inbox WHERE body IS NOT NULL ORDER BY update_id"
        )
        return [json.loads(row[0]) for row in rows]

    async def done(self, update_ids: Sequence[int]) -> None:
        """Mark handled: the ids and the update's content are cleared."""
        if update_ids:
            await self._execute(
                "UPDATE inbox SET user_id = NULL, chat_id = NULL, body = NULL"
                " WHERE update_id = ANY(%s)",
                (list(update_ids),),
            )

    async def prune(self, older_than: timedelta = DONE_KEPT) -> int:
        """Delete done rows received more than older_than ago; return how many."""
        _, count = await self._execute(
            "DELETE FROM inbox WHERE body IS NULL AND received_at < %s",
            (datetime.now(UTC) - older_than,),
        )
        return count

    async def ping(self) -> None:
        """Raise unless the database answers (the readiness probe)."""
        await self._execute("SELECT 1")


# --- a worker's side ------------------------------------------------------------------------


class DoneMarks:
    """Update ids a worker has handled, marked done in the inbox in batches by one task."""

    def __init__(self, inbox: Inbox, on_marked: Callable[[list[int]], None] | None = None) -> None:
        self.inbox = inbox
        self.on_marked = on_marked
        self.ids: list[int] = []
        self.wake = asyncio.Event()
        self.closing = False
        self.marked = 0

    def handled(self, update: object) -> None:
        """The update processor's hook: this update is handled (its writes are committed)."""
        update_id = getattr(update, "update_id", None)
        if isinstance(update_id, int):
            self.add(update_id)

    def add(self, update_id: int) -> None:
        """Mark update_id done at the next write."""
        self.ids.append(update_id)
        self.wake.set()

    async def run(self) -> None:
        """Write the marks as they come: what arrives during one write goes in the next."""
        while not self.closing:
            await self.wake.wait()
            self.wake.clear()
            if not await self.flush(keep=True):
                # Kept for the next write: a replica's claim on the user lasts until then.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing(), MARKS_RETRY_S)
                self.wake.set()

    async def _closing(self) -> None:
        while not self.closing:
            await self.wake.wait()
            self.wake.clear()

    async def stop(self, running: asyncio.Future[None]) -> None:
        """End run() after its current write (never cancelled midway) and write the rest."""
        # Cancelling a write that waits for the inbox's thread would drop its ids unwritten.
        self.closing = True
        self.wake.set()
        await running
        await self.flush()

    async def flush(self, *, keep: bool = False) -> bool:
        """Write the marks gathered so far; False if that failed (keep: try them again)."""
        ids, self.ids = self.ids, []
        if not ids:
            return True
        try:
            await self.inbox.done(ids)
        except Exception as exc:
            # Left pending, they are handled again after a restart (dialogs skip a repeat).
            log.warning("%d inbox rows not marked done: %s", len(ids), type(exc).__name__)
            if keep:
                self.ids = ids + self.ids
            return False
        self.marked += len(ids)
        if self.on_marked is not None:
            self.on_marked(ids)
        return True
