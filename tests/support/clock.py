"""The suite's clocks: one "now" that tests share, the moments the shipped knowledge sets, and a
clock a test moves by hand.

Every part of a bot under test (assistant, store, sessions, reminders) reads the clock it was
built with, so a test that moves a `MovingClock` moves the whole bot.
"""

from __future__ import annotations

from datetime import UTC, datetime

# The suite's today: every one of the five seed calls has closed by then.
FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# The 2020 call closes 16 February 2021 at 17:00 Brussels time, 16:00 UTC.
DEADLINE_2020 = datetime(2021, 2, 16, 16, 0, tzinfo=UTC)


class MovingClock:
    """A clock the test sets by hand (`clock.now = ...`); calling it tells the time."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """The time the test set last."""
        return self.now
