"""Several `amif-bot run` replicas on one PostgreSQL database: claims, leaders, the replica count.

Each replica's main process (the Router of bot/workers.py) keeps one dedicated connection to
the database, its link (application_name APPLICATION_NAME), and everything a replica owns is a
session-level advisory lock on that link:
- a user it is handling: pg_try_advisory_lock(bigint user key);
- a role only one replica may have (polling getUpdates, the scheduler): the two-int form
  pg_try_advisory_lock(LOCK_SPACE, role), which PostgreSQL keeps apart from the bigint keys.

Why advisory locks on one session rather than claim columns with `FOR UPDATE SKIP LOCKED` and a
lease: a session's locks live exactly as long as its connection. When a replica is killed, the
kernel closes its socket, the server ends the session and every claim and role of that replica
is free at once, with no lease to wait out and no claim row to repair. A replica whose host
vanishes without closing anything is noticed by the server's TCP keepalives, which the link
sets to KEEPALIVE_IDLE_S + KEEPALIVE_COUNT x KEEPALIVE_INTERVAL_S (25 s), so a role fails over
well within a minute. The replica itself gives up sooner: a link statement that fails or takes
longer than LINK_TIMEOUT_S ends the replica with status 1 (LinkLost), because from then on it
cannot know whether another replica has taken its users; it stops before the server frees them.

Per-user order, at most once (the Claimer): every replica commits the updates it receives to
the shared inbox (bot/inbox.py), which NOTIFYs INBOX_CHANNEL. A claimer loop, woken by its own
adds, by that notification, by a worker's done report and at least every SCAN_EVERY_S, reads
the pending rows, locks the users it can (never one it already holds: the locks are counted),
reads those users' pending rows again after locking (the previous holder may have finished some
in between) and hands them to the user's worker in update_id order. A user stays locked while
any of their updates is with a worker; once the worker reports them done (after committing the
done marks) and no row of theirs is pending, the lock is released. A row another replica adds
just before that release waits for the next scan, within SCAN_EVERY_S. Done reports are applied
only between scans, so a scan that read a row as pending just before its done mark was written
does not hand it out a second time. An update Telegram delivers twice, to the same or another
replica, is one row (its primary key). If a replica dies after its worker applied an update but
before the done mark, the next holder hands the update out again and the dialog recognises it
(bot/eligibility/sessions.py keeps the id of the last update applied).

Roles: in polling mode only the replica with the POLLING role calls getUpdates (two pollers
would end each other's long polls with 409 Conflict); the others handle the claimed rows that
the poller commits. The replica with the SCHEDULER role has its worker 0 run the scheduler
(reminders, reload requests, the checks' expiry, command menus) and its main process prune the
inbox. A role is never given up while the replica runs; a replica stopping gracefully closes
its link only after its workers ended, so two schedulers never overlap. Each reminder is
claimed by a committed row just before it is sent (bot/reminders.py), and a scheduler stopped
mid-round ends the claim and send it has begun, so a failover neither repeats nor loses one;
a SIGKILL between a claim and Telegram's answer can lose the few being sent at that instant
(a claim is at most once, as on one machine).

The replica count: the number of links in pg_stat_activity. Telegram's limits (30 messages a
second per bot, 20 a minute per group) are split by it, rather than kept by a limiter in the
database: splitting costs nothing per message, while a shared limiter is a database round trip
on every reply, in the path of every answer. The load balancer spreads users evenly, so the
split wastes little; when a replica joins, the others use their old, larger share for up to
REPLICAS_EVERY_S, and Telegram's 429 (waited out by the limiter) covers that moment. One chat's
1 message a second needs no split: a private chat is one user, handled by one replica at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.inbox import INBOX_CHANNEL

if TYPE_CHECKING:
    from psycopg import AsyncConnection

log = logging.getLogger("amif.replicas")

APPLICATION_NAME = "amif-router"
# The advisory locks of roles use the two-int4 key (LOCK_SPACE, role): "AMIF" in ASCII.
LOCK_SPACE = 0x414D4946
POLLING = 1
SCHEDULER = 2
# A replica without a role tries to take it this often. With the server freeing a dead
# leader's locks at once (a killed process) or within 25 s (a vanished host), a follower takes
# over within 30 s, under the minute that Telegram's 24 h update store and a minute-granular
# reminder schedule easily absorb; more often would only add idle queries on every replica.
LEADER_RETRY_S = 5.0
# The claimer's short poll: a row that no wake-up announced (a NOTIFY lost with a broken
# listening connection, a row added during another replica's release) waits at most this long.
SCAN_EVERY_S = 1.0
# How often the replica count is read for the split of Telegram's rates.
REPLICAS_EVERY_S = 10.0
# A link statement slower than this means the database is out of reach: stop the replica.
LINK_TIMEOUT_S = 10.0
KEEPALIVE_IDLE_S = 10
KEEPALIVE_INTERVAL_S = 5
KEEPALIVE_COUNT = 3
# At most this many users locked by one replica at a time (each lock takes a slot of the
# server's shared lock table, max_locks_per_transaction x max_connections); a larger backlog
# is taken in parts.
MAX_HELD = 1000
# Pending rows read per scan.
SCAN_LIMIT = 5000
# After a failed LISTEN connection, wait this long before connecting again.
LISTEN_RETRY_S = 2.0

PENDING = (
    "SELECT update_id, COALESCE(user_id, chat_id, 0) FROM inbox"
    " WHERE body IS NOT NULL ORDER BY update_id LIMIT %s"
)
PENDING_OF = (
    "SELECT update_id, COALESCE(user_id, chat_id, 0), body::text FROM inbox"
    " WHERE body IS NOT NULL AND COALESCE(user_id, chat_id, 0) = ANY(%s) ORDER BY update_id"
)


class LinkLost(Exception):
    """The replica's link to the database failed: its claims and roles may be gone."""


