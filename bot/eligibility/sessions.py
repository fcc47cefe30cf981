"""Eligibility sessions: the pure dialog engine plus stored state, shared by every front end.

Each step is committed to storage before its outcome is returned, so the reply the caller sends
next always describes a state that survives a crash or restart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.eligibility.engine import (
    Cancel,
    Cancelled,
    CheckSpec,
    DialogState,
    Event,
    Invalid,
    Outcome,
    Show,
    Stale,
    next_step,
    start,
)
from bot.storage import Dialogs, StorageKey
from i18n import Translator

DEFAULT_TTL = timedelta(hours=72)


@dataclass(frozen=True)
class Step:
    """An outcome of the engine together with the check it belongs to."""

    spec: CheckSpec
    outcome: Outcome


def _now() -> datetime:
    return datetime.now(UTC)


class EligibilitySessions:
    """Starts, continues and ends users' checks; state lives in the store."""

    def __init__(
        self,
        checks: dict[str, CheckSpec],
        store: Dialogs,
        clock: Callable[[], datetime] = _now,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self.checks = checks
        self.store = store
        self.clock = clock
        self.ttl = ttl

    def find_check(self, ident: str) -> CheckSpec | None:
        """A check by its id or by the id/reference of the call it is for."""
        key = ident.strip().casefold()
        for spec in self.checks.values():
            if key in (spec.id.casefold(), spec.call.casefold()):
                return spec
        return None

    async def begin(self, key: StorageKey, check_id: str, update_id: int | None = None) -> Step:
        """Start a check from its first question (replacing any check in progress).

        update_id, the update that asked for it, is kept as the last one applied: delivered
        again, it shows the first question again instead of "a check in progress" (open_check).
        """
        spec = self.checks[check_id]
        state = start(spec)
        outcome = next_step(spec, state, Show(), now=self.clock())
        await self.store.save_dialog(key, spec.id, outcome.state.to_json(), update_id)
        return Step(spec, outcome)

    async def active(self, key: StorageKey) -> tuple[CheckSpec, DialogState] | None:
        """The user's stored check, if any (an unreadable or retired one is dropped)."""
        found = await self._load(key)
        return None if found is None else (found[0], found[1])

    async def load(self, key: StorageKey) -> tuple[CheckSpec, DialogState, int | None] | None:
        """The stored check with the id of the last update applied (see handle)."""
        return await self._load(key)

    async def _load(self, key: StorageKey) -> tuple[CheckSpec, DialogState, int | None] | None:
        stored = await self.store.load_dialog(key)
        if stored is None:
            return None
        if self.clock() - stored.updated_at > self.ttl:
            # Abandoned: the privacy promise is that unfinished checks do not linger.
            await self.store.delete_dialog(key)
            return None
        spec = self.checks.get(stored.check_id)
        try:
            state = DialogState.from_json(stored.state) if spec else None
        except (ValueError, TypeError, KeyError):
            state = None
        if spec is None or state is None or state.check != spec.id:
            await self.store.delete_dialog(key)
            return None
        return spec, state, stored.last_update_id

    async def handle(
        self,
        key: StorageKey,
        event: Event,
        t: Translator | None = None,
        update_id: int | None = None,
        found: tuple[CheckSpec, DialogState, int | None] | None = None,
    ) -> Step | None:
        """Apply one event to the user's check and commit the result; None when there is none.

        Telegram delivers an update again when the bot died before confirming it; the stored
        id of the last update applied makes such a repeat show the current step instead of
        answering twice ("Finland" must not become a partner too).
        """
        found = found or await self._load(key)
        if found is None:
            return None
        spec, state, last = found
        if update_id is not None and last is not None and update_id <= last:
            return Step(spec, next_step(spec, state, Show(), now=self.clock(), t=t))
        outcome = next_step(spec, state, event, now=self.clock(), t=t)
        if isinstance(outcome, Cancelled):
            await self.store.delete_dialog(key)
        elif not isinstance(outcome, Stale | Invalid) and outcome.state != state:
            await self.store.save_dialog(key, spec.id, outcome.state.to_json(), update_id)
        return Step(spec, outcome)

    def preview(
        self,
        found: tuple[CheckSpec, DialogState, int | None],
        event: Event,
        t: Translator | None = None,
    ) -> Outcome:
        """What the event would do to a loaded check, without applying or storing it."""
        spec, state, _ = found
        return next_step(spec, state, event, now=self.clock(), t=t)

    async def pause(self, key: StorageKey) -> None:
        """Mark the user's check as paused: typed text is not taken as an answer until resumed."""
        await self._set_paused(key, True)

    async def resume(self, key: StorageKey) -> None:
        """Take typed answers again."""
        await self._set_paused(key, False)

    async def is_paused(self, key: StorageKey) -> bool:
        """Whether the user paused their check with a question and has not resumed it."""
        stored = await self.store.load_dialog(key)
        return stored is not None and _paused(stored.state)

    async def _set_paused(self, key: StorageKey, paused: bool) -> None:
        stored = await self.store.load_dialog(key)
        if stored is None or _paused(stored.state) == paused:
            return
        data = json.loads(stored.state)
        if paused:
            data["p"] = 1
        else:
            data.pop("p", None)
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        await self.store.save_dialog(key, stored.check_id, raw, stored.last_update_id)

    async def expire(self) -> int:
        """Delete every check untouched for longer than the time to live; how many."""
        return await self.store.expire_dialogs(self.ttl)

    async def cancel(self, key: StorageKey) -> bool:
        """End the user's check; whether there was one."""
        found = await self.active(key)
        if found is None:
            return False
        spec, state = found
        next_step(spec, state, Cancel(), now=self.clock())
        return await self.store.delete_dialog(key)


def _paused(raw: str) -> bool:
    try:
        return bool(json.loads(raw).get("p"))
    except (ValueError, AttributeError):
        return False
