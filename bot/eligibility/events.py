"""What a user does to a check (events) and what the engine answers (outcomes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from bot.eligibility.messages import Message
from bot.eligibility.spec import Option, Question
from bot.eligibility.state import DialogState
from bot.eligibility.verdict import Verdict

# What the package re-exports (bot/eligibility/__init__.py): the events, then the outcomes.
__all__ = ["Back", "Cancel", "Event", "Pressed", "Restart", "Show", "Typed"]
__all__ += ["Ask", "Cancelled", "Done", "Invalid", "Outcome", "Progress", "Stale"]


@dataclass(frozen=True)
class Show:
    """Show the current question again (e.g. when the user resumes a check)."""


@dataclass(frozen=True)
class Typed:
    """A typed message, answering the current question or naming a command."""

    text: str


@dataclass(frozen=True)
class Pressed:
    """A button press; `step` is the step the button was shown for."""

    step: str
    option: str


@dataclass(frozen=True)
class Back:
    """Undo the last answer; `step` is where the Back button was shown (None when typed)."""

    step: str | None = None


@dataclass(frozen=True)
class Restart:
    """Start the check again from the first question."""


@dataclass(frozen=True)
class Cancel:
    """Leave the check; the caller deletes the stored state."""


Event: TypeAlias = Show | Typed | Pressed | Back | Restart | Cancel


@dataclass(frozen=True)
class Progress:
    """'Step n of total': total counts the questions that apply given the branches so far."""

    n: int
    total: int


@dataclass(frozen=True)
class Ask:
    """Ask a question: the step id (buttons carry it), prompt, options and progress."""

    state: DialogState
    check: str
    step: str
    question: Question
    prompt: Message
    options: tuple[Option, ...]
    progress: Progress
    selected: tuple[str, ...] = ()
    notes: tuple[Message, ...] = ()
    # What the previous answer failed, said at once (the verdict repeats it at the end).
    feedback: tuple[Message, ...] = ()
    help: Message | None = None
    show_help: bool = False
    can_finish: bool = False
    at_start: bool = False
    # The answer just given fails a criterion: the user may stop and see the verdict now.
    can_stop: bool = False


@dataclass(frozen=True)
class Invalid:
    """The answer did not fit: ask again with a hint."""

    ask: Ask
    hint: Message

    @property
    def state(self) -> DialogState:
        """The unchanged state."""
        return self.ask.state


@dataclass(frozen=True)
class Done:
    """Every question that applies is answered: here is the verdict."""

    state: DialogState
    verdict: Verdict


@dataclass(frozen=True)
class Stale:
    """A button from an earlier step: nothing changed; `current` is where the check is."""

    current: Ask | Done

    @property
    def state(self) -> DialogState:
        """The unchanged state."""
        return self.current.state


@dataclass(frozen=True)
class Cancelled:
    """The user left the check."""

    state: DialogState


Outcome: TypeAlias = Ask | Invalid | Done | Stale | Cancelled
