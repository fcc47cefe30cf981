"""A strict fake of the Telegram Bot API servers, for tests.

Only the Telegram servers are faked, at the HTTP seam: the bot under test runs the real
python-telegram-bot (PTB) code, either in-process through `FakeRequest` or over real HTTP
against `FakeTelegramServer` (also from another process). Both share one `FakeTelegram` core,
which answers like Telegram does, with Telegram's error shapes, and records everything.

In-process, through PTB's own Application::

    core = FakeTelegram()
    app = (ApplicationBuilder().token(core.token)
           .request(FakeRequest(core)).get_updates_request(FakeRequest(core)).build())
    async with app:
        chat = ChatDriver(core, lambda u: app.process_update(Update.de_json(u, app.bot)))
        await chat.send("/start")
        await chat.click("Svenska")
        assert "Välkommen" in chat.last_text

End to end, with the bot polling over HTTP (in-process or as a subprocess)::

    async with FakeTelegramServer(core) as server:   # server.base_url == "http://127.0.0.1:P/bot"
        ... start the bot with base_url=server.base_url, base_file_url=server.base_file_url ...
        chat = ChatDriver(core, PollingFeed(core))   # pushes to getUpdates, waits for the answer

Differences from Telegram, on purpose:
- stricter: parse_mode HTML rejects a bare "&" that starts no entity (Telegram shows it as
  text); an inline button with more than one action field is rejected (Telegram takes one).
- not modelled: Markdown/MarkdownV2 parsing (such text is stored and counted as sent), file
  uploads over the loopback HTTP server (in-process, sendDocument takes an uploaded file),
  callback queries expiring with time, delivery of updates to a set webhook.
Error descriptions are Telegram's where known; the few the fake words itself end in "(fake)".
Under filterwarnings=error set PTB_TIMEDELTA=true: PTB 22 warns while building RetryAfter.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

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

# Update types Telegram leaves out unless a bot asks for them in allowed_updates.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)
_BUTTON_ACTIONS = (
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
# Sending and editing count against Telegram's flood limits; answering a query does not.
_FLOOD_COUNTED = frozenset(
    {"sendmessage", "senddocument", "editmessagetext", "editmessagereplymarkup"}
)

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------------------------
# Values


class ApiError(Exception):
    """A refusal by the fake Telegram, carrying Telegram's status and description."""

    def __init__(
        self, status: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = dict(parameters) if parameters else None


def _bad_request(description: str) -> ApiError:
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


def _ok_reply(result: object, description: str | None = None) -> ApiReply:
    body: JsonDict = {"ok": True, "result": result}
    if description is not None:
        body["description"] = description
    return ApiReply(200, json.dumps(body, ensure_ascii=False).encode())


def _error_reply(error: ApiError) -> ApiReply:
    body: JsonDict = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return ApiReply(error.status, json.dumps(body, ensure_ascii=False).encode())


_DROPPED = ApiReply(0, b"", dropped=True)


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
                action = next(key for key in _BUTTON_ACTIONS if key in button)
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


@dataclass(frozen=True)
class Fault:
    """A failure the fake injects instead of, or right after, performing a call."""

    method: str
    kind: Literal["error", "hang", "drop"]
    status: int = 0
    description: str | None = None
    retry_after: int | None = None
    seconds: float | None = None
    after_success: bool = False
    raw_body: bytes | None = None


@dataclass
class _FaultSlot:
    fault: Fault
    remaining: int


@dataclass
class FloodControl:
    """Telegram's flood limits as token buckets; over a limit a send gets 429 + retry_after.

    Defaults follow Telegram's advice: about one message a second per chat (short bursts
    tolerated), 20 a minute per group, 30 a second overall. `clock` can be replaced in tests.
    """

    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: int = 20
    global_per_second: int = 30
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[object, tuple[float, float]] = field(default_factory=dict, repr=False)

    def admit(self, chat_id: int, is_group: bool) -> int | None:
        """Take one send from the buckets; returns retry_after seconds when over a limit."""
        now = self.clock()
        limits: list[tuple[object, float, float]] = [
            (("chat", chat_id), self.per_chat_per_second, float(self.per_chat_burst)),
            ("global", float(self.global_per_second), float(self.global_per_second)),
        ]
        if is_group:
            limits.append(
                (("group", chat_id), self.group_per_minute / 60.0, float(self.group_per_minute))
            )
        levels = {key: self._level(key, rate, burst, now) for key, rate, burst in limits}
        waits = [(1.0 - levels[key]) / rate for key, rate, _burst in limits if levels[key] < 1.0]
        if waits:
            for key, _rate, _burst in limits:
                self._buckets[key] = (levels[key], now)
            return max(1, math.ceil(max(waits)))
        for key, _rate, _burst in limits:
            self._buckets[key] = (levels[key] - 1.0, now)
        return None

    def _level(self, key: object, rate: float, burst: float, now: float) -> float:
        tokens, since = self._buckets.get(key, (burst, now))
        return min(burst, tokens + (now - since) * rate)


# --------------------------------------------------------------------------------------------
# Text: UTF-16 length, Telegram's HTML parser, automatic entities of incoming messages


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class FormattedText:
    """Text as the user sees it, with the entities that format it."""

    text: str
    entities: tuple[Mapping[str, Any], ...]


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DECIMAL_DIGITS = frozenset("0123456789")
_END = "\0"


def _char_at(text: str, index: int) -> str:
    return text[index] if index < len(text) else _END


def _is_space(char: str) -> bool:
    return char in " \t\r\n\v\0"


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at text[pos] == "&" like Telegram; None if there is none."""
    end = pos + 1
    if _char_at(text, end) == "#":
        end += 1
        hexadecimal = _char_at(text, end) == "x"
        if hexadecimal:
            end += 1
        start = end
        while _char_at(text, end) in (_HEX_DIGITS if hexadecimal else _DECIMAL_DIGITS):
            end += 1
        digits = text[start:end]
        value = int(digits, 16 if hexadecimal else 10) if digits else 0
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
        if 0xD800 <= value <= 0xDFFF:
            raise _bad_request(
                "can't parse entities: Text contains invalid Unicode characters after decoding "
                "HTML entities, check for unmatched surrogate code units"
            )
        char = chr(value)
    else:
        while _char_at(text, end).isascii() and _char_at(text, end).isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if _char_at(text, end) == ";":
        end += 1
    return char, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_index: int


def _link_url(url: str) -> str | None:
    if "://" not in url and not url.startswith(("tg:", "mailto:")):
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        return url if ("." in host or host == "localhost") else None
    return url if parts.scheme in ("tg", "ton", "mailto") else None


def parse_html(html: str, *, strict_ampersand: bool = True) -> FormattedText:
    """Parse Bot API HTML the way Telegram does; raises ApiError with Telegram's description."""

    def fail(message: str) -> ApiError:
        return _bad_request(f"can't parse entities: {message}")

    result: list[str] = []
    entities: list[JsonDict] = []
    stack: list[_OpenTag] = []
    utf16 = 0
    i = 0
    n = len(html)
    while i < n:
        char = html[i]
        if char == "&":
            decoded = _decode_html_entity(html, i)
            if decoded is not None:
                result.append(decoded[0])
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise fail(
                    f"Character '&' at byte offset {_byte_offset(html, i)} starts no HTML "
                    'entity and must be escaped as "&amp;" (fake)'
                )
        if char != "<":
            # Copy the whole run of plain text up to the next markup character at once.
            end = i + 1
            while end < n and html[end] not in "<&":
                end += 1
            chunk = html[i:end]
            result.append(chunk)
            utf16 += utf16_len(chunk)
            i = end
            continue
        begin = i
        i += 1
        if _char_at(html, i) != "/":
            while not _is_space(_char_at(html, i)) and _char_at(html, i) != ">":
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(html, begin)}")
            tag = html[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise fail(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(html, begin)}'
                )
            argument = ""
            while _char_at(html, i) != ">":
                while i < n and _is_space(html[i]):
                    i += 1
                if _char_at(html, i) == ">":
                    break
                attribute_begin = i
                while not _is_space(_char_at(html, i)) and _char_at(html, i) not in "=>":
                    i += 1
                attribute = html[attribute_begin:i]
                if not attribute:
                    raise fail(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(html, begin)}"
                    )
                while i < n and _is_space(html[i]):
                    i += 1
                if _char_at(html, i) != "=":
                    if tag == "blockquote" and attribute == "expandable":
                        argument = "expandable"
                        continue
                    raise fail(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(html, begin)}'
                    )
                i += 1
                while i < n and _is_space(html[i]):
                    i += 1
                if i >= n:
                    raise fail(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(html, begin)}'
                    )
                if html[i] not in "'\"":
                    token_begin = i
                    while _char_at(html, i).isascii() and (
                        _char_at(html, i).isalnum() or _char_at(html, i) in ".-"
                    ):
                        i += 1
                    value = html[token_begin:i].lower()
                    if not _is_space(_char_at(html, i)) and _char_at(html, i) != ">":
                        raise fail(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(html, token_begin)}"
                        )
                else:
                    quote = html[i]
                    i += 1
                    value_chars: list[str] = []
                    while i < n and html[i] != quote:
                        if html[i] == "&":
                            decoded = _decode_html_entity(html, i)
                            if decoded is not None:
                                value_chars.append(decoded[0])
                                i = decoded[1]
                                continue
                            if strict_ampersand:
                                raise fail(
                                    f"Character '&' at byte offset {_byte_offset(html, i)} "
                                    'starts no HTML entity and must be escaped as "&amp;" (fake)'
                                )
                        value_chars.append(html[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(value_chars)
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(html, begin)}")
                if tag == "a" and attribute == "href":
                    argument = value
                elif tag == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise fail(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(html, begin)}"
                )
            stack.append(_OpenTag(tag, argument, utf16, len(result)))
            i += 1
            continue
        if not stack:
            raise fail(f"Unexpected end tag at byte offset {_byte_offset(html, begin)}")
        while not _is_space(_char_at(html, i)) and _char_at(html, i) != ">":
            i += 1
        end_name = html[begin + 2 : i]
        while i < n and _is_space(html[i]):
            i += 1
        if _char_at(html, i) != ">":
            raise fail(f"Unclosed end tag at byte offset {_byte_offset(html, begin)}")
        opened = stack[-1]
        if end_name and end_name != opened.name:
            raise fail(
                f"Unmatched end tag at byte offset {_byte_offset(html, begin)}, "
                f'expected "</{opened.name}>", found "</{end_name}>"'
            )
        stack.pop()
        i += 1
        length = utf16 - opened.utf16_offset
        if length > 0:
            entity = _entity_for_tag(opened, length, "".join(result[opened.text_index :]))
            if entity is not None:
                _merge_pre_code(entities, entity)
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return FormattedText("".join(result), tuple(entities))


