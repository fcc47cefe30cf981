"""👍/👎 under answers: the buttons carry the answer's random token (bot/questions.py keeps it).

Nothing here links a vote to a person: the callback data is only `fb:<token>:u|d`. Pressing the
other button changes the vote instead of adding one.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.questions import Asked
from bot.reminders import O_
from bot.services import UserContext
from handlers.callbacks import decode, encode
from handlers.common import BotContext, answering, send_html
from handlers.render import reply_to_html
from i18n import Translator, translator

FEEDBACK = "fb"
VOTES = {"u": 1, "d": -1}

HELPFUL = O_("👍 Helpful")
NOT_HELPFUL = O_("👎 Not helpful")
THANKS = O_("Thank you! Your vote helps improve the answers.")
NO_LONGER_ACTIVE = O_("This button is no longer active.")


def feedback_keyboard(
    token: str, t: Translator, chosen: int | None = None
) -> InlineKeyboardMarkup:
    """The two vote buttons; the chosen one carries a check mark."""
    buttons = []
    for code, label in (("u", HELPFUL), ("d", NOT_HELPFUL)):
        text = t.gettext(label)
        if chosen == VOTES[code]:
            text = "✓ " + text
        buttons.append(InlineKeyboardButton(text, callback_data=encode(FEEDBACK, token, code)))
    return InlineKeyboardMarkup([buttons])


async def send_answer_with_feedback(update: Update, context: BotContext, asked: Asked) -> None:
    """Send an answer as HTML with the vote buttons (if it has a token) under its last message."""
    reply, kb = asked.reply, context.services.assistant.kb
    keyboard = feedback_keyboard(asked.token, translator(reply.lang)) if asked.token else None
    await send_html(update, context, reply_to_html(reply, kb=kb), keyboard)


async def feedback_button(update: Update, context: BotContext, user: UserContext) -> None:
    """Store (or change) a vote and show which one counts."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, FEEDBACK)
    t = user.t
    store = context.services.store
    if not fields or len(fields) != 2 or fields[1] not in VOTES:
        await query.answer(t.gettext(NO_LONGER_ACTIVE))
        return
    token, value = fields[0], VOTES[fields[1]]
    state = await store.answer_state(token)
    if state is None or not await store.vote(token, value):
        await query.answer(t.gettext(NO_LONGER_ACTIVE))
        return
    lang, before = state
    async with answering(query, t.gettext(THANKS)):
        if before != value and query.message is not None:
            # The buttons keep the language of the answer they sit under, not the voter's.
            try:
                await query.edit_message_reply_markup(
                    feedback_keyboard(token, translator(lang), value)
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
