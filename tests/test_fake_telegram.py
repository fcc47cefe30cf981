"""Tests of the fake Telegram: a real PTB Bot/Application must meet Telegram's behaviour in it."""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import json
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fake_telegram import (
    ButtonNotFound,
    ChatDriver,
    FakeRequest,
    FakeTelegram,
    FakeTelegramServer,
    FloodControl,
    PollingFeed,
    parse_html,
    utf16_len,
)

LANGUAGE_BUTTONS = {"English": "en", "Svenska": "sv", "Suomi": "fi"}
GREETINGS = {"en": "Welcome!", "sv": "Välkommen!", "fi": "Tervetuloa!"}


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under filterwarnings=error) when RetryAfter is built without this.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def core() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def bot(core: FakeTelegram) -> AsyncIterator[Bot]:
    request = FakeRequest(core)
    async with Bot(core.token, request=request, get_updates_request=FakeRequest(core)) as bot:
        yield bot


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in labels_and_data]]
    )


# -- sending, editing, answering ---------------------------------------------------------------


async def test_bot_learns_its_identity_from_get_me(bot: Bot) -> None:
    assert bot.username == "amif_test_bot"
    assert (await bot.get_me()).is_bot


async def test_sent_html_message_is_recorded_as_sent_and_as_seen(
    core: FakeTelegram, bot: Bot
) -> None:
    chat = core.private_chat()
    sent = await bot.send_message(
        chat.id,
        "<b>Call</b> open &amp; funded 90 %",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(("Details", "call:1")),
        disable_web_page_preview=True,
    )

    assert sent.text == "Call open & funded 90 %"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 4)]
    [recorded] = core.bot_messages(chat)
    assert recorded.message_id == sent.message_id
    assert recorded.raw_text == "<b>Call</b> open &amp; funded 90 %"
    assert recorded.parse_mode == "HTML"
    assert recorded.button_texts == ["Details"]
    assert recorded.link_preview_disabled
    assert core.calls_to("sendMessage")[0].params["chat_id"] == chat.id


async def test_edit_replaces_text_and_drops_keyboard_unless_sent_again(
    core: FakeTelegram, bot: Bot
) -> None:
    chat = core.private_chat()
    sent = await bot.send_message(chat.id, "Choose", reply_markup=keyboard(("A", "a")))

    await bot.edit_message_text("Chosen: A", chat.id, sent.message_id)

    [message] = core.bot_messages(chat)
    assert (message.text, message.buttons, message.edit_count) == ("Chosen: A", [], 1)
    assert [m.text for m in core.sent(chat)] == ["Choose"]


async def test_edit_with_identical_content_is_not_modified(core: FakeTelegram, bot: Bot) -> None:
    chat = core.private_chat()
    sent = await bot.send_message(chat.id, "Same", reply_markup=keyboard(("A", "a")))

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Same", chat.id, sent.message_id, reply_markup=keyboard(("A", "a"))
        )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Other", chat.id, sent.message_id + 50)


async def test_answering_a_callback_query_twice_or_unknown_is_rejected(
    core: FakeTelegram, bot: Bot
) -> None:
    chat = core.private_chat()
    sent = await bot.send_message(chat.id, "Pick", reply_markup=keyboard(("Yes", "elig:1:yes")))
    update = core.callback_update(core.message(chat, sent.message_id), button="Yes")
    query_id = update["callback_query"]["id"]
    assert update["callback_query"]["data"] == "elig:1:yes"

    assert await bot.answer_callback_query(query_id, text="Noted")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")
    assert [(a.text, a.chat_id) for a in core.callback_answers] == [("Noted", chat.id)]


async def test_messages_to_unknown_chats_and_blocking_users_fail(
    core: FakeTelegram, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello")
    stranger = core.user("Stranger")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(stranger.id, "hello")
    chat = core.private_chat(stranger)
    core.my_chat_member_update(chat, "kicked")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(chat.id, "hello")


# -- Telegram's limits on text and buttons ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["a" * 4097, "😀" * 2049, "<b>" + "ö" * 4097 + "</b>"],
    ids=["4097-ascii", "2049-emoji-is-4098-utf16", "4097-inside-tags"],
)
async def test_text_over_4096_utf16_units_is_too_long(
    core: FakeTelegram, bot: Bot, text: str
) -> None:
    chat = core.private_chat()
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)