def _entity_for_tag(opened: _OpenTag, length: int, content: str) -> JsonDict | None:
    entity: JsonDict = {"offset": opened.utf16_offset, "length": length}
    name = opened.name
    if name in _SIMPLE_TAG_ENTITIES:
        entity["type"] = _SIMPLE_TAG_ENTITIES[name]
    elif name == "blockquote":
        entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
    elif name == "tg-emoji":
        if not opened.argument.isdigit() or int(opened.argument) >= 2**63:
            raise _bad_request("can't parse entities: Invalid custom emoji identifier specified")
        entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
    elif name == "code":
        entity["type"] = "code"
        if opened.argument:
            entity["language"] = opened.argument
    elif name == "pre":
        entity["type"] = "pre"
    else:  # "a"
        target = opened.argument or content
        mention = re.fullmatch(r"tg://user\?id=(\d+)", target)
        if mention:
            entity.update(type="text_mention", user={"id": int(mention.group(1))})
        else:
            url = _link_url(target)
            if url is None:
                return None
            entity.update(type="text_link", url=url)
    return entity


def _merge_pre_code(entities: list[JsonDict], entity: JsonDict) -> None:
    """<pre><code class="language-x"> becomes one pre entity with a language, as in Telegram."""
    last = entities[-1] if entities else None
    same_span = (
        last is not None
        and last["offset"] == entity["offset"]
        and last["length"] == entity["length"]
    )
    if last is not None and same_span and entity["type"] == "pre" and last["type"] == "code":
        language = last.pop("language", None)
        last["type"] = "pre"
        if language:
            last["language"] = language
        return
    entities.append(entity)


def _check_entities(text: str, entities: object) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(entities, list):
        raise _bad_request('field "entities" must be of type Array')
    length = utf16_len(text)
    checked = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise _bad_request("can't parse MessageEntity: Object expected")
        if entity.get("type") not in _ENTITY_TYPES:
            raise _bad_request("can't parse MessageEntity: Unsupported type specified")
        offset, size = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(size, int):
            raise _bad_request('can\'t parse MessageEntity: Field "offset" must be a Number')
        if offset < 0:
            raise _bad_request(f"receive an entity with incorrect offset {offset}")
        if offset > length:
            raise _bad_request(
                f"entity begins after the end of the text at UTF-16 offset {offset}"
            )
        if offset + size > length:
            raise _bad_request(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text at "
                f"UTF-16 offset {offset + size}"
            )
        checked.append(dict(entity))
    return tuple(checked)


def _trim(formatted: FormattedText) -> FormattedText:
    """Telegram drops leading and trailing whitespace and shifts the entities to match."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return formatted
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(0, entity["offset"] - shift)
        end = min(size, entity["offset"] + entity["length"] - shift)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, tuple(entities))


def format_message_text(
    params: Mapping[str, Any], *, too_long: str, strict_ampersand: bool = True
) -> FormattedText:
    """Turn text + parse_mode/entities into what the user sees, enforcing Telegram's limits."""
    raw = params.get("text")
    if raw is None or raw == "":
        raise _bad_request("message text is empty")
    if not isinstance(raw, str):
        raw = str(raw)
    parse_mode = params.get("parse_mode")
    if "entities" in params:
        formatted = FormattedText(raw, _check_entities(raw, params["entities"]))
    elif parse_mode in (None, ""):
        formatted = FormattedText(raw, ())
    elif not isinstance(parse_mode, str) or parse_mode.lower() not in (
        "html",
        "markdown",
        "markdownv2",
    ):
        raise _bad_request("unsupported parse_mode")
    elif parse_mode.lower() == "html":
        formatted = parse_html(raw, strict_ampersand=strict_ampersand)
    else:
        formatted = FormattedText(raw, ())
    formatted = _trim(formatted)
    if not formatted.text:
        raise _bad_request("text must be non-empty")
    if utf16_len(formatted.text) > MAX_MESSAGE_UTF16:
        raise _bad_request(too_long)
    return formatted


_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")


def detect_entities(text: str) -> list[JsonDict]:
    """The bot_command and mention entities Telegram adds to a user's text message."""
    found: list[JsonDict] = []
    for kind, pattern in (("bot_command", _COMMAND_RE), ("mention", _MENTION_RE)):
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    found.sort(key=lambda entity: entity["offset"])
    return found


# --------------------------------------------------------------------------------------------
# Markup validation


def _check_button_url(url: object, what: str = "inline keyboard button URL") -> None:
    if not isinstance(url, str):
        raise _bad_request(
            'can\'t parse inline keyboard button: Field "url" must be of type String'
        )
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme and scheme not in ("http", "https", "tg"):
        raise _bad_request(f"{what} '{url}' is invalid: Unsupported URL protocol")
    if _link_url(url) is None:
        raise _bad_request(f"{what} '{url}' is invalid: Wrong HTTP URL")


def _check_inline_button(button: object) -> None:
    if not isinstance(button, dict):
        raise _bad_request("can't parse inline keyboard button: Object expected")
    if "text" not in button:
        raise _bad_request("can't parse inline keyboard button: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise _bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"].strip():
        raise _bad_request("BUTTON_TEXT_INVALID")
    # Telegram treats an empty callback_data as a missing one.
    actions = [key for key in _BUTTON_ACTIONS if key in button and button[key] != ""]
    if not actions:
        raise _bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise _bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be "
            f"used, got {', '.join(actions)} (fake)"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise _bad_request(
                'can\'t parse inline keyboard button: Field "callback_data" must be of type String'
            )
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        _check_button_url(button["url"])
    if "pay" in button or "callback_game" in button:
        raise _bad_request("BUTTON_TYPE_INVALID")


def check_reply_markup(markup: object, *, inline_only: bool = False) -> None:
    """Validate reply_markup as Telegram does; raises ApiError with Telegram's description."""
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list):
            raise _bad_request('field "inline_keyboard" must be of type Array')
        count = 0
        for row in rows:
            if not isinstance(row, list):
                raise _bad_request('field "inline_keyboard" must be of type Array')
            for button in row:
                _check_inline_button(button)
                count += 1
        if count > MAX_INLINE_KEYBOARD_BUTTONS:
            raise _bad_request("REPLY_MARKUP_TOO_LONG")
        return
    if inline_only:
        raise _bad_request("inline keyboard expected (fake)")
    if "keyboard" in markup:
        if not isinstance(markup["keyboard"], list) or not all(
            isinstance(row, list) for row in markup["keyboard"]
        ):
            raise _bad_request('field "keyboard" must be of type Array')
        return
    if "remove_keyboard" in markup or "force_reply" in markup:
        return
    raise _bad_request("can't parse reply keyboard markup JSON object")


