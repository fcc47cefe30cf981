"""Free-text questions: the core's answer, rendered as HTML with its sources."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction

from handlers.common import (
    BotContext,
    addressed_to_bot,
    send_html,
    stored_language,
    strip_mention,
    user_language,
)
from handlers.render import reply_to_html


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
    lang = chosen or await user_language(update, context, text)
    # With no stored choice the assistant follows the question's own language; only when the
    # text carries no evidence (e.g. "AMIF?") does Telegram's language_code decide.
    reply = context.services.assistant.answer(text, chosen or _undecided_fallback(text, lang))
    if len(text) > 30:
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    await send_html(update, context, reply_to_html(reply))


def _undecided_fallback(text: str, lang: str) -> str | None:
    from i18n.detect import detect_language

    return None if detect_language(text).decided else lang
