"""Benchmark of deadline reminders to many subscribers, and of reloading the knowledge base.

Run: python benchmarks/bench_reminders.py [--subscribers N] [--quick]
Prints a table; it is a measurement, not a test.

Reminders: N users, each with a private chat in the fake Telegram and a subscription in a real
SQLite file, are all due the 7-day reminder of the 2020 call at once. One scheduler round
(ReminderService.tick) decides, records (one committed row per reminder, before its send) and
sends them through the real PTB Application (its AIORateLimiter-based limiter included, as in
production) to FakeTelegram with FloodControl on: beyond about 30 messages/s overall or 1/s per
chat the fake answers 429 with retry_after, as Telegram does. Rows:
- production: our throttle at 25 msg/s (the default), flood control and PTB's limiter on; the
  number to quote: reminders/s and the 429s it met (must be 0);
- no throttle: our throttle and PTB's limiter off, flood control on: what the throttle prevents;
- capacity: no throttle and no flood control: the most the pipeline (SQLite claims, rendering,
  PTB, the fake) can push, to show the throttle, not the code, sets the pace.

Reload: reload_knowledge (the function behind /reload and the scheduler's reload requests) over
the shipped knowledge base and over the same plus ingested synthetic documents, timed; during
each reload a question is answered on the event loop in a loop, and the slowest of those
answers shows how long users wait while the new index is built in a worker thread.
"""

from __future__ import annotations

import os

# PTB 22 warns while building RetryAfter unless this opts in to timedelta values.
os.environ.setdefault("PTB_TIMEDELTA", "true")

import argparse
import asyncio
import logging
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.support import print_table  # noqa: E402
from bot.assistant import Assistant  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.eligibility import EligibilitySessions, load_checks  # noqa: E402
from bot.operator import reload_knowledge  # noqa: E402
from bot.reminders import SendThrottle  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.storage import SQLiteStorage  # noqa: E402
from bot.telegram_app import build_application, install_operator_features  # noqa: E402
from knowledge.base import KnowledgeBase  # noqa: E402
from tests.fake_telegram import FakeRequest, FakeTelegram, FloodControl  # noqa: E402

# The 2020 call closes 16 February 2021 at 16:00 UTC; a week and a minute before, every
# subscriber is due its 7-day reminder.
DEADLINE = datetime(2021, 2, 16, 16, 0, tzinfo=UTC)
NOW = DEADLINE - timedelta(days=7) + timedelta(minutes=1)
SUBSCRIBED = DEADLINE - timedelta(days=60)
QUESTION = "What is the funding rate of the 2024 call?"


@dataclass(frozen=True)
class ReminderRow:
    """One measured scheduler round."""

    name: str
    subscribers: int
    sent: int
    seconds: float
    status_429: int
    deferred: int
    delivered: int

    @property
    def per_second(self) -> float:
        """Reminders delivered per second of the round."""
        return self.sent / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class ReloadRow:
    """One measured reload."""

    name: str
    passages: int
    median_s: float
    worst_s: float
    answers_during: int
    slowest_answer_ms: float


