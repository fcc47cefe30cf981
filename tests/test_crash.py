"""The bot process is killed (SIGKILL) at random points of eligibility checks, again and again."""

import asyncio
import random
import re
import signal
import sqlite3
from pathlib import Path

import pytest

from tests.fake_telegram import ChatDriver, FakeTelegram, FakeTelegramServer, PollingFeed
from tests.support.processes import bot_environment, start_bot_process

# Starts processes or HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
STEP = re.compile(r"Step (\d) of \d")
# One path through the 2024 check: buttons ("click:") and typed answers.
ANSWERS = [
    "click:Yes",
    "click:Private body (for example an association or a foundation)",
    "yes",
    "Finland",
    "Sweden, Estonia",
    "click:Done",
    "800 000",
    "24",
]


async def _start(
    core: FakeTelegram, server: FakeTelegramServer, data: Path
) -> asyncio.subprocess.Process:
    # Worker processes, as `amif-bot run` uses on a machine with more than one CPU.
    return await start_bot_process(bot_environment(core, server, data, BOT_WORKERS="2"))


async def _kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    await process.wait()


def _step(text: str) -> int | None:
    found = STEP.search(text)
    return int(found.group(1)) if found else None


async def test_checks_resume_after_repeated_sigkill(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    core = FakeTelegram()
    users = [core.user(f"Crash{i}") for i in range(3)]
    progress = {u.id: 0 for u in users}  # answers acknowledged by the bot so far
    shown = {u.id: 1 for u in users}  # the step the user last saw
    kills = 0
    async with FakeTelegramServer(core) as server:
        process = await _start(core, server, tmp_path)
        drivers = {
            u.id: ChatDriver(core, PollingFeed(core, answer_timeout=30), user=u) for u in users
        }
        for chat in drivers.values():
            await chat.send("/eligibility AMIF-2024-TF2-AG-THB")
        for _ in range(6):
            # A few acknowledged answers, then one in flight, then SIGKILL.
            for _ in range(rng.randint(1, 3)):
                user = rng.choice(users)
                chat = drivers[user.id]
                if progress[user.id] >= len(ANSWERS):
                    continue
                answer = ANSWERS[progress[user.id]]
                if answer.startswith("click:"):
                    await chat.click(answer[6:])
                else:
                    await chat.send(answer)
                progress[user.id] += 1
                shown[user.id] = _step(chat.last_text) or shown[user.id]
            victim = rng.choice(users)
            if progress[victim.id] < len(ANSWERS) and not ANSWERS[progress[victim.id]].startswith(
                "click:"
            ):
                core.push_update(
                    core.text_update(
                        ANSWERS[progress[victim.id]], user=victim, chat=drivers[victim.id].chat
                    )
                )
                await asyncio.sleep(rng.uniform(0.0, 0.05))
            await _kill(process)
            kills += 1
            process = await _start(core, server, tmp_path)
            for user in users:
                chat = drivers[user.id]
                await chat.send("/eligibility")
                resumed = _step(chat.last_text)
                assert "left off" in chat.texts[-2] or resumed is None
                # Nothing acknowledged is lost: the check stands where the user last saw it,
                # or one step further when the in-flight answer was committed before the kill.
                if resumed is not None:
                    assert resumed in (shown[user.id], shown[user.id] + 1), (user.id, resumed)
                    if resumed == shown[user.id] + 1:
                        progress[user.id] += 1
                    shown[user.id] = resumed
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    db = sqlite3.connect(tmp_path / "amif-bot.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM dialogs").fetchone()[0] == len(users)
    finally:
        db.close()
    print(f"SIGKILLs: {kills}, answers acknowledged: {sum(progress.values())}, steps lost: 0")
