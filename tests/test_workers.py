"""BOT_WORKERS: one process takes the updates, worker processes handle them (bot/workers.py)."""

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import workers as workers_module
from bot.webhook import SECRET_HEADER
from bot.workers import MAX_LINE_BYTES, Router, encode_update, owner
from tests.fake_telegram import (
    ChatDriver,
    FakeTelegram,
    FakeTelegramServer,
    FakeUser,
    PollingFeed,
)
from tests.support.processes import (
    bot_environment,
    free_loopback_port,
    server_settings,
    start_bot_process,
    wait_for_listener,
)

# Starts processes or HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

ADMIN_ID = 4_242_000  # even: worker 0 of 2
ASKER_ID = 5_353_001  # odd: worker 1 of 2
ANSWER_TIMEOUT = 30.0
# A document ingested while the bot runs (test data, not a fact from the seeds).
CLINIC_DOCUMENT = """---
id: test-clinic
title: Test clinic notice
publisher: SEM
published: null
language: en
url: no public URL known
call: null
---

## en: clinic
SEM holds an online clinic for first-time AMIF applicants every Thursday morning.

## sv: clinic
SEM håller en nätmottagning för förstagångssökande till AMIF varje torsdag förmiddag.

## fi: clinic
SEM pitää AMIF-hakijoille verkkovastaanoton joka torstaiaamu.
"""
CLINIC_QUESTION = "When is the SEM online clinic held?"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name; None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """The process runs (a zombie waiting to be reaped does not)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def children(pid: int) -> set[int]:
    """The live child processes of pid (Linux /proc)."""
    found = set()
    for path in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(path.name))
        if fields is not None and fields[0] != "Z" and int(fields[1]) == pid:
            found.add(int(path.name))
    return found


async def wait_for(condition: object, timeout: float) -> bool:
    """Poll a no-argument callable until it is true or timeout seconds passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def stop(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    """Signal the bot and wait for it (killing it if it hangs)."""
    if process.returncode is None:
        process.send_signal(sig)
    try:
        await asyncio.wait_for(process.wait(), 40)
    except TimeoutError:
        process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def served_bot(
    core: FakeTelegram, tmp_path: Path, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`amif-bot run` against the fake over loopback, stopped with SIGTERM at the end.

    Its data is in tmp_path / "data" and its output in tmp_path / "bot.log" (see bot_log).
    """
    async with FakeTelegramServer(core) as server:
        environment = bot_environment(core, server, tmp_path / "data", **env)
        with (tmp_path / "bot.log").open("wb") as log_file:
            process = await start_bot_process(environment, stdout=log_file, stderr=log_file)
            try:
                yield process
            finally:
                await stop(process)


def bot_log(tmp_path: Path) -> str:
    """What the bot of served_bot wrote."""
    return (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")


# --- routing ---------------------------------------------------------------------------------


def test_every_kind_of_update_goes_to_the_worker_of_its_user() -> None:
    person = {"id": 1_000_003, "is_bot": False, "first_name": "Ana"}
    private = {"id": 1_000_003, "type": "private"}
    group = {"id": -1_000_777_000_002, "type": "supergroup", "title": "G"}
    message = {"message_id": 5, "date": 0, "chat": private, "from": person, "text": "hi"}
    by_user = [
        {"update_id": 1, "message": message},
        {"update_id": 2, "edited_message": {**message, "edit_date": 1}},
        {"update_id": 3, "callback_query": {"id": "q", "from": person, "message": message}},
        {"update_id": 4, "inline_query": {"id": "i", "from": person, "query": "", "offset": ""}},
        {"update_id": 5, "message": {**message, "chat": group}},  # the user, not the group
        {"update_id": 6, "poll_answer": {"poll_id": "p", "user": person, "option_ids": [0]}},
        {"update_id": 7, "my_chat_member": {"chat": private, "from": person, "date": 0}},
    ]
    for count in (2, 3, 4):
        assert {owner(update, count) for update in by_user} == {1_000_003 % count}
    # No user: the chat decides; nothing at all: worker 0.
    post = {"message_id": 1, "date": 0, "chat": group, "sender_chat": group, "text": "news"}
    assert owner({"update_id": 8, "channel_post": post}, 4) == group["id"] % 4
    assert owner({"update_id": 9, "poll": {"id": "p", "question": "?"}}, 4) == 0
    assert owner({"update_id": 10, "message": {"from": {"id": "forged"}}}, 4) == 0


def test_users_spread_over_the_workers_and_lines_stay_single() -> None:
    counts = [0, 0, 0]
    for user_id in range(50_000, 53_000):
        counts[owner({"update_id": 1, "message": {"from": {"id": user_id}}}, 3)] += 1
    assert counts == [1000, 1000, 1000]
    line = encode_update({"update_id": 1, "message": {"text": "two\nlines\u2028and more"}})
    assert line.endswith(b"\n") and line.count(b"\n") == 1


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
PARTY_KEYS = st.sampled_from(["from", "user", "chat", "message", "id", "text"])


@settings(max_examples=300, deadline=None)
@given(
    update=st.dictionaries(
        st.sampled_from(["update_id", "message", "callback_query", "poll", "x"]),
        st.dictionaries(PARTY_KEYS, JSON_VALUES, max_size=4) | JSON_VALUES,
        max_size=4,
    ),
    count=st.integers(min_value=1, max_value=16),
)
def test_any_json_shape_is_routed_to_a_worker_and_survives_the_wire(
    update: dict[str, object], count: int
) -> None:
    # Telegram sends what it sends: no shape may stop the main process.
    assert 0 <= owner(update, count) < count
    line = encode_update(update)
    assert line.count(b"\n") == 1
    assert json.loads(line)["u"] == update


# --- the main process on its own ---------------------------------------------------------------


async def test_a_stop_confirms_the_updates_already_handed_to_workers(tmp_path: Path) -> None:
    core = FakeTelegram()
    # More than the channel holds (a small socket buffer below), so the router is still handing
    # them over when it is stopped.
    texts = [f"{n} " + "x" * 4000 for n in range(100)]
    for text in texts:
        assert core.push_update(core.text_update(text))
    async with FakeTelegramServer(core) as server:
        settings = server_settings(core, server, tmp_path)
        ours, theirs = socket.socketpair()
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        router = Router(settings, [ours], pids=[])
        running = asyncio.ensure_future(router.run())
        assert await wait_for(lambda: router.routed == len(texts), 20)
        router.stop.set()
        # The worker starts reading only now.
        worker, worker_end = await asyncio.open_unix_connection(sock=theirs, limit=MAX_LINE_BYTES)
        lines = [await asyncio.wait_for(worker.readline(), 10) for _ in texts]
        assert await asyncio.wait_for(running, 30) == 0
        worker_end.close()
        await worker_end.wait_closed()
    assert [json.loads(line)["u"]["message"]["text"] for line in lines] == texts
    # Confirmed to Telegram: a restarted bot does not get (and answer) them again.
    assert core.pending_updates == []


async def test_polling_outlasts_get_updates_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers_module, "RETRY_FIRST_S", 0.05)
    monkeypatch.setattr(workers_module, "POLL_READ_MARGIN_S", 0.5)
    core = FakeTelegram()
    core.fail_next("getUpdates", 502, times=2)
    core.drop_next("getUpdates")
    core.fail_next("getUpdates", 429, retry_after=1)
    core.hang_next("getUpdates")  # never answered: the poll times out
    core.fail_next("getUpdates", 500)
    async with FakeTelegramServer(core) as server:
        settings = server_settings(core, server, tmp_path)
        ours, theirs = socket.socketpair()
        router = Router(settings, [ours], pids=[], poll_timeout=1)
        running = asyncio.ensure_future(router.run())
        worker, worker_end = await asyncio.open_unix_connection(sock=theirs, limit=MAX_LINE_BYTES)
        try:
            assert core.push_update(core.text_update("after the storm"))
            line = await asyncio.wait_for(worker.readline(), 30)
            assert json.loads(line)["u"]["message"]["text"] == "after the storm"
            statuses = [call.status for call in core.calls_to("getUpdates")]
            for failure in (502, 429, 500):
                assert failure in statuses
            assert not running.done()  # still polling
        finally:
            router.stop.set()
            assert await asyncio.wait_for(running, 30) == 0
            worker_end.close()
            await worker_end.wait_closed()


async def test_the_webhook_of_the_main_process_refuses_what_is_not_an_update(
    tmp_path: Path,
) -> None:
    core = FakeTelegram()
    port = free_loopback_port()
    hook = f"http://127.0.0.1:{port}/tg"
    secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    async with FakeTelegramServer(core) as server:
        settings = dataclasses.replace(
            server_settings(core, server, tmp_path),
            webhook_url="https://amif-bot.example.org/tg",
            webhook_listen="127.0.0.1",
            webhook_port=port,
            webhook_secret="s3cret",
        )
        ours, theirs = socket.socketpair()
        router = Router(settings, [ours], pids=[])
        running = asyncio.ensure_future(router.run())
        worker, worker_end = await asyncio.open_unix_connection(sock=theirs, limit=MAX_LINE_BYTES)
        try:
            await wait_for_listener(port, 20)
            assert core.webhook.url == "https://amif-bot.example.org/tg"
            assert core.webhook.secret_token == "s3cret"
            update = core.text_update("through the hook")
            async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                refused = [
                    await client.post(hook, json=update),
                    await client.post(hook, json=update, headers={**secret, SECRET_HEADER: "x"}),
                    await client.post(hook, content=b"{not json", headers=secret),
                    await client.post(hook, json=[update], headers=secret),
                    await client.post(hook, json={"message": {}}, headers=secret),
                    await client.post(
                        hook,
                        content=json.dumps(update),
                        headers={**secret, "Content-Type": "text/plain"},
                    ),
                    await client.post(
                        hook, json={"update_id": 1, "x": "y" * 2_000_000}, headers=secret
                    ),
                    await client.get(hook, headers=secret),
                    await client.post(f"{hook}/other", json=update, headers=secret),
                ]
                accepted = await client.post(hook, json=update, headers=secret)
            statuses = [response.status_code for response in refused]
            assert statuses == [403, 403, 400, 400, 400, 400, 413, 405, 404]
            assert accepted.status_code == 200
            # Committed to the inbox before the 200 (and left pending: no worker marks it).
            with contextlib.closing(sqlite3.connect(settings.database_path)) as db:
                query = "SELECT COUNT(*) FROM inbox WHERE body IS NOT NULL"
                assert db.execute(query).fetchone() == (1,)
            line = await asyncio.wait_for(worker.readline(), 10)
            assert json.loads(line)["u"]["message"]["text"] == "through the hook"
            assert router.routed == 1  # nothing refused reached a worker
            assert core.calls_to("getUpdates") == []
        finally:
            router.stop.set()
            assert await asyncio.wait_for(running, 30) == 0
            worker_end.close()
            await worker_end.wait_closed()


# --- the running bot ---------------------------------------------------------------------------


@linux_only
async def test_two_workers_answer_their_users_and_follow_a_reload(tmp_path: Path) -> None:
    core = FakeTelegram()
    admin, asker = core.user("Op", user_id=ADMIN_ID), core.user("Asker", user_id=ASKER_ID)
    data = tmp_path / "data"
    async with served_bot(
        core, tmp_path, BOT_WORKERS="2", ADMIN_IDS=str(ADMIN_ID), LOG_LEVEL="DEBUG"
    ) as process:
        chats = {
            user.id: ChatDriver(core, PollingFeed(core, answer_timeout=30), user=user)
            for user in (admin, asker)
        }
        for chat in chats.values():
            await chat.send("What is the funding rate of the 2024 call?")
            assert "90%" in chat.last_text
        assert len(children(process.pid)) == 2
        # A dialog's steps, in each worker: the second answer finds the first one.
        for chat in chats.values():
            await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
            await chat.click("Yes")
            assert "Step 2 of" in chat.last_text

        # An ingested document and /reload in worker 0; worker 1 follows.
        documents = data / "documents"
        documents.mkdir(parents=True, exist_ok=True)
        (documents / "test-clinic.md").write_text(CLINIC_DOCUMENT, encoding="utf-8")
        await chats[ADMIN_ID].send("/reload")
        assert chats[ADMIN_ID].last_text.startswith("Knowledge reloaded in ")
        asker_chat = chats[ASKER_ID]
        for _ in range(20):
            seen = len(asker_chat.texts)
            await asker_chat.send(CLINIC_QUESTION)
            replies = "\n".join(asker_chat.texts[seen:])
            if "every Thursday morning" in replies:
                break
            await asyncio.sleep(1.0)  # the flood bucket admits one a second
        assert "every Thursday morning" in replies
        # The worker-1 user's check is still where it was.
        await asker_chat.send("/back")
        assert "Step 1 of" in asker_chat.last_text
        workers = children(process.pid)
    log = bot_log(tmp_path)
    assert process.returncode == 0, log[-3000:]
    assert "starting long polling with 2 worker processes" in log
    assert not (workers & children(process.pid))
    assert "Traceback" not in log and " ERROR " not in log
    for private in (core.token, CLINIC_QUESTION, "What is the funding rate"):
        assert private not in log
    assert len(core.calls_to("setMyCommands")) == 4  # once per language, not per worker


@linux_only
async def test_a_dead_worker_stops_the_bot_for_its_supervisor(tmp_path: Path) -> None:
    core = FakeTelegram()
    async with served_bot(core, tmp_path, BOT_WORKERS="2") as process:
        chat = ChatDriver(core, PollingFeed(core, answer_timeout=30))
        await chat.send("/start")
        workers = children(process.pid)
        assert len(workers) == 2
        os.kill(min(workers), signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 40)
    log = bot_log(tmp_path)
    assert process.returncode == 1, log[-3000:]
    assert "ended unexpectedly; stopping the bot so it is restarted" in log
    assert not (workers & children(process.pid))


@linux_only
async def test_a_supervisor_signalling_every_process_gets_a_clean_stop(tmp_path: Path) -> None:
    # systemd's default stop: SIGTERM to every process of the service, here workers first.
    core = FakeTelegram()
    async with served_bot(core, tmp_path, BOT_WORKERS="2") as process:
        chat = ChatDriver(core, PollingFeed(core, answer_timeout=30))
        await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
        await chat.click("Yes")
        workers = children(process.pid)
        for pid in workers:
            os.kill(pid, signal.SIGTERM)
        await asyncio.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 40)
    log = bot_log(tmp_path)
    assert process.returncode == 0, log[-3000:]
    assert " ERROR " not in log and "Traceback" not in log
    assert not (workers & children(process.pid))
    with sqlite3.connect(tmp_path / "data" / "amif-bot.sqlite3") as db:  # the step was kept
        assert db.execute("SELECT COUNT(*) FROM dialogs").fetchone() == (1,)


@linux_only
async def test_workers_die_with_a_killed_main_process(tmp_path: Path) -> None:
    core = FakeTelegram()
    async with served_bot(core, tmp_path, BOT_WORKERS="3") as process:
        chat = ChatDriver(core, PollingFeed(core, answer_timeout=30))
        await chat.send("/start")
        workers = children(process.pid)
        assert len(workers) == 3
        process.send_signal(signal.SIGKILL)
        await process.wait()
        assert await wait_for(lambda: not any(map(alive, workers)), 10)


async def test_a_refused_token_stops_every_process_with_a_clear_line(tmp_path: Path) -> None:
    core = FakeTelegram()
    refused = "7000000009:AAThisTokenIsWellFormedButUnknown0123456"
    async with served_bot(core, tmp_path, BOT_WORKERS="2", TELEGRAM_BOT_TOKEN=refused) as process:
        await asyncio.wait_for(process.wait(), 60)
    log = bot_log(tmp_path)
    assert process.returncode == 1, log[-3000:]
    assert "Telegram refused the bot token (TELEGRAM_BOT_TOKEN); stopping" in log
    assert "Traceback" not in log
    assert refused not in log and refused.partition(":")[2] not in log


# One whole 2024 check by buttons ("click:") and typed answers; "click:" alone presses the first
# button on screen.
WHOLE_CHECK = [
    "/eligibility AMIF-2024-TF2-AG-THB",
    "click:Yes",
    "click:Private body (for example an association or a foundation)",
    "yes",
    "Finland",
    "Sweden, Estonia and Germany",
    "click:Done",
    "EUR 800,000",
    "24",
    "click:",
    "click:Done",
]


@linux_only
async def test_many_users_over_three_workers_finish_their_checks_on_one_file(
    tmp_path: Path,
) -> None:
    core = FakeTelegram()
    data = tmp_path / "data"
    users = [core.user(f"Busy{n}", user_id=7_000_000 + n) for n in range(12)]
    async with served_bot(core, tmp_path, BOT_WORKERS="3") as process:

        async def check(user: FakeUser) -> str:
            # The rate limiter (30 messages/s, split over the workers) may hold an
            # edit back after the button's answer: wait a second before the next step.
            feed = PollingFeed(core, answer_timeout=60, settle=1.0)
            chat = ChatDriver(core, feed, user=user)
            for step in WHOLE_CHECK:
                if step.startswith("click:"):
                    await chat.click(step[6:] or chat.last_buttons[0])
                else:
                    await chat.send(step)
            return "\n".join(chat.texts)

        seen = await asyncio.gather(*(check(user) for user in users))
    log = bot_log(tmp_path)
    assert process.returncode == 0, log[-3000:]
    # Every worker had users, all of whom got to the verdict; SQLite's locks never showed.
    assert {user.id % 3 for user in users} == {0, 1, 2}
    for texts in seen:
        assert "Result: eligible. Every criterion we can check is met." in texts
        assert "something went wrong" not in texts
    assert "database is locked" not in log and "Traceback" not in log
    with sqlite3.connect(data / "amif-bot.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM dialogs").fetchone() == (len(users),)


async def _traffic(core: FakeTelegram, users: list[FakeUser], process: object) -> int:
    """Questions from every user in turn, pushed until the bot process has ended; how many."""
    sent = 0
    while getattr(process, "returncode", None) is None:
        user = users[sent % len(users)]
        core.push_update(core.text_update("What is the funding rate?", user=user))
        sent += 1
        await asyncio.sleep(0.005)
    return sent


@linux_only
async def test_a_worker_killed_under_traffic_exits_with_status_1(tmp_path: Path) -> None:
    # The router keeps writing the dead worker's updates to its socket until it notices the
    # death: the broken pipe that follows must not turn into a clean exit (status 0), or a
    # supervisor that restarts on failure leaves the bot down.
    core = FakeTelegram()
    users = [core.user(f"Load{n}", user_id=8_100_000 + n) for n in range(20)]  # both workers
    async with served_bot(core, tmp_path, BOT_WORKERS="2") as process:
        chat = ChatDriver(core, PollingFeed(core, answer_timeout=30), user=users[0])
        await chat.send("/start")
        workers = children(process.pid)
        assert len(workers) == 2
        traffic = asyncio.ensure_future(_traffic(core, users, process))
        assert await core.wait_until(lambda: len(core.calls_to("sendMessage")) > 20, 30)
        os.kill(min(workers), signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 40)
        assert await asyncio.wait_for(traffic, 10) > 0
    log = bot_log(tmp_path)
    assert process.returncode == 1, log[-3000:]
    assert "Traceback" not in log
    assert not (workers & children(process.pid))
