"""End to end: `amif-bot run` as its own process, long-polling a Bot API server on loopback."""

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fake_telegram import ChatDriver, FakeTelegram, FakeTelegramServer, PollingFeed

ROOT = Path(__file__).resolve().parents[1]


async def test_a_user_session_against_the_real_process(tmp_path: Path) -> None:
    core = FakeTelegram()
    async with FakeTelegramServer(core) as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": core.token,
            "TELEGRAM_API_BASE_URL": server.base_url,
            "TELEGRAM_API_BASE_FILE_URL": server.base_file_url,
            "AMIF_DATA_DIR": str(tmp_path),
            "LOG_LEVEL": "DEBUG",
        }
        env.pop("WEBHOOK_URL", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
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
            print("USER SEES:", chat.last_text[:120])
            assert "stängd" in chat.last_text and "16 februari 2021" in chat.last_text

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
