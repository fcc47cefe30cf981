"""Several real `amif-bot run` replicas on one PostgreSQL database, as operators deploy them.

A Fleet starts N processes, each with its own data directory, all with the same DATABASE_URL
and the same fake Telegram (tests/fake_telegram.py, served over loopback HTTP):
- webhook mode: each replica listens on a loopback port of its own, behind a LoadBalancer in
  the test (aiohttp) that spreads the webhook posts over the live replicas at random and tries
  another one when a replica refuses the connection, drops it or answers 5xx, as a load
  balancer does; WebhookFeed posts an update there as Telegram does, again until it gets 200.
- polling mode: the replicas poll the fake's getUpdates (one at a time, if the bot is right);
  PollingFleetFeed queues updates there.
On PostgreSQL a feed knows the bot's answer to an update is complete when the update's inbox
row is marked done (InboxWatch).
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
import psycopg
from aiohttp import web

from tests.conftest import ROOT, bot_environment, free_loopback_port
from tests.fake_telegram import (
    FakeTelegram,
    FakeTelegramServer,
    JsonDict,
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
# How often InboxWatch reads which updates are done, and how long a feed then waits for any
# reply still on its way (none is: a handler awaits its sends).
WATCH_EVERY_S = 0.1
WATCHED_SETTLE_S = 0.2
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
        # The getUpdates calls in flight: when each began, from which start of the replica.
        # A killed replica's last poll stays in flight until another poll ends it with 409.
        self.in_flight: dict[int, tuple[float, int]] = {}
        # 409 answers to getUpdates ("terminated by other getUpdates request") that reached
        # the process that asked (not a killed one's last poll, which nobody reads).
        self.conflicts = 0
        # The replica's current process: its start number, None while it is not running.
        self.generation: Callable[[], int | None] = lambda: 0

    def latest_poll(self) -> float | None:
        """When the running process's latest getUpdates in flight began (None: none is)."""
        current = self.generation()
        started = [at for at, gen in self.in_flight.values() if gen == current]
        return max(started) if started and current is not None else None

    async def _answer(self, request: Any) -> Any:
        if "/getupdates" not in str(request.target).lower():
            return await super()._answer(request)
        self.polls += 1
        asked = self.generation()
        call = self.polls
        self.in_flight[call] = (time.monotonic(), asked if asked is not None else -1)
        try:
            reply = await super()._answer(request)
        finally:
            del self.in_flight[call]
        answered_asker = asked is not None and self.generation() == asked
        if getattr(reply, "status", 200) == 409 and answered_asker:
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


class InboxWatch:
    """Tells when the bot has handled an update: its row in the shared inbox is marked done.

    A worker marks an update done once its handler returned, that is after every reply it
    awaited was sent: a deterministic end of the bot's answer, where waiting for the chat to
    go quiet is a guess. One query for all the updates being waited for, every WATCH_EVERY_S.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._waiting: dict[int, list[asyncio.Future[None]]] = {}
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect and start watching."""
        self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop watching and disconnect."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()

    async def handled(self, update_id: int, timeout: float) -> bool:
        """Wait until update_id is marked done; False after timeout seconds."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(update_id, []).append(future)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            waiters = self._waiting.get(update_id, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                self._waiting.pop(update_id, None)

    async def _run(self) -> None:
        assert self._conn is not None
        while True:
            await asyncio.sleep(WATCH_EVERY_S)
            if not self._waiting:
                continue
            cursor = await self._conn.execute(
                "SELECT update_id FROM inbox WHERE update_id = ANY(%s) AND body IS NULL",
                (list(self._waiting),),
            )
            for (update_id,) in await cursor.fetchall():
                for future in self._waiting.pop(update_id, []):
                    if not future.done():
                        future.set_result(None)


class FleetFeed:
    """Feed for ChatDriver: deliver an update (as subclasses do), wait for the bot's answer.

    With an InboxWatch the answer is complete once the update is marked done (and the bot did
    something visible in the chat); without one, once the chat stayed quiet for `settle`.
    """

    def __init__(
        self,
        core: FakeTelegram,
        *,
        watch: InboxWatch | None = None,
        answer_timeout: float = 120.0,
        settle: float = 1.0,
    ) -> None:
        self.core = core
        self.watch = watch
        self.answer_timeout = answer_timeout
        self.settle = settle if watch is None else WATCHED_SETTLE_S

    async def deliver(self, update: JsonDict) -> None:
        """Hand the update to Telegram's side of the bot."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release what delivering needed."""

    async def __call__(self, update: JsonDict) -> None:
        """Deliver one update and wait for the bot's answer to it."""
        core = self.core
        if not core.is_visible_to_bot(update):
            return
        key = update_chat_key(update)
        before = core.activity(key)
        update_id = update["update_id"]
        await self.deliver(update)
        if self.watch is not None and not await self.watch.handled(update_id, self.answer_timeout):
            raise AssertionError(f"update {update_id} was not handled in {self.answer_timeout}s")
        if not await core.wait_until(lambda: core.activity(key) > before, self.answer_timeout):
            raise AssertionError(
                f"update {update_id} was delivered but the bot did nothing visible in chat "
                f"{key} within {self.answer_timeout}s"
            )
        while True:
            if not await core.wait_until(_moved(core, key), self.settle):
                return