# --------------------------------------------------------------------------------------------
# Parameters as they arrive: form fields (strings) or JSON values, decoded by name like Telegram


_INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "max_connections",
        "cache_time",
        "user_id",
        "message_thread_id",
        "reply_to_message_id",
        "from_chat_id",
        "until_date",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_web_page_preview",
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "is_personal",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "reply_parameters",
        "results",
        "button",
    }
)


def _decode_chat_id(value: object) -> int | str:
    if isinstance(value, bool):
        raise _bad_request("chat not found")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise _bad_request("chat_id is empty")
        if value.startswith("@"):
            return value
        with contextlib.suppress(ValueError):
            return int(value)
    raise _bad_request("chat not found")


def _decode_value(name: str, value: object) -> object:
    if name == "chat_id":
        return _decode_chat_id(value)
    if name in _JSON_PARAMS:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise _bad_request("can't parse reply keyboard markup JSON object") from None
            raise _bad_request(f"can't parse {name} JSON object (fake)") from None
    if name in _INT_PARAMS:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        with contextlib.suppress(ValueError, TypeError):
            number = float(str(value).strip())
            if number.is_integer():
                return int(number)
        raise _bad_request(f'field "{name}" must be of type Integer (fake)')
    if name in _BOOL_PARAMS:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
            return value.lower() in ("true", "1")
        raise _bad_request(f'field "{name}" must be of type Boolean')
    return value


def decode_params(raw: Mapping[str, object]) -> JsonDict:
    """Decode wire parameters (form strings or JSON values) into typed values by name."""
    return {name: _decode_value(name, value) for name, value in raw.items()}


def _attach_uploads(params: JsonDict, uploads: Mapping[str, UploadedFile]) -> JsonDict:
    """Put each uploaded file where the request names it, as Telegram resolves multipart."""
    resolved = dict(params)
    for name, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if part not in uploads:
                raise _bad_request(f"file attach://{part} not found in the request (fake)")
            resolved[name] = uploads[part]
    for part, upload in uploads.items():
        resolved.setdefault(part, upload)
    return resolved


