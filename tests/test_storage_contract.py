"""One contract, three stores: MemoryStorage, SQLiteStorage and PostgresStorage behave the same.

Every test taking `backend` (or `store`) runs on all three as
`test_<what>[memory|sqlite|postgresql]`: the memory store, SQLite on a file in tmp_path, and
PostgreSQL on a database created for this run on the server of AMIF_TEST_DATABASE_URL (see
tests/support/postgres.py), emptied before each test. They go through the storage protocols
only. Tests taking `sql_backend` are about the databases themselves (migrations, the update
inbox, no row left behind) and run on the two SQL engines. Then `amif-bot migrate --from-sqlite`,
and the real bot process keeping a user's language in PostgreSQL across a restart on a fresh disk.
"""

import asyncio
import inspect
import json
import signal
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot import storage as sqlite_module
from bot import storage_pg
from bot.cli import main
from bot.config import Settings
from bot.eligibility import EligibilitySessions, Show, Typed, load_checks
from bot.inbox import PostgresInbox, SQLiteInbox
from bot.schema import POSTGRES_MIGRATIONS, SCHEMA_VERSION, SQLITE_MIGRATIONS
from bot.storage import (
    ALL_CALLS,
    AnswerRecord,
    ItemVotes,
    ReminderKey,
    SQLiteStorage,
    StorageKey,
)
from bot.storage.memory import MemoryStorage
from bot.storage.protocols import Answers, Dialogs, Privacy, Subscriptions, UserSettings
from bot.storage_pg import PostgresStorage, redacted_url
from bot.stores import Store, open_storage
from tests.conftest import bot_environment, start_bot_process
from tests.fake_telegram import ChatDriver, FakeTelegram, FakeTelegramServer, PollingFeed
from tests.support.postgres import (
    HOW_TO_START,
    require_server,
    reset_schema,
    run_database,
    server_url,
)

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


@pytest.fixture(scope="session")
def pg_run_url() -> Iterator[str]:
    """This run's own PostgreSQL database (created once, dropped at the end of the run)."""
    with run_database(server_url()) as url:
        yield url


