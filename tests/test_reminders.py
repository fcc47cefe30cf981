"""Deadline reminders: due times, time zones, subscriptions, restarts, blocked users, sending."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.reminders import (
    Delivery,
    DeliveryResult,
    ReminderService,
    SendThrottle,
    due_reminders,
    reminder_text,
    user_zone,
)
from bot.storage import ALL_CALLS, ReminderKey, SQLiteStorage, Subscriber, Subscription
from i18n import translator
from knowledge.base import KnowledgeBase
from tests.fake_telegram import FakeTelegram
from tests.support.bots import OperatorBot, start_operator_bot
from tests.support.clock import DEADLINE_2020, MovingClock

NBSP = "\u00a0"
CALL_2020 = "EU-2020-THB"


@pytest.fixture
def moving() -> MovingClock:
    """A clock 40 days before the 2020 call's deadline."""
    return MovingClock(DEADLINE_2020 - timedelta(days=40))


@pytest.fixture
def clock(moving: MovingClock) -> MovingClock:
    """This module's bots (the `bot` fixture) run on the clock the test moves."""
    return moving


# --- which reminders are due (pure) ----------------------------------------------------------


def _subscriber(user_id: int, call_id: str, created: datetime) -> Subscriber:
    return Subscriber(Subscription(user_id, user_id, call_id, "en", created), "en", None)


def test_the_latest_due_reminder_is_sent_once_and_never_after_the_deadline(
    kb: KnowledgeBase,
) -> None:
    call = kb.call(CALL_2020)
    assert call is not None
    subs = [_subscriber(1, CALL_2020, DEADLINE_2020 - timedelta(days=60))]
    assert due_reminders(subs, [call], DEADLINE_2020 - timedelta(days=31), set()) == []
    # Down for two weeks: the 30- and 14-day reminders were missed; only the 7-day one goes.
    five_days_before = DEADLINE_2020 - timedelta(days=5)
    (due,) = due_reminders(subs, [call], five_days_before, set())
    assert due.key == ReminderKey(1, CALL_2020, DEADLINE_2020, 7)
    assert due_reminders(subs, [call], five_days_before, {due.key}) == []
    assert due_reminders(subs, [call], DEADLINE_2020 + timedelta(minutes=1), set()) == []


def test_a_late_subscriber_gets_only_reminders_still_ahead(kb: KnowledgeBase) -> None:
    call = kb.call(CALL_2020)
    assert call is not None
    subs = [_subscriber(2, ALL_CALLS, DEADLINE_2020 - timedelta(days=5))]
    assert due_reminders(subs, kb.calls, DEADLINE_2020 - timedelta(days=4), set()) == []
    (due,) = due_reminders(subs, kb.calls, DEADLINE_2020 - timedelta(hours=20), set())
    assert due.key.days_before == 1 and due.call.id == CALL_2020


def test_overlapping_subscriptions_give_one_reminder(kb: KnowledgeBase) -> None:
    early = DEADLINE_2020 - timedelta(days=90)
    subs = [_subscriber(3, ALL_CALLS, early), _subscriber(3, CALL_2020, early)]
    due = due_reminders(subs, kb.calls, DEADLINE_2020 - timedelta(days=13), set())
    assert [(d.key.user_id, d.key.days_before) for d in due] == [(3, 14)]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "closes in 7 days, on 16 February 2021 at 18:00 (Helsinki time)"),
        # CLDR (Babel 2.19+) writes Finland-Swedish times with a period, as Finnish does.
        ("sv", "stänger om 7 dagar, den 16 februari 2021 kl. 18.00 (Helsingforstid)"),
        ("fi", "päättyy 7 päivän päästä, 16. helmikuuta 2021 klo 18.00 (Helsingin aikaa)"),
    ],
)
def test_reminder_shows_the_deadline_in_the_users_zone(
    kb: KnowledgeBase, lang: str, expected: str
) -> None:
    call = kb.call(CALL_2020)
    assert call is not None
    t = translator(lang)
    text = reminder_text(call, t, ZoneInfo("Europe/Helsinki"), DEADLINE_2020 - timedelta(days=7))
    assert expected in text.replace(NBSP, " ")
    assert "/unsubscribe" in text


