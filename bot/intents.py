"""Which structured fact a question asks for: the strongest aspect its words give evidence of.

The words are data (i18n/aspects/<lang>.yaml, weighted, in en/sv/fi); bot.answering.aspects
matches them. This module keeps the one-topic view for callers that need a single answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering.aspects import aspect_evidence, aspect_priority

# Timing ("is it still open?") is answered through the deadline by callers that know one topic.
_LEGACY_TOPIC = {"timing": "deadline"}
TOPIC_NAMES = tuple(name for name in aspect_priority() if name not in _LEGACY_TOPIC)


@dataclass(frozen=True)
class Intent:
    """The fact a question asks for and the stretch of text that said so."""

    topic: str
    span: tuple[int, int]


def detect_intent(folded: str) -> Intent | None:
    """The strongest aspect (by weight, then priority) of the case-folded question, if any."""
    evidence = aspect_evidence(folded)
    if not evidence:
        return None
    top = evidence[0]
    return Intent(_LEGACY_TOPIC.get(top.aspect, top.aspect), top.span)
