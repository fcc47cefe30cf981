"""Several real `amif-bot run` replicas on one PostgreSQL database, as operators deploy them.

A Fleet starts N processes, each with its own data directory, all with the same DATABASE_URL
and the same fake Telegram (tests/fake_telegram.py, served over loopback HTTP):
- webhook mode: each replica listens on a loopback port of its own, behind a LoadBalancer in
  the test (aiohttp) that spreads the webhook posts over the live replicas at random and tries
  another one when a replica refuses the connection, drops it or answers 5xx, as a load
  balancer does; WebhookFeed posts an update there as Telegram does, again until it gets 200.
- polling mode: every replica polls the fake's getUpdates; PollingFeed pushes updates there.
One replica at a time can be killed with SIGKILL (nothing of it runs on: no clean stop, no
flush) and started again on the same data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import web

from tests.conftest import ROOT, bot_environment, free_loopback_port
from tests.fake_telegram import (
    FakeTelegram,
    FakeTelegramServer,
    JsonDict,
    PollingFeed,
    update_chat_key,
)

Mode = Literal["webhook", "polling"]
SECRET = "fleet-s3cret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What Telegram is told to call (HTTPS on an allowed port, as behind a TLS-terminating proxy);
# the test's load balancer stands in for that address.
PUBLIC_URL = "https://amif-bot.example.org/tg"
WEBHOOK_PATH = "/tg"
# A replica loads the knowledge before it listens: on a loaded 2-core machine that takes a while.
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 40.0
# How long the load balancer waits for one replica's answer before it tries another.
UPSTREAM_TIMEOUT_S = 30.0
# Telegram retries a webhook post that failed; this is how soon WebhookFeed tries again.
REDELIVER_AFTER_S = 0.5
# What a replica runs: `amif-bot run` (a benchmark may run a variant).
RUN_COMMAND: tuple[str, ...] = (sys.executable, "-m", "bot", "run")


class ReplicaApiServer(FakeTelegramServer):
    """The fake Bot API as one replica reaches it: the shared fake, plus who is polling.

    Each replica gets a server of its own over the same FakeTelegram, so that the test knows
    which replica a getUpdates call came from (the polling leader).
    """

    def __init__(self, core: FakeTelegram) -> None:
        super().__init__(core)
        self.polls = 0
        self.polls_in_flight = 0
        self.poll_started = 0.0
        # 409 answers to getUpdates ("terminated by other getUpdates request") that reached a
        # replica still running (a killed one's last poll ends that way, unread).
        self.conflicts = 0
        self.owner_alive: Callable[[], bool] = lambda: True

    async def _answer(self, request: Any) -> Any:
        if "/getupdates" not in str(request.target).lower():
            return await super()._answer(request)
        self.polls += 1
        self.polls_in_flight += 1
        self.poll_started = time.monotonic()
        try:
            reply = await super()._answer(request)
        finally:
            self.polls_in_flight -= 1
        if getattr(reply, "status", 200) == 409 and self.owner_alive():
            self.conflicts += 1
        return reply


@dataclass
class Replica:
    """One `amif-bot run` process of the fleet, its data directory, port, API server and log."""

    index: int
    data_dir: Path
    log_path: Path
    port: int
    server: ReplicaApiServer
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: int = 0

    @property
    def alive(self) -> bool:
        """The process runs."""
        return self.process is not None and self.process.returncode is None

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self.process.pid if self.alive and self.process is not None else None

    def log(self) -> str:
        """Everything this replica wrote, over all its starts."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class BalancerStats:
    """What the load balancer saw: posts per replica port, retries and posts none took."""

    forwarded: Counter[int] = field(default_factory=Counter)
    retried: int = 0
    failed: int = 0


