"""Eligibility checks on Telegram: buttons, typed answers, stale presses, restarts, /forget."""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from knowledge.base import KnowledgeBase
from tests.support.bots import Harness, make_harness
from tests.support.clock import FIXED_NOW, MovingClock


async def _answer_first_three(chat) -> None:
    await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
    assert "1" in chat.last_text and "8" in chat.last_text
    await chat.click("Yes")
    await chat.click("Private body (for example an association or a foundation)")
    await chat.send("ja")  # non-profit: yes, typed in Swedish


async def test_a_full_check_by_buttons_and_typed_answers(tg: Harness) -> None:
    chat = tg.driver()
    await _answer_first_three(chat)
    assert "Step 4 of 8" in chat.last_text
    await chat.send("Tanska")
    assert "Denmark is excluded" in chat.last_text  # said at once; the check goes on
    await chat.send("/back")
    assert "Step 4 of 8" in chat.last_text
    await chat.send("Finland")
    await chat.send("Sverige, Estland och Tyskland")
    assert "3 partners" in chat.last_text and "4 of 3" in chat.last_text
    await chat.click("Done")
    await chat.send("EUR 800,000")
    await chat.send("24")
    assert "Step 8 of 8" in chat.last_text
    await chat.click(chat.last_buttons[0])
    await chat.click("Done")
    verdict = chat.last_text
    assert "eligible" in verdict.lower() and "not eligible" not in verdict.lower()
    assert "✓" in verdict and "✗" not in verdict
    assert "888" in verdict  # total eligible costs implied at the 90 % funding rate
    assert chat.last_buttons == ["Full details", "« Back", "Start over"]


async def test_stale_button_changes_nothing(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
    first = chat.last_keyboard_message
    await chat.click("Yes")
    stored = await tg.store.load_dialog(_key(chat))
    # The first question's message was edited into the second; an old copy of the keyboard:
    update = tg.core.callback_update(
        tg.core.message(chat.chat, first.message_id), button=chat.last_buttons[0]
    )
    update["callback_query"]["data"] = "elig:thb24:legal:n"
    await tg.feed(update)
    assert tg.core.is_answered(update["callback_query"]["id"])
    assert "moved on" in tg.core.callback_answers[-1].text
    assert await tg.store.load_dialog(_key(chat)) == stored


def _key(chat):
    from bot.storage import StorageKey

    return StorageKey(chat.chat.id, chat.user.id)


async def test_check_survives_a_restart_of_the_bot(
    tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict
) -> None:
    first, store = await make_harness(tmp_path, kb, clock, checks)
    user = first.core.user("Ola")
    chat = first.driver(user)
    await _answer_first_three(chat)
    step_before = chat.last_text
    await first.app.shutdown()
    await store.close()

    second, store2 = await make_harness(tmp_path, kb, clock, checks)
    try:
        chat2 = second.driver(second.core.user("Ola", user_id=user.id))
        await chat2.send("/eligibility")
        assert "left off" in chat2.texts[-2]
        assert chat2.last_text.split("\n")[0] == step_before.split("\n")[0]  # same step
    finally:
        await second.app.shutdown()
        await store2.close()


async def test_forget_mid_check_deletes_it_and_old_buttons_say_so(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
    question = chat.last_keyboard_message
    await chat.send("/forget")
    await chat.click("Delete my data")
    assert await tg.store.load_dialog(_key(chat)) is None
    await chat.click("Yes", message=question)
    assert "ended" in tg.core.callback_answers[-1].text


async def test_many_users_check_at_once_without_crossing(tg: Harness) -> None:
    drivers = [tg.driver(tg.core.user(f"U{i}")) for i in range(40)]

    async def run(i: int, chat) -> None:
        await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
        await chat.click("Yes" if i % 2 else "No")

    await asyncio.gather(*(run(i, d) for i, d in enumerate(drivers)))
    for i, chat in enumerate(drivers):
        stored = await tg.store.load_dialog(_key(chat))
        assert stored is not None
        assert ("true" if i % 2 else "false") in stored.state


async def test_abandoned_check_expires(tmp_path: Path, kb: KnowledgeBase, checks: dict) -> None:
    clock = MovingClock(FIXED_NOW)
    harness, store = await make_harness(tmp_path, kb, clock, checks)
    try:
        chat = harness.driver()
        await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
        assert await store.load_dialog(_key(chat)) is not None
        clock.now += timedelta(hours=71)
        assert await harness.services.sessions.active(_key(chat)) is not None
        clock.now += timedelta(hours=73)
        assert await harness.services.sessions.expire() == 1
        assert await store.load_dialog(_key(chat)) is None
        await chat.send("/eligibility")
        assert "left off" not in chat.last_text
    finally:
        await harness.app.shutdown()
        await store.close()


async def test_the_redelivered_command_that_began_a_check_shows_its_first_question_again(
    tg: Harness,
) -> None:
    # A replica died after starting the check and before marking /eligibility done: another
    # one handles it again. The user sees the start once more, not "a check in progress".
    chat = tg.driver()
    command = tg.core.text_update(
        "/eligibility AMIF-2024-TF2-AG-THB", user=chat.user, chat=chat.chat
    )
    await tg.feed(command)
    first = [m.text for m in tg.core.sent(chat.chat.id)]
    await tg.feed(command)
    again = [m.text for m in tg.core.sent(chat.chat.id)][len(first) :]
    assert again == first
    assert all("in progress" not in text for text in again)
    await chat.click("Yes")
    assert "Step 2 of 8" in chat.last_text
    # A new /eligibility (another update) still resumes where the user is.
    await chat.send("/eligibility")
    assert "in progress" in "\n".join(m.text for m in tg.core.sent(chat.chat.id)[-2:])


async def test_a_redelivered_update_is_not_applied_twice(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
    await chat.click("Yes")
    await chat.click("Private body (for example an association or a foundation)")
    await chat.send("yes")
    update = tg.core.text_update("Finland", user=chat.user, chat=chat.chat)
    await tg.feed(update)
    assert "Step 5 of 8" in chat.last_text
    await tg.feed(update)  # Telegram redelivers it after a crash before confirmation
    assert "No partners entered yet" in chat.last_text
