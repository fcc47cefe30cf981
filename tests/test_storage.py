"""The SQLite file itself (durability, WAL, concurrent processes), and whole checks through the
store: on the memory store and SQLite, and 200 users at once on one file.

The protocol contract of every store is tests/test_storage_contract.py.
"""

import asyncio
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.eligibility import (
    CheckSpec,
    DialogState,
    Done,
    Eligibility,
    Show,
    Typed,
    load_checks,
    next_step,
    start,
)
from bot.storage import MIGRATIONS, SCHEMA_VERSION, SQLiteStorage, StorageKey, Store
from bot.storage.memory import MemoryStorage

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def ticking() -> Clock:
    return Clock()


StoreFactory = Callable[[], SQLiteStorage]


@pytest.fixture
def make_store(tmp_path: Path, ticking: Clock) -> StoreFactory:
    """New SQLiteStorage objects on one file, as the bot's restarts and processes open it."""
    path = tmp_path / "bot.sqlite3"
    return lambda: SQLiteStorage(path, clock=ticking)


@pytest.fixture(params=["memory", "sqlite"])
async def store(
    request: pytest.FixtureRequest, make_store: StoreFactory, ticking: Clock
) -> AsyncIterator[Store]:
    """An open store: the memory one, or SQLite on a file."""
    opened: Store = MemoryStorage(clock=ticking) if request.param == "memory" else make_store()
    async with opened:
        yield opened


def rows_about(path: Path, user_id: int) -> dict[str, int]:
    """Count rows mentioning user_id in every table, read with plain sqlite3 behind the store."""
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {}
        for table in tables:
            columns = [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]
            if "user_id" in columns:
                query = f'SELECT COUNT(*) FROM "{table}" WHERE user_id = ?'
                counts[table] = db.execute(query, (user_id,)).fetchone()[0]
    return counts


async def test_everything_survives_a_restart(make_store: StoreFactory, ticking: Clock) -> None:
    key = StorageKey(chat_id=5, user_id=5)
    async with make_store() as first:
        await first.set_language(5, "fi")
        await first.save_dialog(
            key, "thb24", '{"v":1,"check":"thb24","log":[["legal","set",true]]}'
        )
    async with make_store() as second:
        assert await second.get_language(5) == "fi"
        loaded = await second.load_dialog(key)
        assert loaded is not None
        assert DialogState.from_json(loaded.state).log[0].value is True