# --------------------------------------------------------------------------------------------
# Waking waiters in any event loop (the HTTP server may run in a thread of its own)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _ChangeSignal:
    """A version counter that coroutines in any event loop can wait on for the next change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def notify(self) -> None:
        with self._lock:
            self._version += 1
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits there
                loop.call_soon_threadsafe(_resolve, future)

    async def wait(self, seen: int, timeout: float | None) -> None:
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


# --------------------------------------------------------------------------------------------
# The core


@dataclass
class _ChatState:
    chat: FakeChat
    next_message_id: int = 1
    bot_messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, JsonDict] = field(default_factory=dict)
    bot_status: Literal["member", "kicked", "left"] = "member"


@dataclass
class _PendingQuery:
    chat_id: int | None
    message_id: int | None
    key: int


class FakeTelegram:
    """The fake Telegram servers' state and behaviour, shared by every transport."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "amif_test_bot",
        bot_first_name: str = "AMIF Assistant (test)",
        can_read_all_group_messages: bool = False,
        inline_mode: bool = False,
        strict_html_ampersand: bool = True,
        flood: FloodControl | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.can_read_all_group_messages = can_read_all_group_messages
        self.inline_mode = inline_mode
        self.strict_html_ampersand = strict_html_ampersand
        self.flood = flood
        self._lock = threading.RLock()
        self._changed = _ChangeSignal()
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, _ChatState] = {}
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
        self._pending_queries: dict[str, _PendingQuery] = {}
        self._pending_inline: dict[str, int] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._faults: list[_FaultSlot] = []
        # (until, status) of an outage that fails every call but getUpdates, or None.
        self._outage: tuple[float, int] | None = None
        self._activity: Counter[int] = Counter()
        self._logged_out = False
        self.closed = False
        self._update_ids = itertools.count(100_001)
        self._user_ids = itertools.count(10_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._handlers: dict[str, Callable[[JsonDict], object]] = {
            "getme": self._get_me,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendchataction": self._send_chat_action,
            "answerinlinequery": self._answer_inline_query,
            "getfile": self._get_file,
            "close": self._close,
            "logout": self._log_out,
        }

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

    # -- users and chats --------------------------------------------------------------------

    def user(
        self,
        first_name: str = "Test",
        *,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> FakeUser:
        """Register a person; they can talk to the bot once they have a private chat."""
        with self._lock:
            new_user = FakeUser(
                id=user_id if user_id is not None else next(self._user_ids),
                first_name=first_name,
                username=username,
                last_name=last_name,
                language_code=language_code,
            )
            self._users[new_user.id] = new_user
            return new_user

    @property
    def default_user(self) -> FakeUser:
        """The person tests talk as when they name nobody."""
        with self._lock:
            if self._default_user is None:
                self._default_user = self.user("Tester", username="tester")
            return self._default_user

    def private_chat(self, user: FakeUser | None = None) -> FakeChat:
        """The private chat with `user`, opened as if they had pressed Start."""
        person = user or self.default_user
        with self._lock:
            self._users.setdefault(person.id, person)
            state = self._chats.get(person.id)
            if state is None:
                chat = FakeChat(
                    id=person.id,
                    type="private",
                    first_name=person.first_name,
                    username=person.username,
                )
                state = self._chats[person.id] = _ChatState(chat)
            return state.chat

    def group(
        self,
        title: str = "AMIF applicants",
        *,
        supergroup: bool = True,
        username: str | None = None,
    ) -> FakeChat:
        """A group the bot is a member of."""
        with self._lock:
            number = next(self._group_ids)
            chat_id = -1_001_000_000_000 - number if supergroup else -4_000_000_000 - number
            chat = FakeChat(
                id=chat_id,
                type="supergroup" if supergroup else "group",
                title=title,
                username=username,
            )
            self._chats[chat_id] = _ChatState(chat)
            return chat

    # -- inspection -------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every call the bot made, in the order the fake answered them."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls to one method (names compare case-insensitively, as in Telegram)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def bot_messages(self, chat: FakeChat | int) -> list[BotMessage]:
        """The bot's messages in a chat as they stand now (edits applied, deletions gone)."""
        with self._lock:
            state = self._chats.get(_chat_id(chat))
            return list(state.bot_messages.values()) if state else []

    def sent(self, chat: FakeChat | int | None = None) -> list[BotMessage]:
        """Every message the bot sent, as it was sent (a retried send shows up twice)."""
        with self._lock:
            return [m for m in self._sent if chat is None or m.chat_id == _chat_id(chat)]

    def edits(self, chat: FakeChat | int | None = None) -> list[BotMessage]:
        """Every successful edit, as the message stood right after it."""
        with self._lock:
            return [m for m in self._edits if chat is None or m.chat_id == _chat_id(chat)]

    def message(self, chat: FakeChat | int, message_id: int) -> BotMessage:
        """One of the bot's messages as it stands now."""
        with self._lock:
            state = self._chats.get(_chat_id(chat))
            if state is None or message_id not in state.bot_messages:
                raise KeyError(f"the bot has no message {message_id} in chat {_chat_id(chat)}")
            return state.bot_messages[message_id]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answers to button presses."""
        with self._lock:
            return list(self._callback_answers)

    def is_answered(self, callback_query_id: str) -> bool:
        """True once the bot answered that callback query."""
        with self._lock:
            return any(a.callback_query_id == callback_query_id for a in self._callback_answers)

    @property
    def chat_actions(self) -> list[ChatActionRecord]:
        """The chat actions ("typing", ...) the bot showed."""
        with self._lock:
            return list(self._chat_actions)

    @property
    def inline_answers(self) -> list[InlineAnswer]:
        """The bot's answers to inline queries."""
        with self._lock:
            return list(self._inline_answers)

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JsonDict] | None:
        """The command menu set for a scope and language, or None when none was set."""
        with self._lock:
            stored = self._commands.get((_scope_key(scope), language_code))
            return [dict(command) for command in stored] if stored is not None else None

    @property
    def webhook(self) -> WebhookState:
        """The webhook as Telegram holds it."""
        with self._lock:
            return self._webhook

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates waiting in the getUpdates queue, not yet confirmed by an offset."""
        with self._lock:
            return list(self._pending_updates)

    def was_delivered(self, update_id: int) -> bool:
        """True once getUpdates handed that update to the bot."""
        with self._lock:
            return update_id in self._delivered_ids

    def activity(self, key: int) -> int:
        """How many visible things the bot did in a chat (sends, edits, deletes, answers)."""
        with self._lock:
            return self._activity[key]

    # -- fault injection --------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        after_success: bool = False,
    ) -> None:
        """Make the next `times` calls of `method` ("*" for any) fail with Telegram's error.

        With after_success the call takes effect first (the message is sent) and only the
        answer fails, as when Telegram's response is lost on the way back.
        """
        raw_body = None
        if status == 429:
            retry_after = retry_after or 1
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif status == 502 and description is None:
            raw_body = _NGINX_502
        elif description is None:
            description = _DEFAULT_ERRORS.get(status) or HTTPStatus(status).phrase
        fault = Fault(
            method=method,
            kind="error",
            status=status,
            description=description,
            retry_after=retry_after,
            after_success=after_success,
            raw_body=raw_body,
        )
        self._add_fault(fault, times)

    def hang_next(
        self,
        method: str,
        *,
        seconds: float | None = None,
        times: int = 1,
        after_success: bool = False,
    ) -> None:
        """Hold the next calls of `method` without answering (for `seconds`, or for good).

        A client with a read timeout then gets TimedOut. With after_success the call has
        taken effect before the silence; with seconds the answer comes late but comes.
        """
        self._add_fault(
            Fault(method=method, kind="hang", seconds=seconds, after_success=after_success), times
        )

    def drop_next(self, method: str, *, times: int = 1, after_success: bool = False) -> None:
        """Close the connection instead of answering the next calls of `method`."""
        self._add_fault(Fault(method=method, kind="drop", after_success=after_success), times)

    def _add_fault(self, fault: Fault, times: int) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(_FaultSlot(fault, times))

    def outage(self, seconds: float, status: int = 502) -> None:
        """Fail every call but getUpdates with status for the next `seconds` (an API outage)."""
        with self._lock:
            self._outage = (time.monotonic() + seconds, status)

    def _take_fault(self, name: str) -> Fault | None:
        if self._outage is not None and name != "getupdates":
            until, status = self._outage
            if time.monotonic() < until:
                raw = _NGINX_502 if status == 502 else None
                description = None if raw else HTTPStatus(status).phrase
                return Fault(name, "error", status, description, raw_body=raw)
            self._outage = None
        for slot in self._faults:
            if slot.fault.method == "*" or slot.fault.method.lower() == name:
                slot.remaining -= 1
                if slot.remaining == 0:
                    self._faults.remove(slot)
                return slot.fault
        return None

    # -- handling one call ------------------------------------------------------------------

    async def handle(
        self,
        token: str,
        method: str,
        raw_params: Mapping[str, object],
        uploads: Mapping[str, UploadedFile] | None = None,
    ) -> ApiReply:
        """Answer one Bot API call as Telegram would (faults and flood control included).

        `uploads` are the file parts of a multipart request, by part name; a parameter that
        names one as "attach://<part>" or a part named like the parameter gets the file.
        """
        name = method.lower()
        with self._lock:
            if token != self.token or self._logged_out:
                reply = _error_reply(ApiError(401, "Unauthorized"))
                self._record(method, dict(raw_params), reply, performed=False)
                return reply
            fault = self._take_fault(name)
        try:
            params = decode_params(raw_params)
            if uploads:
                params = _attach_uploads(params, uploads)
        except ApiError as error:
            reply = _error_reply(error)
            with self._lock:
                self._record(method, dict(raw_params), reply, performed=False)
            return reply
        try:
            if fault is None:
                reply = await self._perform(name, params)
                with self._lock:
                    self._record(method, params, reply, performed=reply.status == 200)
                return reply
            done = await self._perform(name, params) if fault.after_success else None
            return await self._apply_fault(fault, name, method, params, done)
        finally:
            self._changed.notify()

    async def _perform(self, name: str, params: JsonDict) -> ApiReply:
        if name == "getupdates":
            return await self._get_updates(params)
        with self._lock:
            handler = self._handlers.get(name)
            if handler is None:
                return _error_reply(ApiError(404, "Not Found"))
            try:
                result = handler(params)
            except ApiError as error:
                return _error_reply(error)
        if isinstance(result, _Described):
            return _ok_reply(result.result, result.description)
        return _ok_reply(result)

    async def _apply_fault(
        self, fault: Fault, name: str, method: str, params: JsonDict, done: ApiReply | None
    ) -> ApiReply:
        """Fail a call; `done` is the real answer when the call was performed first."""
        performed = done is not None and done.status == 200
        if fault.kind == "error":
            if fault.raw_body is not None:
                reply = ApiReply(fault.status, fault.raw_body, content_type="text/html")
            else:
                parameters = {"retry_after": fault.retry_after} if fault.status == 429 else None
                reply = _error_reply(ApiError(fault.status, fault.description or "", parameters))
            with self._lock:
                self._record(method, params, reply, performed=performed)
            return reply
        if fault.kind == "drop":
            with self._lock:
                self._record(method, params, _DROPPED, performed=performed)
            return _DROPPED
        if fault.seconds is None:
            with self._lock:
                self._record(method, params, _DROPPED, performed=performed)
            self._changed.notify()
            await asyncio.Event().wait()  # until the client gives up or the server stops
        await asyncio.sleep(fault.seconds or 0)
        reply = done if done is not None else await self._perform(name, params)
        with self._lock:
            self._record(method, params, reply, performed=reply.status == 200)
        return reply

    def _record(self, method: str, params: JsonDict, reply: ApiReply, *, performed: bool) -> None:
        payload = reply.payload if not reply.dropped else None
        self._calls.append(
            ApiCall(
                method=method,
                params=params,
                status=None if reply.dropped else reply.status,
                description=payload.get("description") if payload else None,
                performed=performed,
            )
        )

    # -- waiting ----------------------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until predicate() holds (re-checked on every change); False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self._changed.version
            if predicate():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await self._changed.wait(seen, remaining)

    # -- getUpdates and the webhook ---------------------------------------------------------

    def push_update(self, update: JsonDict) -> bool:
        """Queue an update for getUpdates; False when Telegram would not deliver it."""
        with self._lock:
            if not self.is_visible_to_bot(update):
                return False
            kind = _update_type(update)
            allowed = self._allowed_updates
            if allowed is None:
                if kind in _OPT_IN_UPDATE_TYPES:
                    return False
            elif kind not in allowed:
                return False
            self._pending_updates.append(update)
        self._changed.notify()
        return True

    async def _get_updates(self, params: JsonDict) -> ApiReply:
        with self._lock:
            if self._webhook.url:
                return _error_reply(
                    ApiError(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; use "
                        "deleteWebhook to delete the webhook first",
                    )
                )
            limit = params.get("limit", 100)
            limit = 100 if not 1 <= limit <= 100 else limit
            timeout = max(0, params.get("timeout", 0))
            allowed = params.get("allowed_updates")
            if allowed is not None:
                if not isinstance(allowed, list):
                    return _error_reply(_bad_request('field "allowed_updates" must be an Array'))
                self._allowed_updates = frozenset(allowed) or None
            if "offset" in params:
                self._confirm(params["offset"])
            self._poll_generation += 1
            generation = self._poll_generation
        self._changed.notify()  # wakes an earlier long poll, which now loses to this one
        deadline = time.monotonic() + timeout
        while True:
            seen = self._changed.version
            with self._lock:
                if self._poll_generation != generation:
                    return _error_reply(
                        ApiError(
                            409,
                            "Conflict: terminated by other getUpdates request; make sure that "
                            "only one bot instance is running",
                        )
                    )
                batch = self._pending_updates[:limit]
                if batch or time.monotonic() >= deadline:
                    self._delivered_ids.update(update["update_id"] for update in batch)
                    return _ok_reply(batch)
            await self._changed.wait(seen, max(0.0, deadline - time.monotonic()))

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._pending_updates = self._pending_updates[offset:]
            return
        self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]

    def _drop_pending(self) -> None:
        self._pending_updates.clear()

    def _set_webhook(self, params: JsonDict) -> object:
        url = params.get("url", "")
        if not isinstance(url, str):
            raise _bad_request("bad webhook: Failed to resolve host: Name or service not known")
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https":
                raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
            if (parts.port or 443) not in (80, 88, 443, 8443):
                raise _bad_request(
                    "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
                )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        allowed = params.get("allowed_updates")
        self._webhook = WebhookState(
            url=url,
            secret_token=secret,
            max_connections=params.get("max_connections", 40),
            allowed_updates=tuple(allowed) if allowed is not None else None,
        )
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or None
        if not url:
            return _Described(True, "Webhook was deleted")
        return _Described(True, "Webhook was set")

    def _delete_webhook(self, params: JsonDict) -> object:
        had_webhook = bool(self._webhook.url)
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self._webhook = WebhookState()
        return _Described(
            True, "Webhook was deleted" if had_webhook else "Webhook is already deleted"
        )

    def _get_webhook_info(self, params: JsonDict) -> object:
        info: JsonDict = {
            "url": self._webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        if self._webhook.url:
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.allowed_updates is not None:
                info["allowed_updates"] = list(self._webhook.allowed_updates)
        return info

    # -- messages ---------------------------------------------------------------------------

    def _get_me(self, params: JsonDict) -> object:
        return self.get_me()

    def _writable_chat(self, params: JsonDict) -> _ChatState:
        if "chat_id" not in params:
            raise _bad_request("chat_id is empty")
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
            raise _bad_request("chat not found")
        if state.bot_status == "kicked":
            if state.chat.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {state.chat.type} chat")
        if state.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {state.chat.type} chat")
        return state

    def _admit(self, name: str, state: _ChatState) -> None:
        if self.flood is None or name not in _FLOOD_COUNTED:
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
                raise _bad_request("can't parse link preview options JSON object (fake)")
            for key in ("is_disabled", "prefer_small_media", "prefer_large_media"):
                if key in options and not isinstance(options[key], bool):
                    raise _bad_request(f'field "{key}" must be of type Boolean')
            return dict(options)
        if params.get("disable_web_page_preview"):
            return {"is_disabled": True}
        return None

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

    def _send_message(self, params: JsonDict) -> object:
        state = self._writable_chat(params)
        formatted = format_message_text(
            params, too_long="message is too long", strict_ampersand=self.strict_html_ampersand
        )
        markup = params.get("reply_markup")
        if markup is not None:
            check_reply_markup(markup)
        reply_to = self._reply_target(state, params)
        link_preview = self._link_preview(params)
        self._admit("sendmessage", state)
        message = BotMessage(
            chat_id=state.chat.id,
            message_id=state.next_message_id,
            text=formatted.text,
            raw_text=str(params["text"]),
            parse_mode=params.get("parse_mode") or None,
            entities=formatted.entities,
            reply_markup=markup,
            link_preview_options=link_preview,
            reply_to_message_id=reply_to,
            date=int(time.time()),
        )
        state.next_message_id += 1
        state.bot_messages[message.message_id] = message
        self._sent.append(message)
        self._activity[state.chat.id] += 1
        return self.message_dict(message)

    def _send_document(self, params: JsonDict) -> object:
        state = self._writable_chat(params)
        document = params.get("document")
        if document is None or document == "":
            raise _bad_request("there is no document in the request")
        if isinstance(document, UploadedFile):
            if not document.content:
                raise _bad_request("file must be non-empty")
            if len(document.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            name, mime, content = document.file_name, document.mime_type, document.content
        elif isinstance(document, str) and document in self._files:
            path, content = self._files[document]
            name, mime = path.rsplit("/", 1)[-1], "application/octet-stream"
        else:
            raise _bad_request("wrong remote file identifier specified: can't unserialize it")
        caption = params.get("caption")
        formatted = FormattedText("", ())
        if caption not in (None, ""):
            caption_params: JsonDict = {"text": caption, "parse_mode": params.get("parse_mode")}
            if "caption_entities" in params:
                caption_params["entities"] = params["caption_entities"]
            formatted = format_message_text(
                caption_params,
                too_long="message caption is too long",
                strict_ampersand=self.strict_html_ampersand,
            )
            if utf16_len(formatted.text) > MAX_CAPTION_UTF16:
                raise _bad_request("message caption is too long")
        markup = params.get("reply_markup")
        if markup is not None:
            check_reply_markup(markup)
        reply_to = self._reply_target(state, params)
        self._admit("senddocument", state)
        file_id = f"FAKEDOC{next(self._file_ids):06d}"
        self._files[file_id] = (f"documents/{name}", content)
        message = BotMessage(
            chat_id=state.chat.id,
            message_id=state.next_message_id,
            text=formatted.text,
            raw_text=str(caption or ""),
            parse_mode=params.get("parse_mode") or None,
            entities=formatted.entities,
            reply_markup=markup,
            link_preview_options=None,
            reply_to_message_id=reply_to,
            date=int(time.time()),
            document=SentDocument(file_id, name, mime, content),
        )
        state.next_message_id += 1
        state.bot_messages[message.message_id] = message
        self._sent.append(message)
        self._activity[state.chat.id] += 1
        return self.message_dict(message)

    def _reply_target(self, state: _ChatState, params: JsonDict) -> int | None:
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if reply is None:
            return None
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise _bad_request('can\'t find field "message_id"')
        message_id = reply["message_id"]
        if message_id in state.user_messages or message_id in state.bot_messages:
            return int(message_id)
        if reply.get("allow_sending_without_reply"):
            return None
        raise _bad_request("message to be replied not found")

    def _message_to_edit(self, params: JsonDict) -> tuple[_ChatState, BotMessage]:
        if "inline_message_id" in params:
            raise _bad_request("MESSAGE_ID_INVALID")
        state = self._writable_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        if message_id in state.user_messages:
            raise _bad_request("message can't be edited")
        message = state.bot_messages.get(message_id)
        if message is None:
            raise _bad_request("message to edit not found")
        return state, message

    def _store_edit(self, state: _ChatState, edited: BotMessage) -> object:
        state.bot_messages[edited.message_id] = edited
        self._edits.append(edited)
        self._activity[state.chat.id] += 1
        return self.message_dict(edited)

    def _edit_message_text(self, params: JsonDict) -> object:
        state, message = self._message_to_edit(params)
        if message.document is not None:
            raise _bad_request("there is no text in the message to edit")
        formatted = format_message_text(
            params, too_long="MESSAGE_TOO_LONG", strict_ampersand=self.strict_html_ampersand
        )
        # Telegram drops the keyboard of an edited message unless the edit sends it again.
        markup = params.get("reply_markup")
        if markup is not None:
            check_reply_markup(markup, inline_only=True)
        if (
            formatted.text == message.text
            and list(formatted.entities) == list(message.entities)
            and _same_markup(markup, message.reply_markup)
        ):
            raise _bad_request(_NOT_MODIFIED)
        self._admit("editmessagetext", state)
        link_preview = self._link_preview(params)
        edited = replace(
            message,
            text=formatted.text,
            raw_text=str(params["text"]),
            parse_mode=params.get("parse_mode") or None,
            entities=formatted.entities,
            reply_markup=markup,
            link_preview_options=link_preview
            if link_preview is not None
            else message.link_preview_options,
            edit_date=int(time.time()),
            edit_count=message.edit_count + 1,
        )
        return self._store_edit(state, edited)

    def _edit_message_reply_markup(self, params: JsonDict) -> object:
        state, message = self._message_to_edit(params)
        markup = params.get("reply_markup")
        if markup is not None:
            check_reply_markup(markup, inline_only=True)
        if _same_markup(markup, message.reply_markup):
            raise _bad_request(_NOT_MODIFIED)
        self._admit("editmessagereplymarkup", state)
        edited = replace(
            message,
            reply_markup=markup,
            edit_date=int(time.time()),
            edit_count=message.edit_count + 1,
        )
        return self._store_edit(state, edited)

    def _delete_message(self, params: JsonDict) -> object:
        state = self._writable_chat(params)
        message_id = params.get("message_id")
        if message_id in state.bot_messages:
            del state.bot_messages[message_id]
        elif message_id in state.user_messages:
            if state.chat.is_group:
                raise _bad_request("message can't be deleted")
            del state.user_messages[message_id]
        else:
            raise _bad_request("message to delete not found")
        self._activity[state.chat.id] += 1
        return True

    def _answer_callback_query(self, params: JsonDict) -> object:
        query_id = str(params.get("callback_query_id", ""))
        pending = self._pending_queries.get(query_id)
        if pending is None:
            raise _bad_request(_QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_CHARS:
            raise _bad_request("MESSAGE_TOO_LONG")
        del self._pending_queries[query_id]
        self._callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                chat_id=pending.chat_id,
                message_id=pending.message_id,
                text=str(text) if text is not None else None,
                show_alert=bool(params.get("show_alert", False)),
                url=params.get("url"),
                cache_time=params.get("cache_time"),
            )
        )
        self._activity[pending.key] += 1
        return True

    def _send_chat_action(self, params: JsonDict) -> object:
        state = self._writable_chat(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self._chat_actions.append(ChatActionRecord(state.chat.id, str(action)))
        return True

    def _answer_inline_query(self, params: JsonDict) -> object:
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self._pending_inline:
            raise _bad_request(_QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad_request('field "results" must be of type Array (fake)')
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad_request("RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results if isinstance(result, dict)]
        if len(ids) != len(results) or any(not i or len(i.encode()) > 64 for i in ids):
            raise _bad_request("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise _bad_request("RESULT_ID_DUPLICATE")
        key = self._pending_inline.pop(query_id)
        self._inline_answers.append(
            InlineAnswer(
                inline_query_id=query_id,
                results=tuple(results),
                cache_time=params.get("cache_time"),
                is_personal=bool(params.get("is_personal", False)),
            )
        )
        self._activity[key] += 1
        return True

    # -- commands ---------------------------------------------------------------------------

    def _command_key(self, params: JsonDict) -> tuple[str, str]:
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _bad_request("invalid language code specified")
        scope = params.get("scope")
        if scope is not None and (not isinstance(scope, dict) or "type" not in scope):
            raise _bad_request("can't parse BotCommandScope JSON object (fake)")
        return _scope_key(scope), str(language)

    def _set_my_commands(self, params: JsonDict) -> object:
        key = self._command_key(params)
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request('field "commands" must be of type Array (fake)')
        if len(commands) > MAX_BOT_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("command must be non-empty")
            name = str(command.get("command", "")).strip().removeprefix("/")
            description = str(command.get("description", "")).strip()
            if not name:
                raise _bad_request("command must be non-empty")
            if len(name) > 32:
                raise _bad_request("command length must not exceed 32")
            if not description:
                raise _bad_request("command description must be non-empty")
            if len(description) > 256:
                raise _bad_request("command description length must not exceed 256")
            if not re.fullmatch(r"[a-z0-9_]+", name):
                raise _bad_request("BOT_COMMAND_INVALID")
            cleaned.append({"command": name, "description": description})
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JsonDict) -> object:
        return list(self._commands.get(self._command_key(params), []))

    def _delete_my_commands(self, params: JsonDict) -> object:
        self._commands.pop(self._command_key(params), None)
        return True

    # -- files and the bot's own session ----------------------------------------------------

    def add_file(self, content: bytes, file_path: str | None = None) -> str:
        """Store a file the bot can fetch with getFile and download; returns its file_id."""
        with self._lock:
            number = next(self._file_ids)
            file_id = f"FAKEFILE{number:06d}"
            self._files[file_id] = (file_path or f"documents/file_{number}", content)
            return file_id

    def _get_file(self, params: JsonDict) -> object:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise _bad_request("invalid file_id")
        path, content = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"U{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    def download(self, token: str, file_path: str) -> ApiReply:
        """Answer a GET of /file/bot<token>/<file_path>."""
        with self._lock:
            if token != self.token:
                return _error_reply(ApiError(401, "Unauthorized"))
            for path, content in self._files.values():
                if path == file_path:
                    return ApiReply(200, content, content_type="application/octet-stream")
        return _error_reply(ApiError(404, "Not Found"))

    def _close(self, params: JsonDict) -> object:
        self.closed = True
        return True

    def _log_out(self, params: JsonDict) -> object:
        self._logged_out = True
        return True

    # -- update builders --------------------------------------------------------------------

    def _new_update(self, kind: str, payload: JsonDict) -> JsonDict:
        return {"update_id": next(self._update_ids), kind: payload}

    def _speaker(
        self, user: FakeUser | None, chat: FakeChat | None
    ) -> tuple[FakeUser, _ChatState]:
        person = user or self.default_user
        self._users.setdefault(person.id, person)
        if chat is None:
            chat = self.private_chat(person)
        state = self._chats.get(chat.id)
        if state is None:
            raise KeyError(f"chat {chat.id} is not registered with the fake")
        return person, state

    def _user_message(
        self,
        user: FakeUser | None,
        chat: FakeChat | None,
        content: JsonDict,
        reply_to: BotMessage | Mapping[str, Any] | int | None = None,
    ) -> JsonDict:
        with self._lock:
            person, state = self._speaker(user, chat)
            message: JsonDict = {
                "message_id": state.next_message_id,
                "from": person.to_api(),
                "chat": state.chat.to_api(),
                "date": int(time.time()),
                **content,
            }
            if reply_to is not None:
                replied_id = _message_id(reply_to)
                replied = self._any_message(state.chat.id, replied_id)
                if replied is None:
                    raise KeyError(f"no message {replied_id} in chat {state.chat.id} to reply to")
                message["reply_to_message"] = replied
            state.next_message_id += 1
            state.user_messages[message["message_id"]] = message
            return message

    def text_update(
        self,
        text: str,
        *,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
        reply_to: BotMessage | Mapping[str, Any] | int | None = None,
    ) -> JsonDict:
        """A text message from a user (commands and @mentions get their entities)."""
        content: JsonDict = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        return self._message_update(user, chat, content, reply_to)

    def _message_update(
        self,
        user: FakeUser | None,
        chat: FakeChat | None,
        content: JsonDict,
        reply_to: BotMessage | Mapping[str, Any] | int | None = None,
    ) -> JsonDict:
        message = self._user_message(user, chat, content, reply_to)
        with self._lock:
            return self._new_update("message", message)

    def edited_text_update(self, message: Mapping[str, Any], new_text: str) -> JsonDict:
        """The user edited one of their text messages."""
        with self._lock:
            chat_id = message["chat"]["id"]
            state = self._chats[chat_id]
            stored = state.user_messages.get(message["message_id"])
            if stored is None:
                raise KeyError(f"the user has no message {message['message_id']} in {chat_id}")
            edited = {**stored, "text": new_text, "edit_date": int(time.time())}
            edited.pop("entities", None)
            entities = detect_entities(new_text)
            if entities:
                edited["entities"] = entities
            state.user_messages[edited["message_id"]] = edited
            return self._new_update("edited_message", edited)

    def callback_update(
        self,
        message: BotMessage,
        *,
        button: str | None = None,
        data: str | None = None,
        user: FakeUser | None = None,
    ) -> JsonDict:
        """A press on a button of a bot message, by its label or its callback_data.

        The button must be on the message as it stands now, as on a real screen.
        """
        with self._lock:
            current = self.message(message.chat_id, message.message_id)
            pressed = [
                b
                for b in current.buttons
                if b.callback_data is not None
                and (button is None or b.text == button)
                and (data is None or b.callback_data == data)
            ]
            if not pressed:
                raise KeyError(
                    f"message {current.message_id} has no callback button matching "
                    f"text={button!r} data={data!r}; it has {current.button_texts}"
                )
            owner = self._users.get(current.chat_id)  # the person of a private chat
            person = user or owner or self.default_user
            query_id = str(next(self._query_ids))
            self._pending_queries[query_id] = _PendingQuery(
                current.chat_id, current.message_id, current.chat_id
            )
            return self._new_update(
                "callback_query",
                {
                    "id": query_id,
                    "from": person.to_api(),
                    "message": self.message_dict(current),
                    "chat_instance": str(abs(hash((self.bot_id, current.chat_id)))),
                    "data": pressed[0].callback_data,
                },
            )

    def sticker_update(
        self, *, emoji: str = "👍", user: FakeUser | None = None, chat: FakeChat | None = None
    ) -> JsonDict:
        """A sticker from a user."""
        sticker = {
            "file_id": "FAKESTICKER1",
            "file_unique_id": "UFAKESTICKER1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._message_update(user, chat, {"sticker": sticker})

    def photo_update(
        self,
        *,
        caption: str | None = None,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """A photo from a user, optionally captioned."""
        sizes = [
            {
                "file_id": f"FAKEPHOTO{w}",
                "file_unique_id": f"UFAKEPHOTO{w}",
                "width": w,
                "height": w * 3 // 4,
                "file_size": w * 100,
            }
            for w in (90, 320, 800)
        ]
        content: JsonDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._message_update(user, chat, content)

    def voice_update(
        self, *, duration: int = 3, user: FakeUser | None = None, chat: FakeChat | None = None
    ) -> JsonDict:
        """A voice message from a user."""
        voice = {
            "file_id": "FAKEVOICE1",
            "file_unique_id": "UFAKEVOICE1",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": duration * 4000,
        }
        return self._message_update(user, chat, {"voice": voice})

    def location_update(
        self,
        latitude: float = 60.1699,
        longitude: float = 24.9384,
        *,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """A shared location from a user."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._message_update(user, chat, {"location": location})

    def document_update(
        self,
        file_name: str = "application.pdf",
        content: bytes = b"%PDF-1.4\n%fake\n",
        *,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """A document from a user; its bytes can be fetched with getFile and downloaded."""
        file_id = self.add_file(content, f"documents/{file_name}")
        document = {
            "file_id": file_id,
            "file_unique_id": f"U{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        message: JsonDict = {"document": document}
        if caption is not None:
            message["caption"] = caption
        return self._message_update(user, chat, message)

    def inline_query_update(self, query: str, *, user: FakeUser | None = None) -> JsonDict:
        """An inline query (@bot query typed in any chat); needs inline_mode=True."""
        if not self.inline_mode:
            raise ValueError(
                "Telegram sends inline queries only to bots with inline mode: "
                "FakeTelegram(inline_mode=True)"
            )
        person = user or self.default_user
        with self._lock:
            query_id = str(next(self._query_ids))
            self._pending_inline[query_id] = person.id
            return self._new_update(
                "inline_query",
                {"id": query_id, "from": person.to_api(), "query": query, "offset": ""},
            )

    def my_chat_member_update(
        self,
        chat: FakeChat,
        new_status: Literal["member", "kicked", "left", "administrator"],
        *,
        user: FakeUser | None = None,
    ) -> JsonDict:
        """The bot's membership changed: a user blocked it (kicked) or a group removed it."""
        with self._lock:
            state = self._chats[chat.id]
            person = user or self._users.get(chat.id) or self.default_user
            old = "member" if state.bot_status == "member" else state.bot_status
            state.bot_status = "member" if new_status == "administrator" else new_status
            bot = {**self.bot_user(), "can_join_groups": True}
            return self._new_update(
                "my_chat_member",
                {
                    "chat": chat.to_api(),
                    "from": person.to_api(),
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, "user": bot},
                    "new_chat_member": _member_status(new_status, bot),
                },
            )

    def is_visible_to_bot(self, update: Mapping[str, Any]) -> bool:
        """False for group small talk a bot in privacy mode never receives."""
        message = update.get("message") or update.get("edited_message")
        if not message or self.can_read_all_group_messages:
            return True
        if message["chat"]["type"] == "private":
            return True
        text = message.get("text") or message.get("caption") or ""
        if text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.lower().endswith(f"@{self.bot_username.lower()}")
        if f"@{self.bot_username.lower()}" in text.lower():
            return True
        replied = message.get("reply_to_message")
        return bool(replied and replied.get("from", {}).get("id") == self.bot_id)


class _Described:
    """A result that Telegram accompanies with a description (setWebhook, deleteWebhook)."""

    def __init__(self, result: object, description: str) -> None:
        self.result = result
        self.description = description


_DEFAULT_ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    500: "Internal Server Error",
}


def _member_status(status: str, bot: JsonDict) -> JsonDict:
    member: JsonDict = {"status": status, "user": bot}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True)
    return member


