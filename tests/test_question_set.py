"""The question set: answers carry their facts and cite their source; declines decline."""

import re
from pathlib import Path

import pytest
import yaml

from bot.assistant import Assistant

QUESTIONS = yaml.safe_load(
    (Path(__file__).parent / "data" / "questions.yaml").read_text(encoding="utf-8")
)
SPACES = re.compile(r"\s+", re.UNICODE)


def _norm(text: str) -> str:
    return SPACES.sub(" ", text.replace("\u00a0", " ").replace("\u202f", " ")).casefold()


def test_question_set_is_large_and_balanced() -> None:
    answerable = [q for q in QUESTIONS if not q.get("decline")]
    assert len(answerable) >= 60
    for lang in ("en", "sv", "fi"):
        assert sum(q["lang"] == lang for q in answerable) >= 20
        assert sum(q["lang"] == lang and q.get("decline", False) for q in QUESTIONS) >= 3


@pytest.mark.parametrize("case", QUESTIONS, ids=[q["q"][:60] for q in QUESTIONS])
def test_question(assistant: Assistant, case: dict) -> None:
    reply = assistant.answer(case["q"])
    assert reply.lang == case["lang"], f"replied in {reply.lang}: {reply.text}"
    if case.get("decline"):
        assert not reply.answered, f"should have declined, said: {reply.text}"
        return
    assert reply.answered, f"declined: {reply.text}"
    text = _norm(reply.text)
    for item in case["expect"]:
        options = item if isinstance(item, list) else [item]
        assert any(_norm(str(o)) in text for o in options), f"missing {options}: {reply.text}"
    if case.get("source"):
        assert case["source"] in [s.id for s in reply.sources], reply.text
