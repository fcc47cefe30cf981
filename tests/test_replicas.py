"""Several `amif-bot run` replicas on one PostgreSQL database (bot/replicas.py).

Real replica processes (each a main process with its worker processes) share a database of
their own per test; Telegram is the fake Bot API over loopback. Updates are posted to the
replicas' webhooks as a load balancer would spread them.
"""

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bot.config import ConfigError, Settings
from bot.replicas import APPLICATION_NAME, LOCK_SPACE, POLLING, SCHEDULER
from bot.storage_pg import PostgresStorage
from bot.telegram_app import RetryingRateLimiter
from bot.webhook import SECRET_HEADER
from bot.workers import MAX_LINE_BYTES, READY, Router
from tests.conftest import (
    bot_environment,
    free_loopback_port,
    server_settings,
    start_bot_process,
    wait_for_listener,
)
from tests.fake_telegram import (
    ChatDriver,
    FakeTelegram,
    FakeTelegramServer,
    FakeUser,
    update_chat_key,
)
from tests.support.checks import THB
from tests.support.postgres import run_database, server_url
from tests.test_workers import alive, children

# Starts processes and HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

SECRET = "s3cret"
PUBLIC_URL = "https://amif-bot.example.org/tg"
START_TIMEOUT = 90.0
ANSWER_TIMEOUT = 60.0
HEADERS = {SECRET_HEADER: SECRET}
# How long a worker waits for a Bot API answer (bot/transport.py) before it retries.
SEND_READ_TIMEOUT_S = 5.0
# Subscribers with a reminder due in one scheduler round.
SUBSCRIBERS = 30


@dataclass
class Replica:
    """One `amif-bot run` process and where to reach it."""

    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def hook(self) -> str:
        """The webhook's local address."""
        return f"http://127.0.0.1:{self.port}/tg"

    def url(self, path: str) -> str:
        """An address on the replica's HTTP port (webhook, or HEALTH_PORT when polling)."""
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class Fleet:
    """Replicas of one bot on one database, started and stopped by the test."""

    core: FakeTelegram
    server: FakeTelegramServer
    database: str
    tmp: Path
    webhook: bool = True
    replicas: list[Replica] = field(default_factory=list)

    async def start(self, name: str, *, ready: bool = True) -> Replica:
        """Start a replica (its own data directory, as on an ephemeral disk)."""
        port = free_loopback_port()
        mode = (
            {
                "WEBHOOK_URL": PUBLIC_URL,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(port),
                "WEBHOOK_SECRET": SECRET,
            }
            if self.webhook
            else {"HEALTH_PORT": str(port)}
        )
        env = bot_environment(
            self.core,
            self.server,
            self.tmp / name,
            BOT_WORKERS="2",
            DATABASE_URL=self.database,
            **mode,
        )
        log = self.tmp / f"{name}.log"
        with log.open("ab") as out:
            process = await start_bot_process(env, stdout=out, stderr=out)
        replica = Replica(process, port, log)
        self.replicas.append(replica)
        if ready:
            await self.wait_ready(replica)
        return replica

    async def wait_ready(self, replica: Replica) -> None:
        """Until /readyz answers 200 (the workers run and the database answers)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            while True:
                assert replica.process.returncode is None, self.logs()
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(replica.url("/readyz"))).status_code == 200:
                        return
                assert loop.time() < deadline, self.logs()
                await asyncio.sleep(0.2)

    def logs(self) -> str:
        """The end of every replica's output, for a failure's message."""
        return "\n".join(
            f"--- {replica.log.name}\n{replica.log.read_text(errors='replace')[-2500:]}"
            for replica in self.replicas
        )

    async def stop_all(self) -> None:
        """SIGTERM every live replica and wait for it."""
        for replica in self.replicas:
            if replica.process.returncode is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            try:
                await asyncio.wait_for(replica.process.wait(), 40)
            except TimeoutError:
                replica.process.kill()
                await replica.process.wait()


@contextlib.asynccontextmanager
async def fleet(tmp_path: Path, *, webhook: bool = True) -> AsyncIterator[Fleet]:
    """A database of its own, the fake Bot API, and replicas the test starts."""
    with run_database(server_url()) as database:
        core = FakeTelegram()
        async with FakeTelegramServer(core) as server:
            group = Fleet(core, server, database, tmp_path, webhook)
            try:
                yield group
            finally:
                await group.stop_all()


async def post(client: httpx.AsyncClient, replica: Replica, update: dict[str, Any]) -> int:
    """POST one update to a replica's webhook; the HTTP status."""
    return (await client.post(replica.hook, json=update, headers=HEADERS)).status_code


