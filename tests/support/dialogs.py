"""Helpers for the eligibility engine's tests: walking a check step by step, naming what the
user sees, and the answers of one eligible 2024 trafficking application in each language.

Every walk round-trips the state through JSON between steps, as the bot does through storage.
"""

from collections.abc import Sequence
from datetime import datetime

from bot.eligibility import (
    Ask,
    Cancelled,
    CheckSpec,
    DialogState,
    Done,
    Event,
    Invalid,
    Outcome,
    Result,
    Show,
    Stale,
    Typed,
    Verdict,
    next_step,
    render_ask,
    render_invalid,
    render_verdict,
    start,
)
from i18n import translator
from tests.support.clock import FIXED_NOW

NOW = FIXED_NOW
NBSP = ("\u00a0", "\u202f")


def plain(text: str) -> str:
    for space in NBSP:
        text = text.replace(space, " ")
    return text


def label(outcome: Outcome) -> str:
    """How a test names what the user sees next."""
    if isinstance(outcome, Ask):
        return outcome.step
    if isinstance(outcome, Invalid):
        return f"invalid:{outcome.ask.step}"
    if isinstance(outcome, Stale):
        return "stale"
    if isinstance(outcome, Cancelled):
        return "cancelled"
    return "done"


def walk(
    spec: CheckSpec, inputs: Sequence[str | Event], lang: str = "en", now: datetime = NOW
) -> tuple[list[str], Outcome]:
    """Start a check and feed it typed texts or events; return the steps shown and the end."""
    t = translator(lang)
    outcome: Outcome = next_step(spec, start(spec), Show(), now=now, t=t)
    steps = [label(outcome)]
    for item in inputs:
        state = DialogState.from_json(outcome.state.to_json())
        event = Typed(item) if isinstance(item, str) else item
        outcome = next_step(spec, state, event, now=now, t=t)
        steps.append(label(outcome))
        rendered = (
            render_ask(outcome, t)
            if isinstance(outcome, Ask)
            else render_invalid(outcome, t)
            if isinstance(outcome, Invalid)
            else render_verdict(outcome.verdict, t)
            if isinstance(outcome, Done)
            else ""
        )
        assert "{" not in rendered, rendered
    return steps, outcome


def verdict_of(outcome: Outcome) -> Verdict:
    assert isinstance(outcome, Done), outcome
    return outcome.verdict


def results(verdict: Verdict) -> dict[str, Result]:
    return {c.rule: c.result for c in verdict.criteria}


# One eligible application to the 2024 trafficking call, typed in each language.
ELIGIBLE_THB = {
    "en": ["yes", "2", "yes", "Sweden", "Finland and Estonia", "done", "800 000", "24", "1, 3"],
    "sv": [
        "ja",
        "2",
        "ja",
        "Sverige",
        "Finland och Estland",
        "klar",
        "0,8 milj.",
        "24 månader",
        "1 3",
    ],
    "fi": [
        "kyllä",
        "2",
        "joo",
        "Ruotsi",
        "Suomi ja Viro",
        "valmis",
        "800 000 €",
        "24 kk",
        "1 ja 3",
    ],
}
