"""The HTTP client under PTB: aiohttp behind PTB's BaseRequest seam.

Why not PTB's default HTTPXRequest: on this project's 2-core machine one Bot API call through
httpx costs about 1.8 ms of CPU on loopback (2.4 ms through PTB), against about 0.3-0.5 ms
through aiohttp (benchmarks/bench_bot.py prints both side by side). At a deadline rush every
update costs one or two calls, so the HTTP client was the largest single cost of an update.

The contract is PTB's (telegram.request.BaseRequest): do_request returns the status and the
body and leaves error codes to PTB; a timeout becomes TimedOut and any other transport failure
NetworkError, so PTB's error handling and our RetryingRateLimiter work unchanged.

Timeouts map onto aiohttp's as follows: read -> sock_read (the longest wait for the next bytes of
the answer, which is what a long poll needs); connect -> sock_connect; pool -> the wait for a free
connection. aiohttp bounds the pool wait and the connecting together (its `connect`), so that
bound is pool + connect: a slow but allowed connect is never cut short by the pool timeout;
write -> aiohttp has no write timeout, so the whole request is bounded by the sum of the finite
ones.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

JSON = "application/json"


class AiohttpRequest(BaseRequest):
    """PTB's request seam implemented with one aiohttp ClientSession (keep-alive pool)."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        # The session binds to the running loop, so it is made in initialize(): PTB builds
        # requests before run_polling/run_webhook create their loop.
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds (PTB adds the long-poll time to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool in the running loop (again after a shutdown)."""
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
        # No automatic decompression or cookie handling: the Bot API needs neither.
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None),
            headers={"User-Agent": self.USER_AGENT},
        )

    async def shutdown(self) -> None:
        """Close the pool and its connections."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

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
        """Send one request; return (status, body). Errors become TimedOut or NetworkError."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = bool(request_data and request_data.contains_files)
        read = _given(read_timeout, self._read_timeout)
        write = _given(
            write_timeout, self._media_write_timeout if has_files else self._write_timeout
        )
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=_finite_sum(read, write, connect, pool),
            connect=_finite_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        body, headers = _encode(request_data)
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise TimedOut(
                    "Pool timeout: no free connection to the Bot API; the request was not sent"
                ) from exc
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _given(value: object, default: float | None) -> float | None:
    """A per-call timeout, or the instance default when the caller left it unset."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    if value is not None and not isinstance(value, int | float):
        raise TypeError(f"a timeout must be a number or None, not {type(value).__name__}")
    return value


def _finite_sum(*timeouts: float | None) -> float | None:
    """The sum of the timeouts, or None (no bound) when any of them is unbounded."""
    if any(t is None for t in timeouts):
        return None
    return sum(t for t in timeouts if t is not None)


def _encode(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """The body: JSON, or multipart with files.

    The Bot API takes JSON bodies as it takes forms (PTB's HTTPXRequest sends forms), with the
    same values: nested objects such as reply_markup travel as JSON strings in both. Encoding a
    typical message as JSON takes about a tenth of the CPU of URL-encoding it (10 µs against
    85 µs here), on both sides of the wire.
    """
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.json_payload, {"Content-Type": JSON}
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, upload in request_data.multipart_data.items():
        # PTB gives (filename, content) or (filename, content, mimetype).
        filename, content = upload[0], upload[1]
        mimetype = upload[2] if len(upload) > 2 else None
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
