"""What the storage tests share: the backends' locations, a hand-moved clock, rows read past
the stores, and something of a user in every table (tests/storage/)."""

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bot import storage as sqlite_module
from bot.inbox import PostgresInbox, SQLiteInbox
from bot.storage import (
    ALL_CALLS,
    AnswerRecord,
    ReminderKey,
    SQLiteStorage,
    StorageKey,
)
from bot.storage.memory import MemoryStorage
from bot.storage_pg import PostgresStorage
from bot.stores import Store

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# Tables of the current schema (both engines), and those with rows about a person.
TABLES = {
    "answers",
    "daily_counts",
    "dialogs",
    "inbox",
    "knowledge_files",
    "knowledge_index",
    "knowledge_version",
    "questions",
    "reminders_sent",
    "subscriptions",
    "user_settings",
    "user_timezones",
}
# The knowledge tables hold the operator's documents and facts, nothing about a user.
KNOWLEDGE_TABLES = {"knowledge_files", "knowledge_index", "knowledge_version"}
USER_TABLES = TABLES - {"answers", "daily_counts"} - KNOWLEDGE_TABLES
# What /mydata shows: the inbox holds a user's updates only until they are handled.
EXPORTED_TABLES = USER_TABLES - sqlite_module.NOT_EXPORTED
SQL_BACKENDS = ["sqlite", "postgresql"]
BACKENDS = ["memory", *SQL_BACKENDS]
# The memory "database" of each test: every store opened on it is the one instance.
MEMORY_STORES: dict[str, MemoryStorage] = {}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def new_store(backend: str, clock: Callable[[], datetime]) -> Store:
    """An unopened store on the backend (each SQL one has its own connections)."""
    if backend.startswith("memory://"):
        return MEMORY_STORES.setdefault(backend, MemoryStorage(clock=clock))
    if backend.startswith("postgresql://"):
        return PostgresStorage(backend, clock=clock)
    return SQLiteStorage(backend, clock=clock)


def raw_rows(backend: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows read past the store, on a connection of the test's own (`?` parameters)."""
    if backend.startswith("postgresql://"):
        with psycopg.connect(backend) as conn:
            return list(conn.execute(query.replace("?", "%s"), params).fetchall())
    with sqlite3.connect(backend) as db:
        return list(db.execute(query, params).fetchall())


def tables_of(backend: str) -> dict[str, set[str]]:
    """Every table of the backend's schema (schema_version aside) with its columns."""
    if backend.startswith("postgresql://"):
        rows = raw_rows(
            backend,
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()",
        )
    else:
        rows = [
            (name, column)
            for (name,) in raw_rows(
                backend,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            for (_, column, *_) in raw_rows(backend, f'PRAGMA table_info("{name}")')
        ]
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(str(table), set()).add(str(column))
    found.pop("schema_version", None)
    return found


async def fill(store: Store, clock: Clock, user_id: int, chat_id: int) -> None:
    """Something of the user in every table: settings, a dialog, subscriptions, a reminder."""
    await store.set_language(user_id, "sv")
    await store.set_timezone(user_id, "Europe/Helsinki")
    await store.save_dialog(StorageKey(chat_id, user_id), "thb24", '{"step": 2, "answers": {}}')
    await store.save_dialog(StorageKey(user_id, user_id), "fi23", '{"step": 0}', 41)
    clock.advance(seconds=1)
    await store.subscribe(user_id, user_id, ALL_CALLS, "en")
    clock.advance(seconds=1)
    await store.subscribe(user_id, user_id, "AMIF-2024-TF2-AG-THB", "en")
    await store.claim_reminder(
        ReminderKey(user_id, "AMIF-2024-TF2-AG-THB", datetime(2027, 2, 1, 16, tzinfo=UTC), 7)
    )
    await store.record_answer(
        AnswerRecord(
            f"tok{user_id}",
            "sv",
            "passage",
            ("doc#p1", "doc#p2"),
            ("doc",),
            question=f"hemlig fråga {user_id}",  # kept as under STORE_QUESTIONS=1
            asker=user_id,
        ),
        "answered",
    )
    assert await store.vote(f"tok{user_id}", 1)


def new_inbox(backend: str) -> SQLiteInbox | PostgresInbox:
    """An unopened inbox in the backend's database."""
    if backend.startswith("postgresql://"):
        return PostgresInbox(backend)
    return SQLiteInbox(Path(backend))


def text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A private text message as Telegram sends it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "U"},
            "text": text,
        },
    }