class LoadBalancer:
    """A loopback reverse proxy that spreads webhook posts over the live replicas at random.

    A replica that refuses the connection, drops it mid-request, times out or answers 5xx is
    skipped and the post goes to another; with none left the answer is 502 (Telegram then
    delivers the update again later).
    """

    def __init__(self, upstreams: Callable[[], list[int]], rng: random.Random) -> None:
        self.upstreams = upstreams
        self.rng = rng
        self.stats = BalancerStats()
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """Where the webhook posts go."""
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        # force_close: a killed replica's kept-alive connection would otherwise be reused.
        connector = aiohttp.TCPConnector(force_close=True)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_S)
        )
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Stop listening and close the upstream connections."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("content-type", SECRET_HEADER.lower())
        }
        candidates = self.upstreams()
        self.rng.shuffle(candidates)
        for attempt, port in enumerate(candidates):
            if attempt:
                self.stats.retried += 1
            url = f"http://127.0.0.1:{port}{request.path_qs}"
            try:
                async with self._session.request(
                    request.method, url, data=body, headers=headers
                ) as upstream:
                    payload = await upstream.read()
                    if upstream.status >= 500:
                        continue
                    self.stats.forwarded[port] += 1
                    return web.Response(
                        status=upstream.status,
                        body=payload,
                        content_type=upstream.content_type,
                    )
            except (aiohttp.ClientError, OSError, TimeoutError):
                continue
        self.stats.failed += 1
        return web.Response(status=502, text="no replica answered")


class WebhookFeed:
    """Feed for ChatDriver in webhook mode: post as Telegram does, wait for the bot's answer.

    An update counts as delivered (acknowledged) once a post got 200; any other outcome is
    retried, as Telegram retries. The bot counts as having answered once it did something
    visible in the chat and then stayed quiet for `settle`.
    """

    def __init__(
        self,
        core: FakeTelegram,
        url: str,
        *,
        answer_timeout: float = 120.0,
        settle: float = 1.0,
    ) -> None:
        self.core = core
        self.url = url
        self.answer_timeout = answer_timeout
        self.settle = settle
        self.acknowledged: list[int] = []
        self.redelivered = 0
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()

    async def post(self, update: JsonDict) -> None:
        """POST the update until the webhook answers 200 (within answer_timeout)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        deadline = time.monotonic() + self.answer_timeout
        headers = {SECRET_HEADER: SECRET}
        while True:
            try:
                async with self._session.post(self.url, json=update, headers=headers) as reply:
                    if reply.status == 200:
                        self.acknowledged.append(update["update_id"])
                        return
            except (aiohttp.ClientError, OSError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"no webhook post of update {update['update_id']} got 200")
            self.redelivered += 1
            await asyncio.sleep(REDELIVER_AFTER_S)

    async def __call__(self, update: JsonDict) -> None:
        """Deliver one update through the webhook and wait for the bot's answer."""
        core = self.core
        key = update_chat_key(update)
        before = core.activity(key)
        if not core.is_visible_to_bot(update):
            return
        await self.post(update)
        if not await core.wait_until(lambda: core.activity(key) > before, self.answer_timeout):
            raise AssertionError(
                f"update {update['update_id']} was acknowledged but the bot did nothing "
                f"visible in chat {key} within {self.answer_timeout}s"
            )
        while True:
            if not await core.wait_until(_moved(core, key), self.settle):
                return


