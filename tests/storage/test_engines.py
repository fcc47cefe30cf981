"""The two SQL engines themselves: the update inbox, the schema and its migrations, the stores'
protocol signatures, `amif-bot migrate --from-sqlite`, where the tests find their server, and the
real bot process keeping a user's language in PostgreSQL across a restart on a fresh disk.
"""

import asyncio
import inspect
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from bot import storage as sqlite_module
from bot import storage_pg
from bot.cli import main
from bot.config import Settings
from bot.inbox import PostgresInbox
from bot.storage import (
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
)
from tests.support.storage import (
    START,
    TABLES,
    USER_TABLES,
    Clock,
    fill,
    new_inbox,
    new_store,
    raw_rows,
    tables_of,
    text_update,
)

# --- the update inbox (bot/inbox.py) ---


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


@pytest.mark.slow  # starts the bot as its own process, twice
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
