"""Callback data: a prefix and short fields joined by ':', at most 64 bytes (Telegram's limit).

In a group, a button also carries its owner ('~' and the user id in base 36) so that a press by
anyone else can be refused before any handler acts on it.
"""

from __future__ import annotations

from bot.eligibility import CALLBACK_PREFIX

MAX_CALLBACK_BYTES = 64
OWNER_MARK = "~"
# Buttons anyone in a chat may press: feedback votes are anonymous, and whoever reads an
# answer in a group may say whether it helped.
SHARED_PREFIXES = frozenset({"fb"})
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


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
    head, _, rest = without_owner(data).partition(":")
    if head != prefix:
        return None
    return rest.split(":") if rest else []


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if number == 0:
            return digits


def with_owner(data: str, user_id: int) -> str | None:
    """The data with its owner appended; None when that would not fit in 64 bytes."""
    if user_id < 0:
        return None
    owned = f"{without_owner(data)}{OWNER_MARK}{_base36(user_id)}"
    return owned if len(owned.encode("utf-8")) <= MAX_CALLBACK_BYTES else None


def owner_of(data: str | None) -> int | None:
    """The user id a button was made for, or None when it names nobody (or is malformed)."""
    if not data or OWNER_MARK not in data:
        return None
    mark = data.rpartition(OWNER_MARK)[2]
    if not mark or len(mark) > 13 or any(c not in _DIGITS for c in mark):
        return None
    return int(mark, 36)


def without_owner(data: str) -> str:
    """The data without its owner mark."""
    head, mark, tail = data.rpartition(OWNER_MARK)
    if mark and tail and all(c in _DIGITS for c in tail):
        return head
    return data


def encode_callback(check_id: str, step: str, option: str) -> str:
    """An eligibility button's data: 'elig:<check>:<step>:<option>' (size checked at load)."""
    return encode(CALLBACK_PREFIX, check_id, step, option)


def decode_callback(data: str) -> tuple[str, str, str] | None:
    """(check, step, option) from an eligibility button's data, or None when it is not ours."""
    fields = decode(data, CALLBACK_PREFIX)
    if fields is None or len(fields) != 3 or not all(fields):
        return None
    return fields[0], fields[1], fields[2]
