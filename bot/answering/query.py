"""A question parsed once: its language, the calls it names, what it asks, who reads the reply."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.answering.aspects import AspectMatch, aspect_evidence
from bot.answering.policy import AnswerPolicy
from i18n import normalize_language
from i18n.detect import detect_language
from knowledge.base import CALL_REFERENCE, PERIOD, YEAR, KnowledgeBase, fold
from knowledge.facts import CallFacts

# Words that make a year in a question the year of a call ("the 2027 call", "haku 2027").
CALL_WORDS = re.compile(
    r"\b(calls?|utlysning\w*|ansökningsomgång\w*|haku|haun|haussa|hakuun|hakukierro\w*)\b"
)
# "Is it open?", "how many days are left?": the question is about timing, so the reply says
# where the call stands now (and only then).
TIMING = re.compile(
    r"\bstill open\b|\bis (it|the call|this call) open\b|\bopen (now|yet)\b|\bhow (many|much)"
    r" (days|time|weeks)\b|\b(days|time|weeks) (are )?left\b|\bleft to apply\b"
    r"|\bfortfarande öppen\b|\bär (den|utlysningen|ansökan) (öppen|stängd)\b|\bkvar\b"
    r"|\bhur (länge|lång tid)\b.*\b(söka|ansöka|kvar|öppen)\b|\bonko\b.*\bauki\b|\bvielä auki\b"
    r"|\bjäljellä\b|\bkuinka (kauan|monta päivää)\b|\baikaa\b.*\bhakea\b"
)
# "Compare", "which is higher", "skillnaden mellan", "ero": a question about two calls' facts.
COMPARISON = re.compile(
    r"\b(compar\w*|vs\.?|versus|differen\w*|higher|lower|bigger|smaller|larger|earlier|later"
    r"|jämför\w*|skillnad\w*|högre|lägre|större|mindre|tidigare|senare"
    r"|vertaa\w*|vertailu\w*|ero|eroa|erot|eroaa|suurempi|pienempi|korkeampi|matalampi"
    r"|aiemmin|myöhemmin|aikaisemmin)\b"
)
# How a follow-up opens: "and the deadline?", "what about ...", "och ...", "entä ...".
FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|och|samt|hur är det med|än|entä|ja|mites|entäs|kuin)\b"
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
    named = tuple(kb.find_calls(text))
    timing = bool(TIMING.search(folded))
    aspects = aspect_evidence(folded)
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
        comparison=bool(COMPARISON.search(folded)) and len(calls) >= 2,
    )


def _unknown_calls(kb: KnowledgeBase, folded: str, named: Sequence[CallFacts]) -> list[str]:
    """References or call years the question names that no known call has."""
    found, unknown = kb.resolve_references(folded)
    if found:
        return []
    if unknown:
        return unknown
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
