"""Free-text questions: the core's answer, rendered as HTML with its sources."""

from __future__ import annotations

from telegram import Update

from handlers.common import (
    BotContext,
    addressed_to_bot,
    send_html,
    stored_language,
    strip_mention,
    unchosen_language,
)
from handlers.render import reply_to_html
from i18n.detect import detect_language


async def answer_question(update: Update, context: BotContext) -> None:
    """Answer a text message (new or edited) with the assistant's reply."""
    message = update.effective_message
    if message is None or message.text is None or not addressed_to_bot(update, context):
        return
    from handlers.eligibility import continue_by_text

    if await continue_by_text(update, context, message.text):
        return
    text = strip_mention(message.text, context)
    chosen = await stored_language(update, context)
    # With no stored choice the assistant follows the question's own language; only when the
    # text carries no evidence (e.g. "AMIF?") does Telegram's language_code decide.
    lang = chosen or (None if detect_language(text).decided else unchosen_language(update))
    reply = context.services.assistant.answer(text, lang)
    await send_html(update, context, reply_to_html(reply))
