"""What a question asks about, as evidence: every aspect whose words occur, strongest first.

Interim implementation over bot.intents' keyword tables (every matching topic, weight 1, in their
priority order); the weighted per-language data files replace it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.intents import TOPICS


@dataclass(frozen=True)
class AspectMatch:
    """One aspect a question names: how strongly, and where."""

    aspect: str
    weight: float
    span: tuple[int, int]


def aspect_evidence(folded: str) -> tuple[AspectMatch, ...]:
    """Every aspect whose words occur in the folded question, strongest (then first) first."""
    found = []
    for name, pattern in TOPICS:
        match = pattern.search(folded)
        if match:
            found.append(AspectMatch(name, 1.0, match.span()))
    return tuple(found)