async def test_text_limit_counts_after_entity_parsing(core: FakeTelegram, bot: Bot) -> None:
    chat = core.private_chat()
    markup_heavy = "<b>" + "&amp;" * 4096 + "</b>"  # 4103+ raw characters, 4096 seen
    sent = await bot.send_message(chat.id, markup_heavy, parse_mode=ParseMode.HTML)
    assert sent.text is not None
    assert utf16_len(sent.text) == 4096


async def test_empty_and_blank_text_are_rejected(core: FakeTelegram, bot: Bot) -> None:
    chat = core.private_chat()
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(chat.id, "")
    with pytest.raises(BadRequest, match="Text must be non-empty"):
        await bot.send_message(chat.id, "<b> </b>\n", parse_mode=ParseMode.HTML)


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("AT&T", "Character '&' at byte offset 2 starts no HTML entity"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_bad_html_cannot_be_parsed(
    core: FakeTelegram, bot: Bot, text: str, description: str
) -> None:
    chat = core.private_chat()
    with pytest.raises(BadRequest) as error:
        await bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)
    assert error.value.message.startswith("Can't parse entities")
    assert description.lower() in error.value.message.lower()
    assert core.bot_messages(chat) == []


async def test_escaped_html_shows_the_original_characters(core: FakeTelegram, bot: Bot) -> None:
    chat = core.private_chat()
    original = "Rate < 90 % & \"co-financing\" > 10 % — it's 'ok' 😀"
    sent = await bot.send_message(chat.id, html.escape(original), parse_mode=ParseMode.HTML)
    assert sent.text == original


def test_supported_tags_become_telegram_entities() -> None:
    formatted = parse_html(
        '<i>a</i><a href="https://ec.europa.eu/x?a=1&amp;b=2">link</a>'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<tg-spoiler>s</tg-spoiler><blockquote expandable>q</blockquote>"
    )
    assert formatted.text == "alinkx = 1sq"
    assert [dict(e) for e in formatted.entities] == [
        {"offset": 0, "length": 1, "type": "italic"},
        {"offset": 1, "length": 4, "type": "text_link", "url": "https://ec.europa.eu/x?a=1&b=2"},
        {"offset": 5, "length": 5, "type": "pre", "language": "python"},
        {"offset": 10, "length": 1, "type": "spoiler"},
        {"offset": 11, "length": 1, "type": "expandable_blockquote"},
    ]


async def test_callback_data_is_limited_to_64_bytes_not_characters(
    core: FakeTelegram, bot: Bot
) -> None:
    chat = core.private_chat()
    await bot.send_message(chat.id, "ok", reply_markup=keyboard(("Fits", "å" * 32)))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(chat.id, "too long", reply_markup=keyboard(("Over", "å" * 33)))
    assert core.bot_messages(chat)[-1].text == "ok"


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "Plain"}, "Text buttons are unallowed"),
        ({"text": "Empty data", "callback_data": ""}, "Text buttons are unallowed"),
        ({"text": " ", "callback_data": "x"}, "BUTTON_TEXT_INVALID"),
        ({"text": "Both", "callback_data": "x", "url": "https://a.eu"}, "exactly one"),
        ({"text": "Link", "url": "ftp://a.eu"}, "Unsupported URL protocol"),
    ],
)
async def test_malformed_inline_buttons_are_rejected(
    core: FakeTelegram, button: dict[str, str], description: str
) -> None:
    chat = core.private_chat()
    params = {
        "chat_id": str(chat.id),
        "text": "x",
        "reply_markup": json.dumps({"inline_keyboard": [[button]]}),
    }
    reply = await core.handle(core.token, "sendMessage", params)
    assert reply.status == 400
    assert reply.payload is not None
    assert description in reply.payload["description"]


# -- faults ----------------------------------------------------------------------------------


