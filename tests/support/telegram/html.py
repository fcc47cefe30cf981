"""Telegram's text rules: UTF-16 lengths, the HTML parse mode and its entities, the limits of a
message, and the entities Telegram adds to what a user types."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.support.telegram.api import MAX_MESSAGE_UTF16, ApiError, JsonDict, bad_request

# The entity types a bot may send in `entities`.
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
            raise bad_request(
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


def link_url(url: str) -> str | None:
    """The URL a link or URL button points at as Telegram reads it; None when it is no URL."""
    if "://" not in url and not url.startswith(("tg:", "mailto:")):
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        return url if ("." in host or host == "localhost") else None
    return url if parts.scheme in ("tg", "ton", "mailto") else None


def parse_html(html: str, *, strict_ampersand: bool = True) -> FormattedText:
    """Parse Bot API HTML the way Telegram does; raises ApiError with Telegram's description."""
    return _HtmlParser(html, strict_ampersand).parse()


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    """What an attribute contributes to its tag's entity (a link, a language, a class)."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    return current


class _HtmlParser:
    """One pass over Bot API HTML: plain text, character references, start and end tags."""

    def __init__(self, html: str, strict_ampersand: bool) -> None:
        self.html = html
        self.n = len(html)
        self.strict_ampersand = strict_ampersand
        self.i = 0
        self.utf16 = 0
        self.result: list[str] = []
        self.entities: list[JsonDict] = []
        self.stack: list[_OpenTag] = []

    def parse(self) -> FormattedText:
        """The text the user sees and its entities, or ApiError as Telegram words it."""
        while self.i < self.n:
            char = self.html[self.i]
            if char == "&" and self._character_reference():
                continue
            if char != "<":
                self._plain_text()
            elif self._at(self.i + 1) != "/":
                self._start_tag()
            else:
                self._end_tag()
        if self.stack:
            raise self._fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return FormattedText("".join(self.result), tuple(self.entities))

    # -- reading ----------------------------------------------------------------------------

    def _at(self, index: int | None = None) -> str:
        return _char_at(self.html, self.i if index is None else index)

    def _offset(self, index: int) -> int:
        return _byte_offset(self.html, index)

    def _fail(self, message: str) -> ApiError:
        return bad_request(f"can't parse entities: {message}")

    def _bare_ampersand(self) -> ApiError:
        return self._fail(
            f"Character '&' at byte offset {self._offset(self.i)} starts no HTML "
            'entity and must be escaped as "&amp;" (fake)'
        )

    def _skip_spaces(self) -> None:
        while self.i < self.n and _is_space(self.html[self.i]):
            self.i += 1

    def _skip_to_space_or_close(self) -> None:
        while not _is_space(self._at()) and self._at() != ">":
            self.i += 1

    # -- text -------------------------------------------------------------------------------

    def _append(self, text: str) -> None:
        self.result.append(text)
        self.utf16 += utf16_len(text)

    def _character_reference(self) -> bool:
        """Decode the reference at "&"; False when there is none and "&" is kept as text."""
        decoded = _decode_html_entity(self.html, self.i)
        if decoded is not None:
            self._append(decoded[0])
            self.i = decoded[1]
            return True
        if self.strict_ampersand:
            raise self._bare_ampersand()
        return False

    def _plain_text(self) -> None:
        # Copy the whole run of plain text up to the next markup character at once.
        end = self.i + 1
        while end < self.n and self.html[end] not in "<&":
            end += 1
        self._append(self.html[self.i : end])
        self.i = end

    # -- tags -------------------------------------------------------------------------------

    def _start_tag(self) -> None:
        begin = self.i
        self.i += 1
        self._skip_to_space_or_close()
        if self.i >= self.n:
            raise self._fail(f"Unclosed start tag at byte offset {self._offset(begin)}")
        tag = self.html[begin + 1 : self.i].lower()
        if tag not in _HTML_TAGS:
            raise self._fail(f'Unsupported start tag "{tag}" at byte offset {self._offset(begin)}')
        argument = ""
        while self._at() != ">":
            self._skip_spaces()
            if self._at() == ">":
                break
            attribute = self._attribute_name(tag, begin)
            self._skip_spaces()
            if self._at() != "=":
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise self._fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self._offset(begin)}'
                )
            self.i += 1
            argument = _tag_argument(tag, attribute, self._attribute_value(tag, begin), argument)
        if tag == "span" and argument != "spoiler":
            raise self._fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._offset(begin)}'
            )
        self.stack.append(_OpenTag(tag, argument, self.utf16, len(self.result)))
        self.i += 1

    def _attribute_name(self, tag: str, begin: int) -> str:
        start = self.i
        while not _is_space(self._at()) and self._at() not in "=>":
            self.i += 1
        attribute = self.html[start : self.i]
        if not attribute:
            raise self._fail(
                f'Empty attribute name in the tag "{tag}" at byte offset {self._offset(begin)}'
            )
        return attribute

    def _attribute_value(self, tag: str, begin: int) -> str:
        self._skip_spaces()
        if self.i >= self.n:
            raise self._fail(f'Unclosed start tag "{tag}" at byte offset {self._offset(begin)}')
        value = self._quoted_value() if self.html[self.i] in "'\"" else self._name_token()
        if self.i >= self.n:
            raise self._fail(f"Unclosed start tag at byte offset {self._offset(begin)}")
        return value

    def _name_token(self) -> str:
        start = self.i
        while self._at().isascii() and (self._at().isalnum() or self._at() in ".-"):
            self.i += 1
        value = self.html[start : self.i].lower()
        if not _is_space(self._at()) and self._at() != ">":
            raise self._fail(f"Unexpected end of name token at byte offset {self._offset(start)}")
        return value

    def _quoted_value(self) -> str:
        quote = self.html[self.i]
        self.i += 1
        chars: list[str] = []
        while self.i < self.n and self.html[self.i] != quote:
            if self.html[self.i] == "&":
                decoded = _decode_html_entity(self.html, self.i)
                if decoded is not None:
                    chars.append(decoded[0])
                    self.i = decoded[1]
                    continue
                if self.strict_ampersand:
                    raise self._bare_ampersand()
            chars.append(self.html[self.i])
            self.i += 1
        if self.i < self.n:
            self.i += 1
        return "".join(chars)

    def _end_tag(self) -> None:
        begin = self.i
        self.i += 1
        if not self.stack:
            raise self._fail(f"Unexpected end tag at byte offset {self._offset(begin)}")
        self._skip_to_space_or_close()
        end_name = self.html[begin + 2 : self.i]
        self._skip_spaces()
        if self._at() != ">":
            raise self._fail(f"Unclosed end tag at byte offset {self._offset(begin)}")
        opened = self.stack[-1]
        if end_name and end_name != opened.name:
            raise self._fail(
                f"Unmatched end tag at byte offset {self._offset(begin)}, "
                f'expected "</{opened.name}>", found "</{end_name}>"'
            )
        self.stack.pop()
        self.i += 1
        length = self.utf16 - opened.utf16_offset
        if length > 0:
            content = "".join(self.result[opened.text_index :])
            entity = _entity_for_tag(opened, length, content)
            if entity is not None:
                _merge_pre_code(self.entities, entity)


def _entity_for_tag(opened: _OpenTag, length: int, content: str) -> JsonDict | None:
    entity: JsonDict = {"offset": opened.utf16_offset, "length": length}
    name = opened.name
    if name in _SIMPLE_TAG_ENTITIES:
        entity["type"] = _SIMPLE_TAG_ENTITIES[name]
    elif name == "blockquote":
        entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
    elif name == "tg-emoji":
        if not opened.argument.isdigit() or int(opened.argument) >= 2**63:
            raise bad_request("can't parse entities: Invalid custom emoji identifier specified")
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
            url = link_url(target)
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
        raise bad_request('field "entities" must be of type Array')
    length = utf16_len(text)
    checked = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise bad_request("can't parse MessageEntity: Object expected")
        if entity.get("type") not in _ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type specified")
        offset, size = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(size, int):
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be a Number')
        if offset < 0:
            raise bad_request(f"receive an entity with incorrect offset {offset}")
        if offset > length:
            raise bad_request(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + size > length:
            raise bad_request(
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
        raise bad_request("message text is empty")
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
        raise bad_request("unsupported parse_mode")
    elif parse_mode.lower() == "html":
        formatted = parse_html(raw, strict_ampersand=strict_ampersand)
    else:
        formatted = FormattedText(raw, ())
    formatted = _trim(formatted)
    if not formatted.text:
        raise bad_request("text must be non-empty")
    if utf16_len(formatted.text) > MAX_MESSAGE_UTF16:
        raise bad_request(too_long)
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