def _chat_id(chat: FakeChat | int) -> int:
    return chat.id if isinstance(chat, FakeChat) else chat


def _message_id(message: BotMessage | Mapping[str, Any] | int) -> int:
    if isinstance(message, int):
        return message
    if isinstance(message, BotMessage):
        return message.message_id
    return int(message["message_id"])


def _scope_key(scope: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(scope) if scope else {"type": "default"}, sort_keys=True)


def _same_markup(new: Mapping[str, Any] | None, old: Mapping[str, Any] | None) -> bool:
    def inline(markup: Mapping[str, Any] | None) -> object:
        if not markup or not markup.get("inline_keyboard"):
            return None
        return markup["inline_keyboard"]

    return inline(new) == inline(old)


def _update_type(update: Mapping[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def update_chat_key(update: Mapping[str, Any]) -> int:
    """The chat an update belongs to (for an inline query: the user's private chat id)."""
    kind = _update_type(update)
    payload = update[kind]
    if kind == "callback_query":
        return int(payload["message"]["chat"]["id"])
    if kind == "inline_query":
        return int(payload["from"]["id"])
    return int(payload["chat"]["id"])


# --------------------------------------------------------------------------------------------
# Transport 1: in-process, as PTB's BaseRequest


_METHOD_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/?]+)$")
_FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