class Fleet:
    """N `amif-bot run` replicas on one database and one fake Telegram (see the module)."""

    def __init__(
        self,
        core: FakeTelegram,
        database_url: str,
        root: Path,
        *,
        count: int = 3,
        mode: Mode = "webhook",
        env: dict[str, str] | None = None,
        seed: int = 0,
        command: Sequence[str] = RUN_COMMAND,
    ) -> None:
        self.core = core
        self.command = tuple(command)
        self.database_url = database_url
        self.mode = mode
        self.env = dict(env or {})
        self.rng = random.Random(seed)
        self.replicas = [
            Replica(
                i,
                root / f"replica-{i}",
                root / f"replica-{i}.log",
                free_loopback_port(),
                ReplicaApiServer(core),
            )
            for i in range(count)
        ]
        for replica in self.replicas:
            replica.server.owner_alive = _alive_check(replica)
        self.balancer = LoadBalancer(self.live_ports, self.rng)

    async def __aenter__(self) -> Fleet:
        for replica in self.replicas:
            await replica.server.start()
        if self.mode == "webhook":
            await self.balancer.start()
        try:
            await asyncio.gather(*(self.start(replica.index) for replica in self.replicas))
        except BaseException:
            await self.stop_all()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop_all()

    def live_ports(self) -> list[int]:
        """The webhook ports of the replicas that run."""
        return [replica.port for replica in self.replicas if replica.alive]

    def environment(self, replica: Replica) -> dict[str, str]:
        """The process environment of one replica."""
        extra = {
            "DATABASE_URL": self.database_url,
            # One process per replica: the replicas, not forked workers, are under test.
            "BOT_WORKERS": "1",
            "LOG_LEVEL": "INFO",
            **self.env,
        }
        if self.mode == "webhook":
            extra.update(
                WEBHOOK_URL=PUBLIC_URL,
                WEBHOOK_LISTEN="127.0.0.1",
                WEBHOOK_PORT=str(replica.port),
                WEBHOOK_SECRET=SECRET,
            )
        else:
            # A poller has no webhook server: its /healthz and /readyz get a port of their own.
            extra.update(HEALTH_PORT=str(replica.port), HEALTH_LISTEN="127.0.0.1")
        return bot_environment(self.core, replica.server, replica.data_dir, **extra)

    def feed(self, *, answer_timeout: float = 120.0, settle: float = 1.0) -> Any:
        """How a ChatDriver reaches this fleet: the webhook behind the balancer, or getUpdates."""
        if self.mode == "webhook":
            return WebhookFeed(
                self.core, self.balancer.url, answer_timeout=answer_timeout, settle=settle
            )
        return PollingFeed(self.core, answer_timeout=answer_timeout, settle=settle)

    async def start(self, index: int) -> None:
        """Start replica `index` and return once it takes updates."""
        replica = self.replicas[index]
        assert not replica.alive, f"replica {index} runs already"
        replica.data_dir.mkdir(parents=True, exist_ok=True)
        offset = len(replica.log().encode())
        with replica.log_path.open("ab") as log_file:
            replica.process = await asyncio.create_subprocess_exec(
                *self.command,
                cwd=ROOT,
                env=self.environment(replica),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
            )
        replica.starts += 1
        await self._wait_ready(replica, offset)

    async def _wait_ready(self, replica: Replica, offset: int) -> None:
        """Wait until the replica's /readyz answers 200, as an orchestrator's probe does."""
        deadline = time.monotonic() + START_TIMEOUT_S
        url = f"http://127.0.0.1:{replica.port}/readyz"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while True:
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with session.get(url) as answer:
                        if answer.status == 200:
                            return
                written = replica.log_path.read_bytes()[offset:].decode(errors="replace")
                if not replica.alive:
                    raise AssertionError(f"replica {replica.index} exited:\n{written[-3000:]}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"replica {replica.index} not ready:\n{written[-3000:]}")
                await asyncio.sleep(0.1)

    async def kill(self, index: int) -> None:
        """SIGKILL replica `index` and reap it."""
        replica = self.replicas[index]
        assert replica.process is not None and replica.alive, f"replica {index} is not running"
        replica.process.send_signal(signal.SIGKILL)
        await replica.process.wait()
        replica.kills += 1

    async def restart(self, index: int) -> None:
        """Start a killed (or stopped) replica again on its data directory."""
        await self.start(index)

    async def stop(self, index: int) -> int | None:
        """SIGTERM replica `index` and wait (SIGKILL if it hangs); its exit status."""
        process = self.replicas[index].process
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
        return process.returncode

    async def stop_all(self) -> list[int | None]:
        """Stop every replica cleanly, then the balancer; their exit statuses."""
        statuses = list(await asyncio.gather(*(self.stop(r.index) for r in self.replicas)))
        await self.balancer.stop()
        for replica in self.replicas:
            await replica.server.stop()
        return statuses

    def logs(self) -> str:
        """Every replica's log, one after the other."""
        return "\n".join(f"=== replica {r.index}\n{r.log()}" for r in self.replicas)

    def polling_leader(self) -> int | None:
        """The replica whose getUpdates call is the latest one in flight (None: none is)."""
        polling = [
            (r.server.poll_started, r.index)
            for r in self.replicas
            if r.alive and r.server.polls_in_flight
        ]
        return max(polling)[1] if polling else None


def _alive_check(replica: Replica) -> Callable[[], bool]:
    return lambda: replica.alive


def _moved(core: FakeTelegram, key: int) -> Callable[[], bool]:
    since = core.activity(key)
    return lambda: core.activity(key) != since