class SpreadFeed:
    """ChatDriver's feed over replicas' webhooks in turn: post, then wait for the answer."""

    def __init__(self, core: FakeTelegram, replicas: list[Replica], client: httpx.AsyncClient):
        self.core = core
        self.replicas = replicas
        self.client = client
        self.turn = 0

    async def __call__(self, update: dict[str, Any]) -> None:
        """Deliver through the next replica and wait until the bot did something visible."""
        key = update_chat_key(update)
        before = self.core.activity(key)
        replica = self.replicas[self.turn % len(self.replicas)]
        self.turn += 1
        assert await post(self.client, replica, update) == 200
        assert await self.core.wait_until(lambda: self.core.activity(key) > before, ANSWER_TIMEOUT)
        await asyncio.sleep(0.3)  # as PollingFeed: the rest of the answer (edits) settles


def sent_to(core: FakeTelegram, user: FakeUser) -> list[str]:
    """The texts the bot sent in the user's private chat, in order."""
    return [message.text for message in core.sent(user.id)]


# --- the socket of a replica's link, for finding which replica holds a lock ------------------


def _socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets a process has open (Linux /proc)."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                found.add(target[8:-1])
    return found


def _inode_of_local_port(port: int) -> Iterator[str]:
    """The inodes of TCP sockets whose local port is port."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    yield fields[9]


def holder(database: str, replicas: list[Replica], where: str, params: tuple[Any, ...]) -> Replica:
    """The replica whose link holds the advisory lock that `where` selects in pg_locks."""
    with psycopg.connect(database) as conn:
        row = conn.execute(
            "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted"
            # Advisory locks belong to a database; other tests' bots hold the same keys.
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            f" AND {where}",
            params,
        ).fetchone()
    assert row is not None, "no replica holds the lock"
    inodes = set(_inode_of_local_port(int(row[0])))
    for replica in replicas:
        if replica.process.returncode is None and inodes & _socket_inodes(replica.process.pid):
            return replica
    raise AssertionError("the lock's connection belongs to no live replica")


def user_lock(user_id: int) -> tuple[str, tuple[Any, ...]]:
    """pg_locks' condition for the claim on a user (the bigint key: high and low halves)."""
    return (
        "l.objsubid = 1 AND l.classid::bigint = %s AND l.objid::bigint = %s",
        (user_id >> 32, user_id & 0xFFFFFFFF),
    )


def role_lock(role: int) -> tuple[str, tuple[Any, ...]]:
    """pg_locks' condition for a role's lock (the two-int key)."""
    return (
        "l.objsubid = 2 AND l.classid::bigint = %s AND l.objid::bigint = %s",
        (LOCK_SPACE, role),
    )


def _pending(database: str) -> int:
    """How many updates the inbox still holds unhandled."""
    with psycopg.connect(database) as conn:
        row = conn.execute("SELECT count(*) FROM inbox WHERE body IS NOT NULL").fetchone()
    return int(row[0]) if row else 0


def _move_the_2020_deadline(tmp: Path, replicas: tuple[str, ...]) -> None:
    """An operator's facts file on every replica's disk: the 2020 call closes in 12 hours."""
    deadline = datetime.now(UTC) + timedelta(hours=12)
    for name in replicas:
        (tmp / name / "facts").mkdir(parents=True)
        (tmp / name / "facts" / "deadline.yaml").write_text(
            f"id: EU-2020-THB\ndeadline: {{date: {deadline:%Y-%m-%d}, "
            f'time: "{deadline:%H:%M}", tz: UTC}}\n',
            encoding="utf-8",
        )


# --- the tests ---------------------------------------------------------------------------


