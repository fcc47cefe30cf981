"""What goes wrong at Telegram's end: injected errors, hangs, dropped connections, outages,
and flood control (429 with retry_after)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Literal

# Sending and editing count against Telegram's flood limits; answering a query does not.
FLOOD_COUNTED = frozenset(
    {"sendmessage", "senddocument", "editmessagetext", "editmessagereplymarkup"}
)

NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
# Statuses a test may name without a description, worded as Telegram words them.
DEFAULT_ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    500: "Internal Server Error",
}


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


class FaultInjection:
    """The fault-injection half of FakeTelegram: what the next calls suffer instead of answers."""

    def __init__(self) -> None:
        self._fault_lock = threading.Lock()
        self._faults: list[_FaultSlot] = []
        # (until, status) of an outage that fails every call but getUpdates, or None.
        self._outage: tuple[float, int] | None = None

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
            raw_body = NGINX_502
        elif description is None:
            description = DEFAULT_ERRORS.get(status) or HTTPStatus(status).phrase
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
        with self._fault_lock:
            self._faults.append(_FaultSlot(fault, times))

    def outage(self, seconds: float, status: int = 502) -> None:
        """Fail every call but getUpdates with status for the next `seconds` (an API outage)."""
        with self._fault_lock:
            self._outage = (time.monotonic() + seconds, status)

    def take_fault(self, name: str) -> Fault | None:
        """The fault the call of `name` (lower-case) suffers now, used up; None to answer it."""
        with self._fault_lock:
            return self._take_fault(name)

    def _take_fault(self, name: str) -> Fault | None:
        if self._outage is not None and name != "getupdates":
            until, status = self._outage
            if time.monotonic() < until:
                raw = NGINX_502 if status == 502 else None
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