async def test_flood_error_raises_retry_after_with_telegrams_delay(
    core: FakeTelegram, bot: Bot
) -> None:
    chat = core.private_chat()
    core.fail_next("sendMessage", retry_after=7)

    with pytest.raises(RetryAfter) as error:
        await bot.send_message(chat.id, "hi")
    assert error.value.retry_after == dtm.timedelta(seconds=7)
    assert core.calls_to("sendMessage")[-1].description == "Too Many Requests: retry after 7"
    await bot.send_message(chat.id, "hi")  # the fault was for one call only
    assert [m.text for m in core.sent(chat)] == ["hi"]


async def test_server_errors_repeat_as_often_as_asked(core: FakeTelegram, bot: Bot) -> None:
    chat = core.private_chat()
    core.fail_next("sendMessage", 500, times=2)
    core.fail_next("sendMessage", 502)
    for expected in ("Internal Server Error", "Internal Server Error", "Bad Gateway"):
        with pytest.raises(NetworkError, match=expected):
            await bot.send_message(chat.id, "hi")
    assert core.sent(chat) == []


async def test_failure_after_success_leaves_the_message_sent(core: FakeTelegram, bot: Bot) -> None:
    chat = core.private_chat()
    core.fail_next("sendMessage", 502, after_success=True)

    with pytest.raises(NetworkError):
        await bot.send_message(chat.id, "Answer 1")
    await bot.send_message(chat.id, "Answer 1")  # a naive retry: the user now sees it twice

    assert [m.text for m in core.sent(chat)] == ["Answer 1", "Answer 1"]
    assert [c.performed for c in core.calls_to("sendMessage")] == [True, True]


async def test_hung_call_times_out_and_dropped_call_is_a_network_error(
    core: FakeTelegram,
) -> None:
    chat = core.private_chat()
    core.hang_next("sendMessage", after_success=True)
    core.drop_next("sendMessage")
    quick = FakeRequest(core, read_timeout=0.2)
    async with Bot(core.token, request=quick) as impatient_bot:
        with pytest.raises(TimedOut):
            await impatient_bot.send_message(chat.id, "slow")
        with pytest.raises(NetworkError, match="Server disconnected"):
            await impatient_bot.send_message(chat.id, "lost")
    assert [m.text for m in core.sent(chat)] == ["slow"]


async def test_unknown_method_and_wrong_token_answer_like_telegram(
    core: FakeTelegram, bot: Bot
) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendHologram", api_kwargs={"chat_id": 1})
    reply = await core.handle(core.token, "sendHologram", {})
    assert (reply.status, reply.payload) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    with pytest.raises(InvalidToken):
        await Bot("1:wrong", request=FakeRequest(core)).initialize()


async def test_flood_control_limits_bursts_per_chat(core: FakeTelegram, bot: Bot) -> None:
    now = [1000.0]
    core.flood = FloodControl(per_chat_burst=3, clock=lambda: now[0])
    chat = core.private_chat()
    for number in range(3):
        await bot.send_message(chat.id, f"burst {number}")
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(chat.id, "one too many")
    assert error.value.retry_after == dtm.timedelta(seconds=1)
    now[0] += 1.0
    await bot.send_message(chat.id, "after waiting")
    assert len(core.sent(chat)) == 4


# -- commands, webhook, getUpdates ---------------------------------------------------------


async def test_commands_are_kept_per_language(core: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("help", "Help")])
    await bot.set_my_commands([("start", "Börja")], language_code="sv")

    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert core.commands(language_code="sv") == [{"command": "start", "description": "Börja"}]
    assert await bot.get_my_commands(language_code="fi") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Eligibility-Check", "x")])
    await bot.delete_my_commands(language_code="sv")
    assert core.commands(language_code="sv") is None


async def test_get_updates_conflicts_with_an_active_webhook(core: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)an https url must be provided"):
        await bot.set_webhook("http://example.org/hook")
    await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"

    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_long_poll_returns_an_update_pushed_while_it_waits(
    core: FakeTelegram, bot: Bot
) -> None:
    update = core.text_update("hello")

    async def push_later() -> None:
        await asyncio.sleep(0.2)
        core.push_update(update)

    started = time.monotonic()
    pusher = asyncio.create_task(push_later())
    [received] = await bot.get_updates(timeout=5)
    await pusher

    assert received.update_id == update["update_id"]
    assert received.message is not None
    assert received.message.text == "hello"
    assert time.monotonic() - started < 2


