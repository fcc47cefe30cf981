"""Funding rates and project durations."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from knowledge.extraction.numbers import count_of
from knowledge.extraction.patterns import DURATION, PERCENT, context
from knowledge.extraction.spans import Found, Passage, after_has, clause_before, nearest
from knowledge.extraction.words import UNITS


def find_rates(lang: str, passages: Sequence[Passage]) -> list[Found[Decimal]]:
    """Candidate funding rates: percentages the words around them call a rate."""
    found: list[Found[Decimal]] = []
    for p in passages:
        for match in PERCENT.finditer(p.text):
            value = Decimal(match["n"].replace(",", "."))
            if not 0 < value <= 100:
                continue
            before = clause_before(p.text, match.start())
            kind, _ = nearest(lang, before, ("rate", "rate_not"))
            if kind == "rate_not":
                continue  # "the partners pay the remaining 10 %" is not the rate
            if kind is None and not after_has(lang, p.text, match.end(), "rate_after", 60):
                continue
            span = p.text[match.start() : match.end()]
            found.append(Found(value / 100, p.id, match.start(), match.end(), span))
    return found


def find_durations(lang: str, passages: Sequence[Passage]) -> list[Found[tuple[int, int]]]:
    """Candidate project durations, as (shortest, longest) in months."""
    found: list[Found[tuple[int, int]]] = []
    for p in passages:
        for match in DURATION.finditer(p.text):
            before = clause_before(p.text, match.start())
            if not context(lang, "duration").search(before):
                continue
            factor = UNITS[match["unit"].lower()]
            a = count_of(match["a"])
            b = count_of(match["b"]) if match["b"] else a
            if a is None or b is None or a > b or a == 0:
                continue
            span = p.text[match.start() : match.end()]
            value = (a * factor, b * factor)
            found.append(Found(value, p.id, match.start(), match.end(), span))
    return found
