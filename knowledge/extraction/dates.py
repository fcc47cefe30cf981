"""Dates with their times and zones, and which is the deadline, the opening or the publication."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from knowledge.extraction.model import Moment
from knowledge.extraction.patterns import (
    NUM_DATE,
    PARTIAL_START,
    TEXT_DATE,
    TIME_AFTER,
    US_DATE,
    ZONE_AFTER,
)
from knowledge.extraction.spans import Found, Passage, after_has, clause_before, nearest
from knowledge.extraction.words import MONTHS, ZONES


@dataclass(frozen=True)
class FoundDate:
    """A date written in a text, and where it stands."""

    start: int
    end: int
    value: date


def dates_in(text: str) -> list[FoundDate]:
    """Every date a text writes, in words or figures, in the order they stand."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in (TEXT_DATE, US_DATE, NUM_DATE):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            groups = {k: v for k, v in match.groupdict().items() if v}
            try:
                year = int(groups.get("y") or groups.get("y2") or groups.get("y3") or "")
                day = int(groups.get("d") or groups.get("d2") or groups.get("d3") or "")
                mon = groups.get("mon")
                month = (
                    MONTHS[mon.lower()]
                    if mon
                    else int(groups.get("m") or groups.get("m2") or groups.get("m3") or "")
                )
                value = date(year, month, day)
            except (ValueError, KeyError):
                continue
            found.append(FoundDate(match.start(), match.end(), value))
            taken.append((match.start(), match.end()))
    return sorted(found, key=lambda d: d.start)


def time_and_zone(text: str, end: int) -> tuple[time | None, str | None, int]:
    """The time and zone written right after a date, and where they end."""
    at: time | None = None
    match = TIME_AFTER.match(text, end)
    if match and int(match["h"]) <= 23:
        at = time(int(match["h"]), int(match["mi"]), int(match["s"] or 0))
        end = match.end()
    zone: str | None = None
    zmatch = ZONE_AFTER.match(text, end) if at is not None else None
    if zmatch:
        if zmatch["word"]:
            zone = ZONES[zmatch["word"].lower()]
        else:
            sign = "-" if zmatch["sign"] in "-−" else "+"
            zone = f"{sign}{int(zmatch['oh']):02d}:{zmatch['om'] or '00'}"
            if zone in ("+00:00", "-00:00"):
                zone = "UTC"
        end = zmatch.end()
    if match and "(" in text[match.start() : end] and ")" not in text[match.start() : end]:
        # "(at 17:00)": take the closing bracket too, so the span reads as a whole.
        close = re.compile(r"[ \t]*\)").match(text, end)
        end = close.end() if close else end
    return at, zone, end


def moment_span(text: str, d: FoundDate) -> tuple[Moment, int]:
    """The date with the time and zone written after it, and where they end."""
    at, zone, end = time_and_zone(text, d.end)
    return Moment(d.value, at, zone), end


def find_dates(lang: str, passages: Sequence[Passage]) -> dict[str, list[Found[Moment]]]:
    """Candidate deadlines, openings and publication dates, by kind."""
    kinds: dict[str, list[Found[Moment]]] = {"deadline": [], "opens": [], "published": []}
    for p in passages:
        text = p.text
        found = dates_in(text)
        in_range: set[int] = set()
        for d in found:
            head = text[max(0, d.start - 40) : d.start]
            partial = PARTIAL_START.search(head)
            if partial is None:
                continue
            first = _range_start(partial, d.value)
            start = d.start - len(head) + partial.start()
            before = clause_before(text, start)
            kind, _ = nearest(lang, before, ("period", "event", "published", "deadline", "opens"))
            if first is None or first > d.value or kind not in ("period", "opens"):
                continue
            moment, end = moment_span(text, d)
            span = text[start:end]
            kinds["opens"].append(Found(Moment(first), p.id, start, end, span))
            kinds["deadline"].append(Found(moment, p.id, start, end, span))
            in_range.add(d.start)
            in_range.update(o.start for o in found if start <= o.start < d.start)
        for d in found:
            if d.start in in_range:
                continue
            moment, end = moment_span(text, d)
            span = text[d.start : end]
            kind = _date_kind(lang, text, d.start, end)
            if kind is None:
                continue
            value = Moment(d.value) if kind == "published" else moment
            kinds[kind].append(Found(value, p.id, d.start, end, span))
    return kinds


def _range_start(partial: re.Match[str], end: date) -> date | None:
    try:
        month = (
            MONTHS[partial["mon"].lower()]
            if partial["mon"]
            else int(partial["m"])
            if partial["m"]
            else end.month
        )
        year = int(partial["y"]) if partial["y"] else end.year
        return date(year, month, int(partial["d"]))
    except (ValueError, KeyError):
        return None


def _date_kind(lang: str, text: str, start: int, end: int) -> str | None:
    if after_has(lang, text, end, "deadline_after"):
        return "deadline"
    if after_has(lang, text, end, "opens_after"):
        return "opens"
    if after_has(lang, text, end, "published_after", 25):
        return "published"
    before = clause_before(text, start)
    kind, _ = nearest(lang, before, ("deadline", "opens", "published", "event"))
    return kind if kind in ("deadline", "opens", "published") else None


def same_day(a: Moment, b: Moment) -> bool:
    """True when two moments name the same day, and the same time where both give one."""
    return a.date == b.date and (a.time is None or b.time is None or a.time == b.time)


def detail(m: Moment) -> int:
    """How much a moment states beyond its date: a time, a zone."""
    return (m.time is not None) + (m.zone is not None)
