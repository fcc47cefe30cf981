"""The fake's state, shared by its halves: chats and users, the bot's messages, waking waiters
in any event loop (the HTTP server may run in a thread of its own), and the checks every
method that writes to a chat makes (membership, flood control, link previews)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.support.telegram.api import (
    ApiCall,
    ApiError,
    BotMessage,
    CallbackAnswer,
    ChatActionRecord,
    FakeChat,
    FakeUser,
    InlineAnswer,
    JsonDict,
    WebhookState,
    bad_request,
)
from tests.support.telegram.faults import FLOOD_COUNTED, FloodControl


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class ChangeSignal:
    """A version counter that coroutines in any event loop can wait on for the next change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    @property
    def version(self) -> int:
        """The number of changes so far."""
        with self._lock:
            return self._version

    def notify(self) -> None:
        """Count a change and wake every waiter."""
        with self._lock:
            self._version += 1
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits there
                loop.call_soon_threadsafe(_resolve, future)

    async def wait(self, seen: int, timeout: float | None) -> None:
        """Return once the version moved past `seen`, or after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (loop, future)
        with self._lock:
            if self._version != seen:
                return
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove(waiter)


@dataclass
class ChatState:
    """One chat as Telegram holds it: its messages both ways and the bot's membership."""

    chat: FakeChat
    next_message_id: int = 1
    bot_messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, JsonDict] = field(default_factory=dict)
    bot_status: Literal["member", "kicked", "left"] = "member"


@dataclass
class PendingQuery:
    """A button press the bot has not answered yet: where it came from."""

    chat_id: int | None
    message_id: int | None
    key: int


def chat_id_of(chat: FakeChat | int) -> int:
    """The id of a chat given as itself or by id."""
    return chat.id if isinstance(chat, FakeChat) else chat


def scope_key(scope: Mapping[str, Any] | None) -> str:
    """A command scope as a key of the stored menus (no scope: the default one)."""
    return json.dumps(dict(scope) if scope else {"type": "default"}, sort_keys=True)


class TelegramState:
    """What Telegram holds for the bot, and the reads every half of the fake shares."""

    token: str
    bot_id: int
    bot_username: str
    bot_first_name: str
    can_read_all_group_messages: bool
    inline_mode: bool
    strict_html_ampersand: bool
    flood: FloodControl | None

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._changed = ChangeSignal()
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, ChatState] = {}
        self._default_user: FakeUser | None = None
        self._calls: list[ApiCall] = []
        self._sent: list[BotMessage] = []
        self._edits: list[BotMessage] = []
        self._callback_answers: list[CallbackAnswer] = []
        self._chat_actions: list[ChatActionRecord] = []
        self._inline_answers: list[InlineAnswer] = []
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._webhook = WebhookState()
        self._pending_updates: list[JsonDict] = []
        self._delivered_ids: set[int] = set()
        self._confirmed_below = 0
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._pending_queries: dict[str, PendingQuery] = {}
        self._pending_inline: dict[str, int] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._activity: Counter[int] = Counter()
        self._logged_out = False
        self.closed = False
        self._update_ids = itertools.count(100_001)
        self._user_ids = itertools.count(10_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_000_001)
        self._file_ids = itertools.count(1)

    # -- the bot's identity -----------------------------------------------------------------

    def bot_user(self) -> JsonDict:
        """The bot as a User object (the `from` of its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def get_me(self) -> JsonDict:
        """What getMe answers."""
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": self.inline_mode,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def message(self, chat: FakeChat | int, message_id: int) -> BotMessage:
        """One of the bot's messages as it stands now."""
        with self._lock:
            state = self._chats.get(chat_id_of(chat))
            if state is None or message_id not in state.bot_messages:
                raise KeyError(f"the bot has no message {message_id} in chat {chat_id_of(chat)}")
            return state.bot_messages[message_id]

    def add_file(self, content: bytes, file_path: str | None = None) -> str:
        """Store a file the bot can fetch with getFile and download; returns its file_id."""
        with self._lock:
            number = next(self._file_ids)
            file_id = f"FAKEFILE{number:06d}"
            self._files[file_id] = (file_path or f"documents/file_{number}", content)
            return file_id

    # -- what writing to a chat checks --------------------------------------------------------

    def _writable_chat(self, params: JsonDict) -> ChatState:
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        chat_id = params["chat_id"]
        if isinstance(chat_id, str):
            state = next(
                (
                    s
                    for s in self._chats.values()
                    if s.chat.username
                    and f"@{s.chat.username}".lower() == chat_id.lower()
                    and s.chat.is_group
                ),
                None,
            )
        else:
            state = self._chats.get(chat_id)
        if state is None:
            if isinstance(chat_id, int) and chat_id in self._users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        if state.bot_status == "kicked":
            if state.chat.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {state.chat.type} chat")
        if state.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {state.chat.type} chat")
        return state

    def _admit(self, name: str, state: ChatState) -> None:
        if self.flood is None or name not in FLOOD_COUNTED:
            return
        retry_after = self.flood.admit(state.chat.id, state.chat.is_group)
        if retry_after is not None:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def _link_preview(self, params: JsonDict) -> Mapping[str, Any] | None:
        options = params.get("link_preview_options")
        if options is not None:
            if not isinstance(options, dict):
                raise bad_request("can't parse link preview options JSON object (fake)")
            for key in ("is_disabled", "prefer_small_media", "prefer_large_media"):
                if key in options and not isinstance(options[key], bool):
                    raise bad_request(f'field "{key}" must be of type Boolean')
            return dict(options)
        if params.get("disable_web_page_preview"):
            return {"is_disabled": True}
        return None

    # -- messages as the Bot API shows them ---------------------------------------------------

    def message_dict(self, message: BotMessage) -> JsonDict:
        """A bot message as the Bot API returns it (and as updates quote it)."""
        with self._lock:
            chat = self._chats[message.chat_id].chat
            data: JsonDict = {
                "message_id": message.message_id,
                "from": self.bot_user(),
                "chat": chat.to_api(),
                "date": message.date,
            }
            if message.document is not None:
                document = message.document
                data["document"] = {
                    "file_id": document.file_id,
                    "file_unique_id": f"U{document.file_id}",
                    "file_name": document.file_name,
                    "mime_type": document.mime_type,
                    "file_size": len(document.content),
                }
                if message.text:
                    data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = [dict(entity) for entity in message.entities]
            else:
                data["text"] = message.text
                if message.entities:
                    data["entities"] = [dict(entity) for entity in message.entities]
            if message.edit_date is not None:
                data["edit_date"] = message.edit_date
            if message.link_preview_options:
                data["link_preview_options"] = dict(message.link_preview_options)
            if message.reply_markup and "inline_keyboard" in message.reply_markup:
                data["reply_markup"] = dict(message.reply_markup)
            if message.reply_to_message_id is not None:
                replied = self._any_message(message.chat_id, message.reply_to_message_id)
                if replied is not None:
                    data["reply_to_message"] = replied
            return data

    def _any_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        state = self._chats[chat_id]
        if message_id in state.user_messages:
            return state.user_messages[message_id]
        if message_id in state.bot_messages:
            quoted = self.message_dict(state.bot_messages[message_id])
            quoted.pop("reply_to_message", None)
            return quoted
        return None
