"""Reply markup as Telegram checks it: inline keyboards, their buttons, and the other markups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tests.support.telegram.api import (
    BUTTON_ACTIONS,
    MAX_CALLBACK_DATA_BYTES,
    MAX_INLINE_KEYBOARD_BUTTONS,
    bad_request,
)
from tests.support.telegram.html import link_url


def _check_button_url(url: object, what: str = "inline keyboard button URL") -> None:
    if not isinstance(url, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "url" must be of type String'
        )
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme and scheme not in ("http", "https", "tg"):
        raise bad_request(f"{what} '{url}' is invalid: Unsupported URL protocol")
    if link_url(url) is None:
        raise bad_request(f"{what} '{url}' is invalid: Wrong HTTP URL")


def _check_inline_button(button: object) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: Object expected")
    if "text" not in button:
        raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    # Telegram treats an empty callback_data as a missing one.
    actions = [key for key in BUTTON_ACTIONS if key in button and button[key] != ""]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be "
            f"used, got {', '.join(actions)} (fake)"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise bad_request(
                'can\'t parse inline keyboard button: Field "callback_data" must be of type String'
            )
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        _check_button_url(button["url"])
    if "pay" in button or "callback_game" in button:
        raise bad_request("BUTTON_TYPE_INVALID")


def check_reply_markup(markup: object, *, inline_only: bool = False) -> None:
    """Validate reply_markup as Telegram does; raises ApiError with Telegram's description."""
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list):
            raise bad_request('field "inline_keyboard" must be of type Array')
        count = 0
        for row in rows:
            if not isinstance(row, list):
                raise bad_request('field "inline_keyboard" must be of type Array')
            for button in row:
                _check_inline_button(button)
                count += 1
        if count > MAX_INLINE_KEYBOARD_BUTTONS:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        return
    if inline_only:
        raise bad_request("inline keyboard expected (fake)")
    if "keyboard" in markup:
        if not isinstance(markup["keyboard"], list) or not all(
            isinstance(row, list) for row in markup["keyboard"]
        ):
            raise bad_request('field "keyboard" must be of type Array')
        return
    if "remove_keyboard" in markup or "force_reply" in markup:
        return
    raise bad_request("can't parse reply keyboard markup JSON object")


def same_markup(new: Mapping[str, Any] | None, old: Mapping[str, Any] | None) -> bool:
    """True when an edit leaves the inline keyboard as it was (Telegram's "not modified")."""

    def inline(markup: Mapping[str, Any] | None) -> object:
        if not markup or not markup.get("inline_keyboard"):
            return None
        return markup["inline_keyboard"]

    return inline(new) == inline(old)
