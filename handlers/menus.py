"""The start menu's keyboards, and the button back to it from the screens it opens."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callbacks import encode
from handlers.common import PRIVATE_BUTTON, BotContext, private_link
from i18n import N_, Translator

MENU = "menu"
MENU_BUTTON = N_("« Menu")


def menu_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """The start menu: the common first steps."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Ask a question"), callback_data=encode(MENU, "ask")
                ),
                InlineKeyboardButton(t.gettext("Calls"), callback_data=encode(MENU, "calls")),
            ],
            [
                InlineKeyboardButton(
                    t.gettext("Eligibility check"), callback_data=encode(MENU, "elig")
                ),
                InlineKeyboardButton(t.gettext("Language"), callback_data=encode(MENU, "lang")),
            ],
        ]
    )


def group_keyboard(context: BotContext, t: Translator) -> InlineKeyboardMarkup:
    """In a group: the calls, the language, and a way to the private chat."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("Calls"), callback_data=encode(MENU, "calls")),
                InlineKeyboardButton(t.gettext("Language"), callback_data=encode(MENU, "lang")),
            ],
            [InlineKeyboardButton(t.gettext(PRIVATE_BUTTON), url=private_link(context, "start"))],
        ]
    )


def menu_button(t: Translator) -> InlineKeyboardButton:
    """The button back to the start menu."""
    return InlineKeyboardButton(t.gettext(MENU_BUTTON), callback_data=encode(MENU, "home"))


def back_to_menu(t: Translator) -> InlineKeyboardMarkup:
    """A single button back to the start menu."""
    return InlineKeyboardMarkup([[menu_button(t)]])