async def test_one_users_updates_spread_over_two_replicas_apply_in_order_and_once(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path) as bots:
        a = await bots.start("a")
        b = await bots.start("b")
        core = bots.core
        user = core.user("Spread", user_id=7_100_001, language_code="sv")
        typed = [f"/eligibility {THB}", "ja", "2", "ja", "Finland", "Sverige, Estland"]
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            # Each committed (200) before the next is posted, to the other replica: a burst
            # that both replicas' claimers see at once.
            for n, text in enumerate(typed):
                update = core.text_update(text, user=user)
                assert await post(client, (a, b)[n % 2], update) == 200
            assert await core.wait_until(
                lambda: len(sent_to(core, user)) >= len(typed), ANSWER_TIMEOUT
            ), bots.logs()
            await asyncio.sleep(0.5)  # as SpreadFeed: let any further reply arrive
            burst = sent_to(core, user)
            # One reply to each typed answer, each a new step of the check: an answer applied
            # out of order is refused (the question comes again), one applied twice is answered
            # twice.
            assert len(burst) == len(typed) and len(set(burst)) == len(typed), burst
            # The rest of the check, one step at a time, alternating replicas.
            chat = ChatDriver(core, SpreadFeed(core, [b, a], client), user=user)
            await chat.click("Klar")
            await chat.send("800 000")
            await chat.send("två år")
            await chat.click(chat.last_buttons[0])
            await chat.click("Klar")
        # Every criterion met: the verdict of the answers in the order they were given.
        assert "Resultat: behörig" in chat.last_text, bots.logs()
        assert "888 889" in chat.last_text.replace("\u00a0", " ")


async def test_an_update_redelivered_to_another_replica_is_applied_once(tmp_path: Path) -> None:
    async with fleet(tmp_path) as bots:
        a = await bots.start("a")
        b = await bots.start("b")
        core = bots.core
        user = core.user("Twice", user_id=7_200_001)
        first = core.text_update("/help", user=user)
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            assert await post(client, a, first) == 200
            assert await core.wait_until(lambda: len(sent_to(core, user)) == 1, ANSWER_TIMEOUT)
            # Telegram did not get the 200 in time and delivers it again, to both replicas.
            assert await post(client, b, first) == 200
            assert await post(client, a, first) == 200
            # A later update of the user is handled after any earlier one still pending.
            assert await post(client, b, core.text_update("/privacy", user=user)) == 200
            assert await core.wait_until(lambda: len(sent_to(core, user)) >= 2, ANSWER_TIMEOUT)
        texts = sent_to(core, user)
        assert len(texts) == 2, texts
        assert texts[0] != texts[1]  # /help once, then /privacy


async def test_a_sigkill_of_the_replica_holding_a_user_lets_another_finish_their_updates(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path) as bots:
        replicas = [await bots.start("a"), await bots.start("b")]
        core = bots.core
        user = core.user("Stranded", user_id=7_300_001)
        questions = ["/help", "/privacy", "/calls", "/language"]
        # Telegram's API fails for a while: the first reply is retried and the user's later
        # updates wait behind it, claimed by whichever replica took the user.
        core.outage(12)
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            for n, text in enumerate(questions):
                update = core.text_update(text, user=user)
                assert await post(client, replicas[n % 2], update) == 200
        where, params = user_lock(user.id)
        victim = None
        for _ in range(100):
            with contextlib.suppress(AssertionError):
                victim = holder(bots.database, replicas, where, params)
                break
            await asyncio.sleep(0.1)
        assert victim is not None, bots.logs()
        workers = children(victim.process.pid)
        assert len(workers) == 2
        victim.process.send_signal(signal.SIGKILL)
        await victim.process.wait()
        # Its workers die with it: none goes on with the user's updates.
        assert await core.wait_until(lambda: not any(alive(pid) for pid in workers), 10)
        survivor = next(r for r in replicas if r is not victim)
        assert await core.wait_until(
            lambda: len(sent_to(core, user)) >= len(questions), ANSWER_TIMEOUT
        ), bots.logs()
        assert survivor.process.returncode is None
        texts = sent_to(core, user)
        assert len(set(texts)) == len(questions), texts  # every question answered
        # Every update marked done (the last mark follows its reply).
        assert await core.wait_until(lambda: _pending(bots.database) == 0, ANSWER_TIMEOUT)


