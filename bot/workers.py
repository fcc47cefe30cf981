"""The bot on more than one core: one process takes the updates, worker processes handle them.

Why: one Python process runs on one core, and at a deadline rush the bot is CPU-bound there:
about 4-5 ms of CPU per update, most of it inside PTB (building Update and Message objects, the
Bot API calls) rather than in our handlers (benchmarks/bench_bot.py, "cpu/upd").

How (BOT_WORKERS, default one per CPU up to 4; 1 is one worker behind the same main process):
- The main process loads the knowledge and forks the workers, which share the loaded, frozen
  objects copy-on-write instead of loading them again.
- It then only takes updates from Telegram (long polling, or the webhook with its secret) and
  passes each one, as its JSON, to the worker that owns the update's user: user id modulo the
  number of workers (the chat id when an update has no user). Parsing into Update objects, the
  handlers, SQLite and the replies all happen in the workers.
- Before an update is confirmed to Telegram (the next getUpdates' offset, or the webhook's
  200) it is committed to the durable inbox (bot/inbox.py); the worker marks it done once it
  is handled, and at start-up the main process first routes what the inbox still holds.
- A worker is the same PTB Application as the single-process bot (bot.telegram_app), built
  without an Updater: its updates go into app.update_queue and through the same processing.

Why by user: every update of a user is handled by one process, in order, so the storage's
caches of language, time zone and open dialog (bot/storage.py), the per-user flood bucket and
the per-chat ordering stay exact with no coordination between processes. What is shared:
- Telegram's overall send rate (about 30 messages a second): each worker's limiter gets 30/N.
- The scheduler (reminders, `amif-bot reload` requests, housekeeping) and the command menus
  run in worker 0 only (on PostgreSQL: of the one replica that has the scheduler role).
- A reload that changed the knowledge (by /reload in any worker, or `amif-bot reload`) is
  passed to every other worker, which reloads too, without sending the notices again.
- Usage counters are buffered per worker (bot/storage.py): /stats may miss up to 5 s of the
  other workers' counts.

Lifetimes: a worker never outlives the main process (on Linux it gets SIGKILL when the main
process dies, as the single-process bot's handlers would die with it). SIGTERM or SIGINT to the
main process: it stops taking updates and closes the pipes; each worker finishes the updates it
has, closes its store and exits; the main process waits for them. A worker stopped by SIGTERM
or SIGINT does the same (systemd signals every process of a service). If a worker dies
otherwise, the main process stops the others and exits with status 1, so the supervisor
(Docker's restart policy, systemd) restarts the whole bot; nothing a worker committed is lost.

Replicas (DATABASE_URL=postgresql://...): any number of these main processes may share one
database. Each then hands its workers only the updates of users it has claimed, whichever
replica received them, and only one replica polls or runs the scheduler (bot/replicas.py).

The wire between the processes is a Unix socket pair per worker with one JSON object per line:
{"u": <update>}, {"c": "reload"}, {"c": "lead"} (run the scheduler) and {"c": "replicas",
"n": N} (the rates' share) to a worker; {"c": "reload"}, {"c": "ready"} (the Application runs)
and {"d": [update ids]} (marked done in the inbox) from a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NoReturn
from urllib.parse import urlencode

from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot.config import Settings
from bot.context import BotApp, features_of
from bot.inbox import DoneMarks, Inbox, open_inbox
from bot.operator import OperatorFeatures
from bot.replicas import (
    LEADER_RETRY_S,
    POLLING,
    REPLICAS_EVERY_S,
    SCHEDULER,
    Claimer,
    LinkLost,
    ReplicaLink,
    listen_forever,
)
from bot.services import Services
from bot.telegram_app import (
    AWAIT_LEAD_KEY,
    FairUpdateProcessor,
    RetryingRateLimiter,
    build_application,
    new_event_loop,
    start_leader_jobs,
)
from bot.transport import AiohttpRequest
from bot.webhook import serve_health, serve_webhook

log = logging.getLogger("amif.workers")

# The long-poll time asked of getUpdates, as PTB's run_polling asks by default, and how much
# longer the answer may take before the call counts as timed out.
POLL_TIMEOUT_S = 10
POLL_READ_MARGIN_S = 5.0
# After a failed getUpdates: wait 1 s, doubling up to 30 s, until one succeeds.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
# The longest line on the wire: an update is at most a few tens of kB of JSON.
MAX_LINE_BYTES = 4 * 1024 * 1024
# How long the main process waits for the workers to finish at a stop.
STOP_GRACE_S = 30.0
# How long after a worker's end a stop signal to the main process still counts as the reason.
SIGNAL_SKEW_S = 2.0
RELOAD = b'{"c":"reload"}\n'
READY = b'{"c":"ready"}\n'
LEAD = b'{"c":"lead"}\n'
# The readiness probe's database check gives up after this long.
READY_PING_TIMEOUT_S = 3.0
# How often the main process deletes the inbox's done rows that are old enough.
PRUNE_EVERY_S = 600.0
PR_SET_PDEATHSIG = 1

# Called in each worker with its Application before it starts (the benchmark's probes).
WorkerHook = Callable[[BotApp], None]


def owner(update: Mapping[str, Any], workers: int) -> int:
    """The worker of an update: its user's id (its chat's, without a user) modulo workers."""
    for kind, body in update.items():
        if kind == "update_id" or not isinstance(body, dict):
            continue
        for field in ("from", "user", "chat"):
            party = body.get(field)
            if isinstance(party, dict) and isinstance(party.get("id"), int):
                return int(party["id"]) % workers
        message = body.get("message")
        if isinstance(message, dict):
            chat = message.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"]) % workers
    return 0


def encode_update(update: Mapping[str, Any]) -> bytes:
    """One line on the wire (json.dumps escapes every newline inside strings)."""
    return json.dumps({"u": update}, separators=(",", ":")).encode() + b"\n"


def run_workers(
    settings: Settings,
    services: Services,
    count: int,
    *,
    on_worker: WorkerHook | None = None,
    on_ready: Callable[[], None] | None = None,
    rate_limiter: bool = True,
) -> int:
    """Fork `count` workers, take updates for them until stopped; the exit status.

    on_worker runs in each worker with its Application, on_ready in this process once updates
    are being taken; rate_limiter=False leaves out the send limiter (for the benchmark).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    channels: list[socket.socket] = []
    pids: list[int] = []
    parent = os.getpid()
    for index in range(count):
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            for channel in (*channels, ours):
                channel.close()
            worker = Worker(index, count, services, on_worker, rate_limiter)
            worker.run_process(theirs, parent)
        theirs.close()
        channels.append(ours)
        pids.append(pid)
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(Router(settings, channels, pids, on_ready).run())
    finally:
        loop.close()


