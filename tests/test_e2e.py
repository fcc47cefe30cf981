"""End to end: `amif-bot run` as its own process, long-polling a Bot API server on loopback."""

import asyncio
import signal
from pathlib import Path

import pytest

from tests.fake_telegram import ChatDriver, FakeTelegram, FakeTelegramServer, PollingFeed
from tests.support.processes import bot_environment, start_bot_process

# Starts processes or HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


# One process, and a main process with worker processes (bot/workers.py).
@pytest.mark.parametrize("workers", ["1", "2"])
async def test_a_user_session_against_the_real_process(tmp_path: Path, workers: str) -> None:
    core = FakeTelegram()
    async with FakeTelegramServer(core) as server:
        env = bot_environment(core, server, tmp_path, LOG_LEVEL="DEBUG", BOT_WORKERS=workers)
        process = await start_bot_process(
            env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        try:
            user = core.user("Maja", language_code="en")
            chat = ChatDriver(core, PollingFeed(core, answer_timeout=30), user=user)
            await chat.send("/start")
            print("USER SEES:", chat.last_text[:80], chat.last_buttons)
            assert "AMIF assistant" in chat.last_text
            assert "Calls" in chat.last_buttons

            await chat.send("Hur stort bidrag kan man få i utlysningen 2024?")
            print("USER SEES:", chat.last_text[:120])
            assert "500 000 €" in chat.last_text.replace("\u00a0", " ")

            await chat.send("/language")
            await chat.click("Svenska")
            print("USER SEES:", chat.last_text)
            assert "svenska" in chat.last_text

            await chat.send("/calls")
            print("USER SEES:", chat.texts[-2:])
            # The list, then (the first deadline a Swedish speaker sees) which zone to use.
            assert any("stängd" in t and "16 februari 2021" in t for t in chat.texts[-2:])

            await chat.send_sticker()
            print("USER SEES:", chat.last_text)
            assert "text" in chat.last_text

            await chat.send("/forget")
            await chat.click(chat.last_buttons[0])
            print("USER SEES:", chat.last_text)
            assert "raderat" in chat.last_text
            assert {c.params.get("language_code") for c in core.calls_to("setMyCommands")} >= {
                "sv",
                "fi",
                "en",
            }
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                _, stderr = await asyncio.wait_for(process.communicate(), 30)
            except TimeoutError:
                process.kill()
                _, stderr = await process.communicate()
        log = stderr.decode(errors="replace")
        assert core.token not in log
        assert "Hur stort bidrag" not in log
        assert process.returncode in (0, -signal.SIGTERM), log[-2000:]