@pytest.fixture
def pg_url(pg_run_url: str) -> str:
    """The run's database, emptied for this test."""
    reset_schema(pg_run_url)
    return pg_run_url


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock at 2026-11-24 12:00 UTC."""
    return Clock()


def _location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return f"memory://{tmp_path}"
    if request.param == "sqlite":
        return str(tmp_path / "contract.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where this test's stores keep their data: memory, an SQLite path or a PostgreSQL URL."""
    location = _location(request, tmp_path)
    yield location
    MEMORY_STORES.pop(location, None)


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An SQL database for this test: an SQLite path or a PostgreSQL URL."""
    return _location(request, tmp_path)


def new_store(backend: str, clock: Callable[[], datetime]) -> Store:
    """An unopened store on the backend (each SQL one has its own connections)."""
    if backend.startswith("memory://"):
        return MEMORY_STORES.setdefault(backend, MemoryStorage(clock=clock))
    if backend.startswith("postgresql://"):
        return PostgresStorage(backend, clock=clock)
    return SQLiteStorage(backend, clock=clock)


@pytest.fixture
async def store(backend: str, clock: Clock) -> AsyncIterator[Store]:
    """An open store on the backend."""
    async with new_store(backend, clock) as opened:
        yield opened


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


# --- the update inbox (bot/inbox.py) ---


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


async def test_the_inbox_adds_once_and_hands_back_the_pending_in_order(sql_backend: str) -> None:
    backend = sql_backend
    inbox = new_inbox(backend)
    await inbox.open()
    try:
        first = [text_update(12, 5, "twelve"), text_update(10, 6, "ten")]
        assert await inbox.add(first) == first
        # Telegram delivers 12 again with a new one: only the new one is added (and routed).
        again = [text_update(12, 5, "twelve"), text_update(11, 5, "eleven")]
        assert await inbox.add(again) == [again[1]]
        assert [u["update_id"] for u in await inbox.pending()] == [10, 11, 12]
        assert (await inbox.pending())[2] == first[0]
        await inbox.done([10, 12])
        assert [u["update_id"] for u in await inbox.pending()] == [11]
        # A done update delivered again is still recognised, and holds nothing about anyone.
        assert await inbox.add([text_update(10, 6, "ten")]) == []
        assert raw_rows(
            backend, "SELECT user_id, chat_id, body FROM inbox WHERE update_id = 10"
        ) == [(None, None, None)]
        assert await inbox.prune(timedelta(hours=1)) == 0
        assert await inbox.prune(timedelta(seconds=-1)) == 2  # the done ones only
        assert [u["update_id"] for u in await inbox.pending()] == [11]
    finally:
        await inbox.close()


async def test_forget_deletes_the_users_pending_updates(sql_backend: str, clock: Clock) -> None:
    backend = sql_backend
    inbox = new_inbox(backend)
    await inbox.open()
    try:
        await inbox.add([text_update(1, 5, "mine"), text_update(2, 6, "theirs")])
        async with new_store(backend, clock) as store:
            assert "inbox" not in await store.export_user(5)
            assert await store.forget_user(5) == 1
        assert [u["update_id"] for u in await inbox.pending()] == [2]
        assert raw_rows(backend, "SELECT COUNT(*) FROM inbox WHERE user_id = ?", (5,)) == [(0,)]
    finally:
        await inbox.close()


async def test_the_postgresql_inbox_reconnects_after_its_connection_is_killed(
    pg_url: str,
) -> None:
    inbox = PostgresInbox(pg_url)
    await inbox.open()
    try:
        await inbox.add([text_update(1, 5, "before")])
        # A server restart or a failover ends every session; the main process must go on.
        raw_rows(
            pg_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        with pytest.raises(psycopg.OperationalError):
            await inbox.add([text_update(2, 5, "refused")])
        assert await inbox.add([text_update(2, 5, "again")]) != []
        assert [u["update_id"] for u in await inbox.pending()] == [1, 2]
    finally:
        await inbox.close()


# --- schema and migrations ---


def test_both_engines_have_the_same_migration_steps() -> None:
    assert len(storage_pg.MIGRATIONS) == len(sqlite_module.MIGRATIONS)
    assert storage_pg.SCHEMA_VERSION == sqlite_module.SCHEMA_VERSION
    assert set(storage_pg.COPIED_TABLES) == TABLES


async def test_migrations_are_versioned_and_applied_once(sql_backend: str, clock: Clock) -> None:
    backend = sql_backend
    async with new_store(backend, clock) as first:
        assert await first.schema_version() == sqlite_module.SCHEMA_VERSION
        await first.set_language(1, "fi")
    # Opening again (a restart, another replica) finds the schema current and keeps the rows.
    async with new_store(backend, clock) as second:
        assert await second.schema_version() == sqlite_module.SCHEMA_VERSION
        assert await second.get_language(1) == "fi"
    assert raw_rows(backend, "SELECT version FROM schema_version") == [
        (sqlite_module.SCHEMA_VERSION,)
    ]
    tables = tables_of(backend)
    assert set(tables) == TABLES
    assert {t for t, columns in tables.items() if "user_id" in columns} == USER_TABLES


async def test_a_newer_schema_is_refused(sql_backend: str, clock: Clock) -> None:
    backend = sql_backend
    async with new_store(backend, clock):
        pass
    if backend.startswith("postgresql://"):
        with psycopg.connect(backend) as conn:
            conn.execute("UPDATE schema_version SET version = 99")
    else:
        with sqlite3.connect(backend) as db:
            db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(RuntimeError, match="newer than this code"):
        await new_store(backend, clock).open()


async def test_two_stores_opening_a_new_database_together_migrate_once(
    sql_backend: str, clock: Clock
) -> None:
    backend = sql_backend
    stores = [new_store(backend, clock) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        assert [await s.schema_version() for s in stores] == [sqlite_module.SCHEMA_VERSION] * 3
    finally:
        for s in stores:
            await s.close()


def _methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if inspect.iscoroutinefunction(member) and (name.startswith("__a") or name[0] != "_")
    }


@pytest.mark.parametrize("implementation", [MemoryStorage, SQLiteStorage, PostgresStorage])
def test_every_store_has_every_protocol_method_with_the_same_parameters(
    implementation: type,
) -> None:
    protocols = (UserSettings, Dialogs, Subscriptions, Answers, Privacy, Store)
    wanted = {name: sig for protocol in protocols for name, sig in _methods(protocol).items()}
    assert len(wanted) == 24 + 6  # the five aggregates' methods, and the lifecycle
    for name, signature in wanted.items():
        found = inspect.signature(getattr(implementation, name))
        assert [(p.name, p.kind, p.default) for p in found.parameters.values()] == [
            (p.name, p.kind, p.default) for p in signature.parameters.values()
        ], (implementation.__name__, name)


# --- settings ---


async def test_language_and_timezone_are_set_and_read(store: Store) -> None:
    assert await store.get_language(7) is None
    assert await store.get_timezone(7) is None
    await store.set_language(7, "sv")
    await store.set_timezone(7, "Europe/Stockholm")
    await store.set_language(7, "fi")  # a second choice replaces the first
    assert await store.get_language(7) == "fi"
    assert await store.get_timezone(7) == "Europe/Stockholm"
    assert await store.get_language(8) is None
    # A Telegram user id beyond 32 bits.
    await store.set_language(7_000_000_000, "en")
    assert await store.get_language(7_000_000_000) == "en"


# --- dialogs ---


async def test_dialogs_are_saved_loaded_deleted_and_expired(store: Store, clock: Clock) -> None:
    key = StorageKey(-1_001_234_567_890, 42)
    assert await store.load_dialog(key) is None
    state = '{"step": 1, "answers": {"role": "ngo"}}'
    await store.save_dialog(key, "thb24", state)
    loaded = await store.load_dialog(key)
    assert loaded is not None
    assert (loaded.check_id, loaded.state, loaded.updated_at) == ("thb24", state, START)
    assert loaded.updated_at.utcoffset() == timedelta(0)

    clock.advance(minutes=5)
    await store.save_dialog(key, "fi23", '{"step": 0}')
    again = await store.load_dialog(key)
    assert again is not None and (again.check_id, again.state) == ("fi23", '{"step": 0}')
    assert again.updated_at == START + timedelta(minutes=5)
    assert await store.load_dialog(StorageKey(42, 42)) is None  # another chat of the user

    assert await store.delete_dialog(key)
    assert not await store.delete_dialog(key)
    assert await store.load_dialog(key) is None

    old, fresh = StorageKey(1, 1), StorageKey(2, 2)
    await store.save_dialog(old, "thb24", "{}")
    clock.advance(hours=2)
    await store.save_dialog(fresh, "thb24", "{}")
    clock.advance(hours=1)
    assert await store.expire_dialogs(timedelta(hours=2)) == 1
    assert await store.load_dialog(old) is None
    assert await store.load_dialog(fresh) is not None
    assert await store.expire_dialogs(timedelta(hours=2)) == 0


async def test_a_dialog_state_must_be_json(store: Store) -> None:
    with pytest.raises(json.JSONDecodeError):
        await store.save_dialog(StorageKey(1, 1), "thb24", "not json")
    assert await store.load_dialog(StorageKey(1, 1)) is None


async def test_a_dialog_keeps_the_id_of_the_last_update_applied(
    store: Store, clock: Clock
) -> None:
    key = StorageKey(-100, 7)
    state = '{"v":1,"check":"thb24","log":[]}'
    await store.save_dialog(key, "thb24", state, 7_000_000_001)  # update ids exceed 32 bits
    loaded = await store.load_dialog(key)
    assert loaded is not None
    assert (loaded.state, loaded.last_update_id) == (state, 7_000_000_001)  # not in the JSON
    (exported,) = (await store.export_user(7))["dialogs"]
    assert (exported["state"], exported["last_update_id"]) == (json.loads(state), 7_000_000_001)
    await store.save_dialog(key, "thb24", state)  # a step no update produced (a new start)
    again = await store.load_dialog(key)
    assert again is not None and again.last_update_id is None


async def test_eligibility_sessions_apply_a_redelivered_update_once(
    store: Store, clock: Clock
) -> None:
    sessions = EligibilitySessions(load_checks(), store, clock=clock)
    key = StorageKey(12, 12)
    await sessions.begin(key, "fi23")
    first = await sessions.handle(key, Typed("3"), update_id=100)
    assert first is not None
    applied = await store.load_dialog(key)
    assert applied is not None and applied.last_update_id == 100
    # Telegram delivers update 100 again: the current step is shown, nothing is answered twice.
    again = await sessions.handle(key, Typed("3"), update_id=100)
    assert again is not None and again.outcome.state == first.outcome.state
    assert await store.load_dialog(key) == applied
    # Pausing and resuming rewrite the state but keep the id.
    await sessions.pause(key)
    paused = await store.load_dialog(key)
    assert paused is not None and paused.last_update_id == 100
    assert await sessions.is_paused(key)
    await sessions.resume(key)
    nxt = await sessions.handle(key, Typed("2"), update_id=101)
    assert nxt is not None and nxt.outcome.state != first.outcome.state
    found = await sessions.load(key)
    assert found is not None and found[2] == 101
    shown = await sessions.handle(key, Show(), update_id=101)
    assert shown is not None and shown.outcome.state == nxt.outcome.state


def _update_id_step(backend: str) -> tuple[str, ...]:
    """The migration step that moved the update id out of the dialog state JSON."""
    steps = POSTGRES_MIGRATIONS if backend.startswith("postgresql://") else SQLITE_MIGRATIONS
    return next(step for step in steps if any("last_update_id" in sql for sql in step))


async def test_the_migration_moves_an_update_id_out_of_the_state(
    sql_backend: str, clock: Clock
) -> None:
    backend = sql_backend
    async with new_store(backend, clock) as store:
        await store.save_dialog(StorageKey(1, 1), "thb24", '{"v":1,"log":[],"p":1,"u":41}')
        await store.save_dialog(StorageKey(2, 2), "fi23", '{"v":1,"log":[]}')
    # The table as it was before the step, with a state written by the older code.
    statements = ["ALTER TABLE dialogs DROP COLUMN last_update_id", *_update_id_step(backend)]
    if backend.startswith("postgresql://"):
        with psycopg.connect(backend) as conn:
            for statement in statements:
                conn.execute(statement)
    else:
        with sqlite3.connect(backend) as db:
            for statement in statements:
                db.execute(statement)
    async with new_store(backend, clock) as store:
        moved = await store.load_dialog(StorageKey(1, 1))
        assert moved is not None and moved.last_update_id == 41
        assert json.loads(moved.state) == {"v": 1, "log": [], "p": 1}
        untouched = await store.load_dialog(StorageKey(2, 2))
        assert untouched is not None and untouched.last_update_id is None
        assert json.loads(untouched.state) == {"v": 1, "log": []}


async def test_a_store_refuses_calls_until_opened_and_after_closing(
    backend: str, clock: Clock
) -> None:
    store = new_store(backend, clock)
    with pytest.raises(RuntimeError, match="not open"):
        await store.get_language(1)
    async with store:
        await store.set_language(1, "fi")
    with pytest.raises(RuntimeError, match="not open"):
        await store.set_language(1, "sv")
    with pytest.raises(RuntimeError, match="not open"):
        await store.count_event("start")
    async with new_store(backend, clock) as reopened:
        assert await reopened.get_language(1) == "fi"
        assert await reopened.schema_version() == SCHEMA_VERSION


async def test_instants_without_a_time_zone_are_refused(store: Store) -> None:
    naive = datetime(2027, 2, 1, 16)
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.claim_reminder(ReminderKey(1, "CALL-A", naive, 7))
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.reminders_decided(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.prune(timedelta(days=30), naive)
    assert await store.reminders_decided(START) == set()


# --- subscriptions and reminders ---


async def test_subscriptions_and_subscribers(store: Store, clock: Clock) -> None:
    assert await store.subscribe(1, 10, ALL_CALLS, "en")
    clock.advance(seconds=1)
    assert await store.subscribe(1, 10, "CALL-A", "en")
    assert not await store.subscribe(1, 10, "CALL-A", "fi")  # already subscribed
    clock.advance(seconds=1)
    assert await store.subscribe(2, 20, "CALL-A", "fi")
    await store.set_language(1, "sv")
    await store.set_timezone(2, "Europe/Helsinki")

    mine = await store.subscriptions(1)
    assert [(s.call_id, s.chat_id, s.lang) for s in mine] == [
        (ALL_CALLS, 10, "en"),
        ("CALL-A", 10, "en"),
    ]
    assert mine[0].created_at == START
    everyone = await store.subscribers()
    assert [
        (s.subscription.user_id, s.subscription.call_id, s.lang, s.timezone) for s in everyone
    ] == [
        (1, ALL_CALLS, "sv", None),
        (1, "CALL-A", "sv", None),
        (2, "CALL-A", "fi", "Europe/Helsinki"),
    ]
    to_a = await store.subscribers(["CALL-A", "CALL-B"])
    assert [(s.subscription.user_id, s.subscription.call_id) for s in to_a] == [
        (1, "CALL-A"),
        (2, "CALL-A"),
    ]
    assert await store.subscribers([]) == []

    assert await store.unsubscribe(1, "CALL-A") == 1
    assert await store.unsubscribe(1, "CALL-A") == 0
    assert await store.drop_call_subscriptions("CALL-A") == 1
    assert await store.unsubscribe(1) == 1
    assert await store.subscribers() == []


async def test_a_reminder_is_claimed_at_most_once_by_two_concurrent_claimers(
    backend: str, clock: Clock
) -> None:
    deadline = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    keys = [ReminderKey(user, "CALL-A", deadline, days) for user in range(20) for days in (1, 7)]
    # Two stores: two connections (or pools), as two processes or replicas would have.
    async with new_store(backend, clock) as one, new_store(backend, clock) as other:
        results = await asyncio.gather(
            *(claimer.claim_reminder(key) for key in keys for claimer in (one, other))
        )
        pairs = list(zip(results[::2], results[1::2], strict=True))
        assert all(a != b for a, b in pairs), pairs  # exactly one of each pair won
        assert await one.reminders_decided(deadline - timedelta(days=1)) == set(keys)
        assert await other.reminders_decided(deadline) == set()  # deadlines after the instant

        # A claim released (the send failed) can be claimed again, once.
        await one.release_reminder(keys[0])
        assert await other.claim_reminder(keys[0])
        assert not await one.claim_reminder(keys[0])
    async with new_store(backend, clock) as third:
        assert await third.reminders_decided(deadline - timedelta(days=1)) == set(keys)
        assert (await third.usage_stats(timedelta(hours=1))).reminders_sent == len(keys)


# --- answers, votes and counters ---


async def test_votes_on_answers(store: Store) -> None:
    await store.record_answer(AnswerRecord("t1", "fi", "passage", ("d#p1",), ("d",)), None)
    assert await store.answer_state("t1") == ("fi", None)
    assert await store.vote("t1", 1)
    assert await store.answer_state("t1") == ("fi", 1)
    assert await store.vote("t1", -1)  # changing one's mind
    assert await store.answer_state("t1") == ("fi", -1)
    assert not await store.vote("unknown", 1)
    assert await store.answer_state("unknown") is None
    with pytest.raises(ValueError, match="1 or -1"):
        await store.vote("t1", 2)


async def test_record_answer_and_usage_stats(store: Store, clock: Clock) -> None:
    await store.record_answer(
        AnswerRecord("a", "en", "passage", ("d#p1", "d#p2"), ("d",)), "answered"
    )
    await store.record_answer(AnswerRecord("b", "sv", "facts", (), ("facts-thb",)), "answered")
    await store.record_answer(AnswerRecord("c", "en", "passage", ("d#p1",), ("d",)), "answered")
    await store.record_answer(None, "declined")
    await store.count_event("start")
    await store.vote("a", 1)
    await store.vote("b", -1)
    await store.vote("c", 1)
    await store.subscribe(1, 1, ALL_CALLS, "en")
    await store.subscribe(1, 1, "CALL-A", "en")
    await store.subscribe(2, 2, "CALL-A", "en")
    await store.save_dialog(StorageKey(1, 1), "thb24", "{}")
    await store.claim_reminder(ReminderKey(1, "CALL-A", START + timedelta(days=9), 7))
    clock.advance(days=10)  # the counts above are now older than the recent week
    await store.count_event("start")
    await store.save_dialog(StorageKey(2, 2), "thb24", "{}")

    stats = await store.usage_stats(timedelta(hours=72), recent_days=7)
    assert dict(stats.counts) == {"answered": 3, "declined": 1, "start": 2}
    assert dict(stats.counts_recent) == {"start": 1}
    assert stats.recent_days == 7
    assert stats.votes == (
        ItemVotes("d#p1", 2, 0),
        ItemVotes("d#p2", 1, 0),
        ItemVotes("facts-thb", 0, 1),  # an answer from facts counts under its source
    )
    assert stats.answers_recorded == 3
    assert stats.subscribers == 2
    assert dict(stats.subscriptions_by_call) == {ALL_CALLS: 1, "CALL-A": 2}
    assert stats.active_checks == 1  # the first dialog is older than the 72 hours
    assert stats.reminders_sent == 1


async def test_counts_are_written_at_close(backend: str, clock: Clock) -> None:
    async with new_store(backend, clock) as first:
        await first.count_event("start")
        await first.count_event("start")
    async with new_store(backend, clock) as second:
        await second.count_event("start")
        assert dict((await second.usage_stats(timedelta(hours=1))).counts) == {"start": 3}
        await second.count_event("start")
    async with new_store(backend, clock) as third:  # and what the second wrote at its close
        assert dict((await third.usage_stats(timedelta(hours=1))).counts) == {"start": 4}


async def test_prune_drops_old_unvoted_answers_and_past_reminders(
    store: Store, clock: Clock
) -> None:
    await store.record_answer(
        AnswerRecord("old", "en", "passage", ("p",), ("d",), question="kept?", asker=3), None
    )
    await store.record_answer(AnswerRecord("voted", "en", "passage", ("p",), ("d",)), None)
    await store.vote("voted", 1)
    past = ReminderKey(1, "CALL-A", START - timedelta(days=1), 1)
    coming = ReminderKey(1, "CALL-A", START + timedelta(days=3), 7)
    await store.claim_reminder(past)
    await store.claim_reminder(coming)
    clock.advance(days=40)
    await store.record_answer(
        AnswerRecord("new", "en", "passage", ("p",), ("d",), question="new?", asker=3), None
    )
    assert await store.prune(timedelta(days=30), START) == 3  # with the old kept question
    assert await store.answer_state("old") is None
    assert await store.answer_state("voted") == ("en", 1)
    assert await store.answer_state("new") == ("en", None)
    assert await store.reminders_decided(START - timedelta(days=30)) == {coming}
    assert [q["question"] for q in (await store.export_user(3))["questions"]] == ["new?"]


# --- the user's data ---


async def test_export_user_and_forget_user_cover_every_aggregate(
    store: Store, clock: Clock
) -> None:
    await fill(store, clock, 5, -100_555)
    await fill(store, clock, 6, -100_666)
    theirs = await store.export_user(6)

    export = await store.export_user(5)
    assert export["user_id"] == 5
    assert set(export) == {"user_id"} | EXPORTED_TABLES
    assert export["user_settings"] == [
        {"user_id": 5, "language": "sv", "updated_at": "2026-11-24T12:00:00.000000+00:00"}
    ]
    assert sorted((d["chat_id"], d["check_id"]) for d in export["dialogs"]) == [
        (-100_555, "thb24"),
        (5, "fi23"),
    ]
    assert {"step": 2, "answers": {}} in [d["state"] for d in export["dialogs"]]
    assert sorted(d["last_update_id"] or 0 for d in export["dialogs"]) == [0, 41]
    assert [s["call_id"] for s in export["subscriptions"]] == [ALL_CALLS, "AMIF-2024-TF2-AG-THB"]
    assert export["reminders_sent"][0]["deadline"] == "2027-02-01T16:00:00.000000+00:00"
    assert export["user_timezones"][0]["timezone"] == "Europe/Helsinki"
    assert [q["question"] for q in export["questions"]] == ["hemlig fråga 5"]
    json.dumps(export)  # /mydata sends it as a JSON file

    exported = sum(len(rows) for table, rows in export.items() if table != "user_id")
    assert await store.forget_user(5) == exported
    assert await store.forget_user(5) == 0
    assert await store.export_user(5) == {"user_id": 5, **{t: [] for t in EXPORTED_TABLES}}
    # Nothing of the user is left to any aggregate's reads.
    assert await store.get_language(5) is None
    assert await store.get_timezone(5) is None
    assert await store.load_dialog(StorageKey(-100_555, 5)) is None
    assert await store.load_dialog(StorageKey(5, 5)) is None
    assert await store.subscriptions(5) == []
    assert {s.subscription.user_id for s in await store.subscribers()} == {6}
    assert {k.user_id for k in await store.reminders_decided(START)} == {6}
    # The other user keeps everything, and the answers and votes (no one's) stay.
    assert await store.export_user(6) == theirs
    assert await store.answer_state("tok5") == ("sv", 1)
    stats = await store.usage_stats(timedelta(hours=72))
    assert stats.votes == (ItemVotes("doc#p1", 2, 0), ItemVotes("doc#p2", 2, 0))
    assert (stats.subscribers, stats.active_checks, stats.reminders_sent) == (1, 2, 1)


async def test_forget_user_leaves_no_row_of_the_user_in_any_table(
    sql_backend: str, clock: Clock
) -> None:
    backend = sql_backend
    async with new_store(backend, clock) as store:
        await fill(store, clock, 5, -100_555)
        await fill(store, clock, 6, -100_666)
        inbox = new_inbox(backend)  # an update of each user not handled yet
        await inbox.open(migrate=False)
        await inbox.add([text_update(1, 5, "pending"), text_update(2, 6, "pending")])
        await inbox.close()
        export = await store.export_user(5)
        removed = await store.forget_user(5)
    exported = sum(len(rows) for table, rows in export.items() if table != "user_id")
    assert removed == exported + 1  # and the pending update, which /mydata leaves out
    # Every table with a user_id column, found in the schema as forget_user finds them.
    tables = tables_of(backend)
    assert {t for t, columns in tables.items() if "user_id" in columns} == USER_TABLES
    for table, columns in tables.items():
        if "user_id" in columns:
            assert raw_rows(backend, f'SELECT * FROM "{table}" WHERE user_id = ?', (5,)) == []
            assert raw_rows(backend, f'SELECT * FROM "{table}" WHERE user_id = ?', (6,)) != []
    # Nor does any other table hold the id (answers and counts never had it).
    for table in tables:
        for row in raw_rows(backend, f'SELECT * FROM "{table}"'):
            assert 5 not in row and -100_555 not in row, (table, row)


async def test_every_store_exports_the_same(tmp_path: Path, pg_url: str) -> None:
    exports = []
    for backend in (f"memory://{tmp_path}", str(tmp_path / "same.sqlite3"), pg_url):
        clock = Clock()
        async with new_store(backend, clock) as store:
            await fill(store, clock, 5, -100_555)
            exports.append(await store.export_user(5))
    MEMORY_STORES.clear()
    assert exports[0] == exports[1] == exports[2]


# --- moving an SQLite installation into PostgreSQL ---


def test_migrate_from_sqlite_copies_everything_once(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "old" / "amif-bot.sqlite3"

    async def populate() -> None:
        clock = Clock()
        async with SQLiteStorage(source, clock=clock) as old:
            for user in (5, 6, 7):
                await fill(old, clock, user, -100_000 - user)
            await old.count_event("start")

    asyncio.run(populate())
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("AMIF_DATA_DIR", str(tmp_path / "fresh"))
    assert main(["migrate", "--from-sqlite", str(source)]) == 0
    out = capsys.readouterr().out
    assert "dialogs: 6 rows read, 6 added" in out
    assert f"schema version {sqlite_module.SCHEMA_VERSION}" in out

    async def compare() -> None:
        async with (
            SQLiteStorage(source, clock=Clock()) as old,
            PostgresStorage(pg_url, clock=Clock()) as new,
        ):
            for user in (5, 6, 7):
                assert await new.export_user(user) == await old.export_user(user)
                dialog = await new.load_dialog(StorageKey(-100_000 - user, user))
                assert dialog == await old.load_dialog(StorageKey(-100_000 - user, user))
                assert await new.answer_state(f"tok{user}") == ("sv", 1)
            assert await new.subscribers() == await old.subscribers()
            assert await new.reminders_decided(START) == await old.reminders_decided(START)
            ttl = timedelta(days=365)
            assert await new.usage_stats(ttl) == await old.usage_stats(ttl)

    asyncio.run(compare())
    for table in TABLES:
        assert raw_rows(pg_url, f'SELECT COUNT(*) FROM "{table}"') == raw_rows(
            str(source), f'SELECT COUNT(*) FROM "{table}"'
        ), table

    # Idempotent: a second run reads the same rows and adds none.
    assert main(["migrate", "--from-sqlite", str(source)]) == 0
    out = capsys.readouterr().out
    assert "dialogs: 6 rows read, 0 added" in out and " added" in out
    assert all(line.endswith(" 0 added") for line in out.splitlines() if "rows read" in line)
    assert raw_rows(pg_url, "SELECT SUM(count) FROM daily_counts") == [(4,)]
    assert not (tmp_path / "fresh" / "amif-bot.sqlite3").exists()


def test_migrate_from_sqlite_is_one_transaction(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "amif-bot.sqlite3"

    async def populate() -> None:
        clock = Clock()
        async with SQLiteStorage(source, clock=clock) as old:
            await fill(old, clock, 5, -100_005)

    asyncio.run(populate())
    with sqlite3.connect(source) as db:  # a row PostgreSQL's constraints refuse, copied last
        db.execute("UPDATE answers SET vote = 5")
    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert main(["migrate", "--from-sqlite", str(source)]) == 1
    assert "error" in capsys.readouterr().err
    for table in TABLES:
        assert raw_rows(pg_url, f'SELECT COUNT(*) FROM "{table}"') == [(0,)], table


def test_migrate_prints_the_schema_version_of_either_engine(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AMIF_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"SQLite at {tmp_path / 'amif-bot.sqlite3'}: schema version {sqlite_module.SCHEMA_VERSION}"
    )
    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"PostgreSQL at {pg_url}: schema version {sqlite_module.SCHEMA_VERSION}"
    )
    assert raw_rows(pg_url, "SELECT version FROM schema_version") == [
        (sqlite_module.SCHEMA_VERSION,)
    ]
    # --from-sqlite needs a PostgreSQL to copy into.
    monkeypatch.delenv("DATABASE_URL")
    assert main(["migrate", "--from-sqlite", str(tmp_path / "amif-bot.sqlite3")]) == 2
    assert "DATABASE_URL" in capsys.readouterr().err


def test_amif_bot_stats_reads_the_postgresql_database(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def populate() -> None:
        clock = Clock()
        async with PostgresStorage(pg_url, clock=clock) as store:
            await fill(store, clock, 5, -100_005)

    asyncio.run(populate())
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("AMIF_DATA_DIR", str(tmp_path / "empty"))  # no SQLite file there
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "Questions answered: 1" in out and "Subscribers: 1" in out


# --- selection, and where the tests find their server ---


def test_database_url_selects_postgresql_and_unset_keeps_sqlite(tmp_path: Path) -> None:
    sqlite_settings = Settings.from_env({"AMIF_DATA_DIR": str(tmp_path)})
    assert sqlite_settings.database_url is None
    chosen = open_storage(sqlite_settings)
    assert isinstance(chosen, SQLiteStorage)
    assert chosen.path == tmp_path / "amif-bot.sqlite3"
    url = "postgresql://bot:s3cret@db.example.org:5432/amif"
    pg_settings = Settings.from_env({"AMIF_DATA_DIR": str(tmp_path), "DATABASE_URL": url})
    pg = open_storage(pg_settings)
    assert isinstance(pg, PostgresStorage) and pg.url == url
    assert "s3cret" not in repr(pg_settings) and "s3cret" not in repr(pg)
    assert redacted_url(url) == "postgresql://bot@db.example.org:5432/amif"


def test_a_missing_server_skips_with_how_to_start_one_or_fails_when_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nowhere = "postgresql://postgres@127.0.0.1:9/none"  # the discard port: nothing listens
    monkeypatch.delenv("AMIF_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_server(nowhere)
    assert HOW_TO_START in str(skipped.value) and nowhere in str(skipped.value)
    monkeypatch.setenv("AMIF_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="no PostgreSQL server"):
        require_server(nowhere)


# --- the real bot on PostgreSQL ---


async def _stop(process: asyncio.subprocess.Process) -> bytes:
    """SIGTERM the bot and return its log (killing it if it hangs)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 40)
    except TimeoutError:
        process.kill()
        _, stderr = await process.communicate()
    return stderr


