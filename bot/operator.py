"""Operator tools without a transport: usage statistics, reloading knowledge, the scheduler task.

Reloading builds a new KnowledgeBase and Assistant off the event loop, diffs it against the one
in use and swaps `services.assistant` in one assignment: handlers read the attribute per update,
so updates in flight finish on the old knowledge and the next ones see the new. A knowledge error
keeps the old knowledge. `amif-bot reload` (another process) validates the files and leaves a
request file in the data directory that the bot's scheduler task picks up within a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.assistant import Assistant
from bot.config import Settings
from bot.eligibility import CheckSpec, EligibilitySessions, SpecError, facts_by_file, load_checks
from bot.reminders import (
    O_,
    Outgoing,
    ReminderService,
    SendReport,
    deadline_text,
    user_zone,
)
from bot.storage import ALL_CALLS, Answers, Subscriptions, UsageStats
from bot.stores import Store, open_storage
from i18n import LANGUAGES, Translator, translator
from knowledge.base import KnowledgeBase
from knowledge.errors import KnowledgeError
from knowledge.facts import CallFacts, L10n
from knowledge.shared import CHANNEL, SharedKnowledgeError, pulled_version, shared_knowledge

log = logging.getLogger("amif.operator")

RELOAD_REQUEST = "reload-request"
RELOAD_RESULT = "reload-result.json"
SCHEDULER_INTERVAL_S = 60.0
# With DATABASE_URL, a replica hears of a new knowledge version by NOTIFY at once; it also reads
# the version row this often, because a NOTIFY is lost while the listening connection is down
# (a database restart, a network cut) and never passes a pooler in transaction mode. 30 s plus
# a reload of a few seconds keeps the promise that every replica has it within a minute.
KNOWLEDGE_POLL_INTERVAL_S = 30.0
HOUSEKEEPING_INTERVAL = timedelta(hours=1)
# Unvoted answers are only kept for voting; a month is longer than anyone scrolls back.
ANSWER_RETENTION = timedelta(days=30)
TOP_VOTED = 10

KnowledgeLoader = Callable[[Path], KnowledgeBase]


class KnowledgeServices(Protocol):
    """What reloading needs of the application's services."""

    settings: Settings
    assistant: Assistant
    sessions: EligibilitySessions


# --- diffing and reloading -------------------------------------------------------------------


@dataclass(frozen=True)
class CallChange:
    """A call that appeared, disappeared or whose facts differ after a reload."""

    call_id: str
    change: Literal["added", "removed", "changed"]
    fields: tuple[str, ...]
    before: CallFacts | None
    after: CallFacts | None

    @property
    def title(self) -> L10n:
        """The call's title (the new one when it still exists)."""
        facts = self.after or self.before
        assert facts is not None
        return facts.title


@dataclass(frozen=True)
class DocumentChange:
    """A document that appeared, disappeared or whose passages differ after a reload."""

    doc_id: str
    change: Literal["added", "removed", "changed"]
    passages_before: int
    passages_after: int


