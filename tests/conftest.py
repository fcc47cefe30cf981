"""Shared fixtures: one knowledge base per test session, a fixed clock."""

import asyncio
import logging
import os
import socket
import sys
import time
from asyncio.subprocess import DEVNULL
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# PTB 22 emits a deprecation warning when it builds RetryAfter unless this is set, and the
# suite turns warnings into errors.
os.environ.setdefault("PTB_TIMEDELTA", "true")

import pytest
from telegram import Update

from bot.assistant import Assistant
from bot.config import Settings
from bot.context import BotApp
from bot.eligibility import EligibilitySessions, load_checks
from bot.services import Services
from bot.storage import SQLiteStorage
from bot.telegram_app import build_application, quiet_library_loggers
from knowledge.base import KnowledgeBase
from tests.fake_telegram import (
    ChatDriver,
    FakeChat,
    FakeRequest,
    FakeTelegram,
    FakeTelegramServer,
    FakeUser,
)

FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The shipped knowledge base, loaded once."""
    return KnowledgeBase.load(None)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """A clock fixed at 2026-11-24 12:00 UTC."""
    return lambda: FIXED_NOW


@pytest.fixture
def assistant(kb: KnowledgeBase, clock: Callable[[], datetime]) -> Assistant:
    """The assistant over the shipped knowledge, at a fixed time."""
    return Assistant(kb, clock)


@pytest.fixture
def seeds_dir() -> Path:
    """The shared seed documents; the test is skipped where they are absent."""
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(f"seed documents not found at {SEEDS}")
    return SEEDS


# Every user message the tests send; the whole run's log must contain none of them.
USER_TEXTS: set[str] = set()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(record.getMessage())
        except Exception:
            self.lines.append(str(record.msg))


@pytest.fixture(scope="session", autouse=True)
def log_guard() -> Iterator[None]:
    """Capture the log of the whole run; neither the token nor users' texts may be in it."""
    collector = _Collect()
    quiet_library_loggers()  # the production logging policy, as run_bot applies it
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(collector)
        root.setLevel(old_level)
    log = "\n".join(collector.lines)
    assert FakeTelegram().token not in log, "the bot token reached the log"
    leaked = [t for t in USER_TEXTS if t in log]
    assert not leaked, f"user messages reached the log: {leaked[:3]}"


@dataclass
class Harness:
    """The real PTB Application wired to a fake Telegram, a real SQLite file and the assistant."""

    core: FakeTelegram
    app: BotApp
    store: SQLiteStorage
    services: Services

    async def feed(self, update: dict) -> None:
        """Process one update the way polling would: through the app's update processor."""
        message = update.get("message") or update.get("edited_message") or {}
        text = message.get("text") if isinstance(message, dict) else None
        if isinstance(text, str) and len(text.strip()) >= 12:
            USER_TEXTS.add(text.strip()[:200])
        parsed = Update.de_json(update, self.app.bot)
        await self.app.update_processor.process_update(parsed, self.app.process_update(parsed))

    def driver(self, user: FakeUser | None = None, chat: FakeChat | None = None) -> ChatDriver:
        """A person chatting with the bot."""
        return ChatDriver(self.core, self.feed, user=user, chat=chat)


@pytest.fixture(scope="session")
def checks() -> dict:
    """The shipped eligibility checks, loaded once."""
    return load_checks()


async def make_harness(
    tmp_path: Path,
    kb: KnowledgeBase,
    clock: Callable[[], datetime],
    checks: dict,
    read_timeout: float = 5.0,
    core: FakeTelegram | None = None,
    reply_retry_seconds: float = 30.0,
    retry_backoff: float = 0.05,
    **settings: object,
) -> tuple[Harness, SQLiteStorage]:
    """Build and initialize an application over a fresh store (caller shuts both down)."""
    core = core or FakeTelegram()
    config = Settings(data_dir=tmp_path, token=core.token, **settings)  # type: ignore[arg-type]
    store = SQLiteStorage(tmp_path / "bot.sqlite3", clock=clock)
    await store.open()
    assistant = Assistant(kb, clock)
    services = Services(config, assistant, store, EligibilitySessions(checks, store, clock))
    app = build_application(
        services,
        request=FakeRequest(core, read_timeout=read_timeout),
        updates_request=FakeRequest(core, read_timeout=read_timeout),
        retry_backoff=retry_backoff,
        reply_retry_seconds=reply_retry_seconds,
    )
    await app.initialize()
    return Harness(core, app, store, services), store


@pytest.fixture
async def tg(
    tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict
) -> AsyncIterator[Harness]:
    """A running bot (initialized Application) with a fake Telegram behind it."""
    harness, store = await make_harness(tmp_path, kb, clock, checks)
    try:
        yield harness
    finally:
        await harness.app.shutdown()
        await store.close()


ROOT = Path(__file__).resolve().parents[1]


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
    env: dict[str, str], stdout: object = DEVNULL, stderr: object = DEVNULL
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
        stderr=stderr,  # type: ignore[arg-type]
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
