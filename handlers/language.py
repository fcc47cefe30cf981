"""/language: buttons for English, Svenska, Suomi; the choice is stored and wins over detection."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.services import UserContext
from handlers.callbacks import decode, encode
from handlers.common import BotContext, answer_and_edit, answering, edit_html, send_html
from handlers.menus import back_to_menu
from i18n import LANGUAGE_NAMES, LANGUAGES, translator

LANG = "lang"


FROM_MENU = "m"


def language_keyboard(back: InlineKeyboardButton | None = None) -> InlineKeyboardMarkup:
    """A button per language, and optionally one back to where the user came from (the menu)."""
    rows = [
        [
            InlineKeyboardButton(
                LANGUAGE_NAMES[code],
                callback_data=encode(LANG, code, FROM_MENU) if back else encode(LANG, code),
            )
            for code in LANGUAGES
        ]
    ]
    if back is not None:
        rows.append([back])
    return InlineKeyboardMarkup(rows)


async def language_command(update: Update, context: BotContext, user: UserContext) -> None:
    """Offer the three languages."""
    text = user.t.gettext("Choose your language:")
    await send_html(update, context, [text], language_keyboard())


async def language_button(update: Update, context: BotContext, user: UserContext) -> None:
    """Store the chosen language and confirm in it."""
    query = update.callback_query
    if query is None or user.user_id is None:
        return
    fields = decode(query.data, LANG)
    if not fields or fields[0] not in LANGUAGES:
        await query.answer(user.t.gettext("This button is no longer active."))
        return
    await context.services.store.set_language(user.user_id, fields[0])
    context.user_context = user.choosing(fields[0])
    t = translator(fields[0])
    confirmation = t.gettext("I will answer in English from now on.")
    if query.message is None:
        await query.answer(confirmation)
        return
    if FROM_MENU in fields[1:]:
        # Chosen from the start menu: the confirmation keeps a way back to it.
        async with answering(query, confirmation):
            await edit_html(update, html.escape(confirmation, quote=False), back_to_menu(t))
        return
    await answer_and_edit(query, confirmation, confirmation)