async def test_offset_confirms_earlier_updates(core: FakeTelegram, bot: Bot) -> None:
    first, second = core.text_update("one"), core.text_update("two")
    assert second["update_id"] > first["update_id"]
    core.push_update(first)
    core.push_update(second)

    assert len(await bot.get_updates(timeout=0)) == 2  # fetched, not yet confirmed
    again = await bot.get_updates(offset=first["update_id"] + 1, timeout=0)
    assert [u.update_id for u in again] == [second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1, timeout=0) == ()


async def test_a_second_poller_terminates_the_first(core: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert await bot.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_group_small_talk_never_reaches_a_bot_in_privacy_mode(core: FakeTelegram) -> None:
    group = core.group()
    member = core.user("Aino", language_code="fi")

    assert not core.push_update(core.text_update("nice weather", user=member, chat=group))
    assert core.push_update(core.text_update("/help", user=member, chat=group))
    assert core.push_update(core.text_update("@amif_test_bot apua", user=member, chat=group))
    assert not core.push_update(core.text_update("/help@other_bot", user=member, chat=group))


async def test_update_builders_produce_updates_ptb_understands(
    core: FakeTelegram, bot: Bot
) -> None:
    core.inline_mode = True
    chat = core.private_chat()
    sent = await bot.send_message(chat.id, "Pick", reply_markup=keyboard(("Yes", "y")))
    built = {
        "sticker": core.sticker_update(emoji="🙂"),
        "photo": core.photo_update(caption="scan"),
        "voice": core.voice_update(),
        "location": core.location_update(59.33, 18.07),
        "document": core.document_update("call.pdf", b"%PDF call"),
        "reply": core.text_update("and this?", reply_to=core.message(chat, sent.message_id)),
        "press": core.callback_update(core.message(chat, sent.message_id), data="y"),
        "inline": core.inline_query_update("funding rate"),
        "blocked": core.my_chat_member_update(chat, "kicked"),
    }
    updates = {name: Update.de_json(data, bot) for name, data in built.items()}

    assert updates["sticker"].message is not None
    assert updates["sticker"].message.sticker is not None
    assert updates["sticker"].message.sticker.emoji == "🙂"
    assert updates["photo"].message is not None
    assert updates["photo"].message.caption == "scan"
    assert updates["voice"].message is not None
    assert updates["voice"].message.voice is not None
    assert updates["location"].message is not None
    assert updates["location"].message.location is not None
    assert updates["location"].message.location.latitude == 59.33
    reply = updates["reply"].message
    assert reply is not None
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.from_user is not None
    assert reply.reply_to_message.from_user.username == "amif_test_bot"
    assert updates["press"].callback_query is not None
    assert updates["press"].callback_query.data == "y"
    assert updates["inline"].inline_query is not None
    assert updates["inline"].inline_query.query == "funding rate"
    assert updates["blocked"].my_chat_member is not None
    assert updates["blocked"].my_chat_member.new_chat_member.status == "kicked"
    ids = [data["update_id"] for data in built.values()]
    assert ids == sorted(ids)

    document = updates["document"].message
    assert document is not None
    assert document.document is not None
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF call"


# -- PTB Application driven by ChatDriver ----------------------------------------------------


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    buttons = [(label, f"lang:{code}") for label, code in LANGUAGE_BUTTONS.items()]
    await update.effective_message.reply_text("Choose a language", reply_markup=keyboard(*buttons))


async def language_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    await query.edit_message_text(GREETINGS[query.data.removeprefix("lang:")])


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    await message.reply_html(f"You said: <b>{html.escape(message.text)}</b>")


async def text_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("I can only read text.")


def add_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("start", choose_language))
    app.add_handler(CallbackQueryHandler(language_chosen, pattern=r"^lang:"))
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED, echo)
    )
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, echo))
    app.add_handler(MessageHandler(~filters.TEXT, text_only))


