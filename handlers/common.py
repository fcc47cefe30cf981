"""What every handler shares: typed services, the user's language, sending HTML safely."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ExtBot

from bot.assistant import Assistant
from bot.config import Settings
from bot.eligibility import EligibilitySessions
from bot.followups import RecentCalls
from bot.stores import Store
from handlers.callbacks import SHARED_PREFIXES, owner_of, with_owner, without_owner
from i18n import N_, Translator, normalize_language, translator
from i18n.detect import detect_language

# The owner check runs before every other handler group (operator features use -10).
OWNER_GROUP = -20
FOREIGN_BUTTON = N_(
    "These buttons belong to someone else's request. Send the command yourself to get your own."
)
INACTIVE_BUTTON = N_("This button is no longer active.")


@dataclass
class Services:
    """The long-lived services handlers use, opened and closed with the application."""

    settings: Settings
    assistant: Assistant
    store: Store
    sessions: EligibilitySessions
    recent_calls: RecentCalls = field(default_factory=RecentCalls)
    # Users already asked which zone to show times in (handlers/subscriptions.ask_zone_once).
    zone_asked: set[int] = field(default_factory=set)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Callback context with typed access to the services (PTB's contexttypesbot pattern)."""

    @property
    def services(self) -> Services:
        """The application's services."""
        services = self.application.bot_data.get("services")
        if not isinstance(services, Services):
            raise RuntimeError("services are not attached to the application")
        return services


BotApp = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


async def stored_language(update: Update, context: BotContext) -> str | None:
    """The language the user chose with /language, if any."""
    user = update.effective_user
    if user is None:
        return None
    return await context.services.store.get_language(user.id)


async def user_language(update: Update, context: BotContext, text: str | None = None) -> str:
    """Reply language: the stored choice, else the message's language, else Telegram's, else en."""
    chosen = await stored_language(update, context)
    return chosen or unchosen_language(update, text)


def unchosen_language(update: Update, text: str | None = None) -> str:
    """The language when the user chose none: the message's, else Telegram's, else English."""
    if text:
        detection = detect_language(text)
        if detection.decided:
            return detection.lang
    user = update.effective_user
    from_client = normalize_language(user.language_code if user else None)
    return from_client or "en"


async def user_translator(
    update: Update, context: BotContext, text: str | None = None
) -> Translator:
    """The translator for the user's reply language."""
    return translator(await user_language(update, context, text))


def is_group(update: Update) -> bool:
    """Whether the update comes from a group or supergroup."""
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def addressed_to_bot(update: Update, context: BotContext) -> bool:
    """In groups the bot only reacts to mentions of itself and replies to its own messages."""
    message = update.effective_message
    if message is None:
        return False
    if not is_group(update):
        return True
    me = context.bot.username
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == context.bot.id:
        return True
    text = message.text or message.caption or ""
    return bool(me) and f"@{me}".casefold() in text.casefold()


def strip_mention(text: str, context: BotContext) -> str:
    """The message text without '@botname'."""
    me = context.bot.username
    if me:
        text = text.replace(f"@{me}", " ")
    return text.strip()


async def send_html(
    update: Update,
    context: BotContext,
    messages: Sequence[str],
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send HTML messages to the update's chat; the keyboard goes under the last one."""
    chat = update.effective_chat
    if chat is None:
        return None
    keyboard = owned_keyboard(update, keyboard)
    last: Message | None = None
    for index, text in enumerate(messages):
        markup = keyboard if index == len(messages) - 1 else None
        last = await context.bot.send_message(
            chat.id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            message_thread_id=_thread(update),
        )
    return last


async def edit_html(
    update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> bool:
    """Replace the pressed button's message with HTML text; False when it cannot be edited.

    A menu edited in place keeps the chat short; a press on an inline message or a message too
    old to edit is answered with a new message by the caller instead.
    """
    query = update.callback_query
    if query is None or query.message is None:
        return False
    try:
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=owned_keyboard(update, keyboard)
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True  # pressed twice: the message already shows it
        if "can't be edited" in str(exc).lower() or "not found" in str(exc).lower():
            return False
        raise
    return True


def owned_keyboard(
    update: Update, keyboard: InlineKeyboardMarkup | None
) -> InlineKeyboardMarkup | None:
    """In a group, every callback button carries the id of the user it is shown to.

    A button whose data cannot take the owner within 64 bytes is left out rather than sent
    pressable by everyone; in a private chat the chat itself says whose buttons they are.
    """
    user = update.effective_user
    if keyboard is None or user is None or not is_group(update):
        return keyboard
    rows: list[list[InlineKeyboardButton]] = []
    for row in keyboard.inline_keyboard:
        buttons: list[InlineKeyboardButton] = []
        for button in row:
            data = button.callback_data
            if not isinstance(data, str) or data.partition(":")[0] in SHARED_PREFIXES:
                buttons.append(button)
                continue
            owned = with_owner(data, user.id)
            if owned is not None:
                buttons.append(InlineKeyboardButton(button.text, callback_data=owned))
        if buttons:
            rows.append(buttons)
    return InlineKeyboardMarkup(rows)


async def refuse_foreign_press(update: Update, context: BotContext) -> None:
    """A press on a button shown to someone else gets a toast and changes nothing."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or not isinstance(query.data, str):
        return
    data = query.data
    if without_owner(data).partition(":")[0] in SHARED_PREFIXES:
        return
    owner = owner_of(data)
    if owner is None:
        if query.message is None or not is_group(update):
            return  # an inline message, or a private chat: only its user can press
        notice = INACTIVE_BUTTON  # a group button from before owners were marked
    elif owner == user.id:
        return
    else:
        notice = FOREIGN_BUTTON
    t = await user_translator(update, context)
    await query.answer(t.gettext(notice))
    raise ApplicationHandlerStop


PRIVATE_BUTTON = N_("Continue in a private chat")
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def private_link(context: BotContext, payload: str) -> str:
    """The deep link that opens the private chat with the bot and runs /start payload."""
    if not _PAYLOAD.match(payload):
        payload = payload.split("_", 1)[0]
    return f"https://t.me/{context.bot.username}?start={payload}"


async def send_to_private_chat(
    update: Update, context: BotContext, explanation: str, payload: str
) -> bool:
    """In a group, answer with a button to the private chat instead; False in a private chat.

    The reply says nothing about what is stored: the group only learns that the user asked.
    """
    if not is_group(update):
        return False
    t = await user_translator(update, context)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext(PRIVATE_BUTTON), url=private_link(context, payload))]]
    )
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id,
        html.escape(t.gettext(explanation), quote=False),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        message_thread_id=_thread(update),
    )
    return True


def _thread(update: Update) -> int | None:
    message = update.effective_message
    if message is not None and message.is_topic_message:
        return message.message_thread_id
    return None


@contextlib.asynccontextmanager
async def answering(query: CallbackQuery, notice: str | None = None) -> AsyncIterator[None]:
    """Answer a button press while the body shows its result.

    The answer and the body's edit or message go out together, so the user waits one round trip
    to Telegram instead of two (each about 50-150 ms from a server in Europe). A failed answer
    is raised once the body is done.
    """
    answer = asyncio.ensure_future(query.answer(notice))
    try:
        yield
    finally:
        await answer


async def answer_and_edit(query: CallbackQuery, notice: str | None, text: str) -> None:
    """Answer a button press and replace its message's text, both at once."""
    async with answering(query, notice):
        await query.edit_message_text(text)
