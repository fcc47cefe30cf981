"""Replicas on PostgreSQL next to one bot on SQLite: updates/s and reply latency, one table.

Run: python benchmarks/bench_bot.py --database postgresql [--quick] [--users N]
     (or this file directly, with the same options)
Prints a table; it is a measurement, not a test.

What runs, per row: 1, 2 or 3 replicas of the production bot (bot.telegram_app.run_bot's
create_services and bot/workers.py's run_workers, BOT_WORKERS=1 each, webhook mode) on one
PostgreSQL database, and for comparison one bot on SQLite, the default of one machine, in the
same run. Each replica is a process of its own, started as tests/support/fleet.py starts them,
behind the same loopback load balancer that spreads the webhook posts at random. The send
limiter (30 messages a second for the whole bot, split over the replicas) is left out, as in
bench_bot.py's "off" rows: with it every row would measure Telegram's limit, not the bot.

The load is closed: each user asks a question, waits for the answer and asks the next; after
SESSION_MESSAGES messages a user's slot goes on as a new person (the per-user flood bucket
would otherwise hold them back). Latency of an update: from the webhook post to the moment the
fake Telegram recorded the bot's reply in that chat. The machine: this process plays Telegram,
the load balancer and the users, on the same cores as the replicas and the database server.
"""

from __future__ import annotations

import os

os.environ.setdefault("PTB_TIMEDELTA", "true")

import argparse
import asyncio
import contextlib
import itertools
import logging
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fake_telegram import FakeTelegram, update_chat_key  # noqa: E402
from tests.support.fleet import Fleet  # noqa: E402
from tests.support.postgres import run_database, server_url  # noqa: E402

QUESTIONS = (
    "What is the funding rate of the 2024 call?",
    "Who can apply to the 2024 trafficking call?",
    "Vad är den totala budgeten för utlysningen 2024?",
    "Mikä on vuoden 2024 haun enimmäisavustus?",
    "How long can a project of the 2024 call last?",
)
SESSION_MESSAGES = 6
WARM_UP = 20
DEFAULT_USERS = 30
DEFAULT_UPDATES = 600
# The replicas' command: the production bot without the send limiter (see the module).
REPLICA_COMMAND = (sys.executable, str(Path(__file__).resolve()), "--replica")


@dataclass(frozen=True)
class Row:
    """One configuration's measurement."""

    database: str
    replicas: int
    users: int
    updates: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        """Updates answered per second."""
        return self.updates / self.seconds

    def percentile(self, share: float) -> float:
        """The latency below which `share` of the updates were answered."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def drive(fleet: Fleet, core: FakeTelegram, users: int, updates: int) -> Row | None:
    """Closed-loop users until `updates` were answered; None for the warm-up."""
    feed = fleet.feed(answer_timeout=60.0)
    identities = itertools.count(8_000_000)
    latencies: list[float] = []
    left = updates

    async def user(slot: int) -> None:
        nonlocal left
        person = core.user(f"B{slot}", user_id=next(identities))
        sent = 0
        while left > 0:
            left -= 1
            if sent == SESSION_MESSAGES:
                person, sent = core.user(f"B{slot}", user_id=next(identities)), 0
            update = core.text_update(QUESTIONS[sent % len(QUESTIONS)], user=person)
            answered = _answer_of(core, update_chat_key(update))
            start = time.perf_counter()
            await feed.post(update)
            if not await core.wait_until(answered, 60.0):
                raise AssertionError("a question got no answer within 60 s")
            latencies.append((time.perf_counter() - start) * 1000)
            sent += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(user(slot) for slot in range(users)))
    finally:
        await feed.close()
    return Row("", 0, users, updates, time.perf_counter() - started, latencies)


def _answer_of(core: FakeTelegram, key: int) -> Callable[[], bool]:
    """True once the bot did something visible in chat `key` after now."""
    before = core.activity(key)
    return lambda: core.activity(key) > before


async def measure(database: str, replicas: int, users: int, updates: int) -> Row:
    """One row: the fleet started, warmed up, loaded, stopped."""
    core = FakeTelegram()
    with (
        tempfile.TemporaryDirectory(prefix="bench-fleet-") as workdir,
        run_database(server_url()) if database == "postgresql" else _sqlite() as url,
    ):
        fleet = Fleet(
            core,
            url,
            Path(workdir),
            count=replicas,
            mode="webhook",
            command=REPLICA_COMMAND,
            env={"LOG_LEVEL": "WARNING"},
        )
        async with fleet:
            await drive(fleet, core, min(users, WARM_UP), WARM_UP)
            row = await drive(fleet, core, users, updates)
    assert row is not None
    return Row(database, replicas, users, updates, row.seconds, row.latencies_ms)


@contextlib.contextmanager
def _sqlite() -> Iterator[str]:
    """SQLite: the bot's own file in its data directory (an empty DATABASE_URL)."""
    yield ""


def print_table(rows: Sequence[Row]) -> None:
    """The rows, with the date and the machine."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {cores} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end"
    )
    header = (
        f"{'database':<10} {'replicas':>8} {'users':>5} {'updates':>7} {'secs':>6} "
        f"{'upd/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.database:<10} {r.replicas:>8} {r.users:>5} {r.updates:>7} {r.seconds:>6.1f} "
            f"{r.per_second:>6.0f} {r.percentile(0.5):>7.0f} {r.percentile(0.95):>7.0f} "
            f"{r.percentile(0.99):>7.0f}"
        )
    mean = statistics.mean(r.per_second for r in rows)
    print(f"(mean {mean:.0f} upd/s over the rows)")


async def run(users: int, updates: int) -> None:
    """SQLite with one bot, then PostgreSQL with 1, 2 and 3 replicas."""
    rows = []
    for database, replicas in (
        ("sqlite", 1),
        ("postgresql", 1),
        ("postgresql", 2),
        ("postgresql", 3),
    ):
        row = await measure(database, replicas, users, updates)
        print(f"measured {database} x{replicas}: {row.per_second:.0f} upd/s", file=sys.stderr)
        rows.append(row)
    print_table(rows)


def replica_main() -> int:
    """A replica: `amif-bot run` as run_bot runs it, without the send limiter."""
    from bot.config import Settings
    from bot.telegram_app import GIL_SWITCH_SECONDS, create_services, install_log_redaction
    from bot.workers import run_workers

    settings = Settings.from_env()
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s",
        stream=sys.stderr,
    )
    install_log_redaction(settings)
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    services = create_services(settings)
    return run_workers(settings, services, settings.workers, rate_limiter=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgresql"], default="postgresql")
    parser.add_argument("--quick", action="store_true", help="a quarter of the updates")
    parser.add_argument("--users", type=int, default=DEFAULT_USERS, help="users at once")
    parser.add_argument("--replica", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replica:
        raise SystemExit(replica_main())
    updates = DEFAULT_UPDATES // 4 if args.quick else DEFAULT_UPDATES
    asyncio.run(run(args.users, updates))


if __name__ == "__main__":
    main()
