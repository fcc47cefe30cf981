"""Free text: a typed answer of an eligibility check, small talk, or a question to answer.

A question, asked on its own or in the middle of a check, goes through the one question use
case (bot/questions.ask): the answer in the user's zone, counted, with vote buttons under it.
"""

from __future__ import annotations

from telegram import Update

from bot.assistant import MAX_QUESTION_CHARS
from bot.incoming import Kind, classify, first_question
from bot.questions import ask
from bot.services import UserContext
from handlers.chatter import reply_to_chatter
from handlers.common import BotContext, addressed_to_bot, send_html, strip_mention
from handlers.eligibility import Aside, continue_by_text, say_paused
from handlers.feedback import send_answer_with_feedback
from handlers.render import text_to_html
from handlers.start import help_command
from handlers.subscriptions import ask_zone_once
from i18n import N_, translator

LONG_MESSAGE_NOTE = N_(
    "Your message is long ({count} characters), so I answered its first question: “{question}”"
)
QUOTED_CHARS = 200


async def answer_question(update: Update, context: BotContext, user: UserContext) -> None:
    """Answer a text message (new or edited) with the assistant's reply."""
    message = update.effective_message
    if message is None or message.text is None or not addressed_to_bot(update, context):
        return
    await answer_text(update, context, user, message.text)


async def answer_text(update: Update, context: BotContext, user: UserContext, raw: str) -> None:
    """Answer typed text (a message or a caption): a check step, small talk or a question."""
    taken = await continue_by_text(update, context, user, raw)
    if isinstance(taken, Aside):
        # A real question in the middle of a check, answered in the check's language; then
        # the offer to go on.
        await answer(update, context, user, raw, user.lang)
        await say_paused(update, context, user, taken.check, taken.ask)
        return
    if taken:
        return
    text = strip_mention(raw, context)
    chatter = classify(text)
    if chatter is not None and chatter.kind is Kind.HELP:
        await help_command(update, context, user)
        return
    if chatter is not None:
        await reply_to_chatter(update, context, user, chatter)
        return
    # A pasted message longer than one question may be: answer its first question, and say so.
    text, original = shorten_long_message(text, MAX_QUESTION_CHARS)
    await answer(update, context, user, text, user.answer_language(text), original=original)


async def answer(
    update: Update,
    context: BotContext,
    user: UserContext,
    text: str,
    lang: str | None,
    *,
    original: str | None = None,
) -> None:
    """The question use case on Telegram: the answer with its vote buttons, then the zone.

    original is the long paste text was cut from; a note above the answer says so.
    """
    asked = await ask(context.services, user, text, lang)
    if original is not None:
        note = long_message_note(asked.reply.lang, original, text)
        await send_html(update, context, text_to_html(note))
    await send_answer_with_feedback(update, context, asked)
    await ask_zone_once(update, context, user, asked.reply.lang, asked.reply.text)


# Longer than any Telegram message (4,096 characters): not a paste but abuse, and the
# assistant's own limit refuses it whole.
MAX_PASTE_CHARS = 4_096


def shorten_long_message(text: str, limit: int) -> tuple[str, str | None]:
    """The question to answer, and the original when its first question was cut from a paste."""
    if len(text) <= limit or len(text) > MAX_PASTE_CHARS:
        return text, None
    return first_question(text, limit), text


def long_message_note(lang: str, original: str, question: str) -> str:
    """'Your message is long (2 532 characters), so I answered its first question: …'."""
    t = translator(lang)
    quoted = question if len(question) <= QUOTED_CHARS else question[:QUOTED_CHARS] + "…"
    return t.gettext(LONG_MESSAGE_NOTE).format(
        count=t.format_number(len(original)), question=quoted
    )