def test_countdown_in_days_and_default_zones(kb: KnowledgeBase) -> None:
    call = kb.call(CALL_2020)
    assert call is not None
    now = DEADLINE_2020 - timedelta(days=12)
    assert "closes in 12 days" in reminder_text(call, translator("en"), user_zone("en", None), now)
    assert "17:00 (Brussels time)" in reminder_text(
        call, translator("en"), user_zone("en", None), now
    )
    assert "om 12 dagar" in reminder_text(call, translator("sv"), user_zone("sv", None), now)
    assert "12 päivän päästä" in reminder_text(call, translator("fi"), user_zone("fi", None), now)
    assert user_zone("en", "Europe/Stockholm").key == "Europe/Stockholm"
    assert user_zone("fi", "Not/AZone").key == "Europe/Helsinki"


def test_a_deadline_without_a_time_is_the_end_of_that_day_in_the_calls_zone(
    kb: KnowledgeBase,
) -> None:
    call = kb.call("FI-AMIF-2023-AUTUMN")
    assert call is not None and call.deadline is not None
    now = call.deadline.moment() - timedelta(days=3)
    text = reminder_text(call, translator("en"), ZoneInfo("Europe/Brussels"), now)
    assert "at the end of 31 October 2023 (Helsinki time)" in text


# --- subscribing through the bot -------------------------------------------------------------


async def test_subscribe_with_buttons_shows_the_deadline_in_the_chosen_zone(
    bot: OperatorBot,
) -> None:
    chat = bot.harness.driver(bot.core.user("Eva", language_code="en"))
    await chat.send("/subscribe")
    assert "Which call" in chat.last_text
    assert "All calls" in chat.last_buttons
    await chat.click("AMIF 2020 call on victims of trafficking in human beings")
    assert "Subscribed to AMIF 2020 call" in chat.last_text
    assert "closes in 6 weeks: 16 February 2021 at 17:00 (Brussels time)" in chat.last_text
    await chat.send("/timezone")
    assert "Brussels time" in chat.last_text
    await chat.click("Helsinki time")
    assert "Helsinki time" in chat.last_text
    assert await bot.store.get_timezone(chat.user.id) == "Europe/Helsinki"
    await chat.send("/subscribe 2020")
    assert "already subscribed" in chat.last_text
    assert "16 February 2021 at 18:00 (Helsinki time)" in chat.last_text
    subs = await bot.store.subscriptions(chat.user.id)
    assert [s.call_id for s in subs] == [CALL_2020]


async def test_subscribe_in_swedish_and_unknown_names(bot: OperatorBot) -> None:
    chat = bot.harness.driver(bot.core.user("Sara", language_code="sv"))
    await chat.send("/subscribe alla")
    assert "alla utlysningar" in chat.last_text and "30, 14, 7 och 1" in chat.last_text
    await chat.send("/subscribe NOPE-1")
    assert "NOPE-1" in chat.last_text and chat.last_buttons
    await chat.send("/timezone Mars/Olympus")
    assert "Mars/Olympus" in chat.last_text
    assert await bot.store.get_timezone(chat.user.id) is None


async def test_subscriptions_are_for_private_chats(bot: OperatorBot) -> None:
    group = bot.core.group()
    chat = bot.harness.driver(chat=group)
    await chat.send("/subscribe@amif_test_bot 2020")
    assert "private chat" in chat.last_text
    assert await bot.store.subscriptions(chat.user.id) == []


async def test_unsubscribe_by_button_and_when_there_is_nothing(bot: OperatorBot) -> None:
    chat = bot.harness.driver()
    await chat.send("/unsubscribe")
    assert "no subscriptions" in chat.last_text
    await chat.send("/subscribe 2020")
    await chat.send("/subscribe all")
    await chat.send("/unsubscribe")
    assert chat.last_buttons == [
        "AMIF 2020 call on victims of trafficking in human beings",
        "all calls",
        "Stop all",
    ]
    await chat.click("AMIF 2020 call on victims of trafficking in human beings")
    assert "no more reminders" in chat.last_text
    assert [s.call_id for s in await bot.store.subscriptions(chat.user.id)] == [ALL_CALLS]
    await chat.send("/unsubscribe all")
    assert "all your subscriptions have ended" in chat.last_text
    assert await bot.store.subscriptions(chat.user.id) == []