class PollingFleetFeed(FleetFeed):
    """Updates queued for getUpdates, where whichever replica polls takes them."""

    async def deliver(self, update: JsonDict) -> None:
        """Queue the update at the fake Telegram."""
        self.core.push_update(update)


class WebhookFeed(FleetFeed):
    """Updates POSTed as Telegram does: again until one post got 200 (acknowledged)."""

    def __init__(self, core: FakeTelegram, url: str, **options: Any) -> None:
        super().__init__(core, **options)
        self.url = url
        self.acknowledged: list[int] = []
        self.redelivered = 0
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()

    async def deliver(self, update: JsonDict) -> None:
        """POST the update."""
        await self.post(update)

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
            replica.server.generation = _generation_of(replica)
        self.balancer = LoadBalancer(self.live_ports, self.rng)
        self.watch = InboxWatch(database_url)
        self._stopped: list[int | None] | None = None

    async def __aenter__(self) -> Fleet:
        for replica in self.replicas:
            await replica.server.start()
        if self.mode == "webhook":
            await self.balancer.start()
        try:
            await asyncio.gather(*(self.start(replica.index) for replica in self.replicas))
            if self.database_url:
                await self.watch.start()
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

    def feed(self, *, answer_timeout: float = 120.0, watch: bool = True) -> FleetFeed:
        """How a ChatDriver reaches this fleet: the webhook behind the balancer, or getUpdates.

        watch=True waits for each update's done mark in the inbox (PostgreSQL only).
        """
        options: dict[str, Any] = {"answer_timeout": answer_timeout}
        if watch and self.database_url:
            options["watch"] = self.watch
        if self.mode == "webhook":
            return WebhookFeed(self.core, self.balancer.url, **options)
        return PollingFleetFeed(self.core, **options)

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
        """Stop every replica cleanly, then the balancer; their exit statuses (idempotent)."""
        if self._stopped is not None:
            return self._stopped
        statuses = list(await asyncio.gather(*(self.stop(r.index) for r in self.replicas)))
        await self.balancer.stop()
        await self.watch.stop()
        for replica in self.replicas:
            await replica.server.stop()
        self._stopped = statuses
        return statuses

    def logs(self) -> str:
        """Every replica's log, one after the other."""
        return "\n".join(f"=== replica {r.index}\n{r.log()}" for r in self.replicas)

    def polling_leader(self) -> int | None:
        """The replica whose getUpdates call is the latest one in flight (None: none is)."""
        polling = [
            (started, r.index)
            for r in self.replicas
            if r.alive and (started := r.server.latest_poll()) is not None
        ]
        return max(polling)[1] if polling else None


def _generation_of(replica: Replica) -> Callable[[], int | None]:
    return lambda: replica.starts if replica.alive else None


def _moved(core: FakeTelegram, key: int) -> Callable[[], bool]:
    since = core.activity(key)
    return lambda: core.activity(key) != since
