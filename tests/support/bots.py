"""The bot under test, built the way production builds it: the real PTB Application over a
fake Telegram, a real SQLite file and the assistant, all on the clock the test gives.

Two shapes, one builder underneath (bot.telegram_app.build_application):
- `Harness` (`make_harness`, the `tg` fixture): the bot as `amif-bot run` registers it;
- `OperatorBot` (`start_operator_bot`, the `bot` fixture): the same bot with the operator
  features on top (reminders, answer votes, inline mode, /stats and /reload).
Tests that need a bot in some other state (two bots on one store, a restart) call the
builders directly; the fixtures in tests/conftest.py are the common case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from telegram import Update

from bot.assistant import Assistant
from bot.config import Settings
from bot.context import BotApp
from bot.eligibility import CheckSpec, EligibilitySessions
from bot.operator import KnowledgeLoader, OperatorFeatures, default_loader
from bot.reminders import SendThrottle
from bot.services import Services
from bot.storage import SQLiteStorage
from bot.telegram_app import build_application, install_operator_features
from knowledge.base import KnowledgeBase
from tests.support.telegram import ChatDriver, FakeChat, FakeRequest, FakeTelegram, FakeUser

Checks = dict[str, CheckSpec]

# Every user message the tests send; the whole run's log must contain none of them
# (tests/conftest.py's log_guard checks it at the end of the run).
USER_TEXTS: set[str] = set()


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


@dataclass
class OperatorBot:
    """The real Application with reminders, feedback, inline mode and operator commands."""

    harness: Harness
    features: OperatorFeatures

    @property
    def core(self) -> FakeTelegram:
        """The fake Telegram behind the bot."""
        return self.harness.core

    @property
    def store(self) -> SQLiteStorage:
        """The bot's SQLite store."""
        return self.harness.store

    async def close(self) -> None:
        """Shut the bot down like post_shutdown would (the store stays with its owner)."""
        await self.features.stop()
        await self.harness.app.shutdown()


async def start_operator_bot(
    tmp_path: Path,
    kb: KnowledgeBase,
    clock: Callable[[], datetime],
    checks: dict,
    *,
    core: FakeTelegram | None = None,
    store: SQLiteStorage | None = None,
    loader: KnowledgeLoader = default_loader,
    throttle: SendThrottle | None = None,
    **settings: object,
) -> OperatorBot:
    """Build and initialize a bot with the operator features registered on it."""
    core = core or FakeTelegram(inline_mode=True)
    config = Settings(data_dir=tmp_path, token=core.token, **settings)  # type: ignore[arg-type]
    if store is None:
        store = SQLiteStorage(config.database_path, clock=clock)
        await store.open()
    assistant = Assistant(kb, clock)
    services = Services(config, assistant, store, EligibilitySessions(checks, store, clock))
    app = build_application(services, request=FakeRequest(core), updates_request=FakeRequest(core))
    features = install_operator_features(
        app, loader=loader, throttle=throttle or SendThrottle(rate=1000.0, chat_interval=0.0)
    )
    await app.initialize()
    return OperatorBot(Harness(core, app, store, services), features)
