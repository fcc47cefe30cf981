"""What every handler shares: its context and UserContext, sending HTML safely, private flows."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import re
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, CallbackContext, ExtBot

from bot.context import SERVICES_KEY
from bot.services import ChatKind, Services, UserContext
from handlers.callbacks import SHARED_PREFIXES, owner_of, with_owner, without_owner
from i18n import N_, normalize_language

FOREIGN_BUTTON = N_(
    "These buttons belong to someone else's request. Send the command yourself to get your own."
)
INACTIVE_BUTTON = N_("This button is no longer active.")


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Callback context with typed access to the services (PTB's contexttypesbot pattern).

    PTB makes one context per update and hands the same one to every handler group, so the
    update's UserContext is kept on it (`user_context`) and built only once.
    """

    user_context: UserContext | None = None

    @property
    def services(self) -> Services:
        """The application's services."""
        services = self.application.bot_data.get(SERVICES_KEY)
        if not isinstance(services, Services):
            raise RuntimeError("services are not attached to the application")
        return services


UserHandler = Callable[[Update, BotContext, UserContext], Coroutine[Any, Any, None]]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


async def user_context(update: Update, context: BotContext) -> UserContext:
    """The update's UserContext: built on first use, then kept on the context for the update.

    Like aiogram's I18nMiddleware, the language is resolved here once: the /language choice,
    else the language the user's Telegram app is set to, else English.
    """
    cached = context.user_context
    if cached is not None:
        return cached
    user, chat = update.effective_user, update.effective_chat
    chosen = zone = None
    if user is not None:
        store = context.services.store
        chosen = await store.get_language(user.id)
        zone = await store.get_timezone(user.id)
    client = normalize_language(user.language_code if user else None)
    built = UserContext(
        lang=chosen or client or "en",
        chosen=chosen,
        zone_name=zone,
        chat=_chat_kind(update),
        user_id=user.id if user else None,
        chat_id=chat.id if chat else None,
    )
    context.user_context = built
    return built


def with_user(handler: UserHandler) -> Callback:
    """The PTB callback that runs handler with the update's UserContext.

    The composition root wraps every row of the handler table (handlers/routes.py) in it,
    rather than adding a TypeHandler in a group of its own: only updates a handler takes pay
    for the two settings lookups, the context a handler needs is in its signature (mypy checks
    every call, also between handlers), and the owner check and the handler of one update
    share it through the update's one CallbackContext.
    """

    @functools.wraps(handler)
    async def run(update: Update, context: BotContext) -> None:
        await handler(update, context, await user_context(update, context))

    return run


def _chat_kind(update: Update) -> ChatKind:
    chat = update.effective_chat
    if chat is None:
        return ChatKind.OTHER
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return ChatKind.GROUP
    return ChatKind.PRIVATE if chat.type == ChatType.PRIVATE else ChatKind.OTHER


def is_group(update: Update) -> bool:
    """Whether the update comes from a group or supergroup."""
    return _chat_kind(update) is ChatKind.GROUP


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


async def refuse_foreign_press(update: Update, context: BotContext, user: UserContext) -> None:
    """A press on a button shown to someone else gets a toast and changes nothing."""
    query = update.callback_query
    if query is None or user.user_id is None or not isinstance(query.data, str):
        return
    data = query.data
    if without_owner(data).partition(":")[0] in SHARED_PREFIXES:
        return
    owner = owner_of(data)
    if owner is None:
        if query.message is None or not user.group:
            return  # an inline message, or a private chat: only its user can press
        notice = INACTIVE_BUTTON  # a group button from before owners were marked
    elif owner == user.user_id:
        return
    else:
        notice = FOREIGN_BUTTON
    await query.answer(user.t.gettext(notice))
    raise ApplicationHandlerStop


PRIVATE_BUTTON = N_("Continue in a private chat")
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def private_link(context: BotContext, payload: str) -> str:
    """The deep link that opens the private chat with the bot and runs /start payload."""
    if not _PAYLOAD.match(payload):
        payload = payload.split("_", 1)[0]
    return f"https://t.me/{context.bot.username}?start={payload}"


async def send_to_private_chat(
    update: Update, context: BotContext, user: UserContext, explanation: str, payload: str
) -> bool:
    """In a group, answer with a button to the private chat instead; False in a private chat.

    The reply says nothing about what is stored: the group only learns that the user asked.
    """
    if not user.group:
        return False
    t = user.t
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