async def test_forget_deletes_every_row_of_that_user_only(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    async with make_store() as store:
        await store.set_language(1, "sv")
        await store.save_dialog(StorageKey(1, 1), "thb24", '{"v":1,"check":"thb24","log":[]}')
        await store.save_dialog(StorageKey(-50, 1), "fi23", '{"v":1,"check":"fi23","log":[]}')
        await store.set_language(2, "fi")
        await store.save_dialog(StorageKey(-50, 2), "fi23", '{"v":1,"check":"fi23","log":[]}')
        assert await store.forget_user(1) == 3
        assert await store.forget_user(1) == 0
        exported = await store.export_user(1)
        assert {"dialogs", "user_settings"} <= exported.keys()
        assert all(rows == [] for table, rows in exported.items() if table != "user_id")
        assert await store.get_language(2) == "fi"
        assert await store.load_dialog(StorageKey(-50, 2)) is not None
        # What was read before (and is kept in memory) is gone too.
        assert await store.get_language(1) is None
        assert await store.load_dialog(StorageKey(1, 1)) is None
    path = tmp_path / "bot.sqlite3"
    assert set(rows_about(path, 1).values()) == {0}
    about_2 = rows_about(path, 2)
    assert (about_2["dialogs"], about_2["user_settings"]) == (1, 1)
    assert sum(about_2.values()) == 2


async def test_counted_answers_reach_the_file_within_seconds_and_on_close(
    tmp_path: Path, ticking: Clock
) -> None:
    path = tmp_path / "bot.sqlite3"

    async def counted() -> dict[str, int]:
        """The counts in the file, as another process (`amif-bot stats`) reads them."""
        async with SQLiteStorage(path, clock=ticking) as reader:
            return dict((await reader.usage_stats(timedelta(hours=1))).counts)

    async with SQLiteStorage(path, clock=ticking, count_flush_seconds=0.05) as store:
        for _ in range(3):
            await store.record_answer(None, "answered")
        await store.count_event("declined")
        stats = await store.usage_stats(timedelta(hours=1))
        assert stats.counts == {"answered": 3, "declined": 1}
        await store.count_event("declined")
        await asyncio.sleep(0.3)
        assert await counted() == {"answered": 3, "declined": 2}
        await store.count_event("declined")
    assert await counted() == {"answered": 3, "declined": 3}


async def test_a_second_connection_reads_what_the_first_just_wrote(
    make_store: StoreFactory,
) -> None:
    key = StorageKey(9, 9)
    async with make_store() as writer, make_store() as reader:
        await writer.set_language(9, "sv")
        await writer.save_dialog(key, "thb24", '{"step":1}')
        assert await reader.get_language(9) == "sv"
        await writer.save_dialog(key, "thb24", '{"step":2}')
        await writer.set_timezone(9, "Europe/Helsinki")
        assert await writer.load_dialog(key) == await reader.load_dialog(key)
        assert await reader.get_timezone(9) == "Europe/Helsinki"


async def test_migrations_from_an_empty_file_and_reopening_is_idempotent(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    path = tmp_path / "bot.sqlite3"
    assert not path.exists()
    async with make_store() as store:
        assert await store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
        await store.set_language(9, "en")
    for _ in range(2):
        async with make_store() as store:
            assert await store.schema_version() == SCHEMA_VERSION
            assert await store.get_language(9) == "en"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


def _open_at(path: Path, moment: float) -> None:
    """In a forked process: wait for the moment, open the store, write, close; exit 0 or 1."""
    code = 1
    try:
        while time.time() < moment:
            pass

        async def use() -> None:
            async with SQLiteStorage(path) as store:
                await store.set_language(os.getpid(), "sv")

        asyncio.run(use())
        code = 0
    except BaseException as exc:
        print(f"{os.getpid()}: {type(exc).__name__}: {exc}", flush=True)
    finally:
        os._exit(code)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks processes")
def test_processes_opening_a_new_file_at_the_same_moment_all_succeed(tmp_path: Path) -> None:
    # As the bot's worker processes do at their first start: one migrates, the others wait.
    failed = []
    for trial in range(30):
        path = tmp_path / f"{trial}.sqlite3"
        moment = time.time() + 0.05
        pids = []
        for _ in range(4):
            pid = os.fork()
            if pid == 0:
                _open_at(path, moment)
            pids.append(pid)
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                failed.append((trial, pid))
        assert asyncio.run(_languages(path, pids)) == ["sv"] * 4, trial  # every write landed
    assert failed == []


async def _languages(path: Path, user_ids: list[int]) -> list[str | None]:
    async with SQLiteStorage(path) as store:
        return [await store.get_language(user_id) for user_id in user_ids]


async def test_the_switch_to_wal_is_retried_while_another_process_holds_the_file(
    tmp_path: Path,
) -> None:
    # SQLite does not wait inside PRAGMA journal_mode: three processes switching one new file
    # at the same instant (plain sqlite3, 600 tries) got "database is locked" in 4 % of them.
    class Contended:
        def __init__(self) -> None:
            self.tries = 0

        async def execute(self, sql: str) -> None:
            assert sql == "PRAGMA journal_mode = WAL"
            self.tries += 1
            if self.tries < 3:
                raise sqlite3.OperationalError("database is locked")

    contended = Contended()
    await SQLiteStorage(tmp_path / "a.sqlite3")._set_wal(contended)  # type: ignore[arg-type]
    assert contended.tries == 3
    # Other errors, and a lock held past the busy timeout, still stop the start.
    always = Contended()
    always.tries = -1000
    store = SQLiteStorage(tmp_path / "b.sqlite3", busy_timeout_ms=50)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await store._set_wal(always)  # type: ignore[arg-type]
    assert 3 <= always.tries + 1000 < 20


async def test_a_file_from_newer_code_is_refused(make_store: StoreFactory, tmp_path: Path) -> None:
    async with make_store():
        pass
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    store = make_store()
    with pytest.raises(RuntimeError, match="newer than this code"):
        await store.open()
    with pytest.raises(RuntimeError, match="not open"):
        await store.get_language(1)


# --- whole checks through the store ------------------------------------------------------------


@pytest.fixture(scope="module")
def checks() -> dict[str, CheckSpec]:
    return load_checks()


async def run_check(store: Store, spec: CheckSpec, key: StorageKey, inputs: list[str]) -> Done:
    """Play a user: for every message load the state, step the engine, save before 'replying'."""
    saved = start(spec).to_json()
    await store.save_dialog(key, spec.id, saved)
    outcome = None
    for text in inputs:
        loaded = await store.load_dialog(key)
        assert loaded is not None and loaded.state == saved, "another user's state leaked in"
        outcome = next_step(spec, DialogState.from_json(loaded.state), Typed(text), now=T0)
        saved = outcome.state.to_json()
        await store.save_dialog(key, spec.id, saved)
        await asyncio.sleep(0)
    assert isinstance(outcome, Done)
    return outcome


PATHS = {
    ("thb24", "eligible"): [
        "ja",
        "2",
        "ja",
        "Sverige",
        "Finland och Estland",
        "klar",
        "800 000",
        "24",
        "1",
    ],
    ("thb24", "small"): ["yes", "1", "yes", "Denmark", "Tanska", "done", "1.2m", "24", "2"],
    ("fi23", "eligible"): ["3", "2", "5", "1", "ei"],
    ("fi23", "none"): ["1", "4"],
}
EXPECTED = {
    ("thb24", "eligible"): Eligibility.ELIGIBLE,
    ("thb24", "small"): Eligibility.NOT_ELIGIBLE,
    ("fi23", "eligible"): Eligibility.ELIGIBLE,
    ("fi23", "none"): Eligibility.NOT_ELIGIBLE,
}


async def test_a_stored_check_holds_parsed_answers_not_the_users_text(
    store: Store, checks: dict[str, CheckSpec]
) -> None:
    key = StorageKey(11, 11)
    await run_check(store, checks["thb24"], key, PATHS[("thb24", "eligible")])
    exported = json.dumps(await store.export_user(11), ensure_ascii=False)
    assert '["partners","add",["FI","EE"]]' in exported.replace(", ", ",")
    for typed in ("Finland och Estland", "Sverige", "800 000", "klar"):
        assert typed not in exported


async def test_a_check_resumes_after_the_bot_restarts(
    make_store: StoreFactory, checks: dict[str, CheckSpec]
) -> None:
    spec, key = checks["fi23"], StorageKey(12, 12)
    async with make_store() as store:
        state = start(spec)
        for text in ["3", "2"]:
            state = next_step(spec, state, Typed(text), now=T0).state
            await store.save_dialog(key, spec.id, state.to_json())
    async with make_store() as store:
        loaded = await store.load_dialog(key)
        assert loaded is not None
        resumed = next_step(spec, DialogState.from_json(loaded.state), Show(), now=T0)
        assert getattr(resumed, "step", None) == "m2"


async def test_200_users_at_once_on_one_file_keep_their_own_checks(
    tmp_path: Path, checks: dict[str, CheckSpec]
) -> None:
    path = tmp_path / "busy.sqlite3"
    kinds = sorted(PATHS)
    # Several connections, as with several bot workers on one file: WAL + busy_timeout must
    # serialise their writes without "database is locked".
    stores = [SQLiteStorage(path, clock=lambda: T0) for _ in range(4)]
    for s in stores:
        await s.open()
    try:

        async def user(n: int) -> tuple[int, Eligibility]:
            check_id, path_name = kinds[n % len(kinds)]
            store = stores[n % len(stores)]
            key = StorageKey(chat_id=-1000 - n % 7, user_id=n)
            done = await run_check(store, checks[check_id], key, PATHS[(check_id, path_name)])
            await store.set_language(n, ("en", "sv", "fi")[n % 3])
            return n, done.verdict.eligibility

        finished = await asyncio.gather(*(user(n) for n in range(200)))
        for n, eligibility in finished:
            assert eligibility is EXPECTED[kinds[n % len(kinds)]]
        reader = stores[0]
        for n in range(200):
            check_id, path_name = kinds[n % len(kinds)]
            loaded = await reader.load_dialog(StorageKey(-1000 - n % 7, n))
            assert loaded is not None and loaded.check_id == check_id
            state = DialogState.from_json(loaded.state)
            outcome = next_step(checks[check_id], state, Show(), now=T0)
            assert isinstance(outcome, Done)
            assert outcome.verdict.eligibility is EXPECTED[(check_id, path_name)]
            assert await reader.get_language(n) == ("en", "sv", "fi")[n % 3]
    finally:
        for s in stores:
            await s.close()
