"""Shared fixtures; the helpers behind them live in tests/support/.

- `kb`, `checks`: the shipped knowledge and eligibility checks, loaded once per run.
- `clock`: the suite's one clock, a MovingClock at FIXED_NOW (tests/support/clock.py). A module
  whose bots live at another moment overrides this fixture; everything built from it
  (assistant, store, sessions, reminders) then reads that moment.
- the bot family (tests/support/bots.py), all on `clock`:
  - `tg`: a Harness, the bot as `amif-bot run` registers it;
  - `bot`: an OperatorBot, the same bot with reminders, votes, inline mode and /stats,
    /reload; a module tunes it by overriding `bot_settings` (Settings fields) and
    `knowledge_loader` (what /reload loads).
  Two modules keep a `bot` of another kind, on purpose: tests/test_fake_telegram.py tests the
  fake with a bare PTB Bot, and tests/test_properties.py drives a Harness from synchronous
  hypothesis tests on a private event loop.
- `log_guard` (automatic): neither the token nor any user's text may reach the run's log.
"""

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

# PTB 22 emits a deprecation warning when it builds RetryAfter unless this is set, and the
# suite turns warnings into errors.
os.environ.setdefault("PTB_TIMEDELTA", "true")

import pytest

from bot.assistant import Assistant
from bot.eligibility import CheckSpec, load_checks
from bot.operator import KnowledgeLoader, default_loader
from bot.telegram_app import quiet_library_loggers
from knowledge.base import KnowledgeBase
from tests.fake_telegram import FakeTelegram
from tests.support.bots import (
    USER_TEXTS,
    Harness,
    OperatorBot,
    make_harness,
    start_operator_bot,
)
from tests.support.clock import FIXED_NOW, MovingClock

# Tests and benchmarks written before tests/support/ existed import these from here.
from tests.support.processes import (
    ROOT,
    bot_environment,
    free_loopback_port,
    server_settings,
    start_bot_process,
    wait_for_listener,
)

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The shipped knowledge base, loaded once."""
    return KnowledgeBase.load(None)


@pytest.fixture(scope="session")
def checks() -> dict[str, CheckSpec]:
    """The shipped eligibility checks, loaded once."""
    return load_checks()


@pytest.fixture
def clock() -> MovingClock:
    """The clock every part of a test's bot reads: 2026-11-24 12:00 UTC until the test moves it."""
    return MovingClock(FIXED_NOW)


@pytest.fixture
def assistant(kb: KnowledgeBase, clock: MovingClock) -> Assistant:
    """The assistant over the shipped knowledge, on the test's clock."""
    return Assistant(kb, clock)


@pytest.fixture
def seeds_dir() -> Path:
    """The shared seed documents; the test is skipped where they are absent."""
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(f"seed documents not found at {SEEDS}")
    return SEEDS


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


@pytest.fixture
async def tg(
    tmp_path: Path, kb: KnowledgeBase, clock: MovingClock, checks: dict[str, CheckSpec]
) -> AsyncIterator[Harness]:
    """A running bot (initialized Application) with a fake Telegram behind it."""
    harness, store = await make_harness(tmp_path, kb, clock, checks)
    try:
        yield harness
    finally:
        await harness.app.shutdown()
        await store.close()


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    """Settings fields the `bot` fixture's bot gets (none by default; modules override this)."""
    return {}


@pytest.fixture
def knowledge_loader() -> KnowledgeLoader:
    """What the `bot` fixture's /reload loads (the shipped loader by default)."""
    return default_loader


@pytest.fixture
async def bot(
    tmp_path: Path,
    kb: KnowledgeBase,
    clock: MovingClock,
    checks: dict[str, CheckSpec],
    bot_settings: dict[str, Any],
    knowledge_loader: KnowledgeLoader,
) -> AsyncIterator[OperatorBot]:
    """A running bot with the operator features, its data under tmp_path/data."""
    running = await start_operator_bot(
        tmp_path / "data", kb, clock, checks, loader=knowledge_loader, **bot_settings
    )
    try:
        yield running
    finally:
        await running.close()
        await running.store.close()


__all__ = [
    "FIXED_NOW",
    "ROOT",
    "USER_TEXTS",
    "Harness",
    "bot_environment",
    "free_loopback_port",
    "make_harness",
    "server_settings",
    "start_bot_process",
    "wait_for_listener",
]
