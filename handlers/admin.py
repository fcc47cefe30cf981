"""/stats and /reload for operators (ADMIN_IDS), and the wiring of reminders, feedback, inline.

`register_operator_features(app)` adds every handler of these features and prepares the
scheduler; `start_operator_features(app)` and `stop_operator_features(app)` start and stop its
task from the application's post_init and post_shutdown.

The handlers sit in their own group before the main one and end the update's processing
(ApplicationHandlerStop), so the catch-alls of the main group ("unknown command", stale
buttons) never see these commands and buttons, whatever order the groups were filled in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
)

from bot.operator import (
    KnowledgeLoader,
    OperatorFeatures,
    collect_stats,
    default_loader,
    reload_text,
    stats_text,
)
from bot.reminders import O_, ReminderService, SendThrottle
from handlers import feedback, inline, subscriptions
from handlers.common import BotApp, BotContext, Services, is_group, send_html, user_translator
from handlers.render import text_to_html

HANDLER_GROUP = -10
FEATURES_KEY = "operator_features"
NOT_AVAILABLE = O_("Sorry, that is not available.")
RELOADING = O_("Reloading the knowledge…")

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def features_of(app: Application[Any, Any, Any, Any, Any, Any]) -> OperatorFeatures:
    """The application's operator features (registered by register_operator_features)."""
    features = app.bot_data.get(FEATURES_KEY)
    if not isinstance(features, OperatorFeatures):
        raise RuntimeError("operator features are not registered on the application")
    return features


def is_admin(update: Update, context: BotContext) -> bool:
    """An operator listed in ADMIN_IDS, in a private chat (numbers are not for groups)."""
    user = update.effective_user
    return (
        user is not None
        and user.id in context.services.settings.admin_ids
        and not is_group(update)
    )


async def refuse(update: Update, context: BotContext) -> None:
    """The same polite refusal for every non-operator: it does not confirm what exists."""
    t = await user_translator(update, context)
    await send_html(update, context, text_to_html(t.gettext(NOT_AVAILABLE)))


async def stats_command(update: Update, context: BotContext) -> None:
    """Aggregate usage numbers for operators."""
    if not is_admin(update, context):
        await refuse(update, context)
        return
    t = await user_translator(update, context)
    stats = await collect_stats(context.services.store, context.services.settings)
    await send_html(update, context, text_to_html(stats_text(stats, t)))


async def reload_command(update: Update, context: BotContext) -> None:
    """Re-read knowledge files and ingested documents; report what changed."""
    if not is_admin(update, context):
        await refuse(update, context)
        return
    t = await user_translator(update, context)
    await send_html(update, context, text_to_html(t.gettext(RELOADING)))
    report = await features_of(context.application).reload()
    await send_html(update, context, text_to_html(reload_text(report, t)))


def _final(handler: Handler) -> Handler:
    """Run the handler, then stop: no later handler group gets the same update."""

    @functools.wraps(handler)
    async def run(update: Update, context: BotContext) -> None:
        await handler(update, context)
        raise ApplicationHandlerStop

    return run


def register_operator_features(
    app: BotApp,
    *,
    loader: KnowledgeLoader = default_loader,
    clock: Callable[[], datetime] | None = None,
    throttle: SendThrottle | None = None,
    interval: float | None = None,
) -> OperatorFeatures:
    """Add the handlers of subscriptions, feedback, inline mode and operator commands.

    Calling it again replaces the features' configuration without adding handlers twice.
    """
    services = app.bot_data.get("services")
    if not isinstance(services, Services):
        raise RuntimeError("build the application (with its services) before adding features")
    now = clock or services.assistant.clock
    reminders = ReminderService(
        services.store,
        lambda: services.assistant.kb.calls,  # read per round, so a reload is seen at once
        subscriptions.TelegramDelivery(app.bot),
        clock=now,
        throttle=throttle,
    )
    features = OperatorFeatures(services, services.store, reminders, loader=loader, clock=now)
    if interval is not None:
        features.interval = interval
    registered = FEATURES_KEY in app.bot_data
    app.bot_data[FEATURES_KEY] = features
    if registered:
        # Called again (a test configuring its own loader or clock): the handlers look the
        # features up per update, so replacing them is enough; adding handlers twice is not.
        return features
    commands: list[tuple[str, Handler]] = [
        ("subscribe", subscriptions.subscribe_command),
        ("unsubscribe", subscriptions.unsubscribe_command),
        ("timezone", subscriptions.timezone_command),
        ("stats", stats_command),
        ("reload", reload_command),
    ]
    for name, handler in commands:
        app.add_handler(CommandHandler(name, _final(handler)), group=HANDLER_GROUP)
    buttons: list[tuple[str, Handler]] = [
        (subscriptions.SUB, subscriptions.subscribe_button),
        (subscriptions.UNSUB, subscriptions.unsubscribe_button),
        (subscriptions.TZ, subscriptions.timezone_button),
        (feedback.FEEDBACK, feedback.feedback_button),
    ]
    for prefix, handler in buttons:
        app.add_handler(
            CallbackQueryHandler(_final(handler), pattern=rf"^{prefix}:"), group=HANDLER_GROUP
        )
    app.add_handler(InlineQueryHandler(_final(inline.inline_query)), group=HANDLER_GROUP)
    return features


async def start_operator_features(app: BotApp) -> None:
    """Start the scheduler (reminders due while the bot was down go out in its first round)."""
    features_of(app).start()


async def stop_operator_features(app: BotApp) -> None:
    """Stop the scheduler and any notices still being sent."""
    await features_of(app).stop()
