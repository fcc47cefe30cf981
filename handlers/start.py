"""/start (with deep-link payloads), /help and the start menu buttons."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.callbacks import decode, encode
from handlers.common import (
    PRIVATE_BUTTON,
    BotContext,
    answering,
    edit_html,
    is_group,
    private_link,
    send_html,
    stored_language,
    user_translator,
)
from handlers.render import text_to_html
from i18n import LANGUAGES, N_, Translator, normalize_language

MENU = "menu"
HELP_TEXT = N_(
    "Ask me anything about AMIF calls in your own words: budgets, grant sizes, funding rates, "
    "deadlines, who may apply, consortium rules, priorities. I answer in English, Swedish or "
    "Finnish and always name my sources.\n\n"
    "/calls – the calls I know, with status and deadline\n"
    "/call – the key facts of one call\n"
    "/eligibility – check step by step whether you can apply\n"
    "/subscribe – deadline reminders (/unsubscribe stops them)\n"
    "/timezone – the time zone for deadlines\n"
    "/language – choose English, Svenska or Suomi\n"
    "/privacy – what I store about you\n"
    "/mydata – see it\n"
    "/forget – delete it\n"
    "/help – this text"
)
GROUP_HELP_TEXT = N_(
    "In this group, mention me (@{bot}) or reply to one of my messages with a question about "
    "AMIF calls: budgets, grant sizes, funding rates, deadlines, who may apply. I answer in "
    "English, Swedish or Finnish and always name my sources.\n\n"
    "/calls – the calls I know, with status and deadline\n"
    "/call – the key facts of one call\n"
    "/language – choose English, Svenska or Suomi\n"
    "/privacy – what I store about you\n"
    "/help – this text\n\n"
    "Eligibility checks, reminders, time zones and your stored data are personal: they work in "
    "a private chat with me."
)
MENU_BUTTON = N_("« Menu")
ASK_HINT = N_(
    "Type your question, for example: What is the funding rate of the 2024 trafficking call? "
    "Kan en dansk organisation söka? Milloin syksyn 2023 haku päättyi?"
)


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


async def start(update: Update, context: BotContext) -> None:
    """Welcome the user; a deep-link payload may pick a language or a call."""
    payload = context.args[0] if context.args else ""
    user = update.effective_user
    if payload in LANGUAGES and user is not None:
        await context.services.store.set_language(user.id, payload)
    if payload.startswith("elig"):
        from handlers.eligibility import start_from_payload

        await start_from_payload(update, context, payload)
        return
    if not is_group(update) and await continue_private_feature(update, context, payload):
        return
    t = await user_translator(update, context)
    await send_html(update, context, [welcome_html(update, t)], menu_keyboard(t))
    foreign = _unsupported_language(update, payload)
    if foreign is not None and await stored_language(update, context) is None:
        from handlers.chatter import send_languages

        await send_languages(update, context, foreign)
    if payload.startswith("call_"):
        from handlers.calls import send_call

        await send_call(update, context, payload.removeprefix("call_"))


def welcome_html(update: Update, t: Translator) -> str:
    """The greeting above the start menu, as HTML."""
    user = update.effective_user
    name = html.escape(user.first_name if user else "", quote=False)
    return t.gettext(
        "Hello {name}! I am the AMIF assistant. I answer questions about calls of the EU "
        "Asylum, Migration and Integration Fund (AMIF) and say where each fact comes from. I "
        "can also check step by step whether your organisation can apply to a call."
    ).format(name=name)


def back_to_menu(t: Translator) -> InlineKeyboardMarkup:
    """A single button back to the start menu."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext(MENU_BUTTON), callback_data=encode(MENU, "home"))]]
    )


def _unsupported_language(update: Update, payload: str) -> str | None:
    """A language asked for (/start de) or set in the app that the assistant does not speak."""
    if len(payload) == 2 and payload.isalpha() and payload.lower() not in LANGUAGES:
        return payload.lower()
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    if not payload and code and normalize_language(code) is None:
        return code.split("-")[0].lower()
    return None


async def continue_private_feature(update: Update, context: BotContext, payload: str) -> bool:
    """/start mydata, forget, subscribe[_call], unsubscribe, timezone: the link from a group."""
    feature, _, argument = payload.partition("_")
    from handlers import privacy, subscriptions

    handlers = {
        "mydata": privacy.mydata_command,
        "forget": privacy.forget_command,
        "subscribe": subscriptions.subscribe_command,
        "unsubscribe": subscriptions.unsubscribe_command,
        "timezone": subscriptions.timezone_command,
    }
    handler = handlers.get(feature)
    if handler is None:
        return False
    context.args = [argument] if argument else []
    await handler(update, context)
    return True


async def help_command(update: Update, context: BotContext) -> None:
    """List what the bot can do; in a group only what works there."""
    t = await user_translator(update, context)
    if is_group(update):
        text = t.gettext(GROUP_HELP_TEXT).format(bot=context.bot.username)
        await send_html(update, context, text_to_html(text), group_keyboard(context, t))
        return
    await send_html(update, context, text_to_html(t.gettext(HELP_TEXT)), menu_keyboard(t))


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


async def menu_button(update: Update, context: BotContext) -> None:
    """Buttons of the start menu: the menu message itself becomes the list, the hint, ..."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, MENU)
    choice = fields[0] if fields else ""
    t = await user_translator(update, context)
    async with answering(query):
        if choice == "calls":
            from handlers.calls import show_calls_in_place

            await show_calls_in_place(update, context, from_menu=True)
        elif choice == "lang":
            from handlers.language import language_command, language_keyboard

            keyboard = language_keyboard(back=back_to_menu(t).inline_keyboard[0][0])
            if not await edit_html(update, t.gettext("Choose your language:"), keyboard):
                await language_command(update, context)
        elif choice == "elig":
            from handlers.eligibility import eligibility_command

            await eligibility_command(update, context)
        elif choice == "home":
            keyboard = group_keyboard(context, t) if is_group(update) else menu_keyboard(t)
            if not await edit_html(update, welcome_html(update, t), keyboard):
                await send_html(update, context, [welcome_html(update, t)], keyboard)
        else:
            hint = text_to_html(t.gettext(ASK_HINT))
            if not await edit_html(update, hint[0], back_to_menu(t)):
                await send_html(update, context, hint)