class FakeRequest(BaseRequest):
    """PTB's request seam answered by the fake: ApplicationBuilder().request(FakeRequest(core)).

    Like PTB's HTTPXRequest it must be initialized before use, honours read_timeout (a hung
    call raises TimedOut) and turns a dropped connection into NetworkError.
    """

    def __init__(self, core: FakeTelegram, *, read_timeout: float | None = 5.0) -> None:
        self._core = core
        self._read_timeout = read_timeout
        self._initialized = False

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call passes none."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open; marks the request usable, as HTTPXRequest does."""
        self._initialized = True

    async def shutdown(self) -> None:
        """Nothing to close; marks the request unusable."""
        self._initialized = False

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Route a PTB request to the fake and return Telegram's status code and body."""
        if not self._initialized:
            raise RuntimeError("This FakeRequest is not initialized!")
        timeout = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        path = unquote(urlsplit(url).path)
        file_match = _FILE_PATH.search(path)
        if file_match:
            reply = self._core.download(file_match["token"], file_match["path"])
            return reply.status, reply.body
        method_match = _METHOD_PATH.search(path)
        if method_match is None:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        uploads: dict[str, UploadedFile] = {}
        if request_data is not None and request_data.contains_files:
            for part, (file_name, content, mime) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                uploads[part] = UploadedFile(str(file_name or part), bytes(data), str(mime))
        # Decode the same wire form HTTPXRequest sends, so both transports see equal params.
        raw = request_data.json_parameters if request_data is not None else {}
        call = self._core.handle(method_match["token"], method_match["method"], raw, uploads)
        try:
            if isinstance(timeout, (int, float)):
                reply = await asyncio.wait_for(call, timeout)
            else:
                reply = await call
        except TimeoutError:
            raise TimedOut() from None
        if reply.dropped:
            raise NetworkError(
                "httpx.RemoteProtocolError: Server disconnected without sending a response."
            )
        return reply.status, reply.body


