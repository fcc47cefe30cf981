"""/privacy, /mydata and /forget: what is stored, showing it, deleting it after a confirmation."""

from __future__ import annotations

import html
import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.operator import ANSWER_RETENTION
from handlers.callbacks import decode, encode
from handlers.common import BotContext, answer_and_edit, send_html, user_translator
from handlers.render import text_to_html
from i18n import N_

FORGET = "forget"
PRIVACY_TEXT = N_(
    "What I store, and why:\n"
    "• Your language choice (/language) and time zone (/timezone), if you set them, so I answer "
    "in them.\n"
    "• The answers you give in an eligibility check, so you can continue after a break or a "
    "restart. Unfinished checks are deleted automatically after {hours} hours.\n"
    "• Your deadline reminders, if you subscribe with /subscribe, and which ones were sent.\n\n"
    "What I do not store: the questions you type, your name, your phone number or anything else "
    "about you. 👍/👎 votes on answers are kept without any link to you. Your Telegram user id is "
    "the key that keeps your data apart from others'.\n\n"
    "/mydata shows everything stored about you; /forget deletes it at once."
)
# Under STORE_QUESTIONS the questions are kept with the asker's id (bot/storage.py, table
# questions), so that /mydata and /forget can find them; the notice must say so.
QUESTIONS_STORED_TEXT = N_(
    "Unlike what is said above, the operator of this bot has turned on keeping the questions "
    "you type, to improve the answers. Each question is kept with your Telegram user id for "
    "{days} days: /mydata shows it and /forget deletes it."
)


async def privacy_command(update: Update, context: BotContext) -> None:
    """Explain what is stored, for how long and why."""
    t = await user_translator(update, context)
    settings = context.services.settings
    text = t.gettext(PRIVACY_TEXT).format(hours=t.format_number(round(settings.dialog_ttl_hours)))
    if settings.store_questions:
        days = t.format_number(ANSWER_RETENTION.days)
        text += "\n\n" + t.gettext(QUESTIONS_STORED_TEXT).format(days=days)
    await send_html(update, context, text_to_html(text))


async def mydata_command(update: Update, context: BotContext) -> None:
    """Show everything stored about the user."""
    user = update.effective_user
    if user is None:
        return
    t = await user_translator(update, context)
    data = await context.services.store.export_user(user.id)
    if not _has_rows(data):
        await send_html(
            update, context, text_to_html(t.gettext("I have no data stored about you."))
        )
        return
    dump = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    head = html.escape(t.gettext("This is everything I have stored about you:"), quote=False)
    body = f"<pre>{html.escape(dump[:3500], quote=False)}</pre>"
    await send_html(update, context, [head + "\n" + body])


def _has_rows(data: object) -> bool:
    if isinstance(data, dict):
        return any(_has_rows(v) for k, v in data.items() if k != "user_id")
    if isinstance(data, list | tuple):
        return bool(data)
    return data is not None


async def forget_command(update: Update, context: BotContext) -> None:
    """Ask for confirmation before deleting the user's data."""
    t = await user_translator(update, context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Delete my data"), callback_data=encode(FORGET, "yes")
                ),
                InlineKeyboardButton(t.gettext("Cancel"), callback_data=encode(FORGET, "no")),
            ]
        ]
    )
    await send_html(
        update,
        context,
        text_to_html(
            t.gettext(
                "This deletes everything I have stored about you: your language and time zone, "
                "your reminders and any eligibility check in progress. Delete it?"
            )
        ),
        keyboard,
    )


async def forget_button(update: Update, context: BotContext) -> None:
    """Delete every row about the user after the confirmation button, and say so."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    fields = decode(query.data, FORGET)
    t = await user_translator(update, context)
    if fields != ["yes"]:
        await answer_and_edit(query, None, t.gettext("Nothing was deleted."))
        return
    await context.services.store.forget_user(user.id)
    done = t.gettext("Done: I have deleted all data I had stored about you.")
    await answer_and_edit(query, None, done)