async def test_conversation_through_process_update(core: FakeTelegram) -> None:
    app = (
        ApplicationBuilder()
        .token(core.token)
        .request(FakeRequest(core))
        .get_updates_request(FakeRequest(core))
        .build()
    )
    add_handlers(app)
    async with app:
        chat = ChatDriver(core, lambda u: app.process_update(Update.de_json(u, app.bot)))

        await chat.send("/start")
        assert chat.last_text == "Choose a language"
        assert chat.last_buttons == ["English", "Svenska", "Suomi"]
        with pytest.raises(ButtonNotFound, match=r"'English', 'Svenska', 'Suomi'"):
            await chat.click("Deutsch")

        await chat.click("Svenska")
        assert chat.last_text == "Välkommen!"
        assert chat.last_buttons == []

        said = await chat.send("Får <kommuner> söka?")
        assert chat.last_text == "You said: Får <kommuner> söka?"
        await chat.edit(said, "Får regioner söka?")
        await chat.send_sticker()
        assert chat.texts == [
            "Välkommen!",
            "You said: Får <kommuner> söka?",
            "You said: Får regioner söka?",
            "I can only read text.",
        ]


async def test_click_can_press_a_button_on_an_older_message(core: FakeTelegram) -> None:
    app = ApplicationBuilder().token(core.token).request(FakeRequest(core)).updater(None).build()
    add_handlers(app)
    async with app:
        chat = ChatDriver(core, lambda u: app.process_update(Update.de_json(u, app.bot)))
        await chat.send("/start")
        await chat.send("/start")
        older = chat.messages[0]

        await chat.click("English", message=older)

        assert chat.texts == ["Welcome!", "Choose a language"]
        with pytest.raises(ButtonNotFound, match=r"its buttons: \[\]"):
            await chat.click("Svenska", message=older)  # its keyboard went with the edit


async def test_click_requires_the_bot_to_answer_the_press(core: FakeTelegram) -> None:
    app = ApplicationBuilder().token(core.token).request(FakeRequest(core)).updater(None).build()
    app.add_handler(CommandHandler("start", choose_language))

    async def forgets_to_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.edit_message_text("Done")

    app.add_handler(CallbackQueryHandler(forgets_to_answer))
    async with app:
        chat = ChatDriver(core, lambda u: app.process_update(Update.de_json(u, app.bot)))
        await chat.send("/start")
        with pytest.raises(AssertionError, match="did not answer the press"):
            await chat.click("Suomi")


# -- over real HTTP --------------------------------------------------------------------------