async def reminder_round(
    name: str,
    subscribers: int,
    *,
    throttle: SendThrottle,
    flood: bool,
    rate_limiter: bool,
    kb: KnowledgeBase,
    checks: dict,
) -> ReminderRow:
    """Subscribe N users and time one scheduler round that sends all their reminders."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        core = FakeTelegram(flood=FloodControl() if flood else None)
        users = [
            core.user(f"U{n}", language_code=("en", "sv", "fi")[n % 3]) for n in range(subscribers)
        ]
        for user in users:
            core.private_chat(user)
        settings = Settings(data_dir=data_dir, token=core.token)
        store = SQLiteStorage(settings.database_path, clock=lambda: NOW)
        await store.open()
        # Setup only: one transaction instead of N (the bot itself subscribes users one by one).
        with sqlite3.connect(settings.database_path) as db:
            db.executemany(
                "INSERT INTO subscriptions (user_id, chat_id, call_id, lang, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        u.id,
                        u.id,
                        "*" if n % 2 else "EU-2020-THB",
                        u.language_code or "en",
                        SUBSCRIBED.isoformat(timespec="microseconds"),
                    )
                    for n, u in enumerate(users)
                ],
            )
        assistant = Assistant(kb, lambda: NOW)
        services = Services(
            settings, assistant, store, EligibilitySessions(checks, store, lambda: NOW)
        )
        app = build_application(
            services,
            request=FakeRequest(core),
            updates_request=FakeRequest(core),
            rate_limiter=rate_limiter,
        )
        features = install_operator_features(app, throttle=throttle)
        await app.initialize()
        try:
            started = time.perf_counter()
            first = await features.reminders.tick()
            seconds = time.perf_counter() - started
            # Reminders deferred by flood control go out in later rounds (a minute apart in
            # production; here at once), so the table can show that every one arrives.
            report, rounds = first, 0
            while report.retry_later and rounds < 50:
                rounds += 1
                report = await features.reminders.tick()
        finally:
            await app.shutdown()
            await store.close()
        sends = core.calls_to("sendMessage")
        return ReminderRow(
            name,
            subscribers,
            first.sent,
            seconds,
            sum(1 for call in sends if call.status == 429),
            first.retry_later,
            sum(1 for call in sends if call.status == 200),
        )


def write_synthetic_documents(folder: Path, documents: int, passages: int, seed: int = 7) -> None:
    """Ingested-style documents of random words from a fixed vocabulary (a larger store)."""
    rng = random.Random(seed)
    words = [
        "applicant",
        "partner",
        "budget",
        "grant",
        "consortium",
        "deadline",
        "priority",
        "objective",
        "integration",
        "migration",
        "asylum",
        "return",
        "solidarity",
        "project",
        "activity",
        "cost",
        "report",
        "audit",
        "training",
        "municipality",
        "association",
        "foundation",
        "cooperation",
        "exchange",
        "network",
        "evaluation",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        lines = [
            "---",
            f"id: synthetic-{d:04d}",
            f"title: Synthetic document {d}",
            "publisher: Benchmark",
            "published: null",
            "language: en",
            "url: no public URL known",
            "call: null",
            "---",
            "",
        ]
        for p in range(passages):
            text = " ".join(rng.choice(words) for _ in range(60))
            lines += [f"## en: part-{p:03d}", text.capitalize() + ".", ""]
        (folder / f"synthetic-{d:04d}.md").write_text("\n".join(lines), encoding="utf-8")


async def reload_rounds(name: str, data_dir: Path, runs: int, checks: dict) -> ReloadRow:
    """Time reload_knowledge runs while a question is answered on the loop meanwhile."""
    kb = KnowledgeBase.load(data_dir)
    settings = Settings(data_dir=data_dir, token="1234567:" + "A" * 35)
    store = SQLiteStorage(data_dir / "reload.sqlite3")
    services = Services(settings, Assistant(kb), store, EligibilitySessions(checks, store))
    durations: list[float] = []
    answer_ms: list[float] = []
    for _ in range(runs):
        task = asyncio.ensure_future(reload_knowledge(services))
        while not task.done():
            started = time.perf_counter()
            services.assistant.answer(QUESTION, "en")
            answer_ms.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.005)
        report = task.result()
        assert report.ok, report.error
        durations.append(report.seconds)
    return ReloadRow(
        name,
        services.assistant.kb.passage_count,
        statistics.median(durations),
        max(durations),
        len(answer_ms),
        max(answer_ms) if answer_ms else 0.0,
    )


async def main_async(args: argparse.Namespace) -> None:
    """Measure and print both tables."""
    kb = KnowledgeBase.load(None)
    checks = load_checks()
    n = args.subscribers
    side = min(n, args.side_subscribers)
    rows = [
        await reminder_round(
            "production: throttle 25/s, PTB limiter, flood control",
            n,
            throttle=SendThrottle(rate=args.rate),
            flood=True,
            rate_limiter=True,
            kb=kb,
            checks=checks,
        ),
        await reminder_round(
            "no throttle, no PTB limiter, flood control",
            side,
            throttle=SendThrottle(rate=1_000_000.0, chat_interval=0.0),
            flood=True,
            rate_limiter=False,
            kb=kb,
            checks=checks,
        ),
        await reminder_round(
            "capacity: no throttle, no limiter, no flood control",
            n,
            throttle=SendThrottle(rate=1_000_000.0, chat_interval=0.0),
            flood=False,
            rate_limiter=False,
            kb=kb,
            checks=checks,
        ),
    ]
    print()
    print_table(
        (
            ("reminder round", "<54", "name"),
            ("subs", ">6", "subscribers"),
            ("sent", ">6", "sent"),
            ("sec", ">8.1f", "seconds"),
            ("msg/s", ">8.1f", "per_second"),
            ("429s", ">6", "status_429"),
            ("deferred", ">8", "deferred"),
            ("delivered", ">9", "delivered"),
        ),
        rows,
    )
    print(
        "(sent, sec, msg/s: the first scheduler round; deferred: released for a later round "
        "after 429s; 429s and delivered: all rounds)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        shipped = Path(tmp) / "shipped"
        shipped.mkdir()
        bigger = Path(tmp) / "bigger"
        write_synthetic_documents(bigger / "documents", args.synthetic_docs, 50)
        reloads = [
            await reload_rounds("shipped knowledge", shipped, args.reloads, checks),
            await reload_rounds(
                f"shipped + {args.synthetic_docs * 50} ingested passages",
                bigger,
                max(1, args.reloads // 2),
                checks,
            ),
        ]
    print()
    print_table(
        (
            ("reload", "<40", "name"),
            ("passages", ">8", "passages"),
            ("median s", ">9.3f", "median_s"),
            ("worst s", ">8.3f", "worst_s"),
            ("answers", ">8", "answers_during"),
            ("slowest ms", ">11.1f", "slowest_answer_ms"),
        ),
        reloads,
    )
    print("(answers: questions answered on the event loop while the reloads ran)")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--side-subscribers",
        type=int,
        default=2_000,
        help="subscribers of the no-throttle row (it provokes 429s)",
    )
    parser.add_argument("--rate", type=float, default=25.0, help="our throttle, messages/s")
    parser.add_argument("--reloads", type=int, default=5)
    parser.add_argument("--synthetic-docs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="1,000 subscribers, fewer reloads")
    args = parser.parse_args()
    if args.quick:
        args.subscribers, args.side_subscribers, args.reloads = 1_000, 300, 2
        args.synthetic_docs = 40
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
