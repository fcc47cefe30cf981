"""One flow for every front end: typed like the terminal and pressed like Telegram, one check.

bot/terminal.py types every answer (option numbers, "done"); handlers/eligibility.py presses the
buttons a step offers and types the rest, each with an update id. Both call bot.eligibility.flow,
so the same answers must walk the same questions to the same verdict.
"""

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.eligibility import (
    OPTION_FINISH,
    Ask,
    CheckSpec,
    Done,
    Eligibility,
    EligibilitySessions,
    Invalid,
    Outcome,
    Step,
    flow,
    render_verdict,
)
from bot.storage import SQLiteStorage, StorageKey
from i18n import translator
from tests.support.clock import FIXED_NOW

NOW = FIXED_NOW
TERMINAL = StorageKey(0, 0)
TELEGRAM = StorageKey(42, 42)
# The 2024 trafficking call, answered as an eligible public body with two partners.
TYPED = ["yes", "2", "yes", "Sweden", "Finland and Estonia", "done", "800 000", "24", "1, 3"]
# The same answers on Telegram: ("press", option id or 1-based option number) or ("type", text).
PRESSED: list[tuple[str, str | int]] = [
    ("press", "y"),
    ("press", 2),
    ("press", "y"),
    ("type", "Sweden"),
    ("type", "Finland and Estonia"),
    ("press", OPTION_FINISH),
    ("type", "800 000"),
    ("type", "24"),
    ("press", 1),
    ("press", 3),
    ("press", OPTION_FINISH),
]
STEPS = ["legal", "sector", "profit", "country", "partners", "grant", "months", "prio", "done"]


@pytest.fixture
async def sessions(
    tmp_path: Path, checks: dict[str, CheckSpec]
) -> AsyncIterator[EligibilitySessions]:
    async with SQLiteStorage(tmp_path / "flow.sqlite3") as store:
        yield EligibilitySessions(checks, store, lambda: NOW)


def _name(outcome: Outcome) -> str:
    if isinstance(outcome, Invalid):
        return f"invalid:{outcome.ask.step}"
    return outcome.step if isinstance(outcome, Ask) else "done"


def _distinct(names: Sequence[str]) -> list[str]:
    """Steps in order, a step shown again (a toggled option) counted once."""
    return [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]


async def _as_terminal(sessions: EligibilitySessions) -> tuple[list[str], Step]:
    t = translator("en")
    opened = await flow.open_check(sessions, TERMINAL, "thb24", t)
    assert isinstance(opened, flow.Begun)
    step = opened.step
    names = [_name(step.outcome)]
    for text in TYPED:
        reply = await flow.answer(sessions, TERMINAL, text, t)
        assert isinstance(reply, flow.Answered), (text, reply)
        step = reply.step
        names.append(_name(step.outcome))
    return names, step


async def _as_telegram(sessions: EligibilitySessions) -> tuple[list[str], Step]:
    t = translator("en")
    opened = await flow.open_check(sessions, TELEGRAM, "thb24", t)
    assert isinstance(opened, flow.Begun)
    step = opened.step
    names = [_name(step.outcome)]
    for update_id, (action, value) in enumerate(PRESSED, start=100):
        outcome = step.outcome
        assert isinstance(outcome, Ask), (action, value, outcome)
        if action == "press":
            option = outcome.options[value - 1].id if isinstance(value, int) else str(value)
            pressed = await flow.press(
                sessions, TELEGRAM, "thb24", outcome.step, option, t, update_id=update_id
            )
            assert isinstance(pressed, flow.Answered), (value, pressed)
            step = pressed.step
        else:
            typed = await flow.answer(sessions, TELEGRAM, str(value), t, update_id=update_id)
            assert isinstance(typed, flow.Answered), (value, typed)
            step = typed.step
        names.append(_name(step.outcome))
    return names, step


async def test_typed_and_pressed_walk_the_same_steps_to_the_same_verdict(
    sessions: EligibilitySessions,
) -> None:
    typed_steps, typed_end = await _as_terminal(sessions)
    pressed_steps, pressed_end = await _as_telegram(sessions)
    assert _distinct(typed_steps) == _distinct(pressed_steps) == STEPS
    assert isinstance(typed_end.outcome, Done) and isinstance(pressed_end.outcome, Done)
    typed_verdict, pressed_verdict = typed_end.outcome.verdict, pressed_end.outcome.verdict
    assert typed_verdict.eligibility is Eligibility.ELIGIBLE
    assert typed_verdict == pressed_verdict
    t = translator("en")
    assert render_verdict(typed_verdict, t) == render_verdict(pressed_verdict, t)


async def test_both_resume_where_they_left_off_and_take_a_question_as_an_aside(
    sessions: EligibilitySessions,
) -> None:
    t = translator("en")
    for key in (TERMINAL, TELEGRAM):
        await flow.open_check(sessions, key, "thb24", t)
        await flow.answer(sessions, key, "yes", t)
        resumed = await flow.open_check(sessions, key, "", t)
        assert isinstance(resumed, flow.Resumed) and _name(resumed.step.outcome) == "sector"
        aside = await flow.answer(sessions, key, "what is the funding rate of this call?", t)
        assert isinstance(aside, flow.Aside)
        assert _name(aside.step.outcome) == "invalid:sector"


async def test_a_repeated_telegram_update_answers_once(sessions: EligibilitySessions) -> None:
    t = translator("en")
    await flow.open_check(sessions, TELEGRAM, "thb24", t)
    first = await flow.press(sessions, TELEGRAM, "thb24", "legal", "y", t, update_id=7)
    again = await flow.press(sessions, TELEGRAM, "thb24", "legal", "y", t, update_id=7)
    assert isinstance(first, flow.Answered) and isinstance(again, flow.Answered)
    assert _name(first.step.outcome) == _name(again.step.outcome) == "sector"


async def test_a_button_for_another_check_has_ended(sessions: EligibilitySessions) -> None:
    t = translator("en")
    await flow.open_check(sessions, TELEGRAM, "thb24", t)
    assert isinstance(await flow.press(sessions, TELEGRAM, "fi23", "x", "y", t), flow.Ended)


def test_a_call_is_chosen_by_number_word_or_id(sessions: EligibilitySessions) -> None:
    specs = list(sessions.checks.values())
    assert flow.choose(sessions, "1") is specs[0]
    assert flow.choose(sessions, "two") is specs[1]
    assert flow.choose(sessions, "thb24") is sessions.checks["thb24"]
    assert flow.choose(sessions, "no such call") is None
