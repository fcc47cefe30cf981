"""Every storage protocol in memory, for fast tests: no file, no server, the same contract.

It behaves as the SQL stores do, as tests/test_storage_contract.py holds all three to: rows come
back in the same order, dialogs expire by the same clock, a reminder is claimed once, a vote is
1 or -1, forget_user leaves nothing of the user behind and export_user shows what SQLite shows
(timestamps as fixed-width UTC text). What it cannot do is survive its process: nothing is
written anywhere, so it is for tests, never for the bot.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.schema import SCHEMA_VERSION
from bot.storage.records import (
    AnswerRecord,
    Opening,
    ReminderKey,
    StorageKey,
    StoredDialog,
    Subscriber,
    Subscription,
    UsageStats,
    aware,
    check_vote,
    day_of,
    tally_votes,
    timestamp,
    utc_now,
)


@dataclass(frozen=True)
class _Setting:
    value: str
    updated_at: datetime


@dataclass(frozen=True)
class _Answer:
    record: AnswerRecord
    created_at: datetime
    vote: int | None = None
    voted_at: datetime | None = None


@dataclass(frozen=True)
class _Question:
    user_id: int
    asked_at: datetime
    lang: str
    question: str


def _utc(moment: datetime) -> datetime:
    return aware(moment).astimezone(UTC)


class MemoryStorage(Opening):
    """Settings, dialogs, subscriptions, answers and a user's data, held in dicts."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._open = False
        self._languages: dict[int, _Setting] = {}
        self._timezones: dict[int, _Setting] = {}
        self._dialogs: dict[StorageKey, StoredDialog] = {}
        # Insertion order stands in for SQLite's rowid: a replaced row keeps its place.
        self._subscriptions: dict[tuple[int, str], Subscription] = {}
        self._reminders: dict[ReminderKey, datetime] = {}
        self._answers: dict[str, _Answer] = {}
        self._questions: list[_Question] = []
        self._counts: dict[tuple[str, str], int] = {}

    # --- lifecycle ---

    async def open(self) -> None:
        """Make the store usable (idempotent); what it held before closing is still there."""
        self._open = True

    async def close(self) -> None:
        """Refuse further calls until opened again (idempotent)."""
        self._open = False

    async def schema_version(self) -> int:
        """The schema version the SQL stores would have."""
        self._require_open()
        return SCHEMA_VERSION

    async def flush_counts(self) -> None:
        """Nothing to write: counts are kept as they come."""
        self._require_open()

    def _require_open(self) -> None:
        if not self._open:
            raise RuntimeError("storage is not open; use `async with MemoryStorage()`")

    def _now(self) -> datetime:
        self._require_open()
        return _utc(self._clock())

    # --- user settings ---

    async def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None if they never chose."""
        self._require_open()
        found = self._languages.get(user_id)
        return None if found is None else found.value

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        self._languages[user_id] = _Setting(language, self._now())

    async def get_timezone(self, user_id: int) -> str | None:
        """The IANA time zone the user chose, or None."""
        self._require_open()
        found = self._timezones.get(user_id)
        return None if found is None else found.value

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        """Remember the user's time zone (an IANA name, validated by the caller)."""
        self._timezones[user_id] = _Setting(timezone, self._now())

    # --- dialogs ---

    async def load_dialog(self, key: StorageKey) -> StoredDialog | None:
        """The dialog in progress for this chat and user, if any."""
        self._require_open()
        return self._dialogs.get(key)

    async def save_dialog(
        self, key: StorageKey, check_id: str, state: str, last_update_id: int | None = None
    ) -> None:
        """Store the dialog state (JSON text) and the id of the update that produced it."""
        now = self._now()
        json.loads(state)  # the SQL stores refuse text that is not JSON
        self._dialogs[key] = StoredDialog(check_id, state, now, last_update_id)

    async def delete_dialog(self, key: StorageKey) -> bool:
        """Forget the dialog of this chat and user; True if there was one."""
        self._require_open()
        return self._dialogs.pop(key, None) is not None

    async def expire_dialogs(self, older_than: timedelta) -> int:
        """Delete dialogs untouched for longer than older_than; return how many."""
        cutoff = self._now() - older_than
        old = [key for key, dialog in self._dialogs.items() if dialog.updated_at < cutoff]
        for key in old:
            del self._dialogs[key]
        return len(old)

    # --- subscriptions and reminders ---

    async def subscribe(self, user_id: int, chat_id: int, call_id: str, lang: str) -> bool:
        """Subscribe a user to a call ('*': every call); False if they already were."""
        now = self._now()
        if (user_id, call_id) in self._subscriptions:
            return False
        self._subscriptions[user_id, call_id] = Subscription(user_id, chat_id, call_id, lang, now)
        return True

    async def unsubscribe(self, user_id: int, call_id: str | None = None) -> int:
        """End one subscription of a user, or all of them (call_id None); return how many."""
        self._require_open()
        return self._drop_subscriptions(
            lambda s: s.user_id == user_id and call_id in (None, s.call_id)
        )

    async def drop_call_subscriptions(self, call_id: str) -> int:
        """End every subscription to one call (it left the knowledge); return how many."""
        self._require_open()
        return self._drop_subscriptions(lambda s: s.call_id == call_id)

    def _drop_subscriptions(self, unwanted: Callable[[Subscription], bool]) -> int:
        keys = [key for key, sub in self._subscriptions.items() if unwanted(sub)]
        for key in keys:
            del self._subscriptions[key]
        return len(keys)

    async def subscriptions(self, user_id: int) -> list[Subscription]:
        """A user's subscriptions, oldest first."""
        self._require_open()
        mine = [s for s in self._subscriptions.values() if s.user_id == user_id]
        return sorted(mine, key=lambda s: s.created_at)

    async def subscribers(self, call_ids: Iterable[str] | None = None) -> list[Subscriber]:
        """Every subscription (or those to call_ids) with the user's language and time zone."""
        self._require_open()
        wanted = None if call_ids is None else set(call_ids)
        chosen = [s for s in self._subscriptions.values() if wanted is None or s.call_id in wanted]
        return [
            Subscriber(
                s,
                self._languages[s.user_id].value if s.user_id in self._languages else s.lang,
                self._timezones[s.user_id].value if s.user_id in self._timezones else None,
            )
            for s in sorted(chosen, key=lambda s: (s.user_id, s.created_at))
        ]

    async def reminders_decided(self, deadlines_after: datetime) -> set[ReminderKey]:
        """Reminders already decided on for deadlines after the given instant."""
        self._require_open()
        after = _utc(deadlines_after)
        return {key for key in self._reminders if key.deadline > after}

    async def claim_reminder(self, key: ReminderKey) -> bool:
        """Record a reminder as decided before it is sent; False if it already was."""
        now = self._now()
        key = replace(key, deadline=_utc(key.deadline))
        if key in self._reminders:
            return False
        self._reminders[key] = now
        return True

    async def release_reminder(self, key: ReminderKey) -> None:
        """Forget a claimed reminder that could not be delivered, so a later tick retries it."""
        self._require_open()
        self._reminders.pop(replace(key, deadline=_utc(key.deadline)), None)

    # --- answers, votes and counters ---

    async def record_answer(self, record: AnswerRecord | None, metric: str | None) -> None:
        """Keep an answer for voting and count it under metric for today."""
        now = self._now()
        if metric is not None:
            self._count(now, metric)
        if record is None:
            return
        if record.token in self._answers:
            raise ValueError(f"an answer with token {record.token!r} is already recorded")
        kept = replace(record, question=None, asker=None)  # the answer never holds who asked
        self._answers[record.token] = _Answer(kept, now)
        if record.question is not None and record.asker is not None:
            self._questions.append(_Question(record.asker, now, record.lang, record.question))

    async def count_event(self, metric: str) -> None:
        """Add one to today's count of metric."""
        self._count(self._now(), metric)

    def _count(self, now: datetime, metric: str) -> None:
        key = (day_of(now), metric)
        self._counts[key] = self._counts.get(key, 0) + 1

    async def vote(self, token: str, value: int) -> bool:
        """Set (or change) the vote on an answer: 1 helpful, -1 not; False for unknown tokens."""
        check_vote(value)
        now = self._now()
        answer = self._answers.get(token)
        if answer is None:
            return False
        self._answers[token] = replace(answer, vote=value, voted_at=now)
        return True

    async def answer_state(self, token: str) -> tuple[str, int | None] | None:
        """The language of a recorded answer and its current vote; None for unknown tokens."""
        self._require_open()
        answer = self._answers.get(token)
        return None if answer is None else (answer.record.lang, answer.vote)

    async def usage_stats(self, dialog_ttl: timedelta, recent_days: int = 7) -> UsageStats:
        """Aggregate numbers for /stats: counts, votes per passage, subscribers, active checks."""
        now = self._now()
        since = day_of(now - timedelta(days=recent_days - 1))
        totals: dict[str, int] = {}
        recent: dict[str, int] = {}
        for (day, metric), n in self._counts.items():
            totals[metric] = totals.get(metric, 0) + n
            if day >= since:
                recent[metric] = recent.get(metric, 0) + n
        by_call: dict[str, int] = {}
        for sub in self._subscriptions.values():
            by_call[sub.call_id] = by_call.get(sub.call_id, 0) + 1
        active = now - dialog_ttl
        return UsageStats(
            counts=totals,
            counts_recent=recent,
            recent_days=recent_days,
            votes=tally_votes(
                (a.record.passages, a.record.sources, a.vote)
                for a in self._answers.values()
                if a.vote is not None
            ),
            answers_recorded=len(self._answers),
            subscribers=len({s.user_id for s in self._subscriptions.values()}),
            subscriptions_by_call=dict(sorted(by_call.items())),
            active_checks=sum(d.updated_at >= active for d in self._dialogs.values()),
            reminders_sent=len(self._reminders),
        )

    async def prune(self, answers_older_than: timedelta, deadlines_before: datetime) -> int:
        """Delete unvoted answers (and kept questions) older than the age, past reminders."""
        cutoff = self._now() - answers_older_than
        before = _utc(deadlines_before)
        old = [t for t, a in self._answers.items() if a.vote is None and a.created_at < cutoff]
        for token in old:
            del self._answers[token]
        kept = [q for q in self._questions if q.asked_at >= cutoff]
        passed = [key for key in self._reminders if key.deadline < before]
        for key in passed:
            del self._reminders[key]
        removed = len(old) + len(self._questions) - len(kept) + len(passed)
        self._questions = kept
        return removed

    # --- the user's data (/mydata, /forget) ---

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """{"user_id": id, <table>: [rows], ...}, as the SQLite store shows them."""
        self._require_open()
        return {"user_id": user_id, **{table: rows for table, rows in self._rows_of(user_id)}}

    def _rows_of(self, user_id: int) -> list[tuple[str, list[dict[str, Any]]]]:
        """Each table's rows about the user, with SQLite's column names and text forms."""
        return [
            (
                "dialogs",
                [
                    {
                        "chat_id": key.chat_id,
                        "user_id": key.user_id,
                        "check_id": d.check_id,
                        "state": json.loads(d.state),
                        "updated_at": timestamp(d.updated_at),
                        "last_update_id": d.last_update_id,
                    }
                    for key, d in self._dialogs.items()
                    if key.user_id == user_id
                ],
            ),
            (
                "questions",
                [
                    {
                        "user_id": q.user_id,
                        "asked_at": timestamp(q.asked_at),
                        "lang": q.lang,
                        "question": q.question,
                    }
                    for q in self._questions
                    if q.user_id == user_id
                ],
            ),
            (
                "reminders_sent",
                [
                    {
                        "user_id": key.user_id,
                        "call_id": key.call_id,
                        "deadline": timestamp(key.deadline),
                        "days_before": key.days_before,
                        "sent_at": timestamp(sent_at),
                    }
                    for key, sent_at in self._reminders.items()
                    if key.user_id == user_id
                ],
            ),
            (
                "subscriptions",
                [
                    {
                        "user_id": s.user_id,
                        "chat_id": s.chat_id,
                        "call_id": s.call_id,
                        "lang": s.lang,
                        "created_at": timestamp(s.created_at),
                    }
                    for s in self._subscriptions.values()
                    if s.user_id == user_id
                ],
            ),
            ("user_settings", _setting_rows(self._languages, user_id, "language")),
            ("user_timezones", _setting_rows(self._timezones, user_id, "timezone")),
        ]

    async def forget_user(self, user_id: int) -> int:
        """Delete everything about a user; return how many rows (as the SQL stores count)."""
        self._require_open()
        removed = sum(len(rows) for _, rows in self._rows_of(user_id))
        self._languages.pop(user_id, None)
        self._timezones.pop(user_id, None)
        self._dialogs = {k: d for k, d in self._dialogs.items() if k.user_id != user_id}
        self._drop_subscriptions(lambda s: s.user_id == user_id)
        self._reminders = {k: v for k, v in self._reminders.items() if k.user_id != user_id}
        self._questions = [q for q in self._questions if q.user_id != user_id]
        return removed


def _setting_rows(table: dict[int, _Setting], user_id: int, column: str) -> list[dict[str, Any]]:
    found = table.get(user_id)
    if found is None:
        return []
    return [{"user_id": user_id, column: found.value, "updated_at": timestamp(found.updated_at)}]
