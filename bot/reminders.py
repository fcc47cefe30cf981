"""Deadline reminders and change notices: who is due what, and sending it within Telegram's limits.

Transport-free: the Telegram side comes in as a `Deliver` callable that reports how a send went.
Which reminders are due is a pure function of the subscriptions, the calls' deadlines, the
reminders already decided on and the clock, so the schedule needs no state of its own: it is
rebuilt from SQLite on every tick, at start-up too (PTB's JobQueue keeps no jobs across restarts).

A reminder is recorded in `reminders_sent` and committed before it is sent, so a crash or restart
can never send it twice; a send that fails in a way that certainly did not deliver it (flood
control, the network) releases the record so a later tick tries again.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.core import get_global

from bot.eligibility.parsing import Rejected, parse_country, strip_accents
from bot.storage import ALL_CALLS, ReminderKey, Subscriber, Subscriptions
from i18n import LANGUAGES, Translator, normalize_language, translator
from knowledge.facts import CallFacts

log = logging.getLogger("amif.reminders")


def O_(message: str) -> str:
    """Mark a message of the operator.po domain (kept apart from messages.po's extraction)."""
    return message


# Days before a deadline at which subscribers hear from us, most distant first.
REMINDER_DAYS: tuple[int, ...] = (30, 14, 7, 1)
ZONE_CHOICES: tuple[str, ...] = ("Europe/Helsinki", "Europe/Stockholm", "Europe/Brussels", "UTC")
ZONE_LABELS: dict[str, str] = {
    "Europe/Helsinki": O_("Helsinki time"),
    "Europe/Stockholm": O_("Stockholm time"),
    "Europe/Brussels": O_("Brussels time"),
    "UTC": O_("UTC"),
}
# Telegram allows about 30 messages a second overall and one a second per chat; staying a
# little under leaves room for the replies users are getting at the same time.
DEFAULT_RATE_PER_SECOND = 25.0
DEFAULT_CHAT_INTERVAL_S = 1.0
MAX_ATTEMPTS = 3
SEND_WORKERS = 8

REMINDER_TIMED = O_("⏰ {call} closes {countdown}, on {date} at {time} ({zone}).")
REMINDER_END_OF_DAY = O_("⏰ {call} closes {countdown}, at the end of {date} ({zone}).")
REMINDER_FOOTER = O_("/call {ref} shows its key facts; /unsubscribe stops these reminders.")
DEADLINE_TIMED = O_("{date} at {time} ({zone})")
DEADLINE_END_OF_DAY = O_("the end of {date} ({zone})")


def parse_zone(name: str) -> ZoneInfo | None:
    """The IANA zone of that name, or None when there is no such zone."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 64 or ".." in cleaned or cleaned.startswith("/"):
        return None
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# Spellings people use that neither the zone ids nor CLDR's city names have.
PLACE_ALIASES: dict[str, str] = {
    "brysseli": "Europe/Brussels",
    "bruxelles": "Europe/Brussels",
    "brussel": "Europe/Brussels",
    "bryssel": "Europe/Brussels",
    "abo": "Europe/Helsinki",
    "turku": "Europe/Helsinki",
    "tampere": "Europe/Helsinki",
    "tammerfors": "Europe/Helsinki",
    "oulu": "Europe/Helsinki",
    "vaasa": "Europe/Helsinki",
    "vasa": "Europe/Helsinki",
    "espoo": "Europe/Helsinki",
    "esbo": "Europe/Helsinki",
    "goteborg": "Europe/Stockholm",
    "gothenburg": "Europe/Stockholm",
    "malmo": "Europe/Stockholm",
    "uppsala": "Europe/Stockholm",
    "gmt": "UTC",
    "utc": "UTC",
}


def _place_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("_", " ").strip(" .!")
    return " ".join(strip_accents(folded).split())


@cache
def _zones_by_place() -> dict[str, str]:
    """City names of every IANA zone, from the zone ids and CLDR in English, Swedish, Finnish.

    "Helsingfors", "Tukholma", "Bryssel" and "Brysseli" come from CLDR's exemplar cities.
    """
    places: dict[str, str] = dict(PLACE_ALIASES)
    for key in sorted(available_timezones()):
        if "/" in key and not key.startswith(("Etc/", "SystemV/", "US/")):
            places.setdefault(_place_key(key.rsplit("/", 1)[1]), key)
    for lang in LANGUAGES:
        for key, names in Locale.parse(lang).time_zones.items():
            city = names.get("city") if names else None
            if isinstance(city, str) and key in places.values():
                places.setdefault(_place_key(city), key)
    return places


def find_zone(text: str) -> ZoneInfo | None:
    """A zone by IANA name, city or country in English, Swedish or Finnish ('Helsingfors').

    A country with several zones gets its first zone in Europe (CLDR lists the main one first:
    Europe/Berlin before Europe/Busingen); one with none there (the USA) is too vague.
    """
    zone = parse_zone(text)
    if zone is None and text.strip() and "/" in text:
        wanted = text.strip().casefold()
        key = next((k for k in available_timezones() if k.casefold() == wanted), None)
        zone = parse_zone(key) if key else None
    if zone is not None:
        return zone
    key = _zones_by_place().get(_place_key(text))
    if key is not None:
        return parse_zone(key)
    country = parse_country(text)
    if isinstance(country, Rejected):
        return None
    zones = list(get_global("territory_zones").get(country.value, ()))
    european = [z for z in zones if z.startswith("Europe/")]
    chosen = zones if len(zones) == 1 else european
    return parse_zone(chosen[0]) if chosen else None


def user_zone(lang: str, chosen: str | None) -> ZoneInfo:
    """The zone to show times in: the user's choice, else the default of their language."""
    zone = parse_zone(chosen) if chosen else None
    if zone is not None:
        return zone
    return ZoneInfo(LANGUAGES[normalize_language(lang) or LANGUAGES.default].time_zone)


def zone_label(zone: ZoneInfo, t: Translator) -> str:
    """'Helsinki time', 'Helsingforstid', or the IANA name for zones we have no words for."""
    label = ZONE_LABELS.get(zone.key)
    return t.gettext(label) if label else zone.key


def deadline_text(call: CallFacts, t: Translator, zone: ZoneInfo) -> str | None:
    """The call's deadline in the user's zone ('16 February 2021 at 18:00 (Helsinki time)')."""
    when = call.deadline
    if when is None:
        return None
    if when.time is None:
        # "End of 31 October" is a date in the call's own zone; converting it would read as
        # an odd hour such as 22:59, so the call's zone is named instead.
        return t.gettext(DEADLINE_END_OF_DAY).format(
            date=t.format_date(when.date), zone=zone_label(when.tz, t)
        )
    local = when.moment().astimezone(zone)
    return t.gettext(DEADLINE_TIMED).format(
        date=t.format_date(local.date()), time=t.format_time(local, zone), zone=zone_label(zone, t)
    )


def reminder_text(call: CallFacts, t: Translator, zone: ZoneInfo, now: datetime) -> str:
    """The reminder a subscriber gets: countdown, the deadline in their zone, how to stop."""
    when = call.deadline
    if when is None:
        raise ValueError(f"{call.id} has no deadline")
    moment = when.moment()
    countdown = t.format_timedelta(moment - now)
    name = call.title.get(t.lang)
    if when.time is None:
        head = t.gettext(REMINDER_END_OF_DAY).format(
            call=name,
            countdown=countdown,
            date=t.format_date(when.date),
            zone=zone_label(when.tz, t),
        )
    else:
        local = moment.astimezone(zone)
        head = t.gettext(REMINDER_TIMED).format(
            call=name,
            countdown=countdown,
            date=t.format_date(local.date()),
            time=t.format_time(local, zone),
            zone=zone_label(zone, t),
        )
    return head + "\n" + t.gettext(REMINDER_FOOTER).format(ref=call.reference or call.id)


@dataclass(frozen=True)
class Due:
    """A reminder to send now: to whom and for which call."""

    key: ReminderKey
    chat_id: int
    call: CallFacts
    lang: str
    timezone: str | None


def due_reminders(
    subscribers: Iterable[Subscriber],
    calls: Iterable[CallFacts],
    now: datetime,
    decided: set[ReminderKey],
    days: Sequence[int] = REMINDER_DAYS,
) -> list[Due]:
    """Reminders due at now that were not decided on yet (a pure function of its inputs).

    A reminder `d` days before a deadline is due once now >= deadline - d, until the deadline.
    Only reminders whose moment came after the subscription count (a user who subscribes five
    days before gets the 1-day one, not three at once), and of several due ones only the latest
    is sent: a bot that was down for two weeks sends "closes in 5 days" once, not three messages.
    Because time only moves forward, the latest due reminder is the only one that can be due
    later, so recording that one is enough to rule out every earlier one.
    """
    open_calls = [
        c
        for c in calls
        if c.kind == "call" and c.deadline is not None and now < c.deadline.moment()
    ]
    # (user, call) -> the earliest subscription covering it ('*' and a named call may overlap).
    covering: dict[tuple[int, str], tuple[Subscriber, CallFacts]] = {}
    for sub in subscribers:
        s = sub.subscription
        for call in open_calls:
            if s.call_id not in (ALL_CALLS, call.id):
                continue
            known = covering.get((s.user_id, call.id))
            if known is None or s.created_at < known[0].subscription.created_at:
                covering[(s.user_id, call.id)] = (sub, call)
    found: list[Due] = []
    for (user_id, call_id), (sub, call) in covering.items():
        assert call.deadline is not None
        deadline = call.deadline.moment()
        moments = {d: deadline - timedelta(days=d) for d in days}
        reached = sorted(
            d for d, at in moments.items() if at <= now and at >= sub.subscription.created_at
        )
        if not reached:
            continue
        key = ReminderKey(user_id, call_id, deadline.astimezone(UTC), reached[0])
        if key in decided:
            continue
        found.append(Due(key, sub.subscription.chat_id, call, sub.lang, sub.timezone))
    return _interleave_chats(found)


def _interleave_chats(items: list[Due]) -> list[Due]:
    """Order so one chat's messages are spread out: everyone's first, then second ones."""
    rounds: dict[int, int] = {}
    ranked = []
    for item in sorted(items, key=lambda d: (d.key.user_id, d.call.id)):
        n = rounds.get(item.chat_id, 0)
        rounds[item.chat_id] = n + 1
        ranked.append((n, item))
    return [item for _, item in sorted(ranked, key=lambda pair: pair[0])]


class Delivery(enum.Enum):
    """How one send went, as the transport reports it."""

    SENT = "sent"
    GONE = "gone"  # the user blocked the bot or the chat no longer exists: stop writing to it
    RETRY = "retry"  # not delivered as far as we can tell (429, network): try again later
    FAILED = "failed"  # refused for good (a bug): do not try again


@dataclass(frozen=True)
class DeliveryResult:
    """A Delivery outcome, with Telegram's retry_after when it asked us to slow down."""

    outcome: Delivery
    retry_after: float = 0.0


Deliver = Callable[[int, str], Awaitable[DeliveryResult]]


@dataclass(frozen=True)
class Outgoing:
    """One message to send; a reminder carries the key it is recorded under."""

    user_id: int
    chat_id: int
    text: str
    reminder: ReminderKey | None = None


@dataclass
class SendReport:
    """What a batch of sends did."""

    sent: int = 0
    skipped: int = 0
    gone: int = 0
    retry_later: int = 0
    failed: int = 0
    rate_limited: int = 0
    seconds: float = 0.0
    unsubscribed_users: set[int] = field(default_factory=set)

    def add(self, other: SendReport) -> None:
        """Fold another report into this one."""
        for name in ("sent", "skipped", "gone", "retry_later", "failed", "rate_limited"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.seconds += other.seconds
        self.unsubscribed_users |= other.unsubscribed_users


class SendThrottle:
    """Spaces sends: at most `rate` a second overall and one per `chat_interval` per chat."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE_PER_SECOND,
        chat_interval: float = DEFAULT_CHAT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or chat_interval < 0:
            raise ValueError("rate must be positive and chat_interval not negative")
        self.spacing = 1.0 / rate
        self.chat_interval = chat_interval
        self._clock = clock
        self._next_global = 0.0
        self._last_chat: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._global_lock = asyncio.Lock()

    async def wait(self, chat_id: int) -> None:
        """Return when chat_id may get its next message without breaking either limit."""
        # A chat's own gap is waited for before queueing for the global slot, so one busy
        # chat never holds up the others.
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            last = self._last_chat.get(chat_id)
            if last is not None:
                gap = last + self.chat_interval - self._clock()
                if gap > 0:
                    await asyncio.sleep(gap)
            await self._global_slot()
            self._last_chat[chat_id] = self._clock()
        if len(self._last_chat) > 100_000:
            self._forget_quiet_chats()

    def _forget_quiet_chats(self) -> None:
        cutoff = self._clock() - self.chat_interval
        self._last_chat = {k: v for k, v in self._last_chat.items() if v > cutoff}
        self._chat_locks = {
            k: lock
            for k, lock in self._chat_locks.items()
            if lock.locked() or k in self._last_chat
        }

    async def _global_slot(self) -> None:
        async with self._global_lock:
            now = self._clock()
            if self._next_global > now:
                await asyncio.sleep(self._next_global - now)
                now = self._clock()
            self._next_global = max(now, self._next_global) + self.spacing

    async def pause(self, seconds: float) -> None:
        """Hold every send for a while (Telegram said 429: we were too fast)."""
        self._next_global = max(self._next_global, self._clock() + seconds)


def _utc_now() -> datetime:
    return datetime.now(UTC)


CallsProvider = Callable[[], Sequence[CallFacts]]


class ReminderService:
    """Sends due reminders and change notices, throttled, recording reminders before sending."""

    def __init__(
        self,
        store: Subscriptions,
        calls: CallsProvider,
        deliver: Deliver,
        *,
        clock: Callable[[], datetime] = _utc_now,
        throttle: SendThrottle | None = None,
        workers: int = SEND_WORKERS,
    ) -> None:
        self.store = store
        self.calls = calls
        self.deliver = deliver
        self.clock = clock
        self.throttle = throttle or SendThrottle()
        self.workers = workers
        self.totals = SendReport()
        # Claims being sent: a stopping scheduler waits for them (drain) while the Bot API
        # can still be reached, or a claimed reminder would be lost.
        self._inflight: set[asyncio.Future[None]] = set()

    async def due(self) -> list[Due]:
        """The reminders due now and not yet decided on."""
        now = self.clock()
        calls = [c for c in self.calls() if c.deadline is not None]
        if not calls:
            return []
        decided = await self.store.reminders_decided(now)
        return due_reminders(await self.store.subscribers(), calls, now, decided)

    async def tick(self) -> SendReport:
        """Send every reminder that is due now (called every minute and at start-up)."""
        now = self.clock()
        items = []
        for due in await self.due():
            t = translator(due.lang)
            text = reminder_text(due.call, t, user_zone(t.lang, due.timezone), now)
            items.append(Outgoing(due.key.user_id, due.chat_id, text, due.key))
        return await self.send_all(items)

    async def send_all(self, items: Sequence[Outgoing]) -> SendReport:
        """Send messages with a few concurrent workers under the throttle."""
        report = SendReport()
        if not items:
            return report
        started = time.monotonic()
        queue: asyncio.Queue[Outgoing] = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)

        async def work() -> None:
            while True:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await self._send_one(item, report)

        await asyncio.gather(*(work() for _ in range(max(1, min(self.workers, len(items))))))
        report.seconds = time.monotonic() - started
        self.totals.add(report)
        if report.sent or report.gone or report.failed or report.retry_later:
            log.info(
                "sent %d messages in %.1f s (%d to blocked chats, %d to retry, %d failed)",
                report.sent,
                report.seconds,
                report.gone,
                report.retry_later,
                report.failed,
            )
        return report

    async def _deliver(self, item: Outgoing) -> DeliveryResult:
        try:
            return await self.deliver(item.chat_id, item.text)
        except Exception as exc:  # a transport bug must not stop everyone else's reminders
            log.error("sending to a subscriber failed: %s", type(exc).__name__)
            return DeliveryResult(Delivery.FAILED)

    async def _send_one(self, item: Outgoing, report: SendReport) -> None:
        # The throttle's wait comes before the claim, so that a claimed reminder is sent at
        # once: a scheduler stopped mid-round (its replica's leadership passing to another)
        # leaves no claim behind that it did not send.
        await self.throttle.wait(item.chat_id)
        sending = asyncio.ensure_future(self._claim_and_send(item, report))
        self._inflight.add(sending)
        sending.add_done_callback(self._inflight.discard)
        try:
            await asyncio.shield(sending)
        except asyncio.CancelledError:
            # The scheduler is stopping: end this claim and send first. Cut short, the claim
            # may be committed and the request may or may not have reached Telegram: the
            # reminder would be lost (or sent twice, were the claim released).
            await sending
            raise

    async def drain(self) -> None:
        """Wait until every claimed reminder being sent is out (or given up)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _claim_and_send(self, item: Outgoing, report: SendReport) -> None:
        if item.reminder is not None and not await self.store.claim_reminder(item.reminder):
            report.skipped += 1
            return
        result = DeliveryResult(Delivery.RETRY)
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                await self.throttle.wait(item.chat_id)
            result = await self._deliver(item)
            if result.outcome is not Delivery.RETRY or result.retry_after <= 0:
                break
            report.rate_limited += 1
            await self.throttle.pause(result.retry_after)
        if result.outcome is Delivery.SENT:
            report.sent += 1
        elif result.outcome is Delivery.GONE:
            report.gone += 1
            report.unsubscribed_users.add(item.user_id)
            await self.store.unsubscribe(item.user_id)
            if item.reminder is not None:
                await self.store.release_reminder(item.reminder)
        elif result.outcome is Delivery.RETRY:
            report.retry_later += 1
            if item.reminder is not None:
                await self.store.release_reminder(item.reminder)
        else:
            report.failed += 1
