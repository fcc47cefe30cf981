"""The one error handler: log the failure without secrets or user text, apologise, carry on."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from handlers.common import BotContext, user_translator

log = logging.getLogger("amif.errors")


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (type and update id only) and tell the user politely in their language."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, NetworkError | TimedOut | RetryAfter):
        log.warning(
            "telegram unreachable while handling update %s: %s", update_id, type(error).__name__
        )
        return
    log.error(
        "failure while handling update %s: %s",
        update_id,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    if (
        not isinstance(update, Update)
        or update.effective_chat is None
        or isinstance(error, Forbidden)
    ):
        return
    try:
        t = await user_translator(update, context)
        await context.bot.send_message(
            update.effective_chat.id,
            t.gettext("Sorry, something went wrong on my side. Please try again in a moment."),
        )
    except Exception as exc:
        log.warning("could not send the apology for update %s: %s", update_id, type(exc).__name__)
