"""The one error handler: log the failure without secrets or user text, apologise, stop.

Stopping matters: PTB tries every handler group in turn, and a failure in the operator group
(/subscribe, /timezone, a vote) would otherwise fall through to the main group, whose
catch-alls then answer the same update a second time ("I don't know that command").
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationHandlerStop

from handlers.common import BotContext, user_context

log = logging.getLogger("amif.errors")
# BadRequest descriptions that mean the reply has nowhere to go: an inline or button query that
# expired before its answer (a race with the user's client), a chat the bot cannot see (a channel
# it was never added to, a deleted group), like Forbidden for a blocked bot.
GONE_DESCRIPTIONS = ("query is too old", "chat not found")


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (type and update id only), apologise once, and end the update there."""
    try:
        await _report(update, context)
    except Exception as exc:  # the update must still end here
        log.warning("reporting a failure failed: %s", type(exc).__name__)
    raise ApplicationHandlerStop  # no later handler group sees the failed update


async def _report(update: object, context: BotContext) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, BadRequest) and any(
        gone in str(error).lower() for gone in GONE_DESCRIPTIONS
    ):
        # Nothing of ours failed, and there is no one left to apologise to.
        log.warning("telegram refused update %s's reply: the chat or query is gone", update_id)
        return
    # PTB's BadRequest is a NetworkError, but Telegram answered it: a refusal of what we sent
    # (a bug of ours), not an outage, so it is logged as a failure and the user gets the apology.
    if isinstance(error, NetworkError | TimedOut | RetryAfter) and not isinstance(
        error, BadRequest
    ):
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
    query = update.callback_query
    if query is not None:
        # A press whose handler failed still needs its answer, or the button keeps spinning;
        # it may have been answered already, before the failure.
        try:
            await query.answer()
        except Exception as exc:
            log.debug("press of update %s not answered: %s", update_id, type(exc).__name__)
    try:
        t = (await user_context(update, context)).t
        await context.bot.send_message(
            update.effective_chat.id,
            t.gettext("Sorry, something went wrong on my side. Please try again in a moment."),
        )
    except Exception as exc:
        log.warning("could not send the apology for update %s: %s", update_id, type(exc).__name__)