# --- a worker process ------------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when the main process dies (Linux only)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)


class Worker:
    """One worker process: the bot's Application fed from its channel to the main process."""

    def __init__(
        self,
        index: int,
        count: int,
        services: Services,
        hook: WorkerHook | None = None,
        rate_limiter: bool = True,
    ) -> None:
        self.index = index
        self.count = count
        self.services = services
        self.hook = hook
        self.rate_limiter = rate_limiter

    def run_process(self, channel: socket.socket, parent: int) -> NoReturn:
        """The body of the forked process; it never returns into the caller's stack."""
        code = 1
        try:
            _die_with_parent(parent)
            loop = new_event_loop()
            asyncio.set_event_loop(loop)
            code = loop.run_until_complete(self.serve(channel))
            loop.close()
        except InvalidToken:
            log.error("worker %d: Telegram refused the bot token; stopping", self.index)
        except BaseException as exc:  # a worker must end here, whatever happened
            log.error("worker %d failed: %s", self.index, type(exc).__name__, exc_info=exc)
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    async def serve(self, channel: socket.socket) -> int:
        """Run the Application on the updates the channel brings, until it closes (0)."""
        app = build_application(
            self.services,
            manage_store=True,
            rate_limiter=self.rate_limiter,
            worker=self.index,
            workers=self.count,
        )
        if self.services.settings.database_url:
            app.bot_data[AWAIT_LEAD_KEY] = True  # until the Router says its replica leads
        if self.hook is not None:
            self.hook(app)
        reader, writer = await asyncio.open_unix_connection(sock=channel, limit=MAX_LINE_BYTES)
        features = features_of(app)
        features.on_reloaded = lambda: writer.write(RELOAD)
        follows: set[asyncio.Task[Any]] = set()
        # The order of Application.run_polling: initialize, post_init, start ... stop,
        # post_stop, shutdown, post_shutdown.
        inbox = open_inbox(self.services.settings)
        marks = DoneMarks(inbox, on_marked=lambda ids: _report_done(writer, ids))
        marking: asyncio.Future[None] | None = None
        await app.initialize()
        try:
            if app.post_init is not None:
                await app.post_init(app)  # opens the store, which migrates: the inbox exists
            await inbox.open(migrate=False)
            processor = app.update_processor
            if isinstance(processor, FairUpdateProcessor):
                processor.on_done = marks.handled
            marking = asyncio.ensure_future(marks.run())
            await app.start()
            writer.write(READY)  # the knowledge is loaded and the Application runs
            feeding = asyncio.ensure_future(self._feed(app, features, reader, follows, marks))
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, feeding.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await feeding
        finally:
            # The scheduler first, while the Bot API can still be reached: a reminder it has
            # claimed is sent before the next replica's scheduler takes over.
            await features.stop()
            if app.running:
                await app.stop()  # handles what is queued and waits for running handlers
            if marking is not None:
                await marks.stop(marking)
            await inbox.close()
            if app.post_stop is not None:
                await app.post_stop(app)
            if follows:
                await asyncio.gather(*follows, return_exceptions=True)
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
            writer.close()
        return 0

    async def _feed(
        self,
        app: BotApp,
        features: OperatorFeatures,
        reader: asyncio.StreamReader,
        follows: set[asyncio.Task[Any]],
        marks: DoneMarks,
    ) -> None:
        """Put each update from the main process into the Application's queue, until the end."""
        while line := await reader.readline():
            message: Any = None
            try:
                message = json.loads(line)
                if "u" in message:
                    await app.update_queue.put(Update.de_json(message["u"], app.bot))
                elif message.get("c") == "reload":
                    task = asyncio.ensure_future(features.follow_reload())
                    follows.add(task)
                    task.add_done_callback(follows.discard)
                elif message.get("c") == "lead":
                    log.info("worker %d starts the scheduler: this replica leads", self.index)
                    leading = asyncio.ensure_future(start_leader_jobs(app))
                    follows.add(leading)
                    leading.add_done_callback(follows.discard)
                elif message.get("c") == "replicas":
                    limiter = app.bot.rate_limiter
                    if isinstance(limiter, RetryingRateLimiter):
                        limiter.share_with(int(message["n"]))
            except Exception as exc:  # one malformed update must not stop the worker
                log.warning("worker %d skipped an update: %s", self.index, type(exc).__name__)
                update = message.get("u") if isinstance(message, dict) else None
                if isinstance(update, dict) and isinstance(update.get("update_id"), int):
                    marks.add(update["update_id"])  # or it would come back at every start


