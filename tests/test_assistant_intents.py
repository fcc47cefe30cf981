"""Topic keywords: the patterns as compiled find exactly what the tables as written find."""

import random
import re
from pathlib import Path

import pytest
import yaml

from bot.intents import (
    _RAW_TOPICS,
    Intent,
    detect_intent,
    share_word_boundaries,
    top_level_alternatives,
)
from knowledge.base import KnowledgeBase, fold

AS_WRITTEN = [(name, re.compile(rx)) for name, rx in _RAW_TOPICS]
QUESTIONS = yaml.safe_load(
    (Path(__file__).parent / "data" / "questions.yaml").read_text(encoding="utf-8")
)


def _as_written(folded: str) -> Intent | None:
    for name, pattern in AS_WRITTEN:
        match = pattern.search(folded)
        if match:
            return Intent(name, match.span())
    return None


def _texts(kb: KnowledgeBase) -> list[str]:
    texts = [q["q"] for q in QUESTIONS]
    texts += [p.text for index in kb.indexes.values() for p in index.passages]
    words = " ".join(texts).split()
    rng = random.Random(11)
    texts += [" ".join(rng.sample(words, rng.randint(1, 10))) for _ in range(3000)]
    return [fold(text) for text in texts]


def test_every_question_and_passage_gets_the_topic_and_span_the_tables_give(
    kb: KnowledgeBase,
) -> None:
    texts = _texts(kb)
    found = [detect_intent(text) for text in texts]
    assert found == [_as_written(text) for text in texts]
    assert sum(intent is not None for intent in found) > len(texts) // 4  # not a vacuous check


@pytest.mark.parametrize(
    ("pattern", "alternatives"),
    [
        (r"a|b", ["a", "b"]),
        (r"\bx(y|z)\b|w", [r"\bx(y|z)\b", "w"]),
        (r"[|]|x", ["[|]", "x"]),
        (r"[]|]|y", ["[]|]", "y"]),
        (r"[^]|]|z", ["[^]|]", "z"]),
        (r"\||c", [r"\|", "c"]),
    ],
)
def test_alternatives_split_only_at_the_outermost_bars(
    pattern: str, alternatives: list[str]
) -> None:
    assert top_level_alternatives(pattern) == alternatives


def test_word_starts_are_shared_only_within_runs_and_in_order() -> None:
    rx = r"\bab|\bcd|ef|\bgh|%|\bij\b|\bkl"
    assert share_word_boundaries(rx) == r"\b(?:ab|cd)|ef|\bgh|%|\b(?:ij\b|kl)"
    for text in ["ab", "xab cd", "ef", "gh", "100 %", "ij", "ijk kl", "zz"]:
        written, shared = re.search(rx, text), re.search(share_word_boundaries(rx), text)
        assert (written and written.span()) == (shared and shared.span())
