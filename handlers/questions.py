"""Free-text questions: the core's answer, rendered as HTML with its sources."""

from __future__ import annotations

from telegram import Update

from bot.assistant import MAX_QUESTION_CHARS
from bot.reminders import user_zone
from handlers.chatter import long_message_note, reply_to_chatter, shorten_long_message
from handlers.common import (
    BotContext,
    addressed_to_bot,
    send_html,
    stored_language,
    strip_mention,
    unchosen_language,
)
from handlers.feedback import send_answer_with_feedback
from handlers.render import text_to_html
from handlers.subscriptions import ask_zone_once
from i18n.detect import detect_language


async def answer_question(update: Update, context: BotContext) -> None:
    """Answer a text message (new or edited) with the assistant's reply."""
    message = update.effective_message
    if message is None or message.text is None or not addressed_to_bot(update, context):
        return
    await answer_text(update, context, message.text)


async def answer_text(update: Update, context: BotContext, raw: str) -> None:
    """Answer typed text (a message or a caption): a check step, small talk or a question."""
    from handlers.eligibility import continue_by_text

    if await continue_by_text(update, context, raw):
        return
    text = strip_mention(raw, context)
    if await reply_to_chatter(update, context, text):
        return
    # A pasted message longer than one question may be: answer its first question, and say so.
    text, original = shorten_long_message(text, MAX_QUESTION_CHARS)
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
    if original is not None:
        note = long_message_note(reply.lang, original, text)
        await send_html(update, context, text_to_html(note))
    await send_answer_with_feedback(update, context, reply, text)
    await ask_zone_once(update, context, reply.lang, reply.text)