@pytest.mark.slow  # an HTTP server and a polling Application
async def test_polling_application_answers_through_the_http_server(core: FakeTelegram) -> None:
    async with FakeTelegramServer(core) as server:
        app = (
            ApplicationBuilder()
            .token(core.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        add_handlers(app)
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
            chat = ChatDriver(core, PollingFeed(core))

            await chat.send("/start")
            await chat.click("Suomi")
            await chat.send("Hej")

            await app.updater.stop()
            await app.stop()
    assert chat.texts == ["Tervetuloa!", "You said: Hej"]
    assert core.pending_updates == []  # the updater confirmed everything on the way out


async def test_http_server_speaks_the_bot_api_wire_format(core: FakeTelegram) -> None:
    chat = core.private_chat()
    file_id = core.add_file(b"call text", "documents/call.pdf")
    async with FakeTelegramServer(core) as server, httpx.AsyncClient() as client:
        api = f"{server.base_url}{core.token}"
        as_form = await client.post(f"{api}/sendMessage", data={"chat_id": chat.id, "text": "a"})
        as_json = await client.post(f"{api}/SENDMESSAGE", json={"chat_id": chat.id, "text": "b"})
        as_query = await client.get(f"{api}/sendMessage", params={"chat_id": chat.id, "text": "c"})
        wrong_token = await client.post(f"{server.base_url}1:nope/getMe")
        unknown = await client.post(f"{api}/sendHologram")
        file_info = (await client.get(f"{api}/getFile", params={"file_id": file_id})).json()
        download = await client.get(f"{server.base_file_url}{core.token}/documents/call.pdf")

    assert [r.json()["result"]["text"] for r in (as_form, as_json, as_query)] == ["a", "b", "c"]
    assert (wrong_token.status_code, wrong_token.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")
    assert file_info["result"]["file_path"] == "documents/call.pdf"
    assert download.content == b"call text"


async def test_http_server_can_hang_and_drop_connections(core: FakeTelegram) -> None:
    chat = core.private_chat()
    core.hang_next("sendMessage")
    core.drop_next("sendMessage", after_success=True)
    async with FakeTelegramServer(core) as server:
        request = HTTPXRequest(read_timeout=0.3)
        async with Bot(core.token, base_url=server.base_url, request=request) as http_bot:
            with pytest.raises(TimedOut):
                await http_bot.send_message(chat.id, "never arrives")
            with pytest.raises(NetworkError):
                await http_bot.send_message(chat.id, "arrives, answer lost")
            await http_bot.send_message(chat.id, "fine")
    assert [m.text for m in core.sent(chat)] == ["arrives, answer lost", "fine"]


BOT_SUBPROCESS = """
import os
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await update.effective_message.reply_text("echo: " + update.effective_message.text)

app = ApplicationBuilder().token(os.environ["BOT_TOKEN"]).base_url(os.environ["BOT_API"]).build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(poll_interval=0, timeout=1)
"""


@pytest.mark.slow  # starts a bot process
@pytest.mark.skipif(sys.platform == "win32", reason="stops the bot with SIGTERM")
async def test_bot_in_a_subprocess_polls_the_server(core: FakeTelegram) -> None:
    async with FakeTelegramServer(core) as server:
        env = {**os.environ, "BOT_TOKEN": core.token, "BOT_API": server.base_url}
        bot_process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            BOT_SUBPROCESS,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            chat = ChatDriver(core, PollingFeed(core, answer_timeout=20))
            await chat.send("hei")
            assert chat.last_text == "echo: hei"
        finally:
            bot_process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(bot_process.communicate(), 20)
    assert bot_process.returncode == 0, stderr.decode()


def test_server_in_a_thread_serves_synchronous_clients(core: FakeTelegram) -> None:
    chat = core.private_chat()
    update = core.text_update("pushed from the test's thread")
    with FakeTelegramServer(core).running_in_thread() as server:
        api = f"{server.base_url}{core.token}"
        pusher = threading.Timer(0.2, core.push_update, args=(update,))
        started = time.monotonic()
        pusher.start()
        polled = httpx.post(f"{api}/getUpdates", data={"timeout": "5"}, timeout=10).json()
        waited = time.monotonic() - started
        pusher.join()
        sent = httpx.post(f"{api}/sendMessage", json={"chat_id": chat.id, "text": "ok"})

    assert [u["update_id"] for u in polled["result"]] == [update["update_id"]]
    assert waited < 3
    assert sent.json()["result"]["text"] == "ok"


async def test_send_document_takes_an_upload_and_is_strict(bot: Bot, core: FakeTelegram) -> None:
    from telegram import InputFile

    chat = core.private_chat()
    sent = await bot.send_document(
        chat.id,
        InputFile(b'{"a": 1}', filename="data.json"),
        caption="<b>Your</b> data",
        parse_mode=ParseMode.HTML,
    )
    assert sent.document is not None and sent.document.file_name == "data.json"
    assert sent.caption == "Your data"
    [message] = core.bot_messages(chat)
    assert message.document is not None and message.document.content == b'{"a": 1}'
    assert message.document.mime_type == "application/json" and message.text == "Your data"
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(chat.id, InputFile(b"x", filename="x.txt"), caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)non-empty"):
        await bot.send_document(chat.id, InputFile(b"", filename="empty.txt"))
    with pytest.raises(BadRequest, match=r"(?i)wrong remote file identifier"):
        await bot.send_document(chat.id, "NOSUCHFILE")
    with pytest.raises(BadRequest, match=r"(?i)no text in the message"):
        await bot.edit_message_text("new", chat_id=chat.id, message_id=sent.message_id)
    again = await bot.send_document(chat.id, sent.document.file_id)  # resent by file_id
    assert again.document is not None and again.document.file_size == len(b'{"a": 1}')
