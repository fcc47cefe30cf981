"""A fourth language is a pack: Estonian, registered from tests/support, asks and checks.

The pack (tests/support/estonian/) brings its words, locale, stemmer, zone, aspect words and
glossary; it has no catalogs, so every text falls back to English while numbers, money and
dates follow the Estonian locale. Nothing outside the pack names Estonian.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.eligibility import (
    Ask,
    CheckSpec,
    Done,
    Eligibility,
    EligibilitySessions,
    flow,
    load_checks,
    render_verdict,
)
from bot.eligibility.parsing import Parsed, parse_yes_no
from bot.reminders import user_zone
from bot.storage import SQLiteStorage, StorageKey
from i18n import LANGUAGES, translator
from i18n.detect import detect_language
from knowledge.base import KnowledgeBase
from tests.support.checks import THB
from tests.support.estonian import PACK

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BUDGET_EN = f"What is the total budget of {THB}?"
BUDGET_ET = f"Kui suur on {THB} eelarve?"  # "How large is the budget of ...?"
# The 2024 trafficking call's check, answered as an eligible public body with two partners:
# the same answers as tests/test_eligibility_flow.py types in English.
TYPED_EN = ["yes", "2", "yes", "Sweden", "Finland and Estonia", "done", "800 000", "24", "1, 3"]
TYPED_ET = ["jah", "2", "jah", "Rootsi", "Soome ja Eesti", "valmis", "800 000 eurot"]
TYPED_ET += ["kaks aastat", "1, 3"]  # "two years"
ESTONIAN_NAMES = {
    "Sweden": "Rootsi",
    "Finland": "Soome",
    "Estonia": "Eesti",
    "24 November 2026": "24. november 2026",
}
EURO = re.compile(r"€(\d{1,3}(?:,\d{3})*)")
STEPS = ["legal", "sector", "profit", "country", "partners", "grant", "months", "prio"]


@pytest.fixture
def estonian() -> Iterator[str]:
    """Estonian registered for one test, and removed again so that no other test sees it."""
    LANGUAGES.register(PACK)
    try:
        yield PACK.code
    finally:
        LANGUAGES.unregister(PACK.code)


async def _walk(checks: dict[str, CheckSpec], db: Path, lang: str, typed: list[str]) -> Done:
    """Type a whole check through the one flow every front end calls; return its end."""
    t = translator(lang)
    async with SQLiteStorage(db) as store:
        sessions = EligibilitySessions(
            checks, store, lambda: datetime(2026, 11, 24, 12, tzinfo=UTC)
        )
        key = StorageKey(7, 7)
        opened = await flow.open_check(sessions, key, "thb24", t)
        assert isinstance(opened, flow.Begun)
        asked = []
        for text in typed:
            outcome = (await flow.answer(sessions, key, text, t)).step.outcome
            assert not isinstance(outcome, flow.Invalid), (text, outcome)
            if isinstance(outcome, Ask):
                asked.append(outcome.step)
        assert isinstance(outcome, Done)
        assert list(dict.fromkeys(["legal", *asked])) == STEPS
        return outcome


def test_a_question_in_the_fourth_language_is_answered_in_it(
    estonian: str, clock: Callable[[], datetime]
) -> None:
    # The knowledge is loaded after the language is registered: it gets an index for it.
    assistant = Assistant(KnowledgeBase.load(None), clock)
    assert detect_language(BUDGET_ET).lang == estonian
    reply = assistant.answer(BUDGET_ET)
    english = assistant.answer(BUDGET_EN)
    assert reply.lang == estonian and reply.answered and english.answered
    assert reply.calls == english.calls == (THB,)
    # Its catalog is empty: the English sentence, with the amount as Estonian writes money.
    en_money, et_money = "€6,000,000", "6\u00a0000\u00a0000\u00a0€"
    assert en_money in english.body[0]
    assert reply.body[0] == english.body[0].replace(en_money, et_money)
    assert user_zone(estonian, None).key == "Europe/Tallinn"


async def test_a_whole_eligibility_check_in_the_fourth_language(
    estonian: str, tmp_path: Path
) -> None:
    checks = load_checks()  # every message is checked in every language that has a catalog
    ended = await _walk(checks, tmp_path / "et.sqlite3", estonian, TYPED_ET)
    in_english = await _walk(checks, tmp_path / "en.sqlite3", "en", TYPED_EN)
    assert ended.verdict.eligibility is Eligibility.ELIGIBLE
    assert ended.verdict == in_english.verdict
    text = render_verdict(ended.verdict, translator(estonian))
    assert "Result: eligible." in text and "Rootsi is an EU Member State" in text
    # The English texts, with countries, money and the date as Estonian names and writes them.
    english = render_verdict(in_english.verdict, translator("en"))
    for name, local in ESTONIAN_NAMES.items():
        english = english.replace(name, local)
    assert text == EURO.sub(lambda m: m[1].replace(",", "\u00a0") + "\u00a0€", english)


def test_unregistering_leaves_the_three_languages_as_they_were(estonian: str) -> None:
    assert parse_yes_no("jah") == Parsed(True)
    LANGUAGES.unregister(estonian)
    try:
        assert LANGUAGES.codes == ("en", "sv", "fi")
        assert detect_language(BUDGET_ET).lang != estonian
        assert translator(estonian).lang == "en"
        assert parse_yes_no("jah") != Parsed(True)
    finally:
        LANGUAGES.register(PACK)  # for the fixture to remove


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"stemmer": "estonain"}, "no stemmer 'estonain'"),
        ({"locale": "et_XX"}, "no locale 'et_XX'"),
        ({"glossary": Path("no/such/glossary.yaml")}, "glossary file"),
        ({"code": "EST"}, "lower-case letters"),
        ({"code": "e1"}, "2 or 3 letters"),
    ],
)
def test_a_pack_naming_what_does_not_exist_is_refused(change: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        LANGUAGES.register(replace(PACK, **change))
    assert LANGUAGES.codes == ("en", "sv", "fi")
