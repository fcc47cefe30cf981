"""Callback data: a prefix and short fields joined by ':', at most 64 bytes (Telegram's limit)."""

from __future__ import annotations

MAX_CALLBACK_BYTES = 64


class CallbackDataError(ValueError):
    """Callback data that is too long to send or not ours to read."""


def encode(prefix: str, *fields: str) -> str:
    """Build callback data; raises when it would exceed 64 bytes (UTF-8: å, ä, ö are 2 bytes)."""
    data = ":".join((prefix, *fields))
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise CallbackDataError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None, prefix: str) -> list[str] | None:
    """The fields after prefix, or None when the data is missing, forged or for another prefix."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    head, _, rest = data.partition(":")
    if head != prefix:
        return None
    return rest.split(":") if rest else []
