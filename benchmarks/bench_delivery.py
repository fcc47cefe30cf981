"""Replies through Bot API outages and ambiguous failures, with the production retry settings.

Run: python benchmarks/bench_delivery.py [--outages 20,120] [--users 18]
For each outage length, every user asks one question while every call but getUpdates fails with
502; it prints how many replies arrived, how many were lost and how long the last one took.
Then each user's reply meets one ambiguous failure (the message is sent, the answer to the bot
is lost: a 502, a hang past the read timeout or a dropped connection, in turn): it prints how
many messages arrived twice. A measurement, not a test (tests/test_faults.py holds the rules).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.eligibility import load_checks  # noqa: E402
from bot.telegram_app import REPLY_RETRY_SECONDS  # noqa: E402
from knowledge.base import KnowledgeBase  # noqa: E402
from tests.conftest import make_harness  # noqa: E402

QUESTION = "What is the funding rate of the 2024 call?"


async def outage(seconds: float, users: int, kb: KnowledgeBase, checks: dict) -> str:
    with tempfile.TemporaryDirectory() as temp:
        harness, store = await make_harness(
            Path(temp),
            kb,
            lambda: datetime(2026, 11, 24, tzinfo=UTC),
            checks,
            read_timeout=1.0,
            reply_retry_seconds=REPLY_RETRY_SECONDS,
            retry_backoff=0.5,
        )
        try:
            chats = [harness.driver(harness.core.user(f"U{i}")) for i in range(users)]
            harness.core.outage(seconds)
            started = time.monotonic()
            await asyncio.gather(*(chat.send(QUESTION) for chat in chats))
            took = time.monotonic() - started
            got = sum(sum("90%" in m.text for m in harness.core.sent(chat.chat)) for chat in chats)
        finally:
            await harness.app.shutdown()
            await store.close()
    return (
        f"{seconds:>5.0f} s outage: {got} of {users} replies arrived, {users - got} lost, "
        f"the last after {took:.0f} s"
    )


async def ambiguous(users: int, kb: KnowledgeBase, checks: dict) -> str:
    with tempfile.TemporaryDirectory() as temp:
        harness, store = await make_harness(
            Path(temp), kb, lambda: datetime(2026, 11, 24, tzinfo=UTC), checks, read_timeout=1.0
        )
        try:
            chats = [harness.driver(harness.core.user(f"A{i}")) for i in range(users)]
            for number, chat in enumerate(chats):
                kind = number % 3
                if kind == 0:
                    harness.core.fail_next("sendMessage", 502, after_success=True)
                elif kind == 1:
                    harness.core.hang_next("sendMessage", after_success=True)
                else:
                    harness.core.drop_next("sendMessage", after_success=True)
                await chat.send(QUESTION)
            copies = [sum("90%" in m.text for m in harness.core.sent(chat.chat)) for chat in chats]
        finally:
            await harness.app.shutdown()
            await store.close()
    twice = sum(1 for c in copies if c > 1)
    lost = sum(1 for c in copies if c == 0)
    return f"ambiguous failures: {users} replies, {twice} arrived twice, {lost} lost"


async def main() -> None:
    # The retries' warnings and PTB's report of each 502 page would drown the figures.
    logging.basicConfig(level=logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", default="20,120")
    parser.add_argument("--users", type=int, default=18)
    args = parser.parse_args()
    kb, checks = KnowledgeBase.load(None), load_checks()
    for seconds in (float(s) for s in args.outages.split(",")):
        print(await outage(seconds, args.users, kb, checks), flush=True)
    print(await ambiguous(args.users, kb, checks), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
