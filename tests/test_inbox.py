"""The durable update inbox with the real process: a SIGKILL under traffic loses no message."""

import asyncio
import contextlib
import json
import signal
import socket
import sqlite3
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.inbox import open_inbox
from bot.webhook import SECRET_HEADER
from bot.workers import MAX_LINE_BYTES, Router
from tests.fake_telegram import FakeTelegram, FakeTelegramServer
from tests.support.postgres import run_database, server_url
from tests.support.processes import (
    bot_environment,
    free_loopback_port,
    server_settings,
    start_bot_process,
    wait_for_listener,
)

# Starts processes and HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

MESSAGES = 400
# SIGKILL once this many are answered: the rest (well over 100) are in flight.
KILL_AFTER = 60
QUESTION = "What is the funding rate?"


async def _start(
    core: FakeTelegram,
    server: FakeTelegramServer,
    data: Path,
    workers: str,
    log: Path,
    database_url: str | None,
) -> asyncio.subprocess.Process:
    env = bot_environment(core, server, data, BOT_WORKERS=workers)
    if database_url:
        env["DATABASE_URL"] = database_url
    with log.open("ab") as out:
        return await start_bot_process(env, stdout=out, stderr=out)


@pytest.mark.parametrize(("workers", "engine"), [("2", "sqlite"), ("1", "sqlite"), ("2", "pg")])
async def test_messages_in_flight_survive_a_sigkill_of_the_main_process(
    tmp_path: Path, workers: str, engine: str
) -> None:
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(run_database(server_url())) if engine == "pg" else None
        await _kill_under_traffic(tmp_path, workers, url)


