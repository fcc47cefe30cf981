"""The composition root of the Telegram bot: services, the handler table, the PTB Application.

This is the one module of bot/ that imports handlers/ (their table, handlers/routes.py);
bot/serve.py runs what it builds, in one process or behind bot/workers.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.assistant import Assistant, Clock
from bot.config import Settings
from bot.context import FEATURES_KEY, SERVICES_KEY, BotApp, features_of
from bot.eligibility import EligibilitySessions, facts_by_file, load_checks
from bot.operator import KnowledgeLoader, OperatorFeatures, default_loader
from bot.questions import prepare_votes
from bot.reminders import ReminderService, SendThrottle
from bot.services import Services
from bot.stores import open_storage
from bot.transport import AiohttpRequest

# The composition root is the one module of bot/ that reads handlers/: the handler table, and
# the Telegram side of sending reminders.
from handlers.common import BotContext, with_user
from handlers.routes import ERROR_HANDLER, ROUTES, On, Route
from handlers.subscriptions import (
    SUBSCRIBE_DESCRIPTION,
    TIMEZONE_DESCRIPTION,
    UNSUBSCRIBE_DESCRIPTION,
    TelegramDelivery,
)
from i18n import LANGUAGES, N_, translator
from i18n.detect import prepare as prepare_detection
from knowledge.base import KnowledgeBase

# PTB 22 warns unless retry_after is a timedelta; opt in to the future behaviour.
os.environ.setdefault("PTB_TIMEDELTA", "true")
log = logging.getLogger("amif.telegram")

COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start and main menu")),
    ("calls", N_("Calls with status and deadline")),
    ("call", N_("Key facts of one call")),
    ("subscribe", SUBSCRIBE_DESCRIPTION),
    ("unsubscribe", UNSUBSCRIBE_DESCRIPTION),
    ("timezone", TIMEZONE_DESCRIPTION),
    ("eligibility", N_("Check whether you can apply")),
    ("language", N_("Choose the language")),
    ("privacy", N_("What is stored about you")),
    ("mydata", N_("Show your stored data")),
    ("forget", N_("Delete your data")),
    ("help", N_("What I can do")),
]
# A user may send a burst of this many messages, then one per second; beyond that the bot
# stays silent (after one notice) so a flood from one user cannot crowd out everyone else.
FLOOD_BURST = 8
FLOOD_RATE = 1.0
FLOOD_NOTICE = N_(
    "You are sending messages very fast. I answer one at a time; please wait a "
    "moment before asking again."
)


class RedactingFilter(logging.Filter):
    """Removes the bot token from every log record (httpx logs request URLs that contain it)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and traceback with secrets replaced."""
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            # An exception's text may hold a request URL (with the token): format the
            # traceback here, redacted, so the handler's formatter uses this text instead.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text


def install_log_redaction(settings: Settings) -> None:
    """Keep the secrets out of every handler's output and quiet per-request HTTP logging."""
    password = urlparse(settings.database_url or "").password or ""
    redactor = RedactingFilter([settings.token or "", settings.webhook_secret or "", password])
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(redactor)
    root.addFilter(redactor)
    quiet_library_loggers()


def quiet_library_loggers() -> None:
    """Libraries that would log secrets or users' messages speak only at INFO or above.

    HTTP clients log request URLs, which hold the token; PTB logs whole updates at DEBUG.
    """
    for name, floor in (
        ("aiohttp", logging.WARNING),
        ("httpx", logging.WARNING),
        ("httpcore", logging.WARNING),
        ("telegram", logging.INFO),
        # aiosqlite logs every statement with its values (user ids, answers) at DEBUG.
        ("aiosqlite", logging.INFO),
        ("psycopg", logging.INFO),
        # The pool logs every connection it hands out at INFO: a line per query, no news.
        ("psycopg.pool", logging.WARNING),
    ):
        library = logging.getLogger(name)
        library.setLevel(max(library.getEffectiveLevel(), floor))


# The daily count of replies given up after REPLY_RETRY_SECONDS.
REPLY_DROPPED = "reply_dropped"
# A reply is retried through a Bot API outage for this long (doubling waits from the backoff,
# each at most REPLY_RETRY_MAX_WAIT): Telegram's own outages and a restarting reverse proxy
# last seconds to minutes; after ten minutes a reply to "when is the deadline?" is stale and
# is dropped with a log line and the reply_dropped count (amif-bot stats).
REPLY_RETRY_SECONDS = 600.0
REPLY_RETRY_MAX_WAIT = 30.0


