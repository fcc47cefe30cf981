"""Running the Telegram bot: one process polling or serving a webhook, or the main process of
worker processes (bot/workers.py).

Kept apart from the composition root (bot/telegram_app.py), which the workers build their
Application with, so that neither imports the other.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any

from telegram import Update

from bot.config import Settings
from bot.context import BotApp
from bot.telegram_app import (
    GIL_SWITCH_SECONDS,
    build_application,
    create_services,
    install_log_redaction,
    new_event_loop,
)
from bot.webhook import serve_webhook
from bot.workers import run_workers

log = logging.getLogger("amif.telegram")


def run_bot(settings: Settings) -> int:
    """Open the store, run the bot until stopped (polling, or a webhook when configured)."""
    install_log_redaction(settings)
    if settings.webhook_url and not settings.webhook_secret:
        log.error(
            "WEBHOOK_URL is set but WEBHOOK_SECRET is not: refusing to start a webhook "
            "that anyone could post to"
        )
        return 2
    services = create_services(settings)
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    if hasattr(os, "fork"):
        # BOT_WORKERS=1 too: one worker behind the same main process, so that every update
        # goes through the durable inbox (PTB's Updater confirms updates before handling).
        return run_workers(settings, services, settings.workers)
    app = build_application(services, manage_store=True)
    # run_polling and run_webhook run in the current thread's event loop.
    asyncio.set_event_loop(new_event_loop())
    try:
        _run(app, settings)
    finally:
        # A stop signal during start-up can skip post_shutdown; an open aiosqlite connection
        # would then keep the process alive on its worker thread.
        asyncio.run(services.store.close())
    return 0


def _run(app: BotApp, settings: Settings) -> None:
    if settings.webhook_url:
        log.info("starting webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
        asyncio.get_event_loop().run_until_complete(_run_webhook(app, settings))
    else:
        log.info("starting long polling")
        app.run_polling(allowed_updates=Update.ALL_TYPES)


async def _run_webhook(app: BotApp, settings: Settings) -> None:
    """Application.run_webhook's lifecycle around bot/webhook.py's server instead of PTB's."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    async def deliver(update: dict[str, Any]) -> None:
        try:
            parsed = Update.de_json(update, app.bot)
        except Exception as exc:  # well-formed JSON, but not an update PTB can read
            log.warning("webhook update skipped: %s", type(exc).__name__)
            return
        await app.update_queue.put(parsed)

    # The order of Application.run_webhook: initialize, post_init, start ... stop, post_stop,
    # shutdown, post_shutdown.
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        await app.bot.set_webhook(
            url=settings.webhook_url or "",
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        await serve_webhook(settings, deliver, stop)
    finally:
        if app.running:
            await app.stop()  # handles what is queued and waits for running handlers
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