async def test_only_one_replica_polls_and_another_takes_over_when_it_is_killed(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path, webhook=False) as bots:
        replicas = [await bots.start("a"), await bots.start("b")]
        core = bots.core
        users = [core.user(f"Poll{n}", user_id=7_400_000 + n) for n in range(6)]
        for user in users[:3]:
            assert core.push_update(core.text_update("/help", user=user))
        assert await core.wait_until(
            lambda: all(sent_to(core, user) for user in users[:3]), ANSWER_TIMEOUT
        ), bots.logs()
        where, params = role_lock(POLLING)
        leader = holder(bots.database, replicas, where, params)
        # Two pollers would end each other's long polls: Telegram's 409 Conflict.
        assert [c for c in core.calls_to("getUpdates") if c.status == 409] == []
        leader.process.send_signal(signal.SIGKILL)
        await leader.process.wait()
        for user in users[3:]:
            assert core.push_update(core.text_update("/help", user=user))
        assert await core.wait_until(
            lambda: all(sent_to(core, user) for user in users), ANSWER_TIMEOUT
        ), bots.logs()
        follower = next(r for r in replicas if r is not leader)
        assert holder(bots.database, replicas, where, params) is follower
        assert [c for c in core.calls_to("getUpdates") if c.status == 409] == []


async def test_healthz_and_readyz_answer_and_readyz_fails_while_the_database_is_away(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path, webhook=False) as bots:
        replica = await bots.start("a")  # returns once /readyz said 200
        name = bots.database.rsplit("/", 1)[1]
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            assert (await client.get(replica.url("/healthz"))).status_code == 200
            with psycopg.connect(server_url(), autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                try:
                    # The inbox's connection is cut and cannot come back.
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = %s AND application_name = 'amif-inbox'",
                        (name,),
                    )
                    assert (await client.get(replica.url("/readyz"))).status_code == 503
                    assert (await client.get(replica.url("/healthz"))).status_code == 200
                finally:
                    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert (await client.get(replica.url("/readyz"))).status_code == 200


async def test_a_due_reminder_is_sent_once_by_two_replicas_and_not_again_after_a_failover(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path) as bots:
        core = bots.core
        user = core.user("Subscriber", user_id=7_500_001)
        core.private_chat(user)
        # The 2020 call's deadline moved to twelve hours from now (an operator's facts file,
        # on every replica's disk); the user subscribed two days ago, so the reminder one day
        # before is due at the scheduler's first round.
        _move_the_2020_deadline(tmp_path, ("a", "b"))
        earlier = datetime.now(UTC) - timedelta(days=2)
        async with PostgresStorage(bots.database, clock=lambda: earlier) as store:
            assert await store.subscribe(user.id, user.id, "EU-2020-THB", "en")
        replicas = [await bots.start("a"), await bots.start("b")]
        assert await core.wait_until(lambda: len(sent_to(core, user)) >= 1, ANSWER_TIMEOUT), (
            bots.logs()
        )
        where, params = role_lock(SCHEDULER)
        leader = holder(bots.database, replicas, where, params)
        leader.process.send_signal(signal.SIGKILL)
        await leader.process.wait()
        follower = next(r for r in replicas if r is not leader)
        assert await core.wait_until(
            lambda: _holds(bots.database, replicas, where, params, follower), ANSWER_TIMEOUT
        ), bots.logs()
        # The new scheduler's first round runs at once; give it time to send, were it to.
        await asyncio.sleep(3)
        texts = sent_to(core, user)
        assert len(texts) == 1, texts
        assert "2020" in texts[0]


def _holds(
    database: str, replicas: list[Replica], where: str, params: tuple[Any, ...], which: Replica
) -> bool:
    try:
        return holder(database, replicas, where, params) is which
    except AssertionError:
        return False


def link_backend(database: str, replica: Replica) -> int:
    """The server pid of the replica's link (its claims' session)."""
    with psycopg.connect(database) as conn:
        rows = conn.execute(
            "SELECT pid, client_port FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            (APPLICATION_NAME,),
        ).fetchall()
    mine = _socket_inodes(replica.process.pid)
    for pid, port in rows:
        if mine & set(_inode_of_local_port(int(port))):
            return int(pid)
    raise AssertionError("the replica has no link")