# --- sending reminders -----------------------------------------------------------------------


async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_after_start_up(
    tmp_path: Path, kb: KnowledgeBase, checks: dict, moving: MovingClock
) -> None:
    core = FakeTelegram(inline_mode=True)
    store = SQLiteStorage(Settings(data_dir=tmp_path).database_path, clock=moving)
    await store.open()
    try:
        first = await start_operator_bot(tmp_path, kb, moving, checks, core=core, store=store)
        user = core.user("Fia", language_code="fi")
        chat = first.harness.driver(user)
        await chat.send("/subscribe 2020")
        await first.features.tick()
        sent_before = len(chat.texts)
        await first.close()

        moving.now = DEADLINE_2020 - timedelta(days=5)  # the bot was down for five weeks
        for _restart in range(2):
            bot = await start_operator_bot(tmp_path, kb, moving, checks, core=core, store=store)
            bot.features.start()  # as post_init does
            deadline = time.monotonic() + 10
            while bot.features.ticks == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            await bot.close()
        reminders = chat.texts[sent_before:]
        assert len(reminders) == 1, reminders
        assert "5 päivän päästä" in reminders[0]
        assert "klo 18.00 (Helsingin aikaa)" in reminders[0]
    finally:
        await store.close()


async def test_each_reminder_goes_once_as_the_deadline_nears_and_none_after(
    bot: OperatorBot, moving: MovingClock
) -> None:
    chat = bot.harness.driver(bot.core.user("Ann", language_code="en"))
    await chat.send("/subscribe all")
    before = len(chat.texts)
    for days, hours in ((30, 0), (29, 23), (14, 0), (7, 0), (1, 0), (0, 1)):
        moving.now = DEADLINE_2020 - timedelta(days=days, hours=hours) + timedelta(seconds=30)
        await bot.features.tick()
        await bot.features.tick()
    moving.now = DEADLINE_2020 + timedelta(minutes=1)
    await bot.features.tick()
    reminders = chat.texts[before:]
    assert [r.split(",")[0].split("closes ")[1] for r in reminders] == [
        "in 4 weeks",
        "in 14 days",
        "in 7 days",
        "in 1 day",
    ]
    assert bot.features.reminders.totals.sent == 4


async def test_a_user_who_blocked_the_bot_is_unsubscribed(
    bot: OperatorBot, moving: MovingClock
) -> None:
    blocked = bot.harness.driver(bot.core.user("Bo"))
    staying = bot.harness.driver(bot.core.user("Kim"))
    await blocked.send("/subscribe 2020")
    await staying.send("/subscribe 2020")
    await bot.harness.feed(bot.core.my_chat_member_update(blocked.chat, "kicked"))
    moving.now = DEADLINE_2020 - timedelta(days=6)
    report = await bot.features.tick()
    assert (report.sent, report.gone) == (1, 1)
    assert await bot.store.subscriptions(blocked.user.id) == []
    assert len(await bot.store.subscriptions(staying.user.id)) == 1
    assert (await bot.store.export_user(blocked.user.id))["reminders_sent"] == []
    assert "closes in 6 days" in staying.last_text


async def test_forget_leaves_no_row_about_the_user(bot: OperatorBot, moving: MovingClock) -> None:
    chat = bot.harness.driver()
    await chat.send("/subscribe 2020")
    await chat.send("/timezone Europe/Stockholm")
    moving.now = DEADLINE_2020 - timedelta(days=2)
    await bot.features.tick()
    exported = await bot.store.export_user(chat.user.id)
    assert exported["subscriptions"] and exported["reminders_sent"] and exported["user_timezones"]
    await chat.send("/forget")
    await chat.click("Delete my data")
    exported = await bot.store.export_user(chat.user.id)
    assert all(rows == [] for table, rows in exported.items() if table != "user_id")


