"""What the bot does not understand: stickers, photos, voice, files, unknown commands."""

from __future__ import annotations

from telegram import Update

from bot.services import UserContext
from handlers.common import BotContext, addressed_to_bot, send_html
from handlers.questions import answer_text
from handlers.render import text_to_html
from handlers.start import HELP_TEXT


async def unsupported_message(update: Update, context: BotContext, user: UserContext) -> None:
    """A photo's caption is answered like a text; anything else gets a hint of what works."""
    if user.group and not addressed_to_bot(update, context):
        return
    message = update.effective_message
    if message is not None and message.caption and message.caption.strip():
        await answer_text(update, context, user, message.caption)
        return
    t = user.t
    await send_html(
        update,
        context,
        text_to_html(
            t.gettext(
                "I can only read text messages. Type your question about AMIF calls, or send "
                "/help to "
                "see what I can do."
            )
        ),
    )


async def unknown_command(update: Update, context: BotContext, user: UserContext) -> None:
    """An unknown command gets the help text."""
    message = update.effective_message
    if user.group and not addressed_to_bot(update, context):
        return
    t = user.t
    command = (message.text or "").split()[0][:40] if message and message.text else ""
    text = t.gettext("I don't know the command {command}.").format(command=command)
    await send_html(update, context, text_to_html(text + "\n\n" + t.gettext(HELP_TEXT)))
