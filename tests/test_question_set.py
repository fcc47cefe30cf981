"""The question set: answers carry their facts and cite their source; declines decline.

The `original` questions are the phrasings the answer path was built around, and each must pass.
The `reworded` ones are held-out rewordings written for every kind of question (issue 12); many
fail on today's code by design, so they are measured as a whole against a regression floor, and
benchmarks/bench_quality.py prints their accuracy per language x kind.
"""

from collections.abc import Callable
from datetime import datetime

import pytest

from bot.assistant import Assistant
from knowledge.base import KnowledgeBase
from tests.support.questions import (
    KINDS,
    LANGS,
    MIN_PER_CELL,
    Case,
    ask,
    load_cases,
    miss,
    problems,
)

CASES = load_cases()
ORIGINAL = [c for c in CASES if c.variant == "original"]
REWORDED = [c for c in CASES if c.variant == "reworded"]

# Regression floor for the reworded questions' overall accuracy: 53.9% (186 of 345) with the answer
# path of commit 0e7932f, 74.5% (257 of 345) once bot/answering and the aspect data files were in
# (this floor's commit); set 3 points lower. Raise it when the answer path gets better; never
# lower it to make a change pass.
REWORDED_FLOOR = 0.715


def test_question_set_is_well_formed() -> None:
    assert problems(CASES) == []


def test_question_set_is_large_and_balanced() -> None:
    assert len(REWORDED) >= 300
    for lang in LANGS:
        for kind in KINDS:
            n = sum(c.lang == lang and c.kind == kind for c in CASES)
            assert n >= MIN_PER_CELL, f"{lang} x {kind}: {n}"
        assert sum(c.lang == lang and not c.decline for c in ORIGINAL) >= 20
        assert sum(c.lang == lang and c.decline for c in ORIGINAL) >= 3


@pytest.mark.parametrize("case", ORIGINAL, ids=[c.q[:60] for c in ORIGINAL])
def test_original_question(assistant: Assistant, case: Case) -> None:
    reply = ask(assistant, case)
    why = miss(case, reply)
    assert why is None, f"{why}: {reply.text}"


def test_reworded_accuracy_is_not_below_the_floor(
    kb: KnowledgeBase, clock: Callable[[], datetime]
) -> None:
    misses = [c for c in REWORDED if miss(c, ask(Assistant(kb, clock), c)) is not None]
    accuracy = 1 - len(misses) / len(REWORDED)
    assert accuracy >= REWORDED_FLOOR, (
        f"reworded accuracy {accuracy:.1%} is below the floor {REWORDED_FLOOR:.1%}; "
        "run benchmarks/bench_quality.py --show-misses"
    )
