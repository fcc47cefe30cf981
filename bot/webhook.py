"""The webhook server (aiohttp): only requests with the secret, only well-formed updates.

Used by both ways the bot runs: the main process of bot/workers.py hands each update to its
worker, and the single-process bot puts it into its Application's queue. PTB's own webhook
server (tornado) is not used: it answered over-deep JSON with 500 and a RecursionError
traceback, logged a malformed update's whole content, and kept a connection that sends its
headers slowly open for an hour (issue 13).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.client_exceptions import ClientError

from bot.config import Settings

log = logging.getLogger("amif.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A webhook's body larger than this is not an update (Telegram's own are far smaller).
MAX_WEBHOOK_BYTES = 1024 * 1024
# Every connection gets this long to send a request's headers (counted from the connection's
# start, or from the end of the previous request on a kept-alive one) and then as long for the
# body. Telegram sends an update of a few kB at once; a slow sender ties up a socket and memory.
WEBHOOK_READ_TIMEOUT_S = 10.0
# Telegram's updates nest about 8 levels deep (a callback's message, its keyboard, rows,
# buttons); anything deeper is not an update, and Python's json recursion ends near 1,000.
MAX_UPDATE_DEPTH = 32

# Hands one update on; raises ConnectionError when the worker it belongs to is gone.
Deliver = Callable[[dict[str, Any]], Awaitable[None]]
# The readiness probe: the database answers and the knowledge is loaded (the workers run).
Ready = Callable[[], Awaitable[bool]]


def parse_update(body: bytes) -> dict[str, Any] | None:
    """The update a webhook body holds, or None when it is not one (malformed, too deep)."""
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return None
    if _depth(update) > MAX_UPDATE_DEPTH:
        return None
    return update


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a JSON value (without recursion)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_UPDATE_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def add_health_routes(server: web.Application, ready: Ready) -> None:
    """GET /healthz: the process answers (200); GET /readyz: 200 when ready, else 503."""

    async def healthz(request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.StreamResponse:
        if await ready():
            return web.Response(text="ready\n")
        return web.Response(status=503, text="not ready\n")

    server.router.add_get("/healthz", healthz)
    server.router.add_get("/readyz", readyz)


def webhook_app(
    secret: str, path: str, deliver: Deliver, ready: Ready | None = None
) -> web.Application:
    """The aiohttp application that takes updates at path (and answers the health probes)."""
    expected = secret.encode()

    async def receive(request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return web.Response(status=403)
        if request.content_type != "application/json":
            return web.Response(status=400)
        try:
            async with asyncio.timeout(WEBHOOK_READ_TIMEOUT_S):
                body = await request.read()
        except TimeoutError:
            log.debug("webhook body not received within %.0f s", WEBHOOK_READ_TIMEOUT_S)
            return web.Response(status=408)
        except (ConnectionError, ClientError) as exc:
            # The client went away mid-body: nothing to answer, nothing to alarm anyone.
            log.debug("webhook client disconnected mid-body: %s", type(exc).__name__)
            return web.Response(status=400)
        update = parse_update(body)
        if update is None:
            return web.Response(status=400)
        try:
            await deliver(update)
        except ConnectionError:
            # Not committed to the inbox, or its worker died (the bot is stopping): not a 200,
            # so Telegram sends the update again.
            return web.Response(status=503)
        return web.Response()

    server = web.Application(client_max_size=MAX_WEBHOOK_BYTES)
    server.router.add_post(f"/{path}", receive)
    if ready is not None:
        add_health_routes(server, ready)
    return server


async def serve_webhook(
    settings: Settings,
    deliver: Deliver,
    stop: asyncio.Event,
    on_ready: Callable[[], None] | None = None,
    ready: Ready | None = None,
) -> None:
    """Serve the webhook on WEBHOOK_LISTEN:WEBHOOK_PORT until stop is set."""
    server = webhook_app(settings.webhook_secret or "", settings.webhook_path, deliver, ready)
    # keepalive_timeout closes a connection that has not sent a whole request's headers in time
    # (aiohttp arms it when the connection opens, and again after each response).
    runner = web.AppRunner(
        server, access_log=None, handle_signals=False, keepalive_timeout=WEBHOOK_READ_TIMEOUT_S
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        if on_ready is not None:
            on_ready()
        await stop.wait()
    finally:
        await runner.cleanup()


async def serve_health(listen: str, port: int, ready: Ready, stop: asyncio.Event) -> None:
    """Serve only /healthz and /readyz on listen:port until stop is set (HEALTH_PORT)."""
    server = web.Application()
    add_health_routes(server, ready)
    runner = web.AppRunner(
        server, access_log=None, handle_signals=False, keepalive_timeout=WEBHOOK_READ_TIMEOUT_S
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
        await stop.wait()
    finally:
        await runner.cleanup()
