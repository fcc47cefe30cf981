"""/stats and /reload for operators (ADMIN_IDS); everyone else gets a polite refusal.

The operator features themselves (the scheduler of reminders, reloads, housekeeping) are set up
by the composition root (bot/telegram_app.py) and found with bot.services.features_of.
"""

from __future__ import annotations

from telegram import Update

from bot.context import features_of
from bot.operator import collect_stats, reload_text, stats_text
from bot.reminders import O_
from bot.services import UserContext
from handlers.common import BotContext, send_html
from handlers.render import text_to_html

NOT_AVAILABLE = O_("Sorry, that is not available.")
RELOADING = O_("Reloading the knowledge…")


def is_admin(context: BotContext, user: UserContext) -> bool:
    """An operator listed in ADMIN_IDS, in a private chat (numbers are not for groups)."""
    return (
        user.user_id is not None
        and user.user_id in context.services.settings.admin_ids
        and not user.group
    )


async def refuse(update: Update, context: BotContext, user: UserContext) -> None:
    """The same polite refusal for every non-operator: it does not confirm what exists."""
    await send_html(update, context, text_to_html(user.t.gettext(NOT_AVAILABLE)))


async def stats_command(update: Update, context: BotContext, user: UserContext) -> None:
    """Aggregate usage numbers for operators."""
    if not is_admin(context, user):
        await refuse(update, context, user)
        return
    stats = await collect_stats(context.services.store, context.services.settings)
    await send_html(update, context, text_to_html(stats_text(stats, user.t)))


async def reload_command(update: Update, context: BotContext, user: UserContext) -> None:
    """Re-read knowledge files and ingested documents; report what changed."""
    if not is_admin(context, user):
        await refuse(update, context, user)
        return
    await send_html(update, context, text_to_html(user.t.gettext(RELOADING)))
    report = await features_of(context.application).reload()
    await send_html(update, context, text_to_html(reload_text(report, user.t)))
