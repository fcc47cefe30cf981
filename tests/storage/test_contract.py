"""One contract, three stores: MemoryStorage, SQLiteStorage and PostgresStorage behave the same.

Every test taking `backend` (or `store`) runs on all three as
`test_<what>[memory|sqlite|postgresql]`: the memory store, SQLite on a file in tmp_path, and
PostgreSQL on a database created for this run on the server of AMIF_TEST_DATABASE_URL (see
tests/support/postgres.py), emptied before each test. They go through the storage protocols
only; the fixtures are in tests/storage/conftest.py. The databases themselves (migrations, the
update inbox, moving from SQLite, the real bot on PostgreSQL) are tests/storage/test_engines.py.
"""

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.eligibility import EligibilitySessions, Show, Typed, load_checks
from bot.schema import POSTGRES_MIGRATIONS, SCHEMA_VERSION, SQLITE_MIGRATIONS
from bot.storage import (
    ALL_CALLS,
    AnswerRecord,
    ItemVotes,
    ReminderKey,
    StorageKey,
)
from bot.stores import Store
from tests.support.storage import (
    EXPORTED_TABLES,
    MEMORY_STORES,
    START,
    USER_TABLES,
    Clock,
    fill,
    new_inbox,
    new_store,
    raw_rows,
    tables_of,
    text_update,
)

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