# --- the sending machinery -------------------------------------------------------------------


class ScriptedDelivery:
    """A transport that answers sends from a script, then SENT; records what went out."""

    def __init__(self, script: list[DeliveryResult]) -> None:
        self.script = script
        self.sent: list[tuple[int, str]] = []
        self.calls = 0

    async def __call__(self, chat_id: int, text: str) -> DeliveryResult:
        self.calls += 1
        result = self.script.pop(0) if self.script else DeliveryResult(Delivery.SENT)
        if result.outcome is Delivery.SENT:
            self.sent.append((chat_id, text))
        return result


async def _service(
    tmp_path: Path,
    kb: KnowledgeBase,
    clock: MovingClock,
    delivery: ScriptedDelivery,
    users: tuple[int, ...] = (7,),
) -> tuple[ReminderService, SQLiteStorage]:
    store = SQLiteStorage(tmp_path / "send.sqlite3", clock=clock)
    await store.open()
    for user in users:
        await store.subscribe(user, user, CALL_2020, "en")
    clock.now = DEADLINE_2020 - timedelta(days=3)
    throttle = SendThrottle(rate=1000.0, chat_interval=0.0)
    # One worker, so the scripted answers meet the subscribers in a known order.
    service = ReminderService(
        store, lambda: kb.calls, delivery, clock=clock, throttle=throttle, workers=1
    )
    return service, store


async def test_flood_control_is_waited_out_and_the_reminder_still_goes_once(
    tmp_path: Path, kb: KnowledgeBase, moving: MovingClock
) -> None:
    delivery = ScriptedDelivery([DeliveryResult(Delivery.RETRY, retry_after=0.05)])
    service, store = await _service(tmp_path, kb, moving, delivery)
    try:
        report = await service.tick()
        assert (report.sent, report.rate_limited, delivery.calls) == (1, 1, 2)
        assert (await service.tick()).sent == 0
        assert len(delivery.sent) == 1
    finally:
        await store.close()


async def test_a_network_failure_is_retried_next_round_and_a_refusal_is_not(
    tmp_path: Path, kb: KnowledgeBase, moving: MovingClock
) -> None:
    delivery = ScriptedDelivery([DeliveryResult(Delivery.RETRY), DeliveryResult(Delivery.FAILED)])
    service, store = await _service(tmp_path, kb, moving, delivery, users=(7, 8))
    try:
        first = await service.tick()
        assert (first.retry_later, first.failed) == (1, 1)
        assert (await service.tick()).sent == 1  # the one that met a network failure
        assert (await service.tick()).sent == 0  # the refused one is not sent again
        assert [chat for chat, _text in delivery.sent] == [7]
    finally:
        await store.close()


async def test_throttle_keeps_the_overall_rate_and_the_gap_per_chat() -> None:
    throttle = SendThrottle(rate=50.0, chat_interval=0.2)
    times: dict[int, list[float]] = {}

    async def send(chat_id: int) -> None:
        await throttle.wait(chat_id)
        times.setdefault(chat_id, []).append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(send(chat) for chat in [1, 1, 1, *range(2, 12)]))
    elapsed = time.monotonic() - started
    every = sorted(t for chat_times in times.values() for t in chat_times)
    assert elapsed >= 12 / 50.0 * 0.9
    assert all(b - a >= 1 / 50.0 * 0.8 for a, b in pairwise(every))
    ones = times[1]
    assert all(b - a >= 0.2 * 0.9 for a, b in pairwise(ones))


async def test_subscribe_offers_only_calls_a_reminder_can_help_with(
    bot: OperatorBot, moving: MovingClock
) -> None:
    chat = bot.harness.driver(bot.core.user("Eva", language_code="en"))
    await chat.send("/subscribe")
    # 40 days before the 2020 deadline: that call is open; the 2024 one gives no deadline.
    assert "AMIF 2020 call on victims of trafficking in human beings" in chat.last_buttons
    assert not any("2024" in b for b in chat.last_buttons)
    moving.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # every call has closed
    await chat.send("/subscribe")
    assert "None of the calls I know is open" in chat.last_text
    assert chat.last_buttons == ["All calls"]
