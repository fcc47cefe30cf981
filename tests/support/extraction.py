"""Helpers for the tests of knowledge.extraction: every extracted value without its citation
(`summary`, compared with `expect(...)`), the citations of an extraction, and short constructors.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from typing import Any

from knowledge.extraction.model import Cited, Extraction, Moment
from knowledge.extraction.pipeline import extract_call_facts
from knowledge.facts import Money

BRUSSELS, HELSINKI = "Europe/Brussels", "Europe/Helsinki"


def eur(amount: int | str) -> tuple[Decimal, str]:
    return Decimal(str(amount)), "EUR"


def money_of(cited: Cited[Money] | None) -> tuple[Decimal, str] | None:
    return None if cited is None else (cited.value.amount, cited.value.currency)


def moment_of(cited: Cited[Moment] | None) -> tuple[date, time | None, str | None] | None:
    return None if cited is None else (cited.value.date, cited.value.time, cited.value.zone)


def summary(e: Extraction) -> dict[str, Any]:
    """Every extracted value without its citation, for exact comparison."""
    return {
        "references": [c.value for c in e.references],
        "topics": [c.value for c in e.topics],
        "title": e.title.value if e.title else None,
        "published": e.published.value if e.published else None,
        "opens": moment_of(e.opens),
        "deadline": moment_of(e.deadline),
        "budget": money_of(e.budget),
        "topic_budgets": {ref: money_of(m) for ref, m in e.topic_budgets},
        "grant": (money_of(e.grant_min), money_of(e.grant_max)),
        "rate": e.funding_rate.value if e.funding_rate else None,
        "duration": e.duration_months.value if e.duration_months else None,
        "emails": [c.value for c in e.emails],
        "consortium": (
            e.min_entities.value if e.min_entities else None,
            e.min_countries.value if e.min_countries else None,
        ),
        "excluded": [c.value for c in e.excluded_countries],
    }


def cited_in(e: Extraction) -> Iterator[Cited[Any]]:
    for name, value in vars(e).items():
        if isinstance(value, Cited):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Cited):
                    yield item
                elif isinstance(item, tuple) and name == "topic_budgets":
                    yield item[1]


def one(text: str, lang: str) -> Extraction:
    """Extract from one text without passages (it is split into blocks)."""
    return extract_call_facts(text, lang=lang)


NOTHING: dict[str, Any] = {
    "references": [],
    "topics": [],
    "title": None,
    "published": None,
    "opens": None,
    "deadline": None,
    "budget": None,
    "topic_budgets": {},
    "grant": (None, None),
    "rate": None,
    "duration": None,
    "emails": [],
    "consortium": (None, None),
    "excluded": [],
}


def expect(**fields: Any) -> dict[str, Any]:
    """The summary of an extraction that found these fields and nothing else."""
    return {**NOTHING, **fields}
