"""The aiohttp request seam (bot/transport.py) over real HTTP on loopback.

PTB's own retry and error logic sits above the seam, so what matters here is the contract:
answers come back whole, timeouts become TimedOut, broken connections NetworkError, uploads go
as multipart, and the bot as a whole delivers its replies through it despite faults.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.assistant import Assistant
from bot.eligibility import EligibilitySessions
from bot.services import Services
from bot.storage import SQLiteStorage
from bot.telegram_app import build_application
from bot.transport import AiohttpRequest
from knowledge.base import KnowledgeBase
from tests.fake_telegram import ChatDriver, FakeTelegram, FakeTelegramServer, PollingFeed
from tests.support.processes import server_settings

# Starts processes or HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def _bot(core: FakeTelegram, server: FakeTelegramServer, **timeouts: float) -> Bot:
    return Bot(core.token, base_url=server.base_url, request=AiohttpRequest(**timeouts))


async def test_messages_keyboards_and_long_polls_go_through() -> None:
    core = FakeTelegram()
    chat = core.private_chat()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="e:1:yes")]])
    async with FakeTelegramServer(core) as server, _bot(core, server) as bot:
        me = await bot.get_me()
        sent = await bot.send_message(
            chat.id, "<b>Budget</b>: 5 000 000 € — åäö", parse_mode="HTML", reply_markup=keyboard
        )
        core.push_update(core.text_update("Hur mycket?", chat=chat))
        updates = await bot.get_updates(timeout=dtm.timedelta(seconds=2))

    assert me.username == core.bot_username
    message = core.sent(chat)[-1]
    assert message.text == "Budget: 5 000 000 € — åäö"
    assert [b.callback_data for b in message.buttons] == ["e:1:yes"]
    assert sent.message_id == message.message_id
    assert [u.message.text for u in updates if u.message] == ["Hur mycket?"]


async def test_telegram_errors_reach_ptb_with_their_meaning() -> None:
    core = FakeTelegram()
    chat = core.private_chat()
    core.fail_next("sendMessage", 429, retry_after=7)
    core.fail_next("sendMessage", 502)
    async with FakeTelegramServer(core) as server, _bot(core, server) as bot:
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(chat.id, "a")
        with pytest.raises(NetworkError):
            await bot.send_message(chat.id, "b")
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(chat.id, "<b>unclosed", parse_mode="HTML")
        await bot.send_message(chat.id, "c")
    assert limited.value.retry_after == dtm.timedelta(seconds=7)
    assert [m.text for m in core.sent(chat)] == ["c"]


async def test_hangs_time_out_and_dropped_connections_are_network_errors() -> None:
    core = FakeTelegram()
    chat = core.private_chat()
    core.hang_next("sendMessage")
    core.drop_next("sendMessage", after_success=True)
    async with FakeTelegramServer(core) as server, _bot(core, server, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(chat.id, "never arrives")
        with pytest.raises(NetworkError):
            await bot.send_message(chat.id, "arrives, answer lost")
        await bot.send_message(chat.id, "fine")
    assert [m.text for m in core.sent(chat)] == ["arrives, answer lost", "fine"]


async def test_a_full_pool_times_out_without_sending() -> None:
    core = FakeTelegram()
    chat = core.private_chat()
    core.hang_next("sendMessage", seconds=1.0)
    # aiohttp bounds the pool wait and the connecting together (pool + connect timeouts).
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1)
    async with (
        FakeTelegramServer(core) as server,
        Bot(core.token, base_url=server.base_url, request=request) as bot,
    ):
        slow = asyncio.create_task(bot.send_message(chat.id, "slow"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut, match="not sent"):
            await bot.send_message(chat.id, "no room")
        await slow
    assert [m.text for m in core.sent(chat)] == ["slow"]


async def test_an_unreachable_server_is_a_network_error() -> None:
    # Port 9 (discard) on loopback: nothing listens there in a test run.
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post("http://127.0.0.1:9/bot123:x/getMe")
    finally:
        await request.shutdown()


async def test_uploads_go_as_multipart_with_their_file_name() -> None:
    received: dict[str, object] = {}

    async def send_document(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["document"]
        assert isinstance(upload, web.FileField)
        received.update(
            chat_id=form["chat_id"],
            caption=form["caption"],
            filename=upload.filename,
            content=upload.file.read(),
        )
        result = {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "document": {"file_id": "f", "file_unique_id": "u", "file_name": upload.filename},
        }
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot123:token/sendDocument", send_document)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        bot = Bot("123:token", base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest())
        # The requests without bot.initialize(), whose getMe this one-method server lacks.
        await bot.request.initialize()  # type: ignore[attr-defined]
        try:
            document = InputFile(b"my data, as JSON", filename="my-data.json")
            await bot.send_document(chat_id=5, document=document, caption="Dina data")
        finally:
            await bot.request.shutdown()  # type: ignore[attr-defined]
    finally:
        await runner.cleanup()
    assert received == {
        "chat_id": "5",
        "caption": "Dina data",
        "filename": "my-data.json",
        "content": b"my data, as JSON",
    }


async def test_a_request_after_shutdown_is_refused_and_initialize_reopens() -> None:
    core = FakeTelegram()
    request = AiohttpRequest()
    async with FakeTelegramServer(core) as server:
        url = f"{server.base_url}{core.token}/getMe"
        await request.initialize()
        status, body = await request.do_request(url, "POST")
        await request.shutdown()
        with pytest.raises(RuntimeError, match="not initialized"):
            await request.do_request(url, "POST")
        await request.initialize()
        again, _ = await request.do_request(url, "POST")
        await request.shutdown()
    assert (status, again) == (200, 200)
    assert json.loads(body)["result"]["is_bot"] is True


async def test_the_bot_delivers_every_answer_once_through_faults_over_http(
    tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict
) -> None:
    """The production Application on its default transport, long-polling over loopback."""
    core = FakeTelegram()
    async with FakeTelegramServer(core) as server:
        settings = server_settings(core, server, tmp_path)
        store = SQLiteStorage(settings.database_path, clock=clock)
        await store.open()
        services = Services(
            settings, Assistant(kb, clock), store, EligibilitySessions(checks, store, clock)
        )
        app = build_application(services, retry_backoff=0.05)
        try:
            async with app:
                await app.start()
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
                chat = ChatDriver(core, PollingFeed(core, answer_timeout=20))
                core.fail_next("sendMessage", 429, retry_after=1)
                core.fail_next("sendMessage", 502)
                core.drop_next("sendMessage")
                core.drop_next("getUpdates")
                await chat.send("What is the maximum grant in the 2024 call?")
                await chat.send("/calls")
                await app.updater.stop()
                await app.stop()
        finally:
            await store.close()
    answers = core.sent(chat.chat)
    assert len(answers) == 2
    assert "500,000" in answers[0].text
    assert "AMIF-2024-TF2-AG-THB" in answers[1].text or "2024" in answers[1].text
