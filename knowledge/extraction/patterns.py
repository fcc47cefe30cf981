"""Regular expressions built once from the word tables: dates, amounts, rates, references."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from knowledge.extraction.words import (
    CONTEXT,
    COUNTRIES,
    CURRENCIES,
    MONTHS,
    NUMBER_WORDS,
    SCALES,
    UNITS,
    ZONES,
)


def alternation(words: Sequence[str]) -> str:
    """A regex alternation for table entries: whole words, or word starts for 'stem*'."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word) + r"(?!\w)")
    return r"(?<!\w)(?:" + "|".join(parts) + ")"


def _one_of(words: Iterable[str]) -> str:
    """The words as a bare regex alternation, longest first so a longer word wins."""
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


def _compile_context() -> dict[str, dict[str, re.Pattern[str]]]:
    compiled: dict[str, dict[str, re.Pattern[str]]] = {}
    for lang, table in CONTEXT.items():
        compiled[lang] = {}
        for name in table:
            words = list(table[name])
            if lang != "en":
                # National pages quote English terms ("deadline", "budget"); never the reverse.
                words += CONTEXT["en"].get(name, ())
            compiled[lang][name] = re.compile(alternation(words) if words else r"(?!)", re.I)
    return compiled


CONTEXT_PATTERNS = _compile_context()
_MONTH = _one_of(MONTHS)
TEXT_DATE = re.compile(
    rf"(?<![\w.])(?:den\s+)?(?P<d>[0-3]?\d)(?:\.|st|nd|rd|th|:e)?\s+(?:of\s+)?"
    rf"(?P<mon>{_MONTH})\.?,?\s+(?P<y>(?:19|20)\d\d)(?!\d)",
    re.I,
)
US_DATE = re.compile(
    rf"(?<!\w)(?P<mon>{_MONTH})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)"
    r"(?!\d)",
    re.I,
)
NUM_DATE = re.compile(
    r"(?<![\w.])(?P<d>[0-3]?\d)\.\s?(?P<m>[01]?\d)\.\s?(?P<y>(?:19|20)\d\d)(?![\d])"
    r"|(?<![\w.])(?P<y2>(?:19|20)\d\d)-(?P<m2>[01]\d)-(?P<d2>[0-3]\d)(?!\d)"
    r"|(?<![\w./])(?P<d3>[0-3]?\d)/(?P<m3>[01]?\d)/(?P<y3>(?:19|20)\d\d)(?!\d)"
)
# The start of an application period whose year (and month) comes from its end date.
PARTIAL_START = re.compile(
    rf"(?<![\w.])(?:den\s+)?(?P<d>[0-3]?\d)(?:\.(?P<m>[01]?\d))?\.?(?:\s+(?P<mon>{_MONTH}))?"
    r"(?:,?\s*(?P<y>(?:19|20)\d\d))?"
    r"\s*(?:–|-|—|\bto\b|\btill\b|\buntil\b|\band\b|\boch\b|\bja\b|\bthrough\b)\s*$",
    re.I,
)
_ZONE_WORDS = _one_of(ZONES)
TIME_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:\([ \t]*)?"
    r"(?:at[ \t]+|kl\.?[ \t]*|klockan[ \t]+|klo[ \t]+|kello[ \t]+|@[ \t]*|[-–][ \t]*)?"
    # Not the start of another date: "1.6.2026 – 15.10.2026" holds no time 15:10.
    r"(?P<h>[0-2]?\d)[:.](?P<mi>[0-5]\d)(?:[:.](?P<s>[0-5]\d))?(?!\d|%|[.,:]\d)"
    r"(?:[ \t]*(?:h|hrs|uhr)(?!\w))?",
    re.I,
)
ZONE_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:\([ \t]*)?(?:(?P<utc>UTC|GMT)\s*(?P<sign>[-+−])\s*(?P<oh>\d{1,2})"
    rf"(?::?(?P<om>\d{{2}}))?|(?P<word>{_ZONE_WORDS})(?!\w))"
    r"(?:[ \t]*\((?:CET|CEST|EET|EEST)\))?(?:[ \t]*\))?",
    re.I,
)
_NUMBER = (
    r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?(?!\d)"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)"
    r"|\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d)"
    r"|\d+(?:[.,]\d+)?"
)
_NUMBER_WORD = _one_of(NUMBER_WORDS)
_SCALE = _one_of(SCALES)
_CUR_PRE = r"EUR|€|SEK|DKK|NOK|CHF|USD|GBP|\$|£"
_CUR_POST = _one_of(CURRENCIES)
_AMOUNT_CORE = (
    rf"(?:(?P<pre>{_CUR_PRE})\s?(?P<n1>{_NUMBER})(?:\s?(?P<s1>{_SCALE})(?!\w))?"
    rf"|(?P<n2>{_NUMBER}|(?<!\w)(?:{_NUMBER_WORD}))(?:\s?(?P<s2>{_SCALE})(?!\w))?\s?"
    rf"(?P<post>{_CUR_POST})(?!\w)(?!\s?\d))"
)
AMOUNT = re.compile(rf"(?<![\w.,]){_AMOUNT_CORE}", re.I)
# A range whose first figure may lack its currency or multiplier: "between 500 000 and 1
# million euro", "100 000–600 000 euroa", "EUR 500 000 - EUR 1 000 000".
RANGE = re.compile(
    rf"(?<![\w.,])(?:(?P<lpre>{_CUR_PRE})\s?)?(?P<low>{_NUMBER})(?:\s?(?P<lscale>{_SCALE}))?"
    rf"(?:\s?(?P<lpost>{_CUR_POST}))?(?!\w)"
    # Finnish needs no separator: "500 000 eurosta 1 miljoonaan euroon" (from ... to ...).
    r"(?:\s*(?:–|-|—|\band\b|\bup to\b|\bto\b|\boch\b|\btill\b|\bja\b)\s*|(?<=sta)\s+)"
    rf"(?P<high>{_AMOUNT_CORE.replace('?P<', '?P<h_')})",
    re.I,
)
PERCENT = re.compile(
    r"(?<![\w.,])(?P<n>\d{1,3}(?:[.,]\d+)?)\s?(?:%|per\s?cent(?!\w)|percent(?!\w)"
    r"|procent(?!\w)|prosenttia(?!\w))",
    re.I,
)
_UNIT = _one_of(UNITS)
DURATION = re.compile(
    rf"(?<![\w.,])(?P<a>\d{{1,3}}|{_NUMBER_WORD})(?:\s*(?:–|-|—|\bto\b|\btill\b|\band\b|\boch\b|\bja\b)\s*"
    rf"(?P<b>\d{{1,3}}|{_NUMBER_WORD}))?\s*(?P<unit>{_UNIT})(?!\w)",
    re.I,
)
EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
EU_REF = re.compile(r"(?<![\w-])AMIF-(?:19|20)\d\d(?:-[A-Z0-9]+)+(?![\w-])")
# Finnish Government diary numbers are distinctive enough to stand without a label.
VN_REF = re.compile(r"(?<![\w/])VN/\d{1,6}/(?:19|20)\d\d(?![\w/])")
_REF_TOKEN = r"(?P<ref>(?=[^\s]*[A-Za-z/-])[A-Z0-9][A-Za-z0-9/._-]*\d[A-Za-z0-9/._-]*)"
LABELLED_REF = r"\s*(?:[:#]|no\.?(?!\w)|nr\.?(?!\w))\s*" + _REF_TOKEN
DIARY_REF = re.compile(r"(?<!\w)(?:dnr|dnro|d\.nro)\.?\s*:?\s*" + _REF_TOKEN, re.I)
SENTENCE_END = re.compile(r"[.!?](?=\s+[A-ZÅÄÖ])|[;•|]|\n")
# Counts of two or more only: "a consortium of partners" must not read as one partner.
_COUNT_WORD = "|".join(
    sorted((re.escape(w) for w, n in NUMBER_WORDS.items() if n >= 2), key=len, reverse=True)
)
_COUNT = rf"(?<![\w.,])(?P<n>\d{{1,2}}|{_COUNT_WORD})(?!\w)"


