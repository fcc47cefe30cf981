"""The Telegram bot as users meet it: PTB's real Application against a strict fake Bot API."""

import asyncio
import logging

import pytest

from bot.assistant import Reply
from bot.telegram_app import FLOOD_BURST, set_command_menus
from handlers.render import MAX_MESSAGE, reply_to_html, utf16_len
from tests.fake_telegram import ChatDriver
from tests.support.bots import Harness


async def test_start_welcomes_in_the_users_language_with_menu_buttons(tg: Harness) -> None:
    sv_user = tg.core.user("Anna", language_code="sv")
    chat = tg.driver(sv_user)
    await chat.send("/start")
    assert "Hej Anna" in chat.last_text
    assert chat.last_buttons == ["Ställ en fråga", "Utlysningar", "Behörighetskontroll", "Språk"]


async def test_deep_link_chooses_the_language(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/start fi")
    assert "Hei" in chat.last_text
    await chat.send("What is the funding rate of the 2024 call?")
    assert "90 %" in chat.last_text.replace("\u00a0", " ")
    assert "Lähde" in chat.last_text


async def test_swedish_question_gets_cited_swedish_answer_without_link_preview(
    tg: Harness,
) -> None:
    chat = tg.driver()
    await chat.send("Kan en dansk organisation söka i utlysningen 2024?")
    message = chat.last_message
    assert "Danmark" in message.text and "Källa" in message.text
    assert message.link_preview_disabled
    assert tg.core.calls_to("sendMessage")[-1].params["parse_mode"] == "HTML"


async def test_language_button_is_stored_and_wins_over_detection(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/language")
    assert chat.last_buttons == ["English", "Svenska", "Suomi"]
    await chat.click("Suomi")
    assert "suomeksi" in chat.last_text
    assert await tg.store.get_language(chat.user.id) == "fi"
    await chat.send("What is the grant range of the 2024 call?")
    assert "500 000 €" in chat.last_text.replace("\u00a0", " ")
    assert "Lähde" in chat.last_text


async def test_calls_lists_status_and_deadline_and_call_shows_one(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Sven", language_code="sv"))
    await chat.send("/calls")
    listing = chat.messages[-2]
    assert "16 februari 2021" in listing.text and "stängd" in listing.text
    assert chat.last_buttons == ["Helsingforstid", "Stockholmstid"]  # the first deadline seen
    await chat.click(listing.button_texts[0], message=listing)
    assert "AMIF-2024-TF2-AG-THB" in tg.core.message(chat.chat, listing.message_id).text
    await chat.send("/call AMIF-2024-TF2-AG-THB")
    assert "6 000 000 €" in chat.last_text.replace("\u00a0", " ")
    await chat.send("/call NOPE-1")
    assert "NOPE-1" in chat.last_text


async def test_stickers_photos_and_voice_get_a_hint(tg: Harness) -> None:
    chat = tg.driver()
    for send in (chat.send_sticker, chat.send_photo, chat.send_voice, chat.send_location):
        before = len(chat.texts)
        await send()
        assert len(chat.texts) == before + 1
        assert "only read text" in chat.last_text


async def test_edited_message_is_answered_again(tg: Harness) -> None:
    chat = tg.driver()
    sent = await chat.send("What is the weather?")
    assert "don't know" in chat.last_text
    await chat.edit(sent, "What is the funding rate of the 2024 call?")
    assert "90%" in chat.last_text


async def test_unknown_command_gets_help(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/frobnicate")
    assert "/frobnicate" in chat.last_text and "/calls" in chat.last_text


async def test_privacy_mydata_and_forget(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/privacy")
    assert "do not store" in chat.last_text and "/forget" in chat.last_text
    await chat.send("/language")
    await chat.click("Svenska")
    await chat.send("/mydata")
    assert "Språk: Svenska" in chat.last_text
    await chat.send("/forget")
    await chat.click("Radera mina uppgifter")
    assert "raderat" in chat.last_text
    assert await tg.store.get_language(chat.user.id) is None
    assert not any(await _user_rows(tg, chat.user.id))


async def _user_rows(tg: Harness, user_id: int) -> list[object]:
    exported = await tg.store.export_user(user_id)
    return [v for k, v in exported.items() if k != "user_id" and v]


async def test_forged_and_stale_buttons_are_answered_and_change_nothing(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/language")
    await chat.click("Svenska")
    await chat.send("/language")
    menu = chat.last_keyboard_message
    for forged in ("lang:xx", "zzz:1", "elig:nope:x:y", "echk:nope"):
        update = tg.core.callback_update(
            tg.core.message(chat.chat, menu.message_id), button="Suomi"
        )
        update["callback_query"]["data"] = forged
        await tg.feed(update)
        assert tg.core.is_answered(update["callback_query"]["id"]), forged
    assert await tg.store.get_language(chat.user.id) == "sv"
    assert "inte längre aktiv" in tg.core.callback_answers[-1].text


async def test_group_chat_only_answers_mentions_replies_and_commands(tg: Harness) -> None:
    group = tg.core.group()
    member = tg.driver(tg.core.user("Member"), chat=group)
    before = len(tg.core.sent(group))
    await member.send("what is the funding rate of the 2024 call?")
    assert len(tg.core.sent(group)) == before  # not addressed to the bot
    await member.send("@amif_test_bot what is the funding rate of the 2024 call?")
    assert "90%" in member.last_text
    await member.send("and the duration?", reply_to=member.last_message)
    assert "24" in member.last_text
    await member.send("/eligibility")
    assert member.last_message.keyboard[0][0].url.startswith("https://t.me/amif_test_bot?start=")


async def test_long_replies_are_split_at_paragraphs_and_accepted(tg: Harness) -> None:
    body = tuple(f"Paragraph {i} <b>&</b> " + "word " * 300 for i in range(12))
    reply = Reply("en", True, body)
    messages = reply_to_html(reply)
    assert len(messages) > 1 and all(utf16_len(m) <= MAX_MESSAGE for m in messages)
    chat = tg.core.private_chat()
    for text in messages:
        await tg.app.bot.send_message(chat.id, text)
    assert "<b>&</b>" in tg.core.sent(chat)[-1].text or "&" in "".join(
        m.text for m in tg.core.sent(chat)
    )


async def test_a_429_is_waited_out_and_the_reply_delivered_once(tg: Harness) -> None:
    chat = tg.driver()
    tg.core.fail_next("sendMessage", status=429, retry_after=1)
    await chat.send("What is the funding rate of the 2024 call?")
    answers = [m for m in tg.core.sent(chat.chat) if "90%" in m.text]
    assert len(answers) == 1


async def test_handler_failure_gets_a_polite_reply_and_no_text_in_the_log(
    tg: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> Reply:
        raise RuntimeError("boom")

    monkeypatch.setattr(tg.services.assistant, "answer", broken)
    chat = tg.driver(tg.core.user("Eva", language_code="sv"))
    with caplog.at_level(logging.INFO):
        await chat.send("hemlig fråga om min situation")
    assert "något gick fel" in chat.last_text.lower()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged
    assert "hemlig" not in logged and tg.core.token not in logged


async def test_a_flooding_user_cannot_starve_another(tg: Harness) -> None:
    flooder = tg.driver(tg.core.user("Flood"))
    calm = tg.driver(tg.core.user("Calm"))
    burst = [
        tg.feed(tg.core.text_update(f"hej {i}", user=flooder.user, chat=flooder.chat))
        for i in range(40)
    ]
    await asyncio.gather(*burst, calm.send("What is the funding rate of the 2024 call?"))
    assert "90%" in calm.last_text
    flooder_msgs = tg.core.sent(flooder.chat)
    assert len(flooder_msgs) <= FLOOD_BURST + 2
    assert any("very fast" in m.text for m in flooder_msgs)


async def test_command_menus_are_set_per_language(tg: Harness) -> None:
    await set_command_menus(tg.app)
    assert {"sv", "fi", "en"} <= {
        c.params.get("language_code") for c in tg.core.calls_to("setMyCommands")
    }


async def _press_while_telegram_is_slow_to_take_the_answer(
    tg: Harness, chat: ChatDriver, label: str
) -> list[str]:
    """Press a button while answerCallbackQuery takes 0.5 s; the Bot API calls it caused."""
    tg.core.hang_next("answerCallbackQuery", seconds=0.5)
    before = len(tg.core.calls)
    await chat.click(label)
    return [call.method for call in tg.core.calls[before:]]


async def test_buttons_answer_the_press_and_show_the_result_at_once(tg: Harness) -> None:
    # The edit goes out without waiting for the answer to the press: one round trip before the
    # user sees the result, not two.
    at_once = ["editMessageText", "answerCallbackQuery"]
    chat = tg.driver()
    await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
    assert await _press_while_telegram_is_slow_to_take_the_answer(tg, chat, "Yes") == at_once
    assert "Step 2 of 8" in chat.last_text
    await chat.send("/language")
    assert await _press_while_telegram_is_slow_to_take_the_answer(tg, chat, "Svenska") == at_once
    assert "svenska" in chat.last_text
    await chat.send("/forget")
    yes = chat.last_buttons[0]
    assert await _press_while_telegram_is_slow_to_take_the_answer(tg, chat, yes) == at_once
    assert "raderat" in chat.last_text


async def test_a_follow_up_continues_the_call_of_the_question_before(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Ville", language_code="fi"))
    await chat.send("Paljonko rahaa Suomen syksyn 2023 AMIF-haussa on jaossa?")
    assert "lokakuuta" not in chat.last_text
    await chat.send("entä määräaika?")
    assert "31. lokakuuta 2023" in chat.last_text
    assert "helmikuuta 2021" not in chat.last_text  # not the 2020 call's deadline too