@dataclass(frozen=True)
class ReloadReport:
    """What a reload did: counts before and after, what changed, how long it took."""

    ok: bool
    seconds: float
    documents: int
    passages: int
    calls: int
    call_changes: tuple[CallChange, ...] = ()
    document_changes: tuple[DocumentChange, ...] = ()
    error: str | None = None
    notices: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything differs from the knowledge used before."""
        return bool(self.call_changes or self.document_changes)

    def to_json(self) -> dict[str, Any]:
        """A JSON shape for the result file `amif-bot reload --wait` prints."""
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "documents": self.documents,
            "passages": self.passages,
            "calls": self.calls,
            "call_changes": [
                {"id": c.call_id, "change": c.change, "fields": list(c.fields)}
                for c in self.call_changes
            ],
            "document_changes": [
                {
                    "id": d.doc_id,
                    "change": d.change,
                    "passages_before": d.passages_before,
                    "passages_after": d.passages_after,
                }
                for d in self.document_changes
            ],
            "error": self.error,
            "notices": self.notices,
        }


_IGNORED_FIELDS = frozenset({"path"})


def changed_fields(before: CallFacts, after: CallFacts) -> tuple[str, ...]:
    """The names of the facts that differ between two versions of a call."""
    return tuple(
        f.name
        for f in dataclasses.fields(CallFacts)
        if f.name not in _IGNORED_FIELDS and getattr(before, f.name) != getattr(after, f.name)
    )


def diff_knowledge(
    before: KnowledgeBase, after: KnowledgeBase
) -> tuple[tuple[CallChange, ...], tuple[DocumentChange, ...]]:
    """Calls and documents added, removed or changed between two knowledge bases."""
    old_calls = {c.id: c for c in before.calls}
    new_calls = {c.id: c for c in after.calls}
    calls: list[CallChange] = []
    for call_id in sorted(old_calls.keys() | new_calls.keys()):
        old, new = old_calls.get(call_id), new_calls.get(call_id)
        if old is None:
            calls.append(CallChange(call_id, "added", (), None, new))
        elif new is None:
            calls.append(CallChange(call_id, "removed", (), old, None))
        elif old != new:
            calls.append(CallChange(call_id, "changed", changed_fields(old, new), old, new))
    old_docs = {d.source.id: d for d in before.documents}
    new_docs = {d.source.id: d for d in after.documents}
    docs: list[DocumentChange] = []
    for doc_id in sorted(old_docs.keys() | new_docs.keys()):
        od, nd = old_docs.get(doc_id), new_docs.get(doc_id)
        count_before = len(od.passages) if od else 0
        count_after = len(nd.passages) if nd else 0
        if od is None:
            docs.append(DocumentChange(doc_id, "added", 0, count_after))
        elif nd is None:
            docs.append(DocumentChange(doc_id, "removed", count_before, 0))
        elif _passages(od.passages) != _passages(nd.passages) or od.source != nd.source:
            docs.append(DocumentChange(doc_id, "changed", count_before, count_after))
    return tuple(calls), tuple(docs)


def _passages(passages: Sequence[Any]) -> list[tuple[str, str]]:
    return [(p.id, p.text) for p in passages]


def default_loader(data_dir: Path) -> KnowledgeBase:
    """The shipped knowledge plus documents ingested into the data directory."""
    return KnowledgeBase.load(data_dir)


def _build(
    loader: KnowledgeLoader, data_dir: Path, template: Assistant
) -> tuple[Assistant, dict[str, CheckSpec]]:
    assistant = Assistant(loader(data_dir), template.clock)
    try:
        # The checks read the calls' facts: built again from the new knowledge, or the
        # verdicts would go on quoting the old deadline and rate.
        checks = load_checks(facts=facts_by_file(assistant.kb.calls))
    except SpecError as exc:
        raise KnowledgeError(f"an eligibility check no longer loads: {exc}") from None
    return assistant, checks


async def reload_knowledge(
    services: KnowledgeServices, loader: KnowledgeLoader = default_loader
) -> ReloadReport:
    """Rebuild the knowledge and swap it in atomically; on a knowledge error keep the old one."""
    old = services.assistant
    started = time.perf_counter()
    try:
        # A worker thread keeps the event loop answering users meanwhile. Sharing the cached
        # analyzers with it is safe: PyStemmer never releases the GIL inside a stem call.
        new, checks = await asyncio.to_thread(_build, loader, services.settings.data_dir, old)
    except KnowledgeError as exc:
        seconds = time.perf_counter() - started
        log.error("reload failed, keeping the knowledge in use: %s", exc)
        return ReloadReport(
            False,
            seconds,
            len(old.kb.documents),
            old.kb.passage_count,
            len(old.kb.calls),
            error=str(exc),
        )
    call_changes, doc_changes = diff_knowledge(old.kb, new.kb)
    services.assistant = new  # the one atomic step: later updates see the new knowledge
    services.sessions.checks = checks
    seconds = time.perf_counter() - started
    log.info(
        "knowledge reloaded in %.2f s: %d calls and %d documents changed",
        seconds,
        len(call_changes),
        len(doc_changes),
    )
    return ReloadReport(
        True,
        seconds,
        len(new.kb.documents),
        new.kb.passage_count,
        len(new.kb.calls),
        call_changes,
        doc_changes,
    )


# --- notices to subscribers about changed calls ----------------------------------------------

NOTICE_CHANGED = O_("ℹ️ The facts of {call} have been updated.")
NOTICE_NEW_DEADLINE = O_("New deadline: {deadline}.")
NOTICE_ADDED = O_("ℹ️ A new call is in my knowledge: {call}.")
NOTICE_DEADLINE = O_("Deadline: {deadline}.")
NOTICE_REMOVED = O_(
    "ℹ️ {call} is no longer among the calls I know about, so your subscription to it has ended."
)
NOTICE_SHOW = O_("/call {ref} shows the current facts.")


def change_notice(change: CallChange, t: Translator, zone_name: str | None) -> str:
    """The message a subscriber gets about one changed, added or removed call."""
    name = change.title.get(t.lang)
    zone = user_zone(t.lang, zone_name)
    if change.change == "removed":
        return t.gettext(NOTICE_REMOVED).format(call=name)
    facts = change.after
    assert facts is not None
    head = NOTICE_ADDED if change.change == "added" else NOTICE_CHANGED
    lines = [t.gettext(head).format(call=name)]
    deadline = deadline_text(facts, t, zone)
    if deadline and (change.change == "added" or "deadline" in change.fields):
        template = NOTICE_DEADLINE if change.change == "added" else NOTICE_NEW_DEADLINE
        lines.append(t.gettext(template).format(deadline=deadline))
    lines.append(t.gettext(NOTICE_SHOW).format(ref=facts.reference or facts.id))
    return "\n".join(lines)


async def change_notices(store: Subscriptions, report: ReloadReport) -> list[Outgoing]:
    """One notice per subscriber and changed call: named subscriptions, and '*' for every one."""
    changes = [c for c in report.call_changes if _is_call(c)]
    if not changes:
        return []
    subscribers = await store.subscribers([ALL_CALLS, *(c.call_id for c in changes)])
    notices: list[Outgoing] = []
    for change in changes:
        seen: set[int] = set()
        for sub in subscribers:
            s = sub.subscription
            wanted = s.call_id == change.call_id or (
                s.call_id == ALL_CALLS and change.change != "removed"
            )
            if not wanted or s.user_id in seen:
                continue
            seen.add(s.user_id)
            text = change_notice(change, translator(sub.lang), sub.timezone)
            notices.append(Outgoing(s.user_id, s.chat_id, text))
        if change.change == "removed":
            await store.drop_call_subscriptions(change.call_id)
    return notices


def _is_call(change: CallChange) -> bool:
    facts = change.after or change.before
    return facts is not None and facts.kind == "call"


# --- texts for operators ---------------------------------------------------------------------

RELOAD_OK = O_(
    "Knowledge reloaded in {seconds} s: {documents} documents, {passages} passages, {calls} calls."
)
RELOAD_FAILED = O_("The reload failed, so the knowledge in use stays as it was: {error}")
RELOAD_NO_CHANGES = O_("Nothing changed.")
RELOAD_CALL_LINE = O_("Call {id}: {change}")
RELOAD_DOC_LINE = O_("Document {id}: {change} ({before} → {after} passages)")
RELOAD_NOTICES = O_("Subscribers being told about changed calls: {n}.")
CHANGE_WORDS = {
    "added": O_("added"),
    "removed": O_("removed"),
    "changed": O_("changed"),
}
STATS_TITLE = O_("Usage (aggregate numbers, no personal data)")
STATS_ANSWERED = O_("Questions answered: {total} (last {days} days: {recent})")
STATS_DECLINED = O_("Questions declined: {total} (last {days} days: {recent})")
STATS_INLINE = O_("Inline queries answered: {total} (last {days} days: {recent})")
STATS_DROPPED = O_(
    "Replies given up after a long Bot API outage: {total} (last {days} days: {recent})"
)
STATS_FEEDBACK = O_("Feedback: {up} 👍 and {down} 👎 on {answers} recorded answers")
STATS_VOTES_HEAD = O_("Votes by passage (or source, for answers from structured facts):")
STATS_SUBSCRIBERS = O_("Subscribers: {n}")
STATS_SUBSCRIPTION_LINE = O_("{call}: {n}")
STATS_ALL_CALLS = O_("all calls")
STATS_REMINDERS = O_("Reminders sent: {n}")
STATS_CHECKS = O_("Eligibility checks in progress: {n}")


def _number(t: Translator, value: float) -> str:
    return t.format_number(value)


def reload_text(report: ReloadReport, t: Translator) -> str:
    """The reload report as an operator reads it."""
    if not report.ok:
        return t.gettext(RELOAD_FAILED).format(error=report.error or "?")
    lines = [
        t.gettext(RELOAD_OK).format(
            seconds=t.format_number(round(report.seconds, 2)),
            documents=_number(t, report.documents),
            passages=_number(t, report.passages),
            calls=_number(t, report.calls),
        )
    ]
    if not report.changed:
        lines.append(t.gettext(RELOAD_NO_CHANGES))
    for c in report.call_changes:
        change = t.gettext(CHANGE_WORDS[c.change])
        if c.fields:
            change += " (" + ", ".join(c.fields) + ")"
        lines.append("• " + t.gettext(RELOAD_CALL_LINE).format(id=c.call_id, change=change))
    for d in report.document_changes:
        lines.append(
            "• "
            + t.gettext(RELOAD_DOC_LINE).format(
                id=d.doc_id,
                change=t.gettext(CHANGE_WORDS[d.change]),
                before=_number(t, d.passages_before),
                after=_number(t, d.passages_after),
            )
        )
    if report.notices:
        lines.append(t.gettext(RELOAD_NOTICES).format(n=_number(t, report.notices)))
    return "\n".join(lines)


def stats_text(stats: UsageStats, t: Translator) -> str:
    """The usage numbers as an operator reads them (aggregates only)."""
    days = _number(t, stats.recent_days)

    def pair(metric: str) -> dict[str, str]:
        return {
            "total": _number(t, stats.counts.get(metric, 0)),
            "recent": _number(t, stats.counts_recent.get(metric, 0)),
            "days": days,
        }

    up = sum(v.up for v in stats.votes)
    down = sum(v.down for v in stats.votes)
    lines = [
        "📊 " + t.gettext(STATS_TITLE),
        t.gettext(STATS_ANSWERED).format(**pair("answered")),
        t.gettext(STATS_DECLINED).format(**pair("declined")),
        t.gettext(STATS_INLINE).format(**pair("inline")),
        t.gettext(STATS_DROPPED).format(**pair("reply_dropped")),
        t.gettext(STATS_FEEDBACK).format(
            up=_number(t, up), down=_number(t, down), answers=_number(t, stats.answers_recorded)
        ),
    ]
    if stats.votes:
        lines.append(t.gettext(STATS_VOTES_HEAD))
        lines.extend(
            f"• {v.item}: {_number(t, v.up)} 👍 / {_number(t, v.down)} 👎"
            for v in stats.votes[:TOP_VOTED]
        )
    lines.append(t.gettext(STATS_SUBSCRIBERS).format(n=_number(t, stats.subscribers)))
    lines.extend(
        "• "
        + t.gettext(STATS_SUBSCRIPTION_LINE).format(
            call=t.gettext(STATS_ALL_CALLS) if call_id == ALL_CALLS else call_id,
            n=_number(t, n),
        )
        for call_id, n in stats.subscriptions_by_call.items()
    )
    lines.append(t.gettext(STATS_REMINDERS).format(n=_number(t, stats.reminders_sent)))
    lines.append(t.gettext(STATS_CHECKS).format(n=_number(t, stats.active_checks)))
    return "\n".join(lines)


async def collect_stats(store: Answers, settings: Settings) -> UsageStats:
    """The numbers /stats and `amif-bot stats` show."""
    return await store.usage_stats(timedelta(hours=settings.dialog_ttl_hours))


# --- reload requests from another process ----------------------------------------------------


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def request_reload(data_dir: Path) -> str:
    """Leave a reload request for the running bot; return its id."""
    request_id = secrets.token_hex(8)
    payload = {"id": request_id, "requested_at": datetime.now(UTC).isoformat()}
    _write_atomically(data_dir / RELOAD_REQUEST, json.dumps(payload))
    return request_id


def take_reload_request(data_dir: Path) -> str | None:
    """The id of a pending reload request, removing it; None when there is none."""
    path = data_dir / RELOAD_REQUEST
    try:
        text = path.read_text(encoding="utf-8")
        path.unlink()
    except FileNotFoundError:
        return None
    try:
        return str(json.loads(text)["id"])
    except (ValueError, KeyError, TypeError):
        return "unnamed"


def write_reload_result(data_dir: Path, request_id: str, report: ReloadReport) -> None:
    """Leave the report of a requested reload where `amif-bot reload --wait` looks."""
    payload = {"id": request_id, "report": report.to_json()}
    _write_atomically(data_dir / RELOAD_RESULT, json.dumps(payload, ensure_ascii=False))


def read_reload_result(data_dir: Path, request_id: str) -> dict[str, Any] | None:
    """The bot's report for that request, once it has written one."""
    try:
        payload = json.loads((data_dir / RELOAD_RESULT).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("id") != request_id:
        return None
    report = payload.get("report")
    return report if isinstance(report, dict) else None


# --- the running bot's side ------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OperatorFeatures:
    """Reminders, reloads and housekeeping of a running bot, driven by one asyncio task."""

    def __init__(
        self,
        services: KnowledgeServices,
        store: Store,
        reminders: ReminderService,
        *,
        loader: KnowledgeLoader = default_loader,
        interval: float = SCHEDULER_INTERVAL_S,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.services = services
        self.store = store
        self.reminders = reminders
        self.loader = loader
        self.interval = interval
        self.clock = clock
        self._reload_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[SendReport]] = set()
        self._last_housekeeping: datetime | None = None
        self.ticks = 0
        # Called after a reload that changed the knowledge: how the other worker processes of
        # the bot hear of it (bot/workers.py); None in a single-process bot.
        self.on_reloaded: Callable[[], None] | None = None
        # With DATABASE_URL the knowledge is shared (knowledge/shared.py): this replica follows
        # the database's version, which it last pulled into its data directory.
        self.shared = shared_knowledge(services.settings.database_url)
        self.applied_version = pulled_version(services.settings.data_dir) if self.shared else 0
        self.poll_interval = KNOWLEDGE_POLL_INTERVAL_S
        self._watch: asyncio.Task[None] | None = None

    async def reload(self) -> ReloadReport:
        """Reload the knowledge (one reload at a time) and start telling affected subscribers.

        With shared knowledge it is a reload request for every replica: the version is bumped,
        and this replica follows it at once.
        """
        if self.shared is not None:
            return await self._reload_shared()
        async with self._reload_lock:
            report = await reload_knowledge(self.services, self.loader)
            if not report.ok or not report.changed:
                return report
            if self.on_reloaded is not None:
                self.on_reloaded()
            notices = await change_notices(self.store, report)
        return self._send_notices(report, notices)

    def _send_notices(self, report: ReloadReport, notices: list[Outgoing]) -> ReloadReport:
        if notices:
            task = asyncio.get_running_loop().create_task(self.reminders.send_all(notices))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return dataclasses.replace(report, notices=len(notices))

    async def _reload_shared(self) -> ReloadReport:
        assert self.shared is not None
        try:
            await asyncio.to_thread(self.shared.request_reload)
            report = await self.follow_shared()
        except SharedKnowledgeError as exc:
            kb = self.services.assistant.kb
            return ReloadReport(
                False, 0.0, len(kb.documents), kb.passage_count, len(kb.calls), error=str(exc)
            )
        if report is None:  # another round got there first: nothing left to do
            return await self.follow_reload()
        return report

    async def follow_shared(self) -> ReloadReport | None:
        """Pull and swap in the database's knowledge if its version is not the one we have.

        One replica claims each version's subscriber notices (and leaves its report for
        `amif-bot reload --wait`); the others reload without telling anyone again.
        """
        shared = self.shared
        assert shared is not None
        data_dir = self.services.settings.data_dir
        async with self._reload_lock:
            current = await asyncio.to_thread(shared.version)
            # Any other version, a lower one too: a database restored from a backup.
            if current.version == self.applied_version:
                return None
            pulled = await asyncio.to_thread(shared.pull, data_dir)
            report = await reload_knowledge(self.services, self.loader)
            self.applied_version = pulled.version
            claimed = await asyncio.to_thread(shared.claim_notices, pulled.version)
            notices: list[Outgoing] = []
            if report.ok and report.changed:
                if self.on_reloaded is not None:
                    self.on_reloaded()
                if claimed:
                    notices = await change_notices(self.store, report)
            report = self._send_notices(report, notices)
            log.info(
                "knowledge version %d followed (%d files written, %d removed, index %s)",
                pulled.version,
                pulled.written,
                pulled.removed,
                "restored from the database" if pulled.index_restored else "built here or current",
            )
            if claimed:
                await asyncio.to_thread(shared.write_report, pulled.version, report.to_json())
        await self._publish_index()
        return report

    async def _publish_index(self) -> None:
        """Keep the index this replica built in the database, for replicas that start later."""
        if self.shared is None:
            return
        try:
            await asyncio.to_thread(self.shared.publish_index, self.services.settings.data_dir)
        except (SharedKnowledgeError, OSError) as exc:
            log.warning("could not keep the built index in the database: %s", exc)

    async def watch_shared(self) -> None:
        """Follow the database's knowledge version: at once on NOTIFY, else every poll."""
        import psycopg

        assert self.shared is not None
        await self._publish_index()  # built at start-up if the database had no copy
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.shared.url, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    while True:
                        await self._follow_logged()
                        async for _notice in conn.notifies(
                            timeout=self.poll_interval, stop_after=1
                        ):
                            pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # psycopg.Error, OSError: the version row is still polled
                log.warning("listening for knowledge versions failed: %s", type(exc).__name__)
                await self._follow_logged()
                await asyncio.sleep(self.poll_interval)

    async def _follow_logged(self) -> None:
        try:
            await self.follow_shared()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("following the shared knowledge failed: %s", exc)

    async def follow_reload(self) -> ReloadReport:
        """Reload because another worker process did: the same knowledge, no notices again."""
        async with self._reload_lock:
            return await reload_knowledge(self.services, self.loader)

    async def idle(self) -> None:
        """Wait until notices being sent in the background are out."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def tick(self) -> SendReport:
        """One round of the scheduler: a requested reload, due reminders, housekeeping."""
        data_dir = self.services.settings.data_dir
        request_id = take_reload_request(data_dir)
        if request_id is not None:
            report = await self.reload()
            write_reload_result(data_dir, request_id, report)
        sent = await self.reminders.tick()
        now = self.clock()
        if (
            self._last_housekeeping is None
            or now - self._last_housekeeping >= HOUSEKEEPING_INTERVAL
        ):
            self._last_housekeeping = now
            # A reminder record is only needed until its deadline has passed.
            await self.store.prune(ANSWER_RETENTION, deadlines_before=now - timedelta(days=1))
        self.ticks += 1
        return sent

    async def run_forever(self) -> None:
        """Tick at once (reminders due while the bot was down) and then every interval."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("scheduler round failed: %s", type(exc).__name__, exc_info=exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    def wake(self) -> None:
        """Run the next scheduler round now (after a subscription, say)."""
        self._wake.set()

    def start(self) -> None:
        """Start the scheduler task (from the application's post_init), and the version watch."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run_forever())
        self.start_watch()

    def start_watch(self) -> None:
        """With shared knowledge, start following its version: on every replica, leader or not."""
        if self.shared is not None and (self._watch is None or self._watch.done()):
            self._watch = asyncio.get_running_loop().create_task(self.watch_shared())

    async def stop(self) -> None:
        """Stop the scheduler task and background sends (from post_shutdown)."""
        task, self._task = self._task, None
        watch, self._watch = self._watch, None
        pending = [t for t in (task, watch, *self._background) if t is not None]
        for item in pending:
            item.cancel()
        for item in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await item
        # Whatever path a claimed reminder took, it is sent before the Bot API is closed.
        await self.reminders.drain()


# --- command line: `amif-bot stats` and `amif-bot reload` ------------------------------------


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Print the aggregate usage numbers from the bot's database."""
    path = settings.database_path
    if not settings.database_url and not path.exists():
        print(
            f"error: no database at {path} (has the bot run with this data directory?)",
            file=sys.stderr,
        )
        return 1

    async def read() -> UsageStats:
        async with open_storage(settings) as store:
            return await collect_stats(store, settings)

    try:
        stats = asyncio.run(read())
    except ConnectionError as exc:  # a PostgreSQL that does not answer
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(stats_text(stats, translator(getattr(args, "lang", None))))
    return 0


def cmd_reload(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the knowledge files, then ask the running bot to reload them."""
    if settings.database_url:  # every replica, through the database's knowledge version
        from bot.knowledge_cli import cmd_reload_shared

        return cmd_reload_shared(args, settings)
    started = time.perf_counter()
    try:
        kb = KnowledgeBase.load(settings.data_dir)
        Assistant(kb)
    except KnowledgeError as exc:
        print(
            f"error: the knowledge does not load; the bot keeps what it has: {exc}",
            file=sys.stderr,
        )
        return 1
    seconds = time.perf_counter() - started
    print(
        f"knowledge valid: {len(kb.documents)} documents, {kb.passage_count} passages, "
        f"{len(kb.calls)} calls (built in {seconds:.2f} s)"
    )
    request_id = request_reload(settings.data_dir)
    wait = float(getattr(args, "wait", 0) or 0)
    if wait <= 0:
        print(
            f"reload requested ({settings.data_dir / RELOAD_REQUEST}); a running bot picks it up "
            f"within {SCHEDULER_INTERVAL_S:.0f} s and tells subscribers of changed calls"
        )
        return 0
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        result = read_reload_result(settings.data_dir, request_id)
        if result is not None:
            print(json.dumps(result, ensure_ascii=False, indent=1))
            return 0 if result.get("ok") else 1
        time.sleep(0.5)
    print(f"error: no bot answered the reload request within {wait:.0f} s", file=sys.stderr)
    return 1


def add_operator_commands(sub: Any) -> None:
    """Add `stats` and `reload` to amif-bot's subcommands (argparse subparsers)."""
    stats = sub.add_parser("stats", help="aggregate usage numbers from the bot's database")
    stats.add_argument("--lang", choices=LANGUAGES.codes, help="language of the labels")
    stats.set_defaults(func=cmd_stats)
    reload = sub.add_parser(
        "reload", help="validate the knowledge and ask the running bot to reload it"
    )
    reload.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS for the bot's report of what changed",
    )
    reload.set_defaults(func=cmd_reload)
