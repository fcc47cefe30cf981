"""Free-text questions: the core's answer, rendered as HTML with its sources."""

from __future__ import annotations

from telegram import Update

from bot.reminders import user_zone
from handlers.common import (
    BotContext,
    addressed_to_bot,
    stored_language,
    strip_mention,
    unchosen_language,
)
from handlers.feedback import send_answer_with_feedback
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
    user = update.effective_user
    chosen_zone = await context.services.store.get_timezone(user.id) if user else None
    zone = user_zone(chosen or unchosen_language(update, text), chosen_zone)
    chat = update.effective_chat
    conversation = (chat.id if chat else 0, user.id if user else 0)
    recent = context.services.recent_calls
    reply = context.services.assistant.answer(
        text, lang, zone.key, previous=recent.get(conversation)
    )
    recent.put(conversation, reply.calls)
    await send_answer_with_feedback(update, context, reply, text)