# --------------------------------------------------------------------------------------------
# Transport 2: a loopback HTTP server


class _BadHttp(Exception):
    pass


@dataclass(frozen=True)
class _HttpRequest:
    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    keep_alive: bool


async def _read_http_request(reader: asyncio.StreamReader) -> _HttpRequest | None:
    line = await reader.readline()
    while line in (b"\r\n", b"\n"):
        line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").strip().split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadHttp(line)
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(chunks)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (parts[2] == "HTTP/1.1" or connection == "keep-alive")
    return _HttpRequest(parts[0].upper(), parts[1], headers, body, keep_alive)


def _http_response(reply: ApiReply, keep_alive: bool) -> bytes:
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Unknown"
    head = (
        f"HTTP/1.1 {reply.status} {phrase}\r\n"
        "Server: fake-telegram\r\n"
        f"Content-Type: {reply.content_type}\r\n"
        f"Content-Length: {len(reply.body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("latin-1") + reply.body


def _request_params(request: _HttpRequest) -> dict[str, object]:
    params: dict[str, object] = dict(parse_qsl(urlsplit(request.target).query, True))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not request.body:
        return params
    if content_type == "application/json":
        try:
            decoded = json.loads(request.body)
        except ValueError:
            raise _bad_request("can't parse JSON encoded request (fake)") from None
        if not isinstance(decoded, dict):
            raise _bad_request("JSON object expected (fake)")
        params.update(decoded)
    elif content_type == "multipart/form-data":
        raise _bad_request("multipart uploads are not supported (fake)")
    else:
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), True))
    return params


