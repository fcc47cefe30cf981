"""The one eligibility flow every front end calls: open (resume or begin), choose, answer, press.

Telegram (handlers/eligibility.py) and the terminal (bot/terminal.py) render what these functions
return in their own way; what happens to the user's check is decided here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.eligibility.events import Ask, Back, Cancel, Done, Invalid, Pressed, Show, Stale, Typed
from bot.eligibility.parsing import fold, words_for, written_number
from bot.eligibility.sessions import EligibilitySessions, Step
from bot.eligibility.spec import CheckSpec
from bot.eligibility.state import DialogState
from bot.storage import StorageKey
from i18n import N_, Translator

# "Continue the check" under an answer to a side question: show the current question again.
SHOW = "sh"
# "Full details" under a verdict: the whole verdict, criterion by criterion, with the answers.
FULL = "fd"

Loaded = tuple[CheckSpec, DialogState, int | None]

# What every front end says at the same turns of the flow.
RESUMING = N_("You have a check in progress; here is where you left off.")
WHICH_CALL = N_("Which call do you want to check?")
CANCELLED = N_("The eligibility check is cancelled. Nothing of it is kept.")
NO_CHECK = N_("There is no eligibility check in progress. Send /eligibility to start one.")


@dataclass(frozen=True)
class Resumed:
    """A check in progress, shown again where the user left off."""

    step: Step


@dataclass(frozen=True)
class Begun:
    """A new check, at its first question."""

    step: Step


@dataclass(frozen=True)
class Choose:
    """No call named: the user picks one of these checks (by button, number or name)."""

    checks: tuple[CheckSpec, ...]


@dataclass(frozen=True)
class Answered:
    """A typed answer or a pressed button the check took (or refused with a hint)."""

    step: Step


@dataclass(frozen=True)
class Aside:
    """Not an answer but a question asked in the middle of the check (step is the Invalid)."""

    step: Step


@dataclass(frozen=True)
class Held:
    """A paused check that was given an answer: it is not taken; the question waiting is ask."""

    ask: Ask


@dataclass(frozen=True)
class Detail:
    """The check as it stands, for the full verdict (step.outcome is Done when there is one)."""

    step: Step


@dataclass(frozen=True)
class Ended:
    """A button for a check the user no longer has."""


Opened = Resumed | Begun | Choose
Reply = Answered | Aside | Held | Resumed


def looks_like_question(text: str) -> bool:
    """Whether typed text reads as a question rather than an answer."""
    return ("?" in text and len(text.split()) >= 3) or len(text.split()) > 12


async def open_check(
    sessions: EligibilitySessions,
    key: StorageKey,
    ident: str,
    t: Translator,
    update_id: int | None = None,
) -> Opened:
    """/eligibility [call]: continue the check in progress, start the one named, or offer all.

    The update that began the check, delivered again (a replica died before marking it done),
    gets the same first question it got the first time, not "a check in progress".
    """
    spec = sessions.find_check(ident) if ident else None
    found = await sessions.load(key)
    active = None if found is None else (found[0], found[1])
    if found is not None and update_id is not None and found[2] == update_id:
        step = await sessions.handle(key, Show(), t, update_id, found=found)
        if step is not None:
            return Begun(step)
    if active is not None and (spec is None or spec.id == active[0].id):
        await sessions.resume(key)
        step = await sessions.handle(key, Show(), t)
        if step is not None:
            return Resumed(step)
    if spec is None and len(sessions.checks) == 1:
        spec = next(iter(sessions.checks.values()))
    if spec is None:
        return Choose(tuple(sessions.checks.values()))
    return Begun(await sessions.begin(key, spec.id, update_id))


async def begin(
    sessions: EligibilitySessions, key: StorageKey, spec: CheckSpec, update_id: int | None = None
) -> Begun:
    """Start the chosen check from its first question."""
    return Begun(await sessions.begin(key, spec.id, update_id))


def choose(
    sessions: EligibilitySessions,
    text: str,
    calls: Callable[[str], Iterable[tuple[str, str | None]]] = lambda _: (),
) -> CheckSpec | None:
    """The check a typed list number, call name, reference or check id points to.

    `calls` finds calls by free text as (id, reference) pairs (the knowledge base's search).
    """
    specs = list(sessions.checks.values())
    wanted = text.strip().rstrip(".")
    number = written_number(wanted.casefold()) if not wanted.isdigit() else int(wanted)
    if number is not None and number == int(number) and 1 <= number <= len(specs):
        return specs[int(number) - 1]
    found = sessions.find_check(wanted) if wanted else None
    if found is not None:
        return found
    for call_id, reference in calls(wanted):
        spec = sessions.find_check(reference or call_id) or sessions.find_check(call_id)
        if spec is not None:
            return spec
    return None


async def answer(
    sessions: EligibilitySessions,
    key: StorageKey,
    text: str,
    t: Translator,
    *,
    update_id: int | None = None,
    found: Loaded | None = None,
) -> Reply | None:
    """A typed line as the answer to the current question; None when it is not for the check.

    A paused check (a question was asked in between) takes no answers until it is resumed by a
    word like "continue"; an answer then is Held, and anything else is a question.
    """
    active = found or await sessions.load(key)
    if active is None:
        return None
    if await sessions.is_paused(key):
        return await _while_paused(sessions, key, active, text, t)
    step = await sessions.handle(key, Typed(text), t, update_id, found=active)
    if step is None:
        return None
    if isinstance(step.outcome, Done) and step.outcome.state == active[1]:
        return None  # the check is finished; the text is a new question
    if isinstance(step.outcome, Invalid) and looks_like_question(text):
        return Aside(step)
    return Answered(step)


async def _while_paused(
    sessions: EligibilitySessions, key: StorageKey, active: Loaded, text: str, t: Translator
) -> Reply | None:
    # Typed words that resume a paused check, like its "Continue the check" button.
    if fold(text).strip(" .!") in words_for("resume"):
        await sessions.resume(key)
        step = await sessions.handle(key, Show(), t, found=active)
        return Resumed(step) if step is not None else None
    outcome = sessions.preview(active, Typed(text), t)
    if isinstance(outcome, Invalid | Done | Stale) or looks_like_question(text):
        return None  # not an answer to the step: a question like any other
    current = sessions.preview(active, Show(), t)
    return Held(current) if isinstance(current, Ask) else None


async def press(
    sessions: EligibilitySessions,
    key: StorageKey,
    check: str,
    step_id: str,
    option: str,
    t: Translator,
    *,
    update_id: int | None = None,
) -> Answered | Resumed | Detail | Ended:
    """A button under a question or verdict: the engine decides; stale presses change nothing."""
    active = await sessions.load(key)
    if active is None or active[0].id != check:
        return Ended()
    if option == FULL:
        detail = await sessions.handle(key, Show(), t)
        return Detail(detail) if detail is not None else Ended()
    if option == SHOW:
        await sessions.resume(key)
    event = Show() if option == SHOW else Pressed(step_id, option)
    step = await sessions.handle(key, event, t, update_id, found=active)
    if step is None:
        return Ended()
    return Resumed(step) if option == SHOW else Answered(step)


async def control(
    sessions: EligibilitySessions,
    key: StorageKey,
    event: Back | Cancel,
    t: Translator,
    *,
    update_id: int | None = None,
) -> Step | None:
    """/back or /cancel: undo the last answer, or leave the check; None when there is none."""
    return await sessions.handle(key, event, t, update_id)
