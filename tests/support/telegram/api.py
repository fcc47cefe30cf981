"""The Bot API's values as the fake sees them: errors, replies, users, chats, messages."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

JsonDict = dict[str, Any]
UpdateFeed = Callable[[JsonDict], Awaitable[object]]

DEFAULT_TOKEN = "7000000001:AAFakeTelegramTokenForTests0123456789"
MAX_MESSAGE_UTF16 = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_CHARS = 200
MAX_INLINE_KEYBOARD_BUTTONS = 100
MAX_BOT_COMMANDS = 100
MAX_INLINE_RESULTS = 50
MAX_CAPTION_UTF16 = 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

# The fields that make an inline button act; Telegram takes exactly one of them.
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class ApiError(Exception):
    """A refusal by the fake Telegram, carrying Telegram's status and description."""

    def __init__(
        self, status: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = dict(parameters) if parameters else None


def bad_request(description: str) -> ApiError:
    """Telegram's 400 with its "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class ApiReply:
    """What the fake answers one call with: an HTTP status and body, or no answer at all."""

    status: int
    body: bytes
    content_type: str = "application/json"
    dropped: bool = False

    @property
    def payload(self) -> JsonDict | None:
        """The decoded JSON body, or None when the body is not JSON (a 502 page)."""
        try:
            decoded = json.loads(self.body)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None


def ok_reply(result: object, description: str | None = None) -> ApiReply:
    """A successful answer carrying `result` (and a description, as setWebhook has)."""
    body: JsonDict = {"ok": True, "result": result}
    if description is not None:
        body["description"] = description
    return ApiReply(200, json.dumps(body, ensure_ascii=False).encode())


def error_reply(error: ApiError) -> ApiReply:
    """A refusal in Telegram's JSON shape."""
    body: JsonDict = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return ApiReply(error.status, json.dumps(body, ensure_ascii=False).encode())


# The connection closes without an answer.
DROPPED = ApiReply(0, b"", dropped=True)


@dataclass(frozen=True)
class ApiCall:
    """One call the bot made: the method, its decoded parameters and how the fake answered."""

    method: str
    params: Mapping[str, Any]
    status: int | None
    description: str | None = None
    performed: bool = False


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user (a person) that can talk to the bot."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"

    def to_api(self) -> JsonDict:
        """The user as the Bot API shows it."""
        data: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class FakeChat:
    """A chat the bot is in: a private chat with one user, a group or a supergroup."""

    id: int
    type: Literal["private", "group", "supergroup"]
    title: str | None = None
    username: str | None = None
    first_name: str | None = None

    @property
    def is_group(self) -> bool:
        """True for groups and supergroups."""
        return self.type != "private"

    def to_api(self) -> JsonDict:
        """The chat as the Bot API shows it."""
        data: JsonDict = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class InlineButton:
    """One button of an inline keyboard; `action` names the field that makes it act."""

    text: str
    action: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (what sendDocument receives as `document`)."""

    file_name: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class SentDocument:
    """The document of a bot message: what the user downloads."""

    file_id: str
    file_name: str
    mime_type: str
    content: bytes


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as it currently stands (edits applied).

    `text` is what the user sees (HTML parsed away); `raw_text` is what the bot sent.
    """

    chat_id: int
    message_id: int
    text: str
    raw_text: str
    parse_mode: str | None
    entities: tuple[Mapping[str, Any], ...]
    reply_markup: Mapping[str, Any] | None
    link_preview_options: Mapping[str, Any] | None
    reply_to_message_id: int | None
    date: int
    edit_date: int | None = None
    edit_count: int = 0
    # A document message: `text` is then its caption ("" without one).
    document: SentDocument | None = None

    @property
    def keyboard(self) -> tuple[tuple[InlineButton, ...], ...]:
        """The inline keyboard, row by row (empty when there is none)."""
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return ()
        rows = []
        for row in self.reply_markup["inline_keyboard"]:
            buttons = []
            for button in row:
                action = next(key for key in BUTTON_ACTIONS if key in button)
                buttons.append(
                    InlineButton(
                        text=button["text"],
                        action=action,
                        callback_data=button.get("callback_data"),
                        url=button.get("url"),
                    )
                )
            rows.append(tuple(buttons))
        return tuple(rows)

    @property
    def buttons(self) -> list[InlineButton]:
        """The inline keyboard's buttons, left to right, top to bottom."""
        return [button for row in self.keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        """The labels of the inline keyboard's buttons."""
        return [button.text for button in self.buttons]

    @property
    def link_preview_disabled(self) -> bool:
        """True when the bot turned the link preview off for this message."""
        return bool(self.link_preview_options and self.link_preview_options.get("is_disabled"))


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answer to a button press (answerCallbackQuery)."""

    callback_query_id: str
    chat_id: int | None
    message_id: int | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class ChatActionRecord:
    """A chat action the bot showed ("typing", ...)."""

    chat_id: int
    action: str


@dataclass(frozen=True)
class InlineAnswer:
    """The bot's answer to an inline query."""

    inline_query_id: str
    results: tuple[Mapping[str, Any], ...]
    cache_time: int | None
    is_personal: bool


@dataclass(frozen=True)
class WebhookState:
    """The webhook Telegram holds for the bot; an empty url means polling."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: tuple[str, ...] | None = None