def _words(lang: str, name: str) -> list[str]:
    return list(CONTEXT[lang][name]) + (list(CONTEXT["en"][name]) if lang != "en" else [])


def _noun_patterns(lang: str, name: str) -> tuple[re.Pattern[str], ...]:
    """'3 different Member States', 'number of partners: 3', 'kumppanien vähimmäismäärä: 3'."""
    noun = alternation(_words(lang, name))
    label = alternation(_words(lang, "count_label"))
    figure = r"\s*:?\s*(?P<n>\d{1,2})(?![\d.,])"
    return (
        re.compile(_COUNT + r"\s+(?:[\w-]+\s+){0,3}?" + noun, re.I),
        re.compile(label + r"\s+(?:[\w.-]+\s+){0,2}?" + noun + figure, re.I),
        re.compile(noun + r"\s+" + label + figure, re.I),
    )


COUNT_PATTERNS = {
    lang: {name: _noun_patterns(lang, name) for name in ("entities", "countries")}
    for lang in CONTEXT
}


def _country_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for code, spelled in COUNTRIES.items():
        for name in spelled:
            names[name] = code
    return re.compile("(?P<c>" + alternation(list(names)) + ")"), names


COUNTRY, COUNTRY_NAMES = _country_pattern()


def context(lang: str, name: str) -> re.Pattern[str]:
    """The compiled context words of one class ("deadline", "grant"...) for a language."""
    return CONTEXT_PATTERNS[lang][name]
