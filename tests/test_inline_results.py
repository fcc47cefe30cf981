"""Inline results a user can tell apart: a title with the fact and the call, the answer below."""

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from knowledge.base import KnowledgeBase
from tests.fake_telegram import FakeTelegram
from tests.support.bots import Harness, make_harness


@pytest.fixture
async def inline_tg(
    tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict
) -> AsyncIterator[Harness]:
    """A bot with inline mode on."""
    harness, store = await make_harness(
        tmp_path, kb, clock, checks, core=FakeTelegram(inline_mode=True)
    )
    try:
        yield harness
    finally:
        await harness.app.shutdown()
        await store.close()


async def _results(tg: Harness, query: str, language_code: str = "en") -> list[dict[str, Any]]:
    user = tg.core.user("Inline", language_code=language_code)
    await tg.feed(tg.core.inline_query_update(query, user=user))
    return list(tg.core.inline_answers[-1].results)


async def test_the_answer_is_titled_with_the_fact_and_the_call(inline_tg: Harness) -> None:
    first, *_ = await _results(inline_tg, "What is the funding rate of the 2024 call?")
    assert first["title"].startswith("Funding rate – AMIF 2024 call")
    assert "90%" in first["description"]
    assert "Welcomeurope" not in first["description"]


async def test_every_result_has_its_own_title_and_an_answer_as_description(
    inline_tg: Harness,
) -> None:
    for query, code in (
        ("consortium rules of the 2024 call", "en"),
        ("Kan en dansk organisation söka i utlysningen 2024?", "sv"),
        ("mitä syksyn 2023 haku rahoittaa", "fi"),
        ("AMIF 2024", "fi"),
    ):
        results = await _results(inline_tg, query, code)
        titles = [r["title"] for r in results]
        assert len(set(titles)) == len(titles), titles
        sources = {
            s.title_in(lang)
            for s in inline_tg.services.assistant.kb.sources.values()
            for lang in ("en", "sv", "fi")
        }
        for result in results:
            assert result["description"] not in sources
            assert len(result["description"]) > 20


async def test_swedish_titles_are_swedish(inline_tg: Harness) -> None:
    first, *_ = await _results(inline_tg, "Vad är stödnivån i 2024 års utlysning?", "sv")
    assert first["title"].startswith("Stödnivå – ")