def _report_done(writer: asyncio.StreamWriter, update_ids: list[int]) -> None:
    """Tell the main process which updates are marked done (its claims wait for it)."""
    if not writer.is_closing():
        writer.write(json.dumps({"d": update_ids}, separators=(",", ":")).encode() + b"\n")


# --- the main process ------------------------------------------------------------------------


class Router:
    """Takes the updates from Telegram and hands each to its worker; watches the workers."""

    def __init__(
        self,
        settings: Settings,
        channels: list[socket.socket],
        pids: list[int],
        on_ready: Callable[[], None] | None = None,
        poll_timeout: int = POLL_TIMEOUT_S,
        inbox: Inbox | None = None,
    ) -> None:
        self.settings = settings
        self.inbox: Inbox = inbox if inbox is not None else open_inbox(settings)
        self.poll_timeout = poll_timeout
        self.channels = channels
        self.pids = pids
        self.on_ready = on_ready
        self.writers: list[asyncio.StreamWriter] = []
        self.stop = asyncio.Event()
        self.failed = False
        self.routed = 0
        self.started: set[int] = set()  # workers that reported ready
        # On PostgreSQL (several replicas): the link holding this replica's claims and roles.
        self.link: ReplicaLink | None = None
        self.claimer: Claimer | None = None
        self.leading = False
        self.link_lost = False
        self.replicas = 1
        self._background: list[asyncio.Task[None]] = []

    def dispatch(self, update: Mapping[str, Any]) -> None:
        """Queue one update on its worker's channel (ConnectionError once the worker is gone)."""
        self.send(owner(update, len(self.writers)), update)

    def dispatch_claimed(self, key: int, update: Mapping[str, Any]) -> None:
        """Queue a claimed update on the worker of its claim key (its user, else its chat)."""
        self.send(key % len(self.writers), update)

    def send(self, index: int, update: Mapping[str, Any]) -> None:
        """Queue one update on worker index's channel (ConnectionError once it is gone)."""
        writer = self.writers[index]
        if writer.is_closing():
            # uvloop raises RuntimeError on a write to a closed transport; a dead worker's
            # channel is a connection failure, which run() turns into a failed stop.
            raise ConnectionResetError("the worker's channel is closed")
        writer.write(encode_update(update))
        self.routed += 1

    async def drained(self) -> None:
        """Wait while a worker's channel is full (a busy worker slows the poller down)."""
        await asyncio.gather(*(writer.drain() for writer in self.writers))

    async def run(self) -> int:
        """Take updates until a stop signal or a worker's death; the exit status."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop.set)
        watchers = []
        for index, channel in enumerate(self.channels):
            reader, writer = await asyncio.open_unix_connection(sock=channel, limit=MAX_LINE_BYTES)
            self.writers.append(writer)
            watchers.append(loop.create_task(self._watch(index, reader)))
        bot = Bot(self.settings.token or "", **_urls(self.settings), request=AiohttpRequest(4))
        status = 0
        self._start_health()
        try:
            status = await self._intake(bot)
        except InvalidToken:
            log.error("Telegram refused the bot token (TELEGRAM_BOT_TOKEN); stopping")
            status = 1
        except LinkLost as exc:
            self._link_lost(exc)
        except ConnectionError as exc:
            # A worker's socket broke under a write (EPIPE, ECONNRESET): the worker is gone.
            # _watch tells a death from a supervisor's stop that reached the worker first (it
            # waits for our own signal), so wait for its verdict rather than guessing here.
            log.debug("a worker's channel broke: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), 2 * SIGNAL_SKEW_S)
            if not self.stop.is_set():
                log.error("a worker's channel broke; stopping the bot so it is restarted")
                self.failed = True
        except Exception as exc:
            # The inbox's database cannot be opened or read (the data directory was checked).
            log.error("the update inbox failed: %s: %s; stopping", type(exc).__name__, exc)
            status = 1
        finally:
            if not await self._wind_down(bot, watchers):
                status = 1
        if self.failed:
            status = 1
        log.info("stopped after routing %d updates to %d workers", self.routed, len(self.pids))
        return status

    async def _intake(self, bot: Bot) -> int:
        """Open the inbox, hand out what it holds, take updates until stopped; the status."""
        await self.inbox.open()
        if self.settings.database_url:
            await self._join_replicas()
        else:
            await self._drain_inbox()
            self._background.append(asyncio.get_running_loop().create_task(self._prune_forever()))
        await bot.initialize()
        if self.settings.webhook_url:
            return await self._webhook(bot)
        return await self._poll(bot)

    async def _wind_down(self, bot: Bot, watchers: list[asyncio.Task[None]]) -> bool:
        """Stop the background, close the channels, reap the workers; True if all exited 0."""
        self.stop.set()  # from here on, a worker's end is expected
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for writer in self.writers:
            writer.close()
        for writer in self.writers:
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if self.link_lost:
            # Another replica may hold this one's users already: its workers must not go on
            # with theirs, not even to finish what they have.
            self._kill_workers()
        clean = await self._reap(STOP_GRACE_S)
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        with contextlib.suppress(TelegramError):
            await bot.shutdown()
        with contextlib.suppress(Exception):
            await self.inbox.close()
        if self.link is not None:
            # Only now, with every worker ended: another replica takes the claims and roles.
            await self.link.close()
        return clean

    def _link_lost(self, exc: BaseException) -> None:
        """The claims may be gone: stop this replica at once, so that it is restarted."""
        if not self.stop.is_set():
            log.error("the replica's link to the database failed (%s); stopping", exc)
            self.link_lost = True
        self.failed = True
        self.stop.set()

    def _kill_workers(self) -> None:
        """SIGKILL every worker (their updates stay pending for the replica that takes over)."""
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _guarded(self, work: Awaitable[None]) -> asyncio.Task[None]:
        """A background task of this replica; a lost link stops the replica."""

        async def run() -> None:
            try:
                await work
            except LinkLost as exc:
                self._link_lost(exc)
            except ConnectionError:
                pass  # a worker's channel broke: _watch stops the bot
            except Exception as exc:
                # Without its claimer or roles this replica would only look alive.
                log.error("a replica task failed: %s; stopping", type(exc).__name__, exc_info=exc)
                self.failed = True
                self.stop.set()

        task = asyncio.get_running_loop().create_task(run())
        self._background.append(task)
        return task

    async def _join_replicas(self) -> None:
        """On PostgreSQL: open the link, claim users' pending updates, seek the scheduler."""
        url = self.settings.database_url or ""
        self.link = ReplicaLink(url)
        await self.link.open()
        self.claimer = Claimer(self.link, self.dispatch_claimed, self.drained)
        # The first round takes only the pending rows of users no live replica holds.
        await self.claimer.round()
        self._guarded(self.claimer.run(self.stop))
        self._guarded(listen_forever(url, self.claimer.wake))
        self._guarded(self._lead_scheduler())
        self._guarded(self._count_replicas())

    async def _await_role(self, role: int, name: str) -> bool:
        """Wait until this replica has the role (True), or until a stop (False)."""
        link = self.link
        if link is None:
            return True
        announced = False
        while not self.stop.is_set():
            if await link.try_lead(role):
                log.info("this replica took the %s role", name)
                return True
            if not announced:
                log.info("another replica has the %s role; standing by", name)
                announced = True
            await self._pause(LEADER_RETRY_S)
        return False

    async def _lead_scheduler(self) -> None:
        """Once this replica has the scheduler role: worker 0 runs it, this process prunes."""
        if not await self._await_role(SCHEDULER, "scheduler"):
            return
        self.leading = True
        if self.writers and not self.writers[0].is_closing():
            self.writers[0].write(LEAD)
        await self._prune_forever()

    async def _count_replicas(self) -> None:
        """Tell the workers the replica count whenever it changes (their share of the rates)."""
        link = self.link
        while link is not None and not self.stop.is_set():
            count = await link.replicas()
            if count != self.replicas:
                log.info("%d replicas share the bot's send rates", count)
                self.replicas = count
                line = json.dumps({"c": "replicas", "n": count}).encode() + b"\n"
                for writer in self.writers:
                    if not writer.is_closing():
                        writer.write(line)
            await self._pause(REPLICAS_EVERY_S)

    def _taken(self, new: list[Any]) -> None:
        """Updates just committed to the inbox: to their workers, or to the claimer's round."""
        if self.claimer is not None:
            self.claimer.wake()
            return
        for added in new:  # one already in the inbox was routed when it was added
            self.dispatch(added)

    async def ready(self) -> bool:
        """Readiness: every worker runs (the knowledge is loaded) and the database answers."""
        if len(self.started) < len(self.writers) or not self.writers or self.stop.is_set():
            return False
        try:
            async with asyncio.timeout(READY_PING_TIMEOUT_S):
                await self.inbox.ping()
        except Exception:
            return False
        return True

    def _start_health(self) -> None:
        """/healthz and /readyz on HEALTH_PORT when set (the webhook server has them too)."""
        port = self.settings.health_port
        if port is None or (self.settings.webhook_url and port == self.settings.webhook_port):
            return
        self._background.append(
            asyncio.get_running_loop().create_task(
                serve_health(self.settings.health_listen, port, self.ready, self.stop)
            )
        )

    async def _drain_inbox(self) -> None:
        """Hand the updates the inbox still holds (a previous run's) to the workers, in order."""
        pending = await self.inbox.pending()
        if pending:
            log.info("handing %d updates from the inbox to the workers", len(pending))
        for update in pending:
            self.dispatch(update)
        await self.drained()

    async def _prune_forever(self) -> None:
        """Delete the inbox's old done rows now and then."""
        while True:
            try:
                await self.inbox.prune()
            except Exception as exc:
                log.warning("pruning the inbox failed: %s", type(exc).__name__)
            await asyncio.sleep(PRUNE_EVERY_S)

    async def _watch(self, index: int, reader: asyncio.StreamReader) -> None:
        """Messages from one worker; its channel's end means it is gone."""
        while line := await reader.readline():
            if line == RELOAD:
                for other, writer in enumerate(self.writers):
                    if other != index and not writer.is_closing():
                        writer.write(RELOAD)
            elif line == READY:
                self.started.add(index)
            elif line.startswith(b'{"d":') and self.claimer is not None:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    self.claimer.done([int(n) for n in json.loads(line)["d"]])
        if not self.stop.is_set():
            # A supervisor that stops the whole bot (systemd signals every process of the
            # service) may reach the worker first: give our own signal a moment to arrive.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), SIGNAL_SKEW_S)
        if not self.stop.is_set():
            log.error("worker %d ended unexpectedly; stopping the bot so it is restarted", index)
            self.failed = True
            self.stop.set()

    async def _poll(self, bot: Bot) -> int:
        """Long-poll getUpdates (PTB's error mapping, raw JSON results) until stopped."""
        if self.link is not None:
            if self.on_ready is not None:
                self.on_ready()  # the replica handles claimed updates while it waits
                self.on_ready = None
            # One replica polls: Telegram answers a second getUpdates with 409 Conflict.
            if not await self._await_role(POLLING, "polling"):
                return 0
        await bot.delete_webhook()
        request = AiohttpRequest(connection_pool_size=1)
        await request.initialize()
        log.info("starting long polling with %d worker processes", len(self.writers))
        if self.on_ready is not None:
            self.on_ready()
        offset = confirmed = 0
        delay = RETRY_FIRST_S
        allowed = json.dumps(Update.ALL_TYPES)

        def get_updates(timeout: int) -> Awaitable[Any]:
            query = urlencode({"offset": offset, "timeout": timeout, "allowed_updates": allowed})
            return request.post(
                f"{bot.base_url}/getUpdates?{query}", read_timeout=timeout + POLL_READ_MARGIN_S
            )

        stopping = asyncio.ensure_future(self.stop.wait())
        try:
            while not self.stop.is_set():
                asked = offset
                poll = asyncio.ensure_future(get_updates(self.poll_timeout))
                await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not poll.done():
                    # Updates this poll was about to return are not confirmed: Telegram keeps
                    # them for the next start.
                    poll.cancel()
                    with contextlib.suppress(asyncio.CancelledError, TelegramError):
                        await poll
                    break
                try:
                    updates = poll.result()
                except InvalidToken:
                    raise
                except RetryAfter as exc:
                    await self._pause(_seconds(exc.retry_after))
                    continue
                except TelegramError as exc:
                    log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                    await self._pause(delay)
                    delay = min(RETRY_MAX_S, delay * 2)
                    continue
                confirmed = asked  # a getUpdates with an offset confirms what came before it
                taken = [
                    update
                    for update in (updates if isinstance(updates, list) else [])
                    if isinstance(update, dict) and isinstance(update.get("update_id"), int)
                ]
                try:
                    # Committed before the next getUpdates (whose offset confirms them).
                    new = await self.inbox.add(taken)
                except Exception as exc:
                    log.warning(
                        "the inbox refused updates (%s); retrying in %.0f s",
                        type(exc).__name__,
                        delay,
                    )
                    await self._pause(delay)
                    delay = min(RETRY_MAX_S, delay * 2)
                    continue
                delay = RETRY_FIRST_S
                for update in taken:
                    offset = max(offset, update["update_id"] + 1)
                self._taken(new)
                await self.drained()
            if offset != confirmed:
                # As PTB's Updater does at a stop: confirm the updates already handed to the
                # workers, or Telegram would deliver them again after a restart.
                with contextlib.suppress(TelegramError):
                    await get_updates(0)
        finally:
            stopping.cancel()
            await request.shutdown()
        return 0

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at a stop signal."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def _webhook(self, bot: Bot) -> int:
        """Register the webhook and serve it (only requests with the secret) until stopped."""
        settings = self.settings
        await bot.set_webhook(
            url=settings.webhook_url or "",
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
            max_connections=40,
        )

        async def deliver(update: dict[str, Any]) -> None:
            # Committed before the 200; Telegram sends it again after any other answer.
            try:
                new = await self.inbox.add([update])
            except Exception as exc:
                log.warning("the inbox refused an update: %s", type(exc).__name__)
                raise ConnectionError("the inbox is unavailable") from None
            self._taken(new)
            await self.drained()

        log.info(
            "starting webhook on %s:%s with %d worker processes",
            settings.webhook_listen,
            settings.webhook_port,
            len(self.writers),
        )
        await serve_webhook(settings, deliver, self.stop, self.on_ready, self.ready)
        return 0

    async def _reap(self, grace: float) -> bool:
        """Wait for every worker to exit (SIGKILL after `grace` s); True if all exited with 0."""
        deadline = time.monotonic() + grace
        clean = True
        waiting = dict(enumerate(self.pids))
        while waiting:
            for index, pid in list(waiting.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    del waiting[index]
                    code = os.waitstatus_to_exitcode(status)
                    if code != 0:
                        log.error("worker %d exited with status %d", index, code)
                        clean = False
            if waiting and time.monotonic() > deadline:
                log.error("%d workers did not stop in %.0f s; killing them", len(waiting), grace)
                for pid in waiting.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                deadline = float("inf")  # SIGKILL ends them; keep reaping
                clean = False
            if waiting:
                await asyncio.sleep(0.05)
        return clean


def _urls(settings: Settings) -> dict[str, Any]:
    """The Bot API addresses the settings name, as build_application passes them."""
    urls: dict[str, Any] = {}
    if settings.api_base_url:
        urls["base_url"] = settings.api_base_url
    if settings.api_base_file_url:
        urls["base_file_url"] = settings.api_base_file_url
    return urls


def _seconds(value: object) -> float:
    """retry_after as seconds (PTB gives a timedelta or an int)."""
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
