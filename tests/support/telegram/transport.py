"""The fake's two transports: FakeRequest, PTB's request seam answered in-process, and
FakeTelegramServer, the same core served over real HTTP on the loopback interface."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from tests.support.telegram.api import (
    ApiError,
    ApiReply,
    UploadedFile,
    bad_request,
    error_reply,
)
from tests.support.telegram.core import FakeTelegram

# --------------------------------------------------------------------------------------------
# In-process: PTB's request seam

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
# Over real HTTP: a loopback server


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
            raise bad_request("can't parse JSON encoded request (fake)") from None
        if not isinstance(decoded, dict):
            raise bad_request("JSON object expected (fake)")
        params.update(decoded)
    elif content_type == "multipart/form-data":
        raise bad_request("multipart uploads are not supported (fake)")
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
            return error_reply(ApiError(404, "Not Found"))
        try:
            params = _request_params(request)
        except ApiError as error:
            return error_reply(error)
        return await self.core.handle(method_match["token"], method_match["method"], params)
