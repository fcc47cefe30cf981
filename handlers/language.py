"""/language: buttons for English, Svenska, Suomi; the choice is stored and wins over detection."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.callbacks import decode, encode
from handlers.common import (
    BotContext,
    answer_and_edit,
    answering,
    edit_html,
    send_html,
    user_translator,
)
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


async def language_command(update: Update, context: BotContext) -> None:
    """Offer the three languages."""
    t = await user_translator(update, context)
    await send_html(update, context, [t.gettext("Choose your language:")], language_keyboard())


async def language_button(update: Update, context: BotContext) -> None:
    """Store the chosen language and confirm in it."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    fields = decode(query.data, LANG)
    if not fields or fields[0] not in LANGUAGES:
        t = await user_translator(update, context)
        await query.answer(t.gettext("This button is no longer active."))
        return
    await context.services.store.set_language(user.id, fields[0])
    t = translator(fields[0])
    confirmation = t.gettext("I will answer in English from now on.")
    if query.message is None:
        await query.answer(confirmation)
        return
    if FROM_MENU in fields[1:]:
        from handlers.start import back_to_menu

        # Chosen from the start menu: the confirmation keeps a way back to it.
        async with answering(query, confirmation):
            await edit_html(update, html.escape(confirmation, quote=False), back_to_menu(t))
        return
    await answer_and_edit(query, confirmation, confirmation)
