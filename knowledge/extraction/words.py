"""The words of call documents: each language pack's, merged, and the language-neutral ones.

The words of one language (context words, months, numbers, money, units, zones, countries and
the report's labels) are in its pack (`i18n/languages/<code>.py`, `DocumentWords`); this module
merges the packs registered when it is imported with the signs and codes every language writes
alike. Every table is data: the extraction code compiles its patterns from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from i18n.languages import LANGUAGES
from i18n.languages.base import DocumentWords

V = TypeVar("V")

_PACKS = tuple((pack.code, pack.documents) for pack in LANGUAGES.packs if pack.documents)


def _merged(
    table: Callable[[DocumentWords], Mapping[str, V]], neutral: Mapping[str, V]
) -> dict[str, V]:
    """One table of every pack's entries (in registry order), then the neutral ones."""
    merged: dict[str, V] = {}
    for _, words in _PACKS:
        merged.update(table(words))
    merged.update(neutral)
    return merged


# Words. What a number means is decided by the words around it; those words are data, one table
# per language. An entry ending in "*" matches as a word start (for inflected forms); other
# entries match whole words. "before" words precede the value in its clause, "after" words
# follow it closely.
CONTEXT: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    code: words.context for code, words in _PACKS
}

# Month names (every language at once: a Finnish page may quote an English date).
MONTHS: Mapping[str, int] = _merged(lambda words: words.months, {})

# What pages write for a time zone, and the zone it means.
ZONES: Mapping[str, str] = _merged(
    lambda words: words.zones,
    {
        "cet": "Europe/Brussels",
        "cest": "Europe/Brussels",
        "eet": "Europe/Helsinki",
        "eest": "Europe/Helsinki",
        "utc": "UTC",
        "gmt": "UTC",
    },
)

# Number words that stand for a count or a multiplier ("en miljon euro", "three entities").
NUMBER_WORDS: Mapping[str, int] = _merged(lambda words: words.number_words, {})

# Multipliers after a number.
SCALES: Mapping[str, int] = _merged(
    lambda words: words.scales,
    {"mio": 10**6, "mln": 10**6, "m": 10**6, "meur": 10**6, "bn": 10**9, "md": 10**9},
)

# Currency signs and words, and the ISO code each stands for.
CURRENCIES: Mapping[str, str] = _merged(
    lambda words: words.currencies,
    {
        "eur": "EUR",
        "€": "EUR",
        "sek": "SEK",
        "dkk": "DKK",
        "nok": "NOK",
        "chf": "CHF",
        "usd": "USD",
        "$": "USD",
        "gbp": "GBP",
        "£": "GBP",
    },
)

UNITS: Mapping[str, int] = _merged(lambda words: words.units, {})


def _countries() -> dict[str, tuple[str, ...]]:
    names: dict[str, dict[str, None]] = {}
    for _, words in _PACKS:
        for code, spelled in words.countries.items():
            names.setdefault(code, {}).update(dict.fromkeys(spelled))
    return {code: tuple(spelled) for code, spelled in names.items()}


# Countries by ISO code: their names in every language (Finnish as stems: it inflects).
COUNTRIES: Mapping[str, tuple[str, ...]] = _countries()

# Words that join the countries of a list, and that may come between "except" and the list.
LIST_AND: tuple[str, ...] = tuple(word for _, words in _PACKS for word in words.list_and)
BEFORE_LIST: tuple[str, ...] = tuple(word for _, words in _PACKS for word in words.before_list)

# Field labels for the operator's ingest report. Kept in the packs rather than in the gettext
# catalogs while the answer path is rebuilt; the translator supplies Babel's dates and money.
LABELS: Mapping[str, Mapping[str, str]] = {code: words.report_labels for code, words in _PACKS}
