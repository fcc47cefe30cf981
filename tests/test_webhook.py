"""Webhook mode end to end: `amif-bot run` as its own process, updates POSTed over loopback."""

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.webhook import WEBHOOK_READ_TIMEOUT_S
from tests.fake_telegram import FakeTelegram, FakeTelegramServer
from tests.support.processes import (
    bot_environment,
    free_loopback_port,
    start_bot_process,
    wait_for_listener,
)

# Starts processes or HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cret"
WRONG_SECRET = "n0t-the-s3cret"
# What Telegram is told to call: HTTPS on an allowed port, as behind a TLS-terminating proxy.
# Nothing ever connects to it; the test posts straight to the bot's local listener.
PUBLIC_URL = "https://amif-bot.example.org/tg"
QUESTION = "What is the funding rate of the 2024 call?"
NO_SECRET_QUESTION = "Who may apply to the autumn 2023 call in Finland?"
WRONG_SECRET_QUESTION = "What is the total budget of the 2024 trafficking call?"
START_TIMEOUT = 60.0
ANSWER_TIMEOUT = 30.0


async def wait_for_webhook(
    core: FakeTelegram, process: asyncio.subprocess.Process, timeout: float
) -> None:
    """Return once the bot registered its webhook, or at once when it exits first."""
    registered = asyncio.ensure_future(core.wait_until(lambda: bool(core.webhook.url), timeout))
    exited = asyncio.ensure_future(process.wait())
    try:
        await asyncio.wait({registered, exited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (registered, exited):
            task.cancel()
        await asyncio.gather(registered, exited, return_exceptions=True)


async def stop_bot(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the bot and wait for it (killing it if it hangs)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


def webhook_environment(
    core: FakeTelegram, server: FakeTelegramServer, port: int, data: Path, workers: str = "1"
) -> dict[str, str]:
    """The process environment of a bot in webhook mode against the fake Bot API."""
    return bot_environment(
        core,
        server,
        data,
        WEBHOOK_URL=PUBLIC_URL,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET=SECRET,
        # The most verbose level: even then no secret and no user text may reach the log.
        LOG_LEVEL="DEBUG",
        BOT_WORKERS=workers,
    )


# One process (PTB's own webhook server), and worker processes behind bot/workers.py's.
@pytest.mark.parametrize("workers", ["1", "2"])
async def test_webhook_takes_updates_only_with_the_secret(tmp_path: Path, workers: str) -> None:
    core = FakeTelegram()
    port = free_loopback_port()
    hook = f"http://127.0.0.1:{port}/tg"
    nameless, mallory, maja = core.user("Nameless"), core.user("Mallory"), core.user("Maja")
    no_secret_chat = core.private_chat(nameless)
    wrong_secret_chat = core.private_chat(mallory)
    user_chat = core.private_chat(maja)
    log_path = tmp_path / "bot.log"
    async with FakeTelegramServer(core) as server:
        env = webhook_environment(core, server, port, tmp_path / "data", workers)
        with log_path.open("wb") as log_file:
            process = await start_bot_process(env, stdout=log_file, stderr=log_file)
            try:
                await wait_for_webhook(core, process, START_TIMEOUT)
                assert process.returncode is None, log_path.read_text(errors="replace")[-2000:]
                assert core.webhook.url, "the bot never called setWebhook"
                assert core.webhook.url == PUBLIC_URL
                assert core.webhook.secret_token == SECRET
                assert len(core.calls_to("setWebhook")) == 1
                # PTB registers the webhook first and opens its listener right after.
                await wait_for_listener(port, START_TIMEOUT)

                async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                    no_secret = core.text_update(NO_SECRET_QUESTION, user=nameless)
                    refused = await client.post(hook, json=no_secret)
                    assert refused.status_code == 403

                    wrong = core.text_update(WRONG_SECRET_QUESTION, user=mallory)
                    refused = await client.post(
                        hook, json=wrong, headers={"X-Telegram-Bot-Api-Secret-Token": WRONG_SECRET}
                    )
                    assert refused.status_code == 403

                    update = core.text_update(QUESTION, user=maja)
                    accepted = await client.post(
                        hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                    )
                    assert accepted.status_code == 200

                answered = await core.wait_until(
                    lambda: bool(core.sent(user_chat)), ANSWER_TIMEOUT
                )
                assert answered, "no reply to the update that carried the secret"
                reply = core.sent(user_chat)[0].text
                assert "90%" in reply
                # The refused updates were never handled: nobody answered those chats.
                assert not await core.wait_until(
                    lambda: bool(core.sent(no_secret_chat) or core.sent(wrong_secret_chat)), 1.0
                )
                assert core.calls_to("getUpdates") == []  # a webhook bot never polls
            finally:
                await stop_bot(process)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == 0, log[-2000:]
    assert "starting webhook" in log  # the log was captured at all
    assert "Traceback" not in log and " ERROR " not in log  # a clean stop, nothing to alarm
    for private in (
        core.token,
        core.token.partition(":")[2],
        SECRET,
        WRONG_SECRET,
        QUESTION,
        NO_SECRET_QUESTION,
        WRONG_SECRET_QUESTION,
    ):
        assert private not in log


async def _raw(port: int, head: bytes, body: bytes = b"") -> tuple[asyncio.StreamReader, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + body)
    await writer.drain()
    return reader, writer


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_webhook_abuse_gets_400_timeouts_and_no_tracebacks(
    tmp_path: Path, workers: str
) -> None:
    core = FakeTelegram()
    port = free_loopback_port()
    hook = f"http://127.0.0.1:{port}/tg"
    secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    log_path = tmp_path / "bot.log"
    maja = core.user("Maja")
    chat = core.private_chat(maja)
    async with FakeTelegramServer(core) as server:
        env = webhook_environment(core, server, port, tmp_path / "data", workers)
        with log_path.open("wb") as log_file:
            process = await start_bot_process(env, stdout=log_file, stderr=log_file)
            try:
                await wait_for_webhook(core, process, START_TIMEOUT)
                await wait_for_listener(port, START_TIMEOUT)
                # Slow senders, without and with the secret: headers never finished, and a
                # body that stops after 10 of its 1,000 bytes.
                slow_head, slow_head_end = await _raw(port, b"POST /tg HTTP/1.1\r\nHost: x\r\n")
                slow_body, slow_body_end = await _raw(
                    port,
                    b"POST /tg HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n"
                    b"Content-Length: 1000\r\n\r\n",
                    b'{"update_i',
                )
                # Clients that hang up mid-body.
                for _ in range(20):
                    _, gone = await _raw(
                        port,
                        b"POST /tg HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n"
                        b"Content-Length: 100000\r\n\r\n",
                        b'{"update_id": 1, "message": ',
                    )
                    gone.close()
                    await gone.wait_closed()
                async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                    deep = b'{"update_id": 7, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
                    nested = b'{"update_id": 8, "x": ' + b"[" * 40 + b"]" * 40 + b"}"
                    statuses = [
                        (await client.post(hook, content=body, headers=secret)).status_code
                        for body in (deep, nested, b"\xff\xfe not json")
                    ]
                    update = core.text_update(QUESTION, user=maja)
                    accepted = await client.post(hook, json=update, headers=secret)
                assert statuses == [400, 400, 400]
                assert accepted.status_code == 200
                # Both slow connections are ended by the server (the body one with 408).
                limit = WEBHOOK_READ_TIMEOUT_S + 15
                assert await asyncio.wait_for(slow_head.read(), limit) == b""
                answer = await asyncio.wait_for(slow_body.read(), limit)
                assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
                for writer in (slow_head_end, slow_body_end):
                    writer.close()
                assert await core.wait_until(lambda: bool(core.sent(chat)), ANSWER_TIMEOUT)
            finally:
                await stop_bot(process)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == 0, log[-2000:]
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    # At most one debug line per client that hung up.
    assert log.count("disconnected mid-body") <= 20
    assert SECRET not in log
