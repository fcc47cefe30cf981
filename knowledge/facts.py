"""Structured facts about calls and the programme, validated from YAML into typed objects."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from knowledge.documents import LANGS
from knowledge.errors import KnowledgeError

log = logging.getLogger(__name__)

# libyaml's safe loader when PyYAML was built with it (5x faster at start-up); same rules.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

BUILTIN_FACTS_DIR = Path(__file__).resolve().parent / "facts"
# In the data directory: facts that ingest extracted (one file per document, machine-written),
# and the operator's corrections and additions in the same schema.
EXTRACTED_SUBDIR = "extracted"
OPERATOR_FACTS_SUBDIR = "facts"
T = TypeVar("T")


@dataclass(frozen=True)
class L10n:
    """A short text in English, Swedish and Finnish."""

    en: str
    sv: str
    fi: str

    def get(self, lang: str) -> str:
        """The text in lang (English when lang is unknown)."""
        return str(getattr(self, lang, self.en))


@dataclass(frozen=True)
class Money:
    """An amount in a currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class When:
    """A calendar moment with its time zone; a missing time means the end of that day."""

    date: date
    time: time | None
    tz: ZoneInfo

    def moment(self) -> datetime:
        """The aware instant this stands for (end of day when no time is given)."""
        at = self.time if self.time is not None else time(23, 59, 59)
        return datetime.combine(self.date, at, tzinfo=self.tz)

    def start(self) -> datetime:
        """The aware instant this begins (start of day when no time is given)."""
        return datetime.combine(self.date, self.time or time(0, 0), tzinfo=self.tz)


@dataclass(frozen=True)
class Item:
    """A listed fact with a stable id (a priority, an action, a measure)."""

    id: str
    text: L10n


@dataclass(frozen=True)
class Objective:
    """A specific objective, with its amount and measures where a call gives them."""

    number: int
    title: L10n
    amount: Money | None
    measures: tuple[Item, ...]
    note: L10n | None


@dataclass(frozen=True)
class Applicants:
    """Who may apply."""

    legal_person: bool | None
    public_or_private: bool | None
    non_profit: bool | None
    types: tuple[L10n, ...]


@dataclass(frozen=True)
class Countries:
    """Where applicants must be established."""

    member_states: bool
    overseas_included: bool | None
    excluded: tuple[str, ...]
    associated: bool | None
    text: L10n


@dataclass(frozen=True)
class Consortium:
    """The minimum consortium."""

    min_entities: int
    min_countries: int
    text: L10n


@dataclass(frozen=True)
class FundingRate:
    """The share of costs the grant covers."""

    rate: Decimal
    basis: L10n


@dataclass(frozen=True)
class CoFinancing:
    """The programme's usual and raised maximum co-financing rates."""

    usual_max: Decimal
    raised_max: Decimal
    raised_when: L10n


@dataclass(frozen=True)
class Management:
    """How the programme's budget is split between shared and direct management."""

    shared: Decimal
    shared_text: L10n
    direct_text: L10n


@dataclass(frozen=True)
class Contact:
    """Where to ask."""

    email: str | None
    url: str | None
    text: L10n


class CallStatus(Enum):
    """Where a call stands relative to now."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"
    # The eligibility checks' name for UPCOMING (an alias: the same member).
    NOT_YET_OPEN = "upcoming"


@dataclass(frozen=True)
class CallFacts:
    """Everything structured we know about one call or the programme."""

    id: str
    kind: str
    reference: str | None
    source: str
    field_sources: Mapping[str, str]
    title: L10n
    summary: L10n
    aliases: tuple[str, ...]
    url: str | None
    published: date | None
    opens: When | None
    deadline: When | None
    budget: Money | None
    grant_min: Money | None
    grant_max: Money | None
    funding_rate: FundingRate | None
    co_financing: CoFinancing | None
    management: Management | None
    duration_months: int | None
    contact: Contact | None
    applicants: Applicants | None
    countries: Countries | None
    consortium: Consortium | None
    target_group: L10n | None
    priorities: tuple[Item, ...]
    actions: tuple[Item, ...]
    objectives: tuple[Objective, ...]
    not_funded: tuple[L10n, ...]
    how_to_apply: tuple[L10n, ...]
    history: L10n | None
    network: L10n | None
    notes: tuple[L10n, ...]
    path: Path = field(compare=False)

    def source_of(self, field_name: str) -> str:
        """The document id a field's facts come from."""
        return self.field_sources.get(field_name, self.source)

    def status(self, now: datetime) -> CallStatus:
        """Open, upcoming, closed or unknown at the instant now (aware)."""
        if self.kind != "call":
            return CallStatus.UNKNOWN
        if self.deadline is not None and now > self.deadline.moment():
            return CallStatus.CLOSED
        if self.opens is not None and now < self.opens.start():
            return CallStatus.UPCOMING
        if self.deadline is not None:
            return CallStatus.OPEN
        return CallStatus.UNKNOWN

    def time_left(self, now: datetime) -> timedelta | None:
        """Time until the deadline, when there is one and it is in the future."""
        if self.deadline is None:
            return None
        left = self.deadline.moment() - now
        return left if left > timedelta(0) else None


