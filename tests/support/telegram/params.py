"""Parameters as they arrive (form fields as strings, or JSON values), decoded by name as
Telegram decodes them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping

from tests.support.telegram.api import JsonDict, UploadedFile, bad_request

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
        raise bad_request("chat not found")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise bad_request("chat_id is empty")
        if value.startswith("@"):
            return value
        with contextlib.suppress(ValueError):
            return int(value)
    raise bad_request("chat not found")


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
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object (fake)") from None
    if name in _INT_PARAMS:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        with contextlib.suppress(ValueError, TypeError):
            number = float(str(value).strip())
            if number.is_integer():
                return int(number)
        raise bad_request(f'field "{name}" must be of type Integer (fake)')
    if name in _BOOL_PARAMS:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
            return value.lower() in ("true", "1")
        raise bad_request(f'field "{name}" must be of type Boolean')
    return value


def decode_params(raw: Mapping[str, object]) -> JsonDict:
    """Decode wire parameters (form strings or JSON values) into typed values by name."""
    return {name: _decode_value(name, value) for name, value in raw.items()}


def attach_uploads(params: JsonDict, uploads: Mapping[str, UploadedFile]) -> JsonDict:
    """Put each uploaded file where the request names it, as Telegram resolves multipart."""
    resolved = dict(params)
    for name, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if part not in uploads:
                raise bad_request(f"file attach://{part} not found in the request (fake)")
            resolved[name] = uploads[part]
    for part, upload in uploads.items():
        resolved.setdefault(part, upload)
    return resolved
