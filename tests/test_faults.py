"""Faults of the Bot API: 429, 5xx, timeouts and dropped connections lose no reply."""

import logging
import random
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from tests.support.bots import Harness, make_harness

# Starts processes or HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

QUESTION = "What is the funding rate of the 2024 call?"


@pytest.fixture
async def flaky(tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict):
    harness, store = await make_harness(tmp_path, kb, clock, checks, read_timeout=0.3)
    try:
        yield harness
    finally:
        await harness.app.shutdown()
        await store.close()


FAULTS: list[tuple[str, dict]] = [
    ("429", {"status": 429, "retry_after": 1}),
    ("500", {"status": 500}),
    ("502", {"status": 502}),
    ("timeout", {"hang": True}),
    ("dropped", {"drop": True}),
]


def _inject(core, method: str, fault: dict, after_success: bool = False) -> None:
    if fault.get("hang"):
        core.hang_next(method, after_success=after_success)
    elif fault.get("drop"):
        core.drop_next(method, after_success=after_success)
    else:
        core.fail_next(
            method,
            fault["status"],
            retry_after=fault.get("retry_after"),
            after_success=after_success,
        )


@pytest.mark.parametrize(("name", "fault"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_reply_is_retried_and_delivered(flaky: Harness, name: str, fault: dict) -> None:
    chat = flaky.driver()
    _inject(flaky.core, "sendMessage", fault)
    await chat.send(QUESTION)
    replies = [m for m in flaky.core.sent(chat.chat) if "90%" in m.text]
    assert len(replies) == 1, name


@pytest.mark.parametrize(("name", "fault"), FAULTS[1:], ids=[f[0] for f in FAULTS[1:]])
async def test_an_edit_that_went_through_is_not_repeated(
    flaky: Harness, name: str, fault: dict
) -> None:
    chat = flaky.driver()
    await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
    question = chat.last_keyboard_message
    for method in ("editMessageText", "answerCallbackQuery"):
        _inject(flaky.core, method, fault, after_success=True)
    await chat.click("Yes")
    edited = flaky.core.message(chat.chat, question.message_id)
    assert "Step 2 of 8" in edited.text
    assert edited.edit_count == 1  # the retry saw "not modified" and stopped
    assert not any(
        m.message_id != question.message_id and "Step 2" in m.text
        for m in flaky.core.sent(chat.chat)
    )


async def test_many_faults_no_reply_lost(flaky: Harness) -> None:
    """A run with a random fault before one in three replies: every question answered once."""
    rng = random.Random(7)
    injected = delivered = 0
    users = [flaky.driver(flaky.core.user(f"U{i}")) for i in range(6)]
    for round_ in range(5):
        for chat in users:
            if rng.random() < 0.34:
                _inject(flaky.core, "sendMessage", rng.choice(FAULTS)[1])
                injected += 1
            await chat.send(f"{QUESTION} ({round_})")
    for chat in users:
        delivered += sum("90%" in m.text for m in flaky.core.sent(chat.chat))
    print(f"faults injected: {injected}, replies delivered: {delivered} of {5 * len(users)}")
    assert injected > 0 and delivered == 5 * len(users)


async def test_polling_resumes_after_get_updates_fails(flaky: Harness) -> None:
    core = flaky.core
    app = flaky.app
    core.fail_next("getUpdates", 502, times=2)
    core.drop_next("getUpdates")
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1, bootstrap_retries=0)
    try:
        chat = flaky.driver()
        update = core.text_update(QUESTION, user=chat.user, chat=chat.chat)
        core.push_update(update)
        assert await core.wait_until(
            lambda: any("90%" in m.text for m in core.sent(chat.chat)), timeout=20
        )
    finally:
        await app.updater.stop()
        await app.stop()


APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


def _break_table(tg: Harness, table: str) -> None:
    """Drop a table behind the bot's back: its next use of it fails inside SQLite."""
    with sqlite3.connect(tg.store.path) as db:
        db.execute(f"DROP TABLE {table}")


@pytest.mark.parametrize(
    ("command", "table"),
    [
        ("/subscribe AMIF-2024-TF2-AG-THB", "subscriptions"),
        ("/unsubscribe", "subscriptions"),
        ("/timezone Europe/Helsinki", "user_timezones"),
    ],
)
async def test_a_failing_operator_command_gets_one_apology_and_nothing_else(
    tg: Harness, command: str, table: str
) -> None:
    chat = tg.driver()
    await chat.send("/start")
    seen = len(chat.texts)
    _break_table(tg, table)
    await chat.send(command)
    # Before: the apology and then "I don't know the command" with the help text.
    assert chat.texts[seen:] == [APOLOGY]


async def test_a_failing_vote_gets_one_apology_and_no_stale_button_reply(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send(QUESTION)
    assert "👍 Helpful" in chat.last_buttons
    seen = len(chat.texts)
    _break_table(tg, "answers")
    await chat.click("👍 Helpful")
    assert chat.texts[seen:] == [APOLOGY]
    # Before: the press was also answered by the main group's "This button is no longer active."
    assert [answer.text for answer in tg.core.callback_answers] == [None]


async def test_a_bad_request_from_telegram_is_a_failure_with_an_apology(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = tg.driver()
    tg.core.fail_next("sendMessage", 400, description="Bad Request: can't parse entities")
    with caplog.at_level(logging.WARNING, logger="amif.errors"):
        await chat.send(QUESTION)
    assert chat.texts == [APOLOGY]
    lines = [r.getMessage() for r in caplog.records if r.name == "amif.errors"]
    assert lines and lines[0].startswith("failure while handling update")
    assert not any("unreachable" in line for line in lines)


@pytest.fixture
async def patient(tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict):
    """A bot whose retry budget is scaled down to 4 s (waits doubling from 0.05 s)."""
    harness, store = await make_harness(
        tmp_path, kb, clock, checks, read_timeout=0.3, reply_retry_seconds=4.0
    )
    try:
        yield harness
    finally:
        await harness.app.shutdown()
        await store.close()


async def test_replies_survive_an_outage_shorter_than_the_retry_budget(patient: Harness) -> None:
    users = [patient.driver(patient.core.user(f"O{i}")) for i in range(6)]
    patient.core.outage(2.5)  # every send fails with 502 for 2.5 s
    for chat in users:
        await chat.send(QUESTION)
    for chat in users:
        assert sum("90%" in m.text for m in patient.core.sent(chat.chat)) == 1


async def test_a_reply_past_the_budget_is_dropped_with_a_log_line_and_a_count(
    patient: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = patient.driver()
    patient.core.outage(30.0)
    with caplog.at_level(logging.ERROR):
        await chat.send(QUESTION)
    assert not any("90%" in m.text for m in patient.core.sent(chat.chat))
    assert any("given up after" in r.getMessage() for r in caplog.records)
    await patient.store.flush_counts()
    stats = await patient.store.usage_stats(timedelta(hours=1))
    assert stats.counts.get("reply_dropped") == 1
