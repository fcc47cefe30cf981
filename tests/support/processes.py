"""Bots as their own processes and over loopback HTTP: the `amif-bot` command line, a bot
process's environment, free ports and listeners."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from asyncio.subprocess import DEVNULL
from pathlib import Path
from typing import IO, Any

from bot.config import Settings
from tests.support.telegram import FakeTelegram, FakeTelegramServer

# The repository: `python -m bot` runs from here.
ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    args: list[str], data_dir: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess:
    """Run `python -m bot <args>` over data_dir, without a Telegram token; wait for it."""
    env = {**os.environ, "AMIF_DATA_DIR": str(data_dir)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def server_settings(core: FakeTelegram, server: FakeTelegramServer, data: Path) -> Settings:
    """Settings of a bot in this process that talks to the fake Bot API over loopback."""
    return Settings(
        data_dir=data,
        token=core.token,
        api_base_url=server.base_url,
        api_base_file_url=server.base_file_url,
    )


def bot_environment(
    core: FakeTelegram, server: FakeTelegramServer, data: Path, **extra: str
) -> dict[str, str]:
    """Environment of an `amif-bot run` process talking to the fake Bot API over loopback."""
    env = {
        k: v
        for k, v in os.environ.items()
        # DATABASE_URL too: a test's bot uses PostgreSQL only when the test says so.
        if not k.startswith(("TELEGRAM_", "WEBHOOK_")) and k not in ("ADMIN_IDS", "DATABASE_URL")
    }
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": core.token,
            "TELEGRAM_API_BASE_URL": server.base_url,
            "TELEGRAM_API_BASE_FILE_URL": server.base_file_url,
            "AMIF_DATA_DIR": str(data),
            **extra,
        }
    )
    return env


async def start_bot_process(
    env: dict[str, str],
    stdout: int | IO[Any] | None = DEVNULL,
    stderr: int | IO[Any] | None = DEVNULL,
) -> asyncio.subprocess.Process:
    """Start `python -m bot run` as its own process."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdin=DEVNULL,
        stdout=stdout,
        stderr=stderr,
    )


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for_listener(port: int, timeout: float) -> None:
    """Return once 127.0.0.1:port accepts connections; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listens on 127.0.0.1:{port}") from None
            await asyncio.sleep(0.1)
        else:
            writer.close()
            await writer.wait_closed()
            return
