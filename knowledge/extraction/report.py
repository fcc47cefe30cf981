"""What extraction found, shown to the operator (the ingest report) and as JSON (`--json`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from knowledge.extraction.model import OFFSET, Cited, Extraction, Moment
from knowledge.extraction.words import LABELS
from knowledge.facts import Money


class Formatter(Protocol):
    """What describe needs from i18n.Translator: its language and Babel formatting."""

    @property
    def lang(self) -> str: ...

    def format_money(self, amount: int | float | Decimal, currency: str = "EUR") -> str: ...

    def format_percent(self, rate: float | Decimal) -> str: ...

    def format_date(self, value: date) -> str: ...

    def format_number(self, value: int | float | Decimal) -> str: ...


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _show_money(money: Money, t: Formatter) -> str:
    if money.currency == "EUR":
        return t.format_money(money.amount, "EUR")
    # format_money words billions as euro; other currencies keep their own code.
    return f"{t.format_number(money.amount)} {money.currency}"


def _show_moment(m: Moment, t: Formatter) -> str:
    parts = [t.format_date(m.date)]
    if m.time is not None:
        parts.append(m.time.strftime("%H:%M"))
    if m.zone is not None:
        parts.append(m.zone if OFFSET.fullmatch(m.zone) is None else f"UTC{m.zone}")
    return " ".join(parts)


# One row of the report: its label, the value as shown, and the citation it comes from.
_Row = tuple[str, str, Cited[Any]]


def describe(extraction: Extraction, translator: Formatter) -> list[str]:
    """Short lines telling the operator what was extracted, each naming its passage."""
    t = translator
    words = LABELS.get(t.lang, LABELS["en"])
    lines: list[str] = []
    for rows in (_what_rows, _when_rows, _money_rows, _terms_rows, _who_rows):
        for label, shown, cited in rows(extraction, t, words):
            # The source words beside the reading let the operator spot a misread at a glance.
            span = " ".join(cited.span.split())
            quoted = "" if span == shown else f' \u2190 "{_shorten(span)}"'
            lines.append(f"{label}: {shown}{quoted}  [{words['passage']} {cited.passage}]")
    return lines or [words["nothing"]]


def _what_rows(e: Extraction, t: Formatter, words: Mapping[str, str]) -> Iterator[_Row]:
    """The call's references, its topics and its title."""
    for ref in e.references:
        yield words["references"], ref.value, ref
    for ref in e.topics:
        yield words["topics"], ref.value, ref
    if e.title:
        yield words["title"], e.title.value, e.title


def _when_rows(e: Extraction, t: Formatter, words: Mapping[str, str]) -> Iterator[_Row]:
    """Publication, opening and deadline."""
    if e.published:
        yield words["published"], t.format_date(e.published.value), e.published
    if e.opens:
        yield words["opens"], _show_moment(e.opens.value, t), e.opens
    if e.deadline:
        yield words["deadline"], _show_moment(e.deadline.value, t), e.deadline


def _money_rows(e: Extraction, t: Formatter, words: Mapping[str, str]) -> Iterator[_Row]:
    """The call's budget, each topic's, and the grant range (one row when both ends are known)."""
    if e.budget:
        yield words["budget"], _show_money(e.budget.value, t), e.budget
    for topic, money in e.topic_budgets:
        yield f"{words['topic_budget']} {topic}", _show_money(money.value, t), money
    if e.grant_min and e.grant_max:
        shown = f"{_show_money(e.grant_min.value, t)} – {_show_money(e.grant_max.value, t)}"
        yield words["grant"], shown, e.grant_max
    elif e.grant_min:
        yield words["grant_min"], _show_money(e.grant_min.value, t), e.grant_min
    elif e.grant_max:
        yield words["grant_max"], _show_money(e.grant_max.value, t), e.grant_max


def _terms_rows(e: Extraction, t: Formatter, words: Mapping[str, str]) -> Iterator[_Row]:
    """The funding rate and the project duration."""
    if e.funding_rate:
        yield words["funding_rate"], t.format_percent(e.funding_rate.value), e.funding_rate
    if e.duration_months:
        low, high = e.duration_months.value
        shown = str(low) if low == high else f"{low}–{high}"
        yield words["duration"], f"{shown} {words['months']}", e.duration_months


def _who_rows(e: Extraction, t: Formatter, words: Mapping[str, str]) -> Iterator[_Row]:
    """Contacts, consortium minimums and excluded countries."""
    for email in e.emails:
        yield words["emails"], email.value, email
    if e.min_entities:
        yield words["min_entities"], str(e.min_entities.value), e.min_entities
    if e.min_countries:
        yield words["min_countries"], str(e.min_countries.value), e.min_countries
    for country in e.excluded_countries:
        yield words["excluded"], country.value, country


def _plain(value: Any) -> Any:
    if isinstance(value, Cited):
        return {
            "value": _plain(value.value),
            "passage": value.passage,
            "span": value.span,
            "start": value.start,
        }
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Moment):
        return {
            "date": value.date.isoformat(),
            "time": value.time.strftime("%H:%M") if value.time else None,
            "zone": value.zone,
        }
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def as_dict(extraction: Extraction) -> dict[str, Any]:
    """The extraction as JSON-ready data (strings for decimals and dates) for `--json`."""
    out: dict[str, Any] = {}
    for name, value in vars(extraction).items():
        if name == "topic_budgets":
            out[name] = {ref: _plain(money) for ref, money in value}
        else:
            out[name] = _plain(value)
    return out
