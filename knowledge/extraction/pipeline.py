"""One document's call facts: every finder over its passages, then the choice among candidates."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.extraction.dates import detail, find_dates, same_day
from knowledge.extraction.model import Cited, Extraction
from knowledge.extraction.money import find_money
from knowledge.extraction.parties import find_consortium, find_emails, find_excluded
from knowledge.extraction.rates import find_durations, find_rates
from knowledge.extraction.references import find_references, find_title
from knowledge.extraction.spans import Found, Passage, choose, split_blocks
from knowledge.extraction.words import CONTEXT
from knowledge.facts import Money


def extract_call_facts(
    text: str, *, lang: str, passages: Sequence[tuple[str, str]] | None = None
) -> Extraction:
    """Extract call facts from a document (its passages when given, else its blank-line blocks)."""
    units = (
        [Passage(pid, ptext) for pid, ptext in passages]
        if passages is not None
        else split_blocks(text)
    )
    lang = lang if lang in CONTEXT else "en"
    calls, topics = find_references(lang, units)
    topic_refs = [t.value for t in topics]
    kinds = find_dates(lang, units)
    money = find_money(lang, units, topic_refs)
    entities, countries = find_consortium(lang, units)
    grant_min, grant_max = _grant_range(choose(money.lows), choose(money.highs))
    published = choose(kinds["published"], same_day)
    title = find_title(lang, units, [*topic_refs, *[x.value for x in calls]])
    return Extraction(
        lang=lang,
        references=tuple(f.cited() for f in calls),
        topics=tuple(f.cited() for f in topics),
        title=title.cited() if title else None,
        published=(
            Cited(published.value.date, published.passage, published.span, published.start)
            if published
            else None
        ),
        opens=choose(kinds["opens"], same_day, detail),
        deadline=choose(kinds["deadline"], same_day, detail),
        budget=choose(money.budgets),
        topic_budgets=_topic_budgets(topic_refs, money.per_topic),
        grant_min=grant_min,
        grant_max=grant_max,
        funding_rate=choose(find_rates(lang, units)),
        duration_months=choose(find_durations(lang, units)),
        emails=tuple(f.cited() for f in find_emails(units)),
        min_entities=choose(entities),
        min_countries=choose(countries),
        excluded_countries=tuple(f.cited() for f in find_excluded(lang, units)),
    )


def _grant_range(
    low: Cited[Money] | None, high: Cited[Money] | None
) -> tuple[Cited[Money] | None, Cited[Money] | None]:
    """The grant floor and ceiling, or neither when they contradict each other."""
    if (
        low
        and high
        and (low.value.currency != high.value.currency or low.value.amount > high.value.amount)
    ):
        return None, None
    return low, high


def _topic_budgets(
    topic_refs: Sequence[str], per_topic: Sequence[Found[tuple[str, Money]]]
) -> tuple[tuple[str, Cited[Money]], ...]:
    """Each topic's budget, where its candidates agree, in the order the topics came."""
    budgets: list[tuple[str, Cited[Money]]] = []
    for ref in topic_refs:
        chosen = choose([f for f in per_topic if f.value[0] == ref])
        if chosen is not None:
            budgets.append(
                (ref, Cited(chosen.value[1], chosen.passage, chosen.span, chosen.start))
            )
    return tuple(budgets)