class _Reader:
    """Walks a parsed YAML mapping, raising errors that name the file and the field path."""

    def __init__(self, path: Path, data: Mapping[str, Any], where: str = "") -> None:
        self.path, self.data, self.where = path, data, where

    def fail(self, name: str, problem: str) -> KnowledgeError:
        return KnowledgeError(f"{self.path}: field '{self.where}{name}': {problem}")

    def child(self, name: str, value: Any) -> _Reader:
        if not isinstance(value, Mapping):
            raise self.fail(name, "must be a mapping")
        return _Reader(self.path, value, f"{self.where}{name}.")

    def raw(self, name: str, required: bool = False) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise self.fail(name, "is required")
        return value

    def text(self, name: str, required: bool = True) -> str | None:
        value = self.raw(name, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be non-empty text")
        return value.strip()

    def req_text(self, name: str) -> str:
        value = self.text(name, True)
        assert value is not None
        return value

    def l10n(self, name: str, required: bool = True) -> L10n | None:
        value = self.raw(name, required)
        return None if value is None else self._l10n(name, value)

    def req_l10n(self, name: str) -> L10n:
        value = self.l10n(name, True)
        assert value is not None
        return value

    def _l10n(self, name: str, value: Any) -> L10n:
        if not isinstance(value, Mapping):
            raise self.fail(name, "must be a mapping with en, sv and fi texts")
        for lang in LANGS:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(f"{name}.{lang}", "must be non-empty text")
        return L10n(*(" ".join(str(value[lang]).split()) for lang in LANGS))

    def number(self, name: str, value: Any, kind: type = Decimal) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, "must be a number")
        if kind is int:
            if not isinstance(value, int) or value < 0:
                raise self.fail(name, "must be a whole number >= 0")
            return value
        return Decimal(str(value))

    def rate(self, r: _Reader, name: str) -> Decimal:
        value = r.number(name, r.raw(name, True))
        if not 0 < value <= 1:
            raise r.fail(name, "must be a fraction between 0 and 1 (0.9 for 90 %)")
        return Decimal(value)

    def boolean(self, name: str) -> bool | None:
        value = self.raw(name)
        if value is not None and not isinstance(value, bool):
            raise self.fail(name, "must be true, false or null")
        return value

    def optional(self, name: str, build: Callable[[_Reader], T]) -> T | None:
        value = self.raw(name)
        return None if value is None else build(self.child(name, value))

    def items_of(self, name: str, build: Callable[[_Reader, str, Any], T]) -> tuple[T, ...]:
        value = self.raw(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(name, "must be a list")
        return tuple(build(self, f"{name}[{i}]", entry) for i, entry in enumerate(value))


def _money(r: _Reader) -> Money:
    amount = r.number("amount", r.raw("amount", True))
    if amount <= 0:
        raise r.fail("amount", "must be positive")
    currency = r.req_text("currency")
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise r.fail("currency", "must be an ISO 4217 code such as EUR or SEK")
    return Money(amount, currency)


def _when(r: _Reader) -> When:
    day = r.raw("date", True)
    if not isinstance(day, date) or isinstance(day, datetime):
        raise r.fail("date", "must be a date (YYYY-MM-DD)")
    at_raw = r.raw("time")
    at = None
    if at_raw is not None:
        try:
            at = time.fromisoformat(str(at_raw))
        except ValueError:
            raise r.fail("time", "must be HH:MM or null") from None
    try:
        tz = ZoneInfo(r.req_text("tz"))
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("tz", "must be an IANA time zone such as Europe/Brussels") from None
    return When(day, at, tz)


def _item(r: _Reader, name: str, value: Any) -> Item:
    child = r.child(name, value)
    return Item(child.req_text("id"), child.req_l10n("text"))


def _l10n_entry(r: _Reader, name: str, value: Any) -> L10n:
    return r._l10n(name, value)


def _objective(r: _Reader, name: str, value: Any) -> Objective:
    c = r.child(name, value)
    return Objective(
        number=c.number("number", c.raw("number", True), int),
        title=c.req_l10n("title"),
        amount=c.optional("amount", _money),
        measures=c.items_of("measures", _item),
        note=c.l10n("note", False),
    )


def _grant(r: _Reader) -> tuple[Money, Money]:
    low, high = (
        _money(r.child("min", r.raw("min", True))),
        _money(r.child("max", r.raw("max", True))),
    )
    if low.amount > high.amount:
        raise r.fail("min", "must not exceed max")
    return low, high


def _parse(path: Path, data: Any) -> CallFacts:
    if not isinstance(data, Mapping):
        raise KnowledgeError(f"{path}: the file must hold a mapping")
    r = _Reader(path, data)
    kind = r.req_text("kind")
    if kind not in ("call", "programme"):
        raise r.fail("kind", "must be 'call' or 'programme'")
    aliases = r.raw("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str | int) for a in aliases):
        raise r.fail("aliases", "must be a list of texts")
    field_sources = r.raw("field_sources") or {}
    if not isinstance(field_sources, Mapping):
        raise r.fail("field_sources", "must be a mapping of field name to document id")
    grant = r.optional("grant", _grant)
    funding = r.optional(
        "funding_rate", lambda c: FundingRate(r.rate(c, "rate"), c.req_l10n("basis"))
    )
    duration = r.raw("duration_months")
    published = r.raw("published")
    if published is not None and not isinstance(published, date):
        raise r.fail("published", "must be a date (YYYY-MM-DD) or null")
    facts = CallFacts(
        id=r.req_text("id"),
        kind=kind,
        reference=r.text("reference", False),
        source=r.req_text("source"),
        field_sources={str(k): str(v) for k, v in field_sources.items()},
        title=r.req_l10n("title"),
        summary=r.req_l10n("summary"),
        aliases=tuple(str(a).lower().strip() for a in aliases),
        url=r.text("url", False),
        published=published,
        opens=r.optional("opens", _when),
        deadline=r.optional("deadline", _when),
        budget=r.optional("budget", _money),
        grant_min=grant[0] if grant else None,
        grant_max=grant[1] if grant else None,
        funding_rate=funding,
        co_financing=r.optional(
            "co_financing",
            lambda c: CoFinancing(
                r.rate(c, "usual_max"), r.rate(c, "raised_max"), c.req_l10n("raised_when")
            ),
        ),
        management=r.optional(
            "management",
            lambda c: Management(
                r.rate(c, "shared"), c.req_l10n("shared_text"), c.req_l10n("direct_text")
            ),
        ),
        duration_months=None if duration is None else r.number("duration_months", duration, int),
        contact=r.optional(
            "contact",
            lambda c: Contact(c.text("email", False), c.text("url", False), c.req_l10n("text")),
        ),
        applicants=r.optional(
            "applicants",
            lambda c: Applicants(
                c.boolean("legal_person"),
                c.boolean("public_or_private"),
                c.boolean("non_profit"),
                c.items_of("types", _l10n_entry),
            ),
        ),
        countries=r.optional("countries", _countries),
        consortium=r.optional(
            "consortium",
            lambda c: Consortium(
                c.number("min_entities", c.raw("min_entities", True), int),
                c.number("min_countries", c.raw("min_countries", True), int),
                c.req_l10n("text"),
            ),
        ),
        target_group=r.l10n("target_group", False),
        priorities=r.items_of("priorities", _item),
        actions=r.items_of("actions", _item),
        objectives=r.items_of("objectives", _objective),
        not_funded=r.items_of("not_funded", _l10n_entry),
        how_to_apply=r.items_of("how_to_apply", _l10n_entry),
        history=r.l10n("history", False),
        network=r.l10n("network", False),
        notes=r.items_of("notes", _l10n_entry),
        path=path,
    )
    if facts.deadline and facts.opens and facts.opens.start() > facts.deadline.moment():
        raise r.fail("opens", "is after the deadline")
    return facts


def _countries(c: _Reader) -> Countries:
    excluded = c.raw("excluded") or []
    if not isinstance(excluded, list) or not all(
        isinstance(x, str) and len(x) == 2 and x.isupper() for x in excluded
    ):
        raise c.fail("excluded", "must be a list of ISO 3166 alpha-2 codes such as DK")
    return Countries(
        member_states=bool(c.boolean("member_states")),
        overseas_included=c.boolean("overseas_included"),
        excluded=tuple(excluded),
        associated=c.boolean("associated"),
        text=c.req_l10n("text"),
    )


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from None


def load_facts_file(path: Path) -> CallFacts:
    """Read and validate one facts file; raises KnowledgeError naming the file and field."""
    return _parse(path, _read_yaml(path))


def load_facts(
    folder: Path = BUILTIN_FACTS_DIR, source_ids: set[str] | None = None
) -> list[CallFacts]:
    """Load every *.yaml facts file in folder; ids unique; sources must name known documents."""
    return load_layered_facts(folder, None, None, source_ids)


# What names a call rather than stating a fact about it: an extracted file for a call we already
# know adds facts, never a second title or source.
_IDENTITY_FIELDS = frozenset({"id", "kind", "reference", "source", "title", "summary", "aliases"})


def load_layered_facts(
    builtin_dir: Path,
    extracted_dir: Path | None,
    operator_dir: Path | None,
    source_ids: set[str] | None = None,
) -> list[CallFacts]:
    """Built-in facts, then facts extracted at ingest, then the operator's files, by call id.

    Each later layer overrides the earlier ones field by field (a top-level key it has, null
    included, replaces the earlier value; field_sources are merged). An operator's file for a call
    that no other layer has must be complete, and is validated like a built-in one: an error names
    it. An extracted file is the machine's guess: one that fails validation is left out with a
    warning, so an ingest can never stop the assistant from loading.
    """
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, Path] = {}
    for path in sorted(builtin_dir.glob("*.yaml")):
        facts = load_facts_file(path)
        if facts.id in merged:
            raise KnowledgeError(
                f"{path}: field 'id': '{facts.id}' is already used by {origin[facts.id]}"
            )
        merged[facts.id], origin[facts.id] = dict(_read_yaml(path)), path
    for layer, folder in (("extracted", extracted_dir), ("operator", operator_dir)):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            _merge_file(path, layer == "extracted", merged, origin, source_ids)
    return [_checked(origin[key], data, source_ids) for key, data in merged.items()]


def _merge_file(
    path: Path,
    extracted: bool,
    merged: dict[str, dict[str, Any]],
    origin: dict[str, Path],
    source_ids: set[str] | None,
) -> None:
    """Lay one extracted or operator file over the calls so far; an extracted misfit stays out."""
    data = _read_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        if extracted:
            log.warning("%s: not a facts mapping with an id; left out", path)
            return
        raise KnowledgeError(f"{path}: the file must hold a mapping with an 'id'")
    if extracted and source_ids is not None:
        cited = {data.get("source"), *(data.get("field_sources") or {}).values()}
        if not cited <= source_ids:
            log.warning("%s: cites a document that is no longer stored; left out", path)
            return
    known = _find_id(merged, data["id"])
    if known is None:
        key, combined = data["id"], dict(data)
    else:
        key, combined = known, _overlay(merged[known], data, extracted)
    if extracted and not _validates(path, combined):
        return
    merged[key], origin[key] = combined, path


def _overlay(
    earlier: Mapping[str, Any], data: Mapping[str, Any], extracted: bool
) -> dict[str, Any]:
    """A call's facts with a later layer's fields on top; field_sources merged key by key."""
    update = {k: v for k, v in data.items() if not extracted or k not in _IDENTITY_FIELDS}
    combined = {**earlier, **update}
    combined["field_sources"] = {
        **(earlier.get("field_sources") or {}),
        **(data.get("field_sources") or {}),
    }
    return combined


def _validates(path: Path, data: Mapping[str, Any]) -> bool:
    """Whether extracted facts are valid; a warning says why they are left out when not."""
    try:
        _parse(path, data)
    except KnowledgeError as exc:
        log.warning("extracted facts left out: %s", exc)
        return False
    return True


def _checked(path: Path, data: Mapping[str, Any], source_ids: set[str] | None) -> CallFacts:
    """The call's merged facts, validated, each cited document one that is stored."""
    facts = _parse(path, data)
    if source_ids is not None:
        for name, doc in [("source", facts.source), *facts.field_sources.items()]:
            if doc not in source_ids:
                raise KnowledgeError(f"{path}: field '{name}': unknown document id '{doc}'")
    return facts


def _find_id(merged: Mapping[str, Mapping[str, Any]], ident: str) -> str | None:
    """The key of the call an id or reference names, case-insensitive."""
    wanted = ident.strip().casefold()
    for key, data in merged.items():
        if wanted in (key.casefold(), str(data.get("reference") or "").casefold()):
            return key
    return None


# The EU Funding & Tenders portal's page of a topic follows from its reference.
FUNDING_TENDERS_TOPIC = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    "topic-details/{reference}"
)
_EU_REFERENCE = re.compile(r"[A-Z]{2,10}-\d{4}-[A-Z0-9]+-[A-Z0-9-]+")


def official_page(call: CallFacts) -> str | None:
    """The page of the call to open: its own URL, else the portal's topic page of its reference."""
    if call.url:
        return call.url
    if call.reference and _EU_REFERENCE.fullmatch(call.reference):
        return FUNDING_TENDERS_TOPIC.format(reference=call.reference.lower())
    return None
