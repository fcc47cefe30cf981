"""Amounts and ranges of money, and whether each is the call's budget, a topic's, or a grant."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from knowledge.extraction.numbers import parse_number
from knowledge.extraction.patterns import AMOUNT, RANGE
from knowledge.extraction.spans import Found, Passage, after_has, clause_before, nearest
from knowledge.extraction.words import CURRENCIES, NUMBER_WORDS, SCALES
from knowledge.facts import Money


def money_of(number: str | None, scale: str | None, currency: str | None) -> Money | None:
    """An amount from its figure, multiplier and currency; None when it is no amount."""
    if number is None or currency is None:
        return None
    value = parse_number(number, scaled=bool(scale))
    if value is None:
        return None
    if scale:
        value *= SCALES[scale.lower()]
    elif number.lower() in NUMBER_WORDS:
        return None  # "en euro" is no amount worth citing; a word needs a multiplier
    code = CURRENCIES.get(currency.lower())
    if code is None or value <= 0:
        return None
    return normal(Money(value, code))


def normal(amount: Money) -> Money:
    """The amount without decimals when it is whole (9000000.00 -> 9000000)."""
    value = amount.amount
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return Money(value, amount.currency)


def match_money(match: re.Match[str]) -> Money | None:
    """The amount an AMOUNT match reads, currency before or after the figure."""
    if match["pre"]:
        return money_of(match["n1"], match["s1"], match["pre"])
    return money_of(match["n2"], match["s2"], match["post"])


def range_money(match: re.Match[str]) -> tuple[Money, Money] | None:
    """The low and high amounts of a RANGE match; the low one may borrow the high's units."""
    if match["h_pre"]:
        high = money_of(match["h_n1"], match["h_s1"], match["h_pre"])
        high_scale = match["h_s1"]
    else:
        high = money_of(match["h_n2"], match["h_s2"], match["h_post"])
        high_scale = match["h_s2"]
    if high is None:
        return None
    currency = match["lpre"] or match["lpost"]
    low_value = parse_number(match["low"], scaled=bool(match["lscale"]))
    if low_value is None:
        return None
    if match["lscale"]:
        low_value *= SCALES[match["lscale"].lower()]
    elif high_scale and low_value < 1000:
        low_value *= SCALES[high_scale.lower()]  # "1 and 2 million": both in millions
    low_currency = CURRENCIES.get(currency.lower()) if currency else high.currency
    if low_currency != high.currency or low_value <= 0 or low_value >= high.amount:
        return None
    return normal(Money(low_value, high.currency)), normal(high)


@dataclass
class MoneyFound:
    """Candidate amounts by what they are: call budgets, topic budgets, grant floors, ceilings."""

    budgets: list[Found[Money]] = field(default_factory=list)
    per_topic: list[Found[tuple[str, Money]]] = field(default_factory=list)
    lows: list[Found[Money]] = field(default_factory=list)
    highs: list[Found[Money]] = field(default_factory=list)


def find_money(lang: str, passages: Sequence[Passage], topics: Sequence[str]) -> MoneyFound:
    """Candidate budgets (of the call and per topic) and grant ranges in the passages."""
    found = MoneyFound()
    section: str | None = None
    for p in passages:
        covered = _grant_ranges(lang, p, found)
        section_at = _sections(p.text, topics, section)
        _amounts(lang, p, covered, _line_topics(p.text, topics), section_at, found)
        section = section_at(len(p.text))
    return found


def _grant_ranges(lang: str, p: Passage, found: MoneyFound) -> list[tuple[int, int]]:
    """Grant ranges ("between 500 000 and 1 million euro"), and the text they cover."""
    text = p.text
    covered: list[tuple[int, int]] = []
    for match in RANGE.finditer(text):
        pair = range_money(match)
        if pair is None:
            continue
        low, high = pair
        before = clause_before(text, match.start())
        kind, _ = nearest(lang, before, ("grant", "budget", "budget_total"))
        if kind == "grant" or after_has(lang, text, match.end(), "grant_after"):
            span = text[match.start() : match.end()]
            found.lows.append(Found(low, p.id, match.start(), match.end(), span))
            found.highs.append(Found(high, p.id, match.start(), match.end(), span))
            covered.append((match.start(), match.end()))
    return covered


def _amounts(
    lang: str,
    p: Passage,
    covered: Sequence[tuple[int, int]],
    line_topic: Callable[[int], str | None],
    section_at: Callable[[int], str | None],
    found: MoneyFound,
) -> None:
    """Single amounts outside the grant ranges, each filed by the words around it."""
    text = p.text
    for match in AMOUNT.finditer(text):
        if any(s <= match.start() < e for s, e in covered):
            continue
        amount = match_money(match)
        if amount is None:
            continue
        start, end = match.start(), match.end()
        span = text[start:end]
        before = clause_before(text, start)
        kind = _amount_kind(lang, text, before, end)
        if kind == "grant":
            mod, _ = nearest(lang, before, ("grant_max", "grant_min"))
            if mod is None:
                continue  # a single grant figure with no "up to"/"at least": unsure
            target = found.highs if mod == "grant_max" else found.lows
            target.append(Found(amount, p.id, start, end, span))
            continue
        in_section = section_at(start)
        topic = line_topic(start) or (in_section if kind == "budget" else None)
        if topic is not None and kind != "budget_total":
            found.per_topic.append(Found((topic, amount), p.id, start, end, span))
        elif kind in ("budget", "budget_total"):
            strength = 2 if kind == "budget_total" else 1
            found.budgets.append(Found(amount, p.id, start, end, span, strength))


def _amount_kind(lang: str, text: str, before: str, end: int) -> str | None:
    """What an amount is by its words: "budget_total", "budget", "grant", or None."""
    kind, _ = nearest(lang, before, ("budget_total", "budget", "grant"))
    if after_has(lang, text, end, "grant_after"):
        return "grant"
    if kind is None and after_has(lang, text, end, "budget_after"):
        return "budget"
    return kind


def _line_topics(text: str, topics: Sequence[str]) -> Callable[[int], str | None]:
    """The single topic named on the line (table row) holding a position, if exactly one."""

    def topic_at(pos: int) -> str | None:
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        named = {t for t in topics if t in line}
        return named.pop() if len(named) == 1 else None

    return topic_at


def _sections(
    text: str, topics: Sequence[str], entering: str | None
) -> Callable[[int], str | None]:
    """The topic whose heading a position falls under; a heading naming none ends the section."""
    ends: list[int] = []
    named_by: list[str | None] = []
    for line_match in re.finditer(r"[^\n]+", text):
        line = line_match.group(0).strip()
        if _is_heading(line):
            named = [t for t in topics if t in line]
            ends.append(line_match.end())
            named_by.append(named[0] if len(named) == 1 else None)

    def topic_at(pos: int) -> str | None:
        i = bisect_right(ends, pos)
        return named_by[i - 1] if i else entering

    return topic_at


def _is_heading(line: str) -> bool:
    """A short line that reads as a heading and holds no amount."""
    words = line.lstrip("#* ").split()
    return (
        0 < len(words) <= 14
        and not line.rstrip().endswith((".", ":", ",", ";"))
        and (line.startswith("#") or line[:1].isupper() or line[:1].isdigit())
        and not AMOUNT.search(line)
    )