async def test_a_replica_that_loses_its_link_stops_at_once_and_another_takes_its_user(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path) as bots:
        replicas = [await bots.start("a"), await bots.start("b")]
        core = bots.core
        user = core.user("Cut", user_id=7_600_001)
        core.hang_next("sendMessage")  # the reply is on its way when the link is cut
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            assert await post(client, replicas[0], core.text_update("/help", user=user)) == 200
        where, params = user_lock(user.id)
        cut = None
        for _ in range(100):
            with contextlib.suppress(AssertionError):
                cut = holder(bots.database, replicas, where, params)
                break
            await asyncio.sleep(0.1)
        assert cut is not None, bots.logs()
        with psycopg.connect(bots.database, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (link_backend(bots.database, cut),))
        assert await asyncio.wait_for(cut.process.wait(), 40) == 1
        survivor = next(r for r in replicas if r is not cut)
        assert await core.wait_until(lambda: len(sent_to(core, user)) >= 1, ANSWER_TIMEOUT), (
            bots.logs()
        )
        # The cut replica's worker, had it lived on, would have retried its send by now.
        await asyncio.sleep(SEND_READ_TIMEOUT_S + 2)
        assert len(sent_to(core, user)) == 1
        assert survivor.process.returncode is None


async def test_readyz_says_503_until_every_worker_runs(tmp_path: Path) -> None:
    core = FakeTelegram()
    port = free_loopback_port()
    async with FakeTelegramServer(core) as server:
        settings = dataclasses.replace(server_settings(core, server, tmp_path), health_port=port)
        ours, theirs = socket.socketpair()
        router = Router(settings, [ours], pids=[], poll_timeout=1)
        running = asyncio.ensure_future(router.run())
        _, worker = await asyncio.open_unix_connection(sock=theirs, limit=MAX_LINE_BYTES)
        try:
            await wait_for_listener(port, 20)
            async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                assert (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
                # The worker has not loaded its Application yet: not ready for traffic.
                assert (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 503
                worker.write(READY)
                await worker.drain()
                assert await core.wait_until(lambda: bool(router.started), 10)
                assert (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
        finally:
            router.stop.set()
            await asyncio.wait_for(running, 30)
            worker.close()


def test_health_port_must_be_a_port_number() -> None:
    assert Settings.from_env({"HEALTH_PORT": "8081"}).health_port == 8081
    assert Settings.from_env({}).health_port is None
    for wrong in ("0", "65536", "http", "-1"):
        with pytest.raises(ConfigError, match="HEALTH_PORT"):
            Settings.from_env({"HEALTH_PORT": wrong})


async def test_each_of_three_replicas_sends_a_third_of_telegrams_rates() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=30.0, group_max_rate=20.0)
    limiter.share_with(3)
    sent: list[int] = []

    async def send(chat_id: int) -> bool:
        sent.append(chat_id)
        return True

    async def message(chat_id: int) -> None:
        data = {"chat_id": chat_id, "text": "x"}
        await limiter.process_request(send, (chat_id,), {}, "sendMessage", data, None)

    # A burst to private chats: ten go out at once (30 a second shared by three), the rest
    # wait for their turn.
    burst = [asyncio.ensure_future(message(9_000 + n)) for n in range(11)]
    await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(sent) == 10
    await asyncio.gather(*burst)
    assert len(sent) == 11


async def test_a_scheduler_stopped_mid_round_leaves_the_rest_to_the_next_one_each_sent_once(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path) as bots:
        core = bots.core
        users = [core.user(f"Sub{n}", user_id=7_700_000 + n) for n in range(SUBSCRIBERS)]
        for user in users:
            core.private_chat(user)
        _move_the_2020_deadline(tmp_path, ("a", "b"))
        earlier = datetime.now(UTC) - timedelta(days=2)
        async with PostgresStorage(bots.database, clock=lambda: earlier) as store:
            for user in users:
                assert await store.subscribe(user.id, user.id, "EU-2020-THB", "en")
        # Each reminder takes Telegram a while: the round lasts several seconds.
        core.hang_next("sendMessage", seconds=0.4, times=SUBSCRIBERS)

        def reminded() -> int:
            return sum(1 for user in users if sent_to(core, user))

        replicas = [await bots.start("a", ready=False), await bots.start("b", ready=False)]
        assert await core.wait_until(lambda: reminded() >= 4, ANSWER_TIMEOUT), bots.logs()
        where, params = role_lock(SCHEDULER)
        leader = holder(bots.database, replicas, where, params)
        leader.process.send_signal(signal.SIGTERM)  # a deploy replaces the leader mid-round
        at_stop = reminded()
        assert at_stop < SUBSCRIBERS
        assert await asyncio.wait_for(leader.process.wait(), 40) == 0
        assert await core.wait_until(lambda: reminded() == SUBSCRIBERS, ANSWER_TIMEOUT), (
            bots.logs()
        )
        assert [len(sent_to(core, user)) for user in users] == [1] * SUBSCRIBERS