class ReplicaLink:
    """The replica's own connection: its advisory locks live and die with it."""

    def __init__(self, url: str, timeout: float = LINK_TIMEOUT_S) -> None:
        self.url = url
        self.timeout = timeout
        self._conn: AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect, with keepalives that let the server notice a vanished replica."""
        from psycopg import AsyncConnection

        self._conn = await AsyncConnection.connect(
            self.url,
            autocommit=True,
            application_name=APPLICATION_NAME,
            connect_timeout=int(self.timeout),
        )
        await self._conn.execute(
            "SELECT set_config('tcp_keepalives_idle', %s, false),"
            " set_config('tcp_keepalives_interval', %s, false),"
            " set_config('tcp_keepalives_count', %s, false)",
            (str(KEEPALIVE_IDLE_S), str(KEEPALIVE_INTERVAL_S), str(KEEPALIVE_COUNT)),
        )

    async def close(self) -> None:
        """Disconnect: every claim and role of this replica is released with the session."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement's rows; LinkLost if it fails or takes longer than the timeout."""
        import psycopg

        async with self._lock:
            conn = self._conn
            if conn is None or conn.closed:
                raise LinkLost("the link is closed")
            try:
                async with asyncio.timeout(self.timeout):
                    cursor = await conn.execute(sql, params)
                    return list(await cursor.fetchall()) if cursor.description else []
            except (psycopg.Error, TimeoutError) as exc:
                raise LinkLost(type(exc).__name__) from None

    async def try_lock(self, keys: Sequence[int]) -> set[int]:
        """Lock the users' keys that no other replica holds; the ones locked."""
        rows = await self.query(
            "SELECT k FROM unnest(%s::bigint[]) AS k WHERE pg_try_advisory_lock(k)", (list(keys),)
        )
        return {int(row[0]) for row in rows}

    async def unlock(self, keys: Sequence[int]) -> None:
        """Release the users' keys this replica holds."""
        await self.query(
            "SELECT pg_advisory_unlock(k) FROM unnest(%s::bigint[]) AS k", (list(keys),)
        )

    async def try_lead(self, role: int) -> bool:
        """Take the role unless another replica has it (held until the link closes)."""
        rows = await self.query("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_SPACE, role))
        return bool(rows[0][0])

    async def replicas(self) -> int:
        """How many replicas' links the database has now (at least this one)."""
        rows = await self.query(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            (APPLICATION_NAME,),
        )
        return max(1, int(rows[0][0]))


# Hands one pending update to the worker of its key; the second waits while channels are full.
Send = Callable[[int, dict[str, Any]], None]
Drained = Callable[[], Awaitable[None]]


class Claimer:
    """Takes pending inbox rows of users no other replica holds, in order, for the workers."""

    def __init__(self, link: ReplicaLink, send: Send, drained: Drained) -> None:
        self.link = link
        self.send = send
        self.drained = drained
        self.held: dict[int, set[int]] = {}  # user key -> update ids with a worker
        self._key_of: dict[int, int] = {}
        self._finished: list[int] = []
        self._wake = asyncio.Event()
        self.handed = 0
        self.rounds = 0

    def wake(self) -> None:
        """Scan now (an update was added, here or, by NOTIFY, elsewhere)."""
        self._wake.set()

    def done(self, update_ids: Sequence[int]) -> None:
        """A worker committed these updates' done marks (applied at the next round)."""
        self._finished.extend(update_ids)
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until stop; LinkLost ends it (the caller stops the replica)."""
        while not stop.is_set():
            self._wake.clear()
            await self.round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SCAN_EVERY_S)

    async def round(self) -> None:
        """Release idle users, claim free ones, hand out their pending updates in order."""
        self.rounds += 1
        finished, self._finished = self._finished, []
        for update_id in finished:
            key = self._key_of.pop(update_id, None)
            if key is not None and key in self.held:
                self.held[key].discard(update_id)
        pending = await self.link.query(PENDING, (SCAN_LIMIT,))
        waiting: dict[int, None] = {}  # keys with pending rows, by their first row
        for _update_id, key in pending:
            waiting.setdefault(int(key), None)
        idle = [key for key, ids in self.held.items() if not ids and key not in waiting]
        if idle:
            await self.link.unlock(idle)
            for key in idle:
                del self.held[key]
        room = MAX_HELD - len(self.held)
        free = [key for key in waiting if key not in self.held][: max(0, room)]
        if free:
            for key in await self.link.try_lock(free):
                self.held[key] = set()
        mine = [key for key in waiting if key in self.held]
        if mine:
            await self._hand_out(mine)

    async def _hand_out(self, keys: list[int]) -> None:
        """Send the keys' pending rows that no worker has yet, in update_id order."""
        import json

        handed = False
        for update_id, key, body in await self.link.query(PENDING_OF, (keys,)):
            update_id, key = int(update_id), int(key)
            in_flight = self.held.get(key)
            if in_flight is None or update_id in in_flight:
                continue
            in_flight.add(update_id)
            self._key_of[update_id] = key
            self.send(key, json.loads(body))
            self.handed += 1
            handed = True
        if handed:
            await self.drained()


async def listen_forever(url: str, wake: Callable[[], None]) -> None:
    """Call wake at every NOTIFY on INBOX_CHANNEL (reconnecting; the claimer also polls)."""
    from psycopg import AsyncConnection

    while True:
        try:
            conn = await AsyncConnection.connect(
                url, autocommit=True, application_name="amif-listener", connect_timeout=10
            )
            try:
                await conn.execute(f"LISTEN {INBOX_CHANNEL}")
                wake()  # what was added while not listening
                async for _ in conn.notifies():
                    wake()
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("listening for new updates failed: %s", type(exc).__name__)
        await asyncio.sleep(LISTEN_RETRY_S)
