"""What extraction returns: values that cite their passage, dates as the page gives them.

Money and When come from knowledge.facts (one facts model, issue 15). Two small types are added
here: Cited, because every extracted value must say where it was read, and Moment, because a page
may give a date without a time zone, or a zone as a UTC offset, which When (always an IANA zone)
cannot hold without inventing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from knowledge.facts import Money, When

T = TypeVar("T")

# A zone written as a UTC offset, as Moment.zone holds it: "+02:00".
OFFSET = re.compile(r"(?P<sign>[+-])(?P<h>\d{2}):(?P<m>\d{2})")


@dataclass(frozen=True)
class Cited(Generic[T]):
    """An extracted value with the passage it was read from and the exact text that says it."""

    value: T
    passage: str
    span: str
    start: int


@dataclass(frozen=True)
class Moment:
    """A date as the page gives it: time and zone (IANA name or UTC offset) only when stated."""

    date: date
    time: time | None = None
    zone: str | None = None

    def tz(self) -> tzinfo | None:
        """The stated zone as a tzinfo, or None when the page gives none."""
        if self.zone is None:
            return None
        offset = OFFSET.fullmatch(self.zone)
        if offset is None:
            return ZoneInfo(self.zone)
        sign = -1 if offset["sign"] == "-" else 1
        return timezone(sign * timedelta(hours=int(offset["h"]), minutes=int(offset["m"])))

    def when(self, default_zone: str) -> When:
        """This moment as a facts.When, in default_zone when the page states no IANA zone."""
        zone = self.zone if self.zone and not OFFSET.fullmatch(self.zone) else None
        if zone is None and self.zone is not None:
            offset = OFFSET.fullmatch(self.zone)
            assert offset is not None
            if offset["m"] == "00":
                # Etc/GMT zones count the other way round: UTC+02:00 is Etc/GMT-2.
                zone = f"Etc/GMT{'-' if offset['sign'] == '+' else '+'}{int(offset['h'])}"
        return When(self.date, self.time, ZoneInfo(zone or default_zone))


@dataclass(frozen=True)
class Extraction:
    """What one document says about its call; every value cites its passage."""

    lang: str
    references: tuple[Cited[str], ...]
    topics: tuple[Cited[str], ...]
    title: Cited[str] | None
    published: Cited[date] | None
    opens: Cited[Moment] | None
    deadline: Cited[Moment] | None
    budget: Cited[Money] | None
    topic_budgets: tuple[tuple[str, Cited[Money]], ...]
    grant_min: Cited[Money] | None
    grant_max: Cited[Money] | None
    funding_rate: Cited[Decimal] | None
    duration_months: Cited[tuple[int, int]] | None
    emails: tuple[Cited[str], ...]
    min_entities: Cited[int] | None
    min_countries: Cited[int] | None
    excluded_countries: tuple[Cited[str], ...]

    def topic_budget(self, topic: str) -> Cited[Money] | None:
        """The budget given for one topic reference, if any."""
        return next((money for ref, money in self.topic_budgets if ref == topic), None)

    def is_empty(self) -> bool:
        """True when nothing at all was found."""
        return not any(value for name, value in vars(self).items() if name != "lang")
