"""Where a user is in a check: an immutable log of answers, stored as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TypeAlias

from bot.eligibility.spec import CheckSpec

STATE_VERSION = 1
# Toggling buttons or adding partners forever must not grow a stored state without bound.
MAX_LOG_ENTRIES = 200


Value: TypeAlias = bool | int | str | tuple[str, ...] | None


@dataclass(frozen=True)
class Entry:
    """One thing the user did: set an answer, add to or toggle a collected answer, or finish it."""

    step: str
    op: str
    value: Value = None


@dataclass(frozen=True)
class DialogState:
    """Where a user is in a check: the log of answers, which is also the history Back undoes."""

    check: str
    log: tuple[Entry, ...] = ()

    def to_json(self) -> str:
        """Serialise for storage."""
        log = [
            [e.step, e.op, list(e.value) if isinstance(e.value, tuple) else e.value]
            for e in self.log
        ]
        return json.dumps(
            {"v": STATE_VERSION, "check": self.check, "log": log},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> DialogState:
        """Read what to_json wrote; raise ValueError on anything else."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            raise ValueError("not a dialog state of this version")
        entries = []
        for item in data.get("log", []):
            step, op, value = item
            if isinstance(value, list):
                value = tuple(str(v) for v in value)
            entries.append(Entry(str(step), str(op), value))
        return cls(str(data["check"]), tuple(entries))

    def back(self) -> DialogState:
        """Undo the last answer; on a multiple choice, its ticks go with the answer before.

        One answer or one added list of countries is undone at a time. Ticking an option again
        undoes a tick, so Back on a multiple choice leaves the question.
        """
        log = list(self.log)
        if log and log[-1].op == "toggle":
            step = log[-1].step
            while log and log[-1].op == "toggle" and log[-1].step == step:
                log.pop()
        return replace(self, log=tuple(log[:-1]))


def start(spec: CheckSpec) -> DialogState:
    """A fresh state for a check."""
    return DialogState(spec.id)
