"""/start (with deep-link payloads), /help and the start menu buttons."""

from __future__ import annotations

import html

from telegram import Update

from bot.services import UserContext
from handlers import calls, eligibility, privacy, subscriptions
from handlers.callbacks import decode
from handlers.chatter import send_languages
from handlers.common import BotContext, UserHandler, answering, edit_html, send_html
from handlers.language import language_command, language_keyboard
from handlers.menus import MENU, back_to_menu, group_keyboard, menu_button, menu_keyboard
from handlers.render import text_to_html
from i18n import LANGUAGES, N_, Translator, normalize_language

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
ASK_HINT = N_(
    "Type your question, for example: What is the funding rate of the 2024 trafficking call? "
    "Kan en dansk organisation söka? Milloin syksyn 2023 haku päättyi?"
)


async def start(update: Update, context: BotContext, user: UserContext) -> None:
    """Welcome the user; a deep-link payload may pick a language or a call."""
    payload = context.args[0] if context.args else ""
    if payload in LANGUAGES and user.user_id is not None:
        await context.services.store.set_language(user.user_id, payload)
        user = context.user_context = user.choosing(payload)
    if payload.startswith("elig"):
        await eligibility.start_from_payload(update, context, user, payload)
        return
    if not user.group and await continue_private_feature(update, context, user, payload):
        return
    t = user.t
    await send_html(update, context, [welcome_html(update, t)], menu_keyboard(t))
    foreign = _unsupported_language(update, payload)
    if foreign is not None and user.chosen is None:
        await send_languages(update, context, foreign)
    if payload.startswith("call_"):
        await calls.send_call(update, context, user, payload.removeprefix("call_"))


def welcome_html(update: Update, t: Translator) -> str:
    """The greeting above the start menu, as HTML."""
    user = update.effective_user
    name = html.escape(user.first_name if user else "", quote=False)
    return t.gettext(
        "Hello {name}! I am the AMIF assistant. I answer questions about calls of the EU "
        "Asylum, Migration and Integration Fund (AMIF) and say where each fact comes from. I "
        "can also check step by step whether your organisation can apply to a call."
    ).format(name=name)


def _unsupported_language(update: Update, payload: str) -> str | None:
    """A language asked for (/start de) or set in the app that the assistant does not speak."""
    if len(payload) == 2 and payload.isalpha() and payload.lower() not in LANGUAGES:
        return payload.lower()
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    if not payload and code and normalize_language(code) is None:
        return code.split("-")[0].lower()
    return None


async def continue_private_feature(
    update: Update, context: BotContext, user: UserContext, payload: str
) -> bool:
    """/start mydata, forget, subscribe[_call], unsubscribe, timezone: the link from a group."""
    feature, _, argument = payload.partition("_")
    handlers: dict[str, UserHandler] = {
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
    await handler(update, context, user)
    return True


async def help_command(update: Update, context: BotContext, user: UserContext) -> None:
    """List what the bot can do; in a group only what works there."""
    t = user.t
    if user.group:
        text = t.gettext(GROUP_HELP_TEXT).format(bot=context.bot.username)
        await send_html(update, context, text_to_html(text), group_keyboard(context, t))
        return
    await send_html(update, context, text_to_html(t.gettext(HELP_TEXT)), menu_keyboard(t))


async def menu_pressed(update: Update, context: BotContext, user: UserContext) -> None:
    """Buttons of the start menu: the menu message itself becomes the list, the hint, ..."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, MENU)
    choice = fields[0] if fields else ""
    t = user.t
    async with answering(query):
        if choice == "calls":
            await calls.show_calls_in_place(update, context, user, from_menu=True)
        elif choice == "lang":
            keyboard = language_keyboard(back=menu_button(t))
            if not await edit_html(update, t.gettext("Choose your language:"), keyboard):
                await language_command(update, context, user)
        elif choice == "elig":
            await eligibility.eligibility_command(update, context, user)
        elif choice == "home":
            keyboard = group_keyboard(context, t) if user.group else menu_keyboard(t)
            if not await edit_html(update, welcome_html(update, t), keyboard):
                await send_html(update, context, [welcome_html(update, t)], keyboard)
        else:
            hint = text_to_html(t.gettext(ASK_HINT))
            if not await edit_html(update, hint[0], back_to_menu(t)):
                await send_html(update, context, hint)
