"""A question parsed once: its language, the calls it names, what it asks, who reads the reply."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.answering.aspects import AspectMatch, aspect_evidence
from bot.answering.glossary import to_english
from bot.answering.policy import AnswerPolicy
from i18n import LANGUAGES, normalize_language
from i18n.detect import detect_language
from i18n.languages.base import QuestionWords
from knowledge.base import CALL_REFERENCE, PERIOD, YEAR, KnowledgeBase, fold, titles_folded
from knowledge.facts import CallFacts

_QUESTION_WORDS = tuple(pack.questions for pack in LANGUAGES.packs if pack.questions)


def any_of(field: Callable[[QuestionWords], str], *neutral: str) -> str:
    """The packs' regex alternations of one kind of words (registry order), then neutral ones."""
    return "|".join(part for part in (*map(field, _QUESTION_WORDS), *neutral) if part)


# Words that make a year in a question the year of a call ("the 2027 call", "haku 2027").
CALL_WORDS = re.compile(rf"\b({any_of(lambda words: words.call_words)})\b")
# "Is it open?", "how many days are left?": the question is about timing, so the reply says
# where the call stands now (and only then).
TIMING = re.compile(any_of(lambda words: words.timing))
# "Compare", "which is higher", "skillnaden mellan", "ero": a question about two calls' facts.
COMPARISON = re.compile(rf"\b({any_of(lambda words: words.comparison)})\b")
# How a follow-up opens: "and the deadline?", "what about ...", "och ...", "entä ...".
FOLLOW_UP = re.compile(rf"^({any_of(lambda words: words.follow_up)})\b")