async def _kill_under_traffic(tmp_path: Path, workers: str, url: str | None) -> None:
    core = FakeTelegram()
    # One message per user: the bot's flood limit per user never drops one.
    users = [core.user(f"Load{n}", user_id=9_200_000 + n) for n in range(MESSAGES)]
    data, log = tmp_path / "data", tmp_path / "bot.log"

    def answered() -> Counter[int]:
        return Counter(m.chat_id for m in core.sent() if m.chat_id >= 9_200_000)

    async with FakeTelegramServer(core) as server:
        process = await _start(core, server, data, workers, log, url)
        for user in users:
            assert core.push_update(core.text_update(QUESTION, user=user))
        assert await core.wait_until(lambda: len(answered()) >= KILL_AFTER, 60), log.read_text()
        process.send_signal(signal.SIGKILL)
        await process.wait()
        in_flight = MESSAGES - len(answered())
        assert in_flight >= 100, in_flight
        # What Telegram still holds is not all of it: the rest were confirmed before the kill.
        unconfirmed = len(core.pending_updates)
        # Once more while the restarted bot works through the inbox.
        process = await _start(core, server, data, workers, log, url)
        again = len(answered()) + 40
        assert await core.wait_until(lambda: len(answered()) >= again, 60), log.read_text()
        process.send_signal(signal.SIGKILL)
        await process.wait()
        process = await _start(core, server, data, workers, log, url)
        try:
            everyone = await core.wait_until(lambda: len(answered()) == MESSAGES, 120)
            lost = MESSAGES - len(answered())
            twice = sum(1 for count in answered().values() if count > 1)
            engine = "PostgreSQL" if url else "SQLite"
            print(
                f"BOT_WORKERS={workers} {engine}: {in_flight} of {MESSAGES} in flight at the "
                f"first SIGKILL ({unconfirmed} not yet confirmed to Telegram), a second SIGKILL "
                f"while draining; lost {lost}, answered twice {twice}"
            )
            assert everyone and lost == 0, (lost, log.read_text()[-3000:])
            assert max(answered().values()) <= 2
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 40)
    assert process.returncode == 0
    # Every update handled: nothing pending, and no row names a user or holds a text.
    query = "SELECT COUNT(*) FROM inbox WHERE body IS NOT NULL OR user_id IS NOT NULL"
    if url:
        with psycopg.connect(url) as conn:
            assert conn.execute(query).fetchone() == (0,)
        return
    with contextlib.closing(sqlite3.connect(data / "amif-bot.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute(query).fetchone() == (0,)


async def test_the_main_process_drains_the_inbox_first_and_routes_a_redelivery_once(
    tmp_path: Path,
) -> None:
    core = FakeTelegram()
    user = core.user("Early", user_id=9_300_001)
    left = [core.text_update(f"left {n}", user=user) for n in range(3)]
    async with FakeTelegramServer(core) as server:
        settings = server_settings(core, server, tmp_path)
        inbox = open_inbox(settings)
        await inbox.open()
        await inbox.add([left[2], left[0], left[1]])  # a previous run's, not handled
        await inbox.close()
        # Telegram still holds the last one (its offset was never advanced) and a new one.
        assert core.push_update(left[2])
        assert core.push_update(core.text_update("new", user=user))
        ours, theirs = socket.socketpair()
        router = Router(settings, [ours], pids=[])
        running = asyncio.ensure_future(router.run())
        worker, worker_end = await asyncio.open_unix_connection(sock=theirs, limit=MAX_LINE_BYTES)
        try:
            lines = [await asyncio.wait_for(worker.readline(), 20) for _ in range(4)]
            texts = [json.loads(line)["u"]["message"]["text"] for line in lines]
            assert texts == ["left 0", "left 1", "left 2", "new"]
            assert await core.wait_until(lambda: core.pending_updates == [], 20)
            with pytest.raises(TimeoutError):  # "left 2" is not routed a second time
                await asyncio.wait_for(worker.readline(), 1.5)
        finally:
            router.stop.set()
            assert await asyncio.wait_for(running, 30) == 0
            worker_end.close()
            await worker_end.wait_closed()
        # No worker marked them done: all four stay pending for the next start.
        inbox = open_inbox(settings)
        await inbox.open(migrate=False)
        assert len(await inbox.pending()) == 4
        await inbox.close()


async def test_updates_answered_200_by_the_webhook_survive_a_sigkill(tmp_path: Path) -> None:
    core = FakeTelegram()
    count = 150
    users = [core.user(f"Hook{n}", user_id=9_400_000 + n) for n in range(count)]
    port = free_loopback_port()
    hook = f"http://127.0.0.1:{port}/tg"
    data, log = tmp_path / "data", tmp_path / "bot.log"

    def answered() -> Counter[int]:
        return Counter(m.chat_id for m in core.sent() if m.chat_id >= 9_400_000)

    async def start() -> asyncio.subprocess.Process:
        env = bot_environment(
            core,
            server,
            data,
            WEBHOOK_URL="https://amif-bot.example.org/tg",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET="s3cret",
            BOT_WORKERS="2",
        )
        with log.open("ab") as out:
            process = await start_bot_process(env, stdout=out, stderr=out)
        await wait_for_listener(port, 60)
        return process

    async with FakeTelegramServer(core) as server:
        process = await start()
        # Telegram's API fails every send while the updates arrive, so that none can be
        # answered before the SIGKILL however fast or loaded the machine is: every update is
        # then confirmed (200) and still in flight when the process dies.
        core.outage(600)
        headers = {SECRET_HEADER: "s3cret"}
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            posts = [
                client.post(hook, json=core.text_update(QUESTION, user=user), headers=headers)
                for user in users
            ]
            statuses = [response.status_code for response in await asyncio.gather(*posts)]
        assert statuses == [200] * count
        # Every one confirmed to Telegram, most not answered yet: SIGKILL now.
        process.send_signal(signal.SIGKILL)
        await process.wait()
        in_flight = count - len(answered())
        assert in_flight == count, in_flight
        core.outage(0)  # over: the next call goes through
        process = await start()
        try:
            everyone = await core.wait_until(lambda: len(answered()) == count, 120)
            twice = sum(1 for n in answered().values() if n > 1)
            print(
                f"webhook: {in_flight} of {count} answered 200 and in flight at the SIGKILL; "
                f"lost {count - len(answered())}, answered twice {twice}"
            )
            assert everyone, log.read_text()[-3000:]
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 40)
    assert process.returncode == 0