async def test_a_language_choice_survives_a_restart_on_a_fresh_disk(
    tmp_path: Path, pg_url: str
) -> None:
    core = FakeTelegram()
    user = core.user("Aino", language_code="en")
    async with FakeTelegramServer(core) as server:

        async def run(data: Path, conversation: Callable[[ChatDriver], Awaitable[None]]) -> None:
            env = bot_environment(core, server, data, DATABASE_URL=pg_url, BOT_WORKERS="2")
            process = await start_bot_process(env, stderr=asyncio.subprocess.PIPE)
            try:
                await conversation(
                    ChatDriver(core, PollingFeed(core, answer_timeout=30), user=user)
                )
            finally:
                log = (await _stop(process)).decode(errors="replace")
            assert process.returncode in (0, -signal.SIGTERM), log[-2000:]
            # Ephemeral disk: the state is in PostgreSQL, no SQLite file was made.
            assert not (data / "amif-bot.sqlite3").exists()

        async def choose_swedish(chat: ChatDriver) -> None:
            await chat.send("/language")
            await chat.click("Svenska")
            assert "svenska" in chat.last_text

        async def ask_in_english(chat: ChatDriver) -> None:
            await chat.send("/calls")  # Telegram says English; the stored choice wins
            # (a Swedish speaker seeing a deadline is also asked Helsinki or Stockholm time)
            assert any("stängd" in text for text in chat.texts[-2:]), chat.texts[-2:]

        await run(tmp_path / "first-disk", choose_swedish)
        async with PostgresStorage(pg_url) as kept:  # in the database, not on the first disk
            assert await kept.get_language(user.id) == "sv"
        await run(tmp_path / "second-disk", ask_in_english)