# The EU's member states (and the EEA countries that take part in EU programmes) by their names
# in our languages, as CLDR gives them, plus the adjectives that name a country's call.
_EU_COUNTRIES = (
    *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE"),
    *("IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "NO", "LI"),
)


def _adjectives() -> dict[str, tuple[str, ...]]:
    adjectives: dict[str, tuple[str, ...]] = {}
    for words in _QUESTION_WORDS:
        for code, names in words.country_adjectives.items():
            adjectives[code] = (*adjectives.get(code, ()), *names)
    return adjectives


_ADJECTIVES = _adjectives()
# Between a country and the call word, only words that further name the call: a season, a
# year, "AMIF", "national" ("Finland's autumn 2024 AMIF call", "Viron syksyn 2023 AMIF-haun").
_SEASONS = any_of(lambda words: words.seasons)
_YEAR_WORD = r"\d{4}"
_BEFORE_CALL = any_of(lambda words: words.before_call, "amif", _SEASONS, _YEAR_WORD)
_CALL_QUALIFIERS = rf"(?:[\s'’-]+(?:{_BEFORE_CALL}))*"


def _country_names() -> dict[str, tuple[str, ...]]:
    from babel import Locale

    names: dict[str, tuple[str, ...]] = {}
    for code in _EU_COUNTRIES:
        found = {fold(Locale.parse(locale).territories[code]) for locale in LANGUAGES} | set(
            _ADJECTIVES.get(code, ())
        )
        # An inflected name starts with all but the name's last letter ("suome-n", "finlands").
        names[code] = tuple(sorted({n[:-1] if len(n) >= 5 else n for n in found}))
    return names


COUNTRY_NAMES = _country_names()
_COUNTRY_CALL = re.compile(
    r"\b(?P<country>"
    + "|".join(
        sorted((re.escape(n) for ns in COUNTRY_NAMES.values() for n in ns), key=len, reverse=True)
    )
    + r")\w*"
    + _CALL_QUALIFIERS
    + rf"[\s-]+(?:{any_of(lambda words: words.national_call_words)})\b"
    # "Finlands AMIF-utlysning hösten 2024": the season and year may follow the call word.
    + rf"(?:[\s-]+(?:{any_of(lambda words: words.after_call, _SEASONS, _YEAR_WORD)}))*"
)


@dataclass(frozen=True)
class Query:
    """One question as the answer path sees it, parsed once."""

    text: str
    folded: str
    lang: str
    asked_in: str
    calls: tuple[CallFacts, ...]
    unknown_calls: tuple[str, ...]
    followed: bool
    aspects: tuple[AspectMatch, ...]
    zone: ZoneInfo | None
    timing: bool
    comparison: bool

    @property
    def aspect(self) -> AspectMatch | None:
        """The aspect with the strongest evidence, if any."""
        return self.aspects[0] if self.aspects else None


def parse_query(
    kb: KnowledgeBase,
    text: str,
    policy: AnswerPolicy,
    lang: str | None = None,
    tz: str | None = None,
    previous: Sequence[str] = (),
) -> Query:
    """Parse a cleaned, non-empty question; previous holds the ids of the last reply's calls."""
    folded = fold(text)
    asked_in = detect_language(text).lang
    compares = bool(COMPARISON.search(folded))
    english = to_english(folded, asked_in) if asked_in != LANGUAGES.default else []
    named = tuple(kb.find_calls(text, also=english))
    if compares and len(named) == 1 and named[0].kind == "call":
        # "the 2024 call's rate vs the usual AMIF co-financing": the other side is the programme.
        named = (*named, *(c for c in kb.calls if c.kind == "programme"))
    found = aspect_evidence(folded)
    timing = bool(TIMING.search(folded)) or any(a.aspect == "timing" for a in found)
    # Timing is a way of asking for the deadline, not a fact of its own.
    aspects = tuple(a for a in found if a.aspect != "timing")
    if timing and not any(a.aspect == "deadline" for a in aspects[:1]):
        # Timing is asked about through the deadline: "how many days are left to apply?" is not
        # about who may apply.
        aspects = (
            AspectMatch("deadline", max((a.weight for a in aspects), default=1.0), (0, 0)),
            *(a for a in aspects if a.aspect != "deadline"),
        )
    followed = False
    calls = named
    if not named and previous:
        words = kb.indexes[asked_in].analyzer.words(text)
        if FOLLOW_UP.search(folded) or len(words) <= policy.follow_up_max_words:
            calls = tuple(c for c in (kb.call(ident) for ident in previous) if c is not None)
            followed = bool(calls)
    return Query(
        text=text,
        folded=folded,
        lang=normalize_language(lang) or asked_in,
        asked_in=asked_in,
        calls=calls,
        unknown_calls=tuple(_unknown_calls(kb, folded, named)),
        followed=followed,
        aspects=aspects,
        zone=zone_named(tz),
        timing=timing,
        comparison=compares and len(calls) >= 2,
    )


def _unknown_calls(kb: KnowledgeBase, folded: str, named: Sequence[CallFacts]) -> list[str]:
    """References or call years the question names that no known call has."""
    found, unknown = kb.resolve_references(folded)
    if found:
        return []
    if unknown:
        return unknown
    years = set(YEAR.findall(PERIOD.sub(" ", CALL_REFERENCE.sub(" ", folded))))
    country = _COUNTRY_CALL.search(folded)
    if country is not None:
        # "Estonia's AMIF call", "Finland's autumn 2024 call": a national call must match the
        # country and every year the question gives it.
        code = next(c for c, ns in COUNTRY_NAMES.items() if country["country"] in ns)
        years = set(YEAR.findall(country.group(0)))
        national = [
            c
            for c in kb.calls
            if c.kind == "call"
            and any(
                n in " ".join((*titles_folded(c), *map(fold, c.aliases)))
                for n in COUNTRY_NAMES[code]
            )
        ]
        if not any(years <= kb.call_years(c) for c in national):
            return [country.group(0).strip()]
    if named or not CALL_WORDS.search(folded):
        return []
    years = set(YEAR.findall(PERIOD.sub(" ", CALL_REFERENCE.sub(" ", folded))))
    known = set().union(*(kb.call_years(c) for c in kb.calls if c.kind == "call"))
    return sorted(years - known)


def zone_named(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