class RetryingRateLimiter(AIORateLimiter):
    """PTB's rate limiter (waits out 429s, keeps to 30 msg/s and 20/min per group), plus retries.

    Telegram answering 5xx, a timeout or a dropped connection is retried with backoff for up
    to retry_seconds, so a reply still reaches the user after an outage of minutes. One chat's
    next updates wait behind it (their replies would fail the same way); other chats go on.
    A retry of an edit or a callback answer that had in fact gone through is recognised from
    Telegram's answer ("message is not modified", "query is too old") and counted as done, so
    the user never sees it twice. A retried sendMessage after an ambiguous failure (the
    request may have arrived, its answer did not) can arrive twice: the Bot API gives no way
    to tell, and a lost reply is worse than a repeated one (README, "Delivery").
    """

    def __init__(
        self,
        retry_seconds: float = REPLY_RETRY_SECONDS,
        backoff: float = 0.5,
        max_wait: float = REPLY_RETRY_MAX_WAIT,
        on_drop: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.retry_seconds = retry_seconds
        self.backoff = backoff
        self.max_wait = max_wait
        self.on_drop = on_drop
        self.retried = 0
        self.dropped = 0
        self._full_rate = self._base_limiter.max_rate if self._base_limiter else 0.0
        self._full_group_rate = self._group_max_rate

    def share_with(self, replicas: int) -> None:
        """Keep to 1/replicas of the rates given (Telegram's are per bot, bot/replicas.py)."""
        share = 1.0 / max(1, replicas)
        base = self._base_limiter
        if base is not None:
            base.max_rate = self._full_rate * share
            base._rate_per_sec = base.max_rate / base.time_period
        self._group_max_rate = self._full_group_rate * share
        for group in self._group_limiters.values():
            group.max_rate = self._group_max_rate
            group._rate_per_sec = group.max_rate / group.time_period

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Send through PTB's limiter, retrying transient network failures."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest as exc:
                if attempt and _already_done(endpoint, exc):
                    return True
                raise
            except (TimedOut, NetworkError) as exc:
                # Long polling has its own retry loop in PTB's Updater.
                if endpoint.lower() == "getupdates":
                    raise
                wait = min(self.max_wait, self.backoff * 2**attempt)
                waited = time.monotonic() - started
                if waited + wait > self.retry_seconds:
                    self.dropped += 1
                    log.error(
                        "%s given up after %.0f s and %d retries (%s); the reply is lost",
                        endpoint,
                        waited,
                        attempt,
                        type(exc).__name__,
                    )
                    if self.on_drop is not None:
                        self.on_drop(endpoint)
                    raise
                self.retried += 1
                attempt += 1
                log.warning("%s failed (%s); retry %d", endpoint, type(exc).__name__, attempt)
                await asyncio.sleep(wait)


def _already_done(endpoint: str, exc: BadRequest) -> bool:
    text = str(exc).lower()
    name = endpoint.lower()
    if name.startswith("editmessage"):
        return "not modified" in text
    if name == "answercallbackquery":
        return "query is too old" in text or "query id is invalid" in text
    return False


class FairUpdateProcessor(BaseUpdateProcessor):
    """Runs updates of different chats concurrently, one chat's updates in order.

    Ordering per chat keeps a dialog's steps consistent; a token bucket per user drops floods
    (answering the first excess message with a notice) so one user cannot starve the others.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._buckets: dict[int, tuple[float, float]] = {}
        self._noticed: dict[int, float] = {}
        self.dropped = 0
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        # Called with each update once it is handled (or dropped): the worker's inbox marking.
        self.on_done: Callable[[object], None] | None = None
        # The flood bucket's clock (seconds); a test that sends at a person's pace sets its own.
        self.monotonic: Callable[[], float] = time.monotonic

    def _admit(self, user_id: int) -> bool:
        now = self.monotonic()
        level, last = self._buckets.get(user_id, (float(FLOOD_BURST), now))
        level = min(float(FLOOD_BURST), level + (now - last) * FLOOD_RATE)
        if level < 1.0:
            self._buckets[user_id] = (level, now)
            return False
        self._buckets[user_id] = (level - 1.0, now)
        if len(self._buckets) > 50_000:
            self._buckets.clear()
        return True

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Process one update under its chat's lock, unless its sender is flooding."""
        await self._process(update, coroutine)  # a cancelled one is not done
        if self.on_done is not None:
            self.on_done(update)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = 0
        if isinstance(update, Update):
            if update.effective_chat is not None:
                key = update.effective_chat.id
            user = update.effective_user
            if update.message is not None and user is not None and not self._admit(user.id):
                coroutine.close()  # type: ignore[attr-defined]
                self.dropped += 1
                await self._notice(update, user.id)
                return
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked() and key in self._locks and not lock._waiters:
                del self._locks[key]

    async def _notice(self, update: Update, user_id: int) -> None:
        now = self.monotonic()
        if now - self._noticed.get(user_id, -1e9) < 30 or self.application is None:
            return
        self._noticed[user_id] = now
        chat = update.effective_chat
        user = update.effective_user
        if chat is None:
            return
        lang = user.language_code if user else None
        try:
            await self.application.bot.send_message(
                chat.id, translator(lang).gettext(FLOOD_NOTICE)
            )
        except Exception as exc:
            log.warning("flood notice not delivered: %s", type(exc).__name__)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def ptb_handler(route: Route) -> BaseHandler[Update, BotContext, None]:
    """The PTB handler for one row of the handler table, given the update's UserContext."""
    callback = with_user(route.handler)
    pattern = route.pattern
    if route.on is On.COMMAND:
        assert isinstance(pattern, str)
        return CommandHandler(pattern, callback)
    if route.on is On.BUTTON:
        assert pattern is None or isinstance(pattern, str)
        return CallbackQueryHandler(callback, pattern=pattern)
    if route.on is On.INLINE:
        return InlineQueryHandler(callback)
    assert isinstance(pattern, filters.BaseFilter)
    return MessageHandler(pattern, callback)


def register_handlers(app: BotApp) -> None:
    """Every handler of the table (handlers/routes.py), in its order, and the error handler."""
    for route in ROUTES:
        app.add_handler(ptb_handler(route), group=route.group)
    app.add_error_handler(ERROR_HANDLER)


def install_operator_features(
    app: BotApp,
    *,
    loader: KnowledgeLoader = default_loader,
    clock: Callable[[], datetime] | None = None,
    throttle: SendThrottle | None = None,
    interval: float | None = None,
) -> OperatorFeatures:
    """Set up reminders, reloads and housekeeping (the scheduler starts with the store).

    Called again (a test configuring its own loader or clock), it replaces the features: the
    handlers look them up per update.
    """
    services = app.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("build the application (with its services) before adding features")
    now = clock or services.assistant.clock
    reminders = ReminderService(
        services.store,
        lambda: services.assistant.kb.calls,  # read per round, so a reload is seen at once
        TelegramDelivery(app.bot),
        clock=now,
        throttle=throttle,
    )
    features = OperatorFeatures(services, services.store, reminders, loader=loader, clock=now)
    if interval is not None:
        features.interval = interval
    app.bot_data[FEATURES_KEY] = features
    return features


async def start_operator_features(app: BotApp) -> None:
    """Start the scheduler (reminders due while the bot was down go out in its first round)."""
    features_of(app).start()


async def stop_operator_features(app: BotApp) -> None:
    """Stop the scheduler and any notices still being sent."""
    await features_of(app).stop()


async def set_command_menus(app: BotApp) -> None:
    """One command menu per language (and English as the default)."""
    for lang in (None, *LANGUAGES):
        t = translator(lang)
        commands = [BotCommand(name, t.gettext(text)) for name, text in COMMANDS]
        await app.bot.set_my_commands(commands, language_code=lang)


EXPIRY_INTERVAL_S = 3600.0
# Telegram lets a bot send about 30 messages a second in all; worker processes share that.
OVERALL_SENDS_PER_SECOND = 30.0
WORKER_KEY = "worker"
# Set by bot/workers.py on PostgreSQL: the leader jobs wait until the replica leads.
AWAIT_LEAD_KEY = "await_lead"
# Every database call runs on aiosqlite's thread, one at a time, and needs the GIL for a moment.
# With Python's default 5 ms switch interval that thread can wait up to 5 ms behind a busy event
# loop while every other database call queues behind it; at 0.5 ms the bot handled about 20 %
# more updates per second under load, with lower p95 (benchmarks/bench_bot.py).
GIL_SWITCH_SECONDS = 0.0005


async def _expire_forever(services: Services) -> None:
    """Delete abandoned checks at start-up and then every hour."""
    while True:
        try:
            removed = await services.sessions.expire()
            if removed:
                log.info("expired %d abandoned eligibility checks", removed)
        except Exception as exc:
            log.warning("expiring checks failed: %s", type(exc).__name__)
        await asyncio.sleep(EXPIRY_INTERVAL_S)


async def _open_store(app: BotApp) -> None:
    services = app.bot_data["services"]
    await services.store.open()
    if app.bot_data.get(WORKER_KEY, 0) == 0:
        # The shared knowledge reaches every replica, not only the one that leads.
        features_of(app).start_watch()
    if app.bot_data.get(AWAIT_LEAD_KEY):
        return  # a replica on PostgreSQL: worker 0 starts them once its replica leads
    if app.bot_data.get(WORKER_KEY, 0) == 0:
        await start_leader_jobs(app, expiry=False)
    app.bot_data["expiry_task"] = asyncio.get_running_loop().create_task(_expire_forever(services))


async def start_leader_jobs(app: BotApp, *, expiry: bool = True) -> None:
    """Once per bot, not once per worker or replica: the command menus and the scheduler
    (reminders, `amif-bot reload` requests, housekeeping), with the checks' expiry if asked."""
    await set_command_menus(app)
    await start_operator_features(app)
    if expiry and "expiry_task" not in app.bot_data:
        services = app.bot_data["services"]
        loop = asyncio.get_running_loop()
        app.bot_data["expiry_task"] = loop.create_task(_expire_forever(services))


async def _close_store(app: BotApp) -> None:
    await stop_operator_features(app)
    task = app.bot_data.pop("expiry_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await app.bot_data["services"].store.close()


def build_application(
    services: Services,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    rate_limiter: bool = True,
    manage_store: bool = False,
    retry_backoff: float = 0.5,
    reply_retry_seconds: float = REPLY_RETRY_SECONDS,
    worker: int = 0,
    workers: int = 1,
) -> BotApp:
    """Build the PTB Application around the services (a test may inject the HTTP seam).

    With workers > 1 it is worker process number `worker` of a bot whose updates come from
    bot/workers.py instead of its own Updater; it gets its share of the send rate.
    """
    settings = services.settings
    if not settings.token:
        raise ValueError("a Telegram token is required")
    context_types = ContextTypes(context=BotContext)
    processor = FairUpdateProcessor()
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .context_types(context_types)
        .concurrent_updates(processor)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
    )
    # run_polling/run_webhook run post_init inside their own event loop, so the SQLite store is
    # opened there; tests that drive the Application themselves open the store beforehand.
    if manage_store:
        builder = builder.post_init(_open_store).post_shutdown(_close_store)
    else:
        builder = builder.post_init(set_command_menus)
    if rate_limiter:
        # Waits out a 429's retry_after and retries, and keeps us under 30 msg/s overall and
        # 20/min per group.
        store = services.store

        counting: set[asyncio.Task[None]] = set()

        def count_drop(endpoint: str) -> None:
            task = asyncio.ensure_future(store.count_event(REPLY_DROPPED))
            counting.add(task)  # held until done, so the count is not collected unfinished
            task.add_done_callback(counting.discard)

        limiter = RetryingRateLimiter(
            retry_seconds=reply_retry_seconds,
            backoff=retry_backoff,
            max_retries=5,
            overall_max_rate=OVERALL_SENDS_PER_SECOND / workers,
            on_drop=count_drop,
        )
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if settings.api_base_file_url:
        builder = builder.base_file_url(settings.api_base_file_url)
    # aiohttp instead of PTB's default httpx: a fraction of the CPU per Bot API call (see
    # bot/transport.py). One connection suffices for the long poll, as in PTB's own default.
    builder = builder.request(request or AiohttpRequest())
    if workers > 1:
        builder = builder.updater(None)  # bot/workers.py takes the updates
    else:
        builder = builder.get_updates_request(
            updates_request or AiohttpRequest(connection_pool_size=1)
        )
    quiet_library_loggers()
    app: BotApp = builder.build()
    processor.application = app
    app.bot_data[SERVICES_KEY] = services
    app.bot_data[WORKER_KEY] = worker
    register_handlers(app)
    install_operator_features(app)
    return app


def create_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Load knowledge and checks (errors stop start-up) and prepare the (unopened) store."""
    kb = KnowledgeBase.load(settings.data_dir)
    assistant = Assistant(kb, clock) if clock else Assistant(kb)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # users' data
    store = open_storage(settings)
    sessions = EligibilitySessions(
        load_checks(facts=facts_by_file(assistant.kb.calls)),
        store,
        assistant.clock,
        timedelta(hours=settings.dialog_ttl_hours),
    )
    # Work the first users would otherwise wait for, done before polling starts.
    prepare_detection()
    prepare_votes(kb)
    # What is loaded now lives as long as the process: keep it out of every later collection.
    gc.freeze()
    return Services(settings, assistant, store, sessions)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (less CPU per update), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