class FakeTelegramServer:
    """The fake core served over real HTTP on 127.0.0.1, as /bot<token>/<method> and /file/.

    `async with FakeTelegramServer(core) as server:` runs it in the current event loop;
    `with FakeTelegramServer(core).running_in_thread() as server:` runs it in a thread of
    its own (for synchronous tests that drive a bot subprocess). Long polls never block
    other requests: every connection is served by its own task.
    """

    def __init__(self, core: FakeTelegram, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        """What to give PTB's base_url (it appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """What to give PTB's base_file_url (it appends the token)."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        """Listen on the loopback interface (an ephemeral port unless one was given)."""
        self._server = await asyncio.start_server(
            self._serve_connection, self.host, self.port, limit=2**20
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and end every open connection (hung calls included)."""
        if self._server is None:
            return
        self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def running_in_thread(self) -> Iterator[FakeTelegramServer]:
        """Run the server in a daemon thread with its own event loop, for synchronous tests."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failures: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as error:  # handed to the starting thread below
                failures.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        thread = threading.Thread(target=serve, name="fake-telegram-server", daemon=True)
        thread.start()
        ready.wait(10)
        if failures:
            raise failures[0]
        try:
            yield self
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                request = await _read_http_request(reader)
                if request is None:
                    break
                reply = await self._answer(request)
                if reply.dropped:
                    writer.transport.abort()
                    break
                writer.write(_http_response(reply, request.keep_alive))
                await writer.drain()
                if not request.keep_alive:
                    break
        except (_BadHttp, ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            # stop() ends hung calls this way. Ending normally rather than cancelled spares
            # Python 3.11's asyncio.streams, which logs a traceback for a cancelled handler.
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, request: _HttpRequest) -> ApiReply:
        path = unquote(urlsplit(request.target).path)
        file_match = _FILE_PATH.fullmatch(path)
        if file_match and request.method in ("GET", "HEAD"):
            return self.core.download(file_match["token"], file_match["path"])
        method_match = re.fullmatch(r"/bot(?P<token>[^/]+)/(?P<method>[^/]+)", path)
        if method_match is None or request.method not in ("GET", "POST"):
            return _error_reply(ApiError(404, "Not Found"))
        try:
            params = _request_params(request)
        except ApiError as error:
            return _error_reply(error)
        return await self.core.handle(method_match["token"], method_match["method"], params)


# --------------------------------------------------------------------------------------------
# Conversations


class PollingFeed:
    """Feed for ChatDriver when the bot polls: queue the update, wait until the bot answered.

    The bot counts as having answered once it fetched the update, did something visible in
    the chat (a message, an edit, a callback answer) and then stayed quiet for `settle`.
    """

    def __init__(
        self, core: FakeTelegram, *, answer_timeout: float = 10.0, settle: float = 0.3
    ) -> None:
        self.core = core
        self.answer_timeout = answer_timeout
        self.settle = settle

    async def __call__(self, update: JsonDict) -> None:
        """Deliver one update through getUpdates and wait for the bot's answer."""
        core = self.core
        key = update_chat_key(update)
        before = core.activity(key)
        update_id = update["update_id"]
        if not core.push_update(update):
            return
        if not await core.wait_until(lambda: core.was_delivered(update_id), self.answer_timeout):
            raise AssertionError(
                f"the bot did not fetch update {update_id} within {self.answer_timeout}s: "
                "is it polling this fake server?"
            )
        if not await core.wait_until(lambda: core.activity(key) > before, self.answer_timeout):
            raise AssertionError(
                f"the bot fetched update {update_id} but did nothing visible in chat {key} "
                f"within {self.answer_timeout}s"
            )
        while True:
            if not await core.wait_until(_activity_moved(core, key), self.settle):
                return


def _activity_moved(core: FakeTelegram, key: int) -> Callable[[], bool]:
    since = core.activity(key)
    return lambda: core.activity(key) != since


class ButtonNotFound(AssertionError):
    """ChatDriver.click found no button with that label; the message lists the ones there are."""


class ChatDriver:
    """A person in one chat: tests read like their conversation with the bot.

    `feed` takes an update dict and returns once the bot has handled it: in-process
    `lambda u: app.process_update(Update.de_json(u, app.bot))`, end to end `PollingFeed(core)`.
    """

    def __init__(
        self,
        core: FakeTelegram,
        feed: UpdateFeed,
        *,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
        require_callback_answer: bool = True,
    ) -> None:
        self.core = core
        self.feed = feed
        if user is None:
            user = core.user("Member") if chat is not None and chat.is_group else core.default_user
        self.user = user
        self.chat = chat or core.private_chat(user)
        self.require_callback_answer = require_callback_answer

    async def _deliver(self, update: JsonDict) -> JsonDict:
        if self.core.is_visible_to_bot(update):
            await self.feed(update)
        kind = _update_type(update)
        return dict(update[kind])

    async def send(
        self, text: str, *, reply_to: BotMessage | Mapping[str, Any] | int | None = None
    ) -> JsonDict:
        """Send a text message (a /command too); returns the message as the bot got it."""
        update = self.core.text_update(text, user=self.user, chat=self.chat, reply_to=reply_to)
        return await self._deliver(update)

    async def click(self, button_text: str, *, message: BotMessage | None = None) -> None:
        """Press the button with this label on the last bot message that has a keyboard.

        Pass `message` to press a button on an older message still on screen (a stale one).
        """
        if message is not None:
            message = self.core.message(self.chat, message.message_id)
        else:
            message = self.last_keyboard_message
        if message is None:
            raise ButtonNotFound(
                f"no message from the bot in chat {self.chat.id} has an inline keyboard; "
                f"last texts: {self.texts[-3:]}"
            )
        matches = [b for b in message.buttons if b.text == button_text]
        if not matches:
            raise ButtonNotFound(
                f"no button {button_text!r} on message {message.message_id} "
                f"({message.text[:60]!r}); its buttons: {message.button_texts}"
            )
        if matches[0].callback_data is None:
            raise ButtonNotFound(
                f"button {button_text!r} is a {matches[0].action} button: pressing it sends "
                "the bot nothing"
            )
        update = self.core.callback_update(message, button=button_text, user=self.user)
        await self.feed(update)
        query_id = update["callback_query"]["id"]
        if self.require_callback_answer and not self.core.is_answered(query_id):
            raise AssertionError(
                f"the bot did not answer the press on {button_text!r} (answerCallbackQuery): "
                "the user's client keeps showing a spinner"
            )

    async def edit(self, message: Mapping[str, Any], new_text: str) -> JsonDict:
        """Edit one of this person's earlier messages."""
        return await self._deliver(self.core.edited_text_update(message, new_text))

    async def send_sticker(self, emoji: str = "👍") -> JsonDict:
        """Send a sticker."""
        return await self._deliver(
            self.core.sticker_update(emoji=emoji, user=self.user, chat=self.chat)
        )

    async def send_photo(self, caption: str | None = None) -> JsonDict:
        """Send a photo."""
        return await self._deliver(
            self.core.photo_update(caption=caption, user=self.user, chat=self.chat)
        )

    async def send_voice(self) -> JsonDict:
        """Send a voice message."""
        return await self._deliver(self.core.voice_update(user=self.user, chat=self.chat))

    async def send_location(
        self, latitude: float = 60.1699, longitude: float = 24.9384
    ) -> JsonDict:
        """Share a location."""
        return await self._deliver(
            self.core.location_update(latitude, longitude, user=self.user, chat=self.chat)
        )

    async def send_document(
        self, file_name: str = "application.pdf", content: bytes = b"%PDF-1.4\n%fake\n"
    ) -> JsonDict:
        """Send a document."""
        return await self._deliver(
            self.core.document_update(file_name, content, user=self.user, chat=self.chat)
        )

    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat as they stand (edits applied)."""
        return self.core.bot_messages(self.chat)

    @property
    def texts(self) -> list[str]:
        """The texts of the bot's messages in this chat, oldest first (edits applied)."""
        return [message.text for message in self.messages]

    @property
    def last_message(self) -> BotMessage:
        """The bot's latest message in this chat."""
        messages = self.messages
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {self.chat.id}")
        return messages[-1]

    @property
    def last_text(self) -> str:
        """What the user sees in the bot's latest message."""
        return self.last_message.text

    @property
    def documents(self) -> list[SentDocument]:
        """The documents the bot sent to this chat, oldest first."""
        return [m.document for m in self.messages if m.document is not None]

    @property
    def last_keyboard_message(self) -> BotMessage | None:
        """The bot's latest message that carries an inline keyboard (what a user can press)."""
        return next((m for m in reversed(self.messages) if m.buttons), None)

    @property
    def last_buttons(self) -> list[str]:
        """The labels on the latest message with an inline keyboard (what click() can press)."""
        message = self.last_keyboard_message
        return message.button_texts if message else []
