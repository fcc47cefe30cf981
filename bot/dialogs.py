"""Guided eligibility checks: YAML specs validated at start-up, one pure engine, and the verdict.

A check (knowledge/checks/*.yaml) declares questions, `when:` branches and rules that cite the
clause and source they come from; its numbers come from the call's facts file, resolved at load
time. `next_step(spec, state, event, now=...)` walks any check: it takes an immutable DialogState
(a log of answers, which is also the history Back undoes) and returns what to show next. Nothing
here knows Telegram, SQL or the terminal; rendering takes a Translator.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel.messages.pofile import read_po

from bot.answers import (
    E_,
    ChoiceOption,
    Command,
    Parsed,
    Rejected,
    country_name,
    parse_choice,
    parse_command,
    parse_countries,
    parse_country,
    parse_money,
    parse_multi_choice,
    parse_whole_number,
    parse_yes_no,
)
from i18n import LANGUAGES, Translator
from knowledge.facts import L10n

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
CHECKS_DIR = PACKAGE_ROOT / "knowledge" / "checks"
FACTS_DIR = PACKAGE_ROOT / "knowledge" / "facts"
LOCALES_DIR = PACKAGE_ROOT / "i18n" / "locales"

CALLBACK_PREFIX = "elig"
# Telegram rejects callback_data over 64 bytes (bytes, not characters).
CALLBACK_MAX_BYTES = 64
# Button ids the engine itself understands on every step; check options may not use them.
OPTION_FINISH = "ok"
OPTION_BACK = "bk"
OPTION_RESTART = "rs"
OPTION_CANCEL = "cx"
OPTION_HELP = "hp"
CONTROL_OPTIONS = frozenset(
    {OPTION_FINISH, OPTION_BACK, OPTION_RESTART, OPTION_CANCEL, OPTION_HELP}
)
YES, NO, UNSURE = "y", "n", "u"
# The step id buttons under a verdict carry (Back from the verdict returns to the last question).
VERDICT_STEP = "end"
STATE_VERSION = 1
# Toggling buttons or adding partners forever must not grow a stored state without bound.
MAX_LOG_ENTRIES = 200

_ID = re.compile(r"^[a-z][a-z0-9_]{0,11}$")
_CHECK_ID = re.compile(r"^[a-z][a-z0-9]{1,9}$")
# Length is bounded by the callback-data budget, checked per button at load time.
_OPTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

# --- messages the engine itself shows -----------------------------------------------------------
MSG_PROGRESS = E_("Step {n} of {total}")
MSG_YES = E_("Yes")
MSG_NO = E_("No")
MSG_UNSURE = E_("I don't know")
MSG_FINISH = E_("Done")
MSG_NONE = E_("none")
MSG_MONTHS = (E_("{n} month"), E_("{n} months"))
MSG_SELECTED = E_("Selected so far: {options}")
MSG_AT_START = E_("This is the first question.")
MSG_HELP_MISSING = E_("No further explanation for this question.")
MSG_NUMBER_RANGE = E_("Please give a number from {min} to {max}.")
MSG_MONEY_RANGE = E_("Please give an amount from {min} to {max}.")
MSG_NEED_SELECTION = E_("Choose at least one option first, then press Done.")
MSG_LOG_FULL = E_("This check has taken as many answers as it can hold: press Done or start over.")
MSG_STALE = E_(
    "That button belongs to an earlier question; the check has moved on. Here is where it is now."
)
MSG_CANCELLED = E_("Eligibility check cancelled. Your answers to it have been deleted.")
MSG_PARTNERS_SO_FAR = (
    E_("So far {n} partner: {names}."),
    E_("So far {n} partners: {names}."),
)
MSG_PARTNERS_NONE = E_("No partners entered yet.")
MSG_CONSORTIUM_COUNT = E_(
    "Counting towards the consortium, your own organisation included: organisations {entities}"
    " of {min_entities}, different eligible countries {countries} of {min_countries}."
)
MSG_NOT_COUNTED = E_("Not counted: {names}.")
MSG_UNCLEAR = E_("Count only if associated to AMIF: {names}.")
MSG_DETAIL_ANSWER = E_("Your answer: {answer}")
MSG_NOTED = E_("Not met: {requirement}")
MSG_GOES_ON = E_("The check goes on, so that you see every point at the end.")
MSG_DETAIL_RANGE = E_("Your answer: {value}. Allowed: {min} to {max}.")
MSG_DETAIL_COUNTED = E_(
    "Counted: organisations {entities} of {min_entities}, different eligible countries"
    " {countries} of {min_countries} ({names})."
)
MSG_DETAIL_NOTHING_COUNTED = E_("No organisation counts yet.")
MSG_STANDING: dict[str, str] = {
    "member": E_("{country} is an EU Member State taking part in this call."),
    "region": E_("{country} is part of the EU as a region of {parent}."),
    "overseas": E_(
        "{country} is an overseas country or territory of {parent}, which this call includes."
    ),
    "excluded": E_("{country} is excluded from this call."),
    "overseas_of_excluded": E_(
        "{country} is linked to {parent}, which this call excludes; our sources do not say"
        " whether organisations there can take part."
    ),
    "overseas_not_included": E_(
        "{country} is an overseas country or territory, which this call does not include."
    ),
    "overseas_unclear": E_(
        "Our sources do not say whether overseas countries and territories such as {country}"
        " are included."
    ),
    "associated": E_("{country} is associated to AMIF (your answer)."),
    "not_associated": E_("{country} is not associated to AMIF (your answer)."),
    "association_unknown": E_("It is not known yet whether {country} is associated to AMIF."),
    "outside": E_("{country} is outside the EU, and this call takes no associated countries."),
}
MSG_RESULT: dict[str, str | tuple[str, str]] = {
    "eligible": E_("Result: eligible. Every criterion we can check is met."),
    "not_eligible": (
        E_("Result: not eligible as things stand. {n} criterion is not met."),
        E_("Result: not eligible as things stand. {n} criteria are not met."),
    ),
    "cannot_tell": (
        E_("Result: cannot tell yet. {n} point is still open."),
        E_("Result: cannot tell yet. {n} points are still open."),
    ),
}
MSG_MARK = {"pass": E_("met"), "fail": E_("not met"), "unknown": E_("to check")}
MSG_WHAT_TO_DO = E_("What to do: {text}")
MSG_NOTES_HEADING = E_("Good to know")
MSG_ANSWERS_HEADING = E_("Your answers")
MSG_CRITERIA_HEADING = E_("Criteria")
MSG_FOOTER = E_(
    "Checked on {date}. This is guidance drawn from our sources, not an official decision:"
    " the call documents and the funding body decide."
)
MSG_STATUS = {
    "open": E_("Call status: open. Applications are accepted until {closes}."),
    "closed": E_(
        "Call status: closed on {closes}. Applications can no longer be sent to this call."
    ),
    "not_yet_open": E_("Call status: not open yet. Applications can be sent from {opens}."),
}
MSG_STATUS_UNKNOWN = E_(
    "Call status: unknown. Our sources give no deadline for this call: check with the funding"
    " body before you apply."
)
MSG_WINDOW = E_("Application period: {opens} to {closes}.")
MSG_DATE_TIME = E_("{date} at {time} ({zone})")
MSG_ADVICE_UNKNOWN = E_("We could not settle this from your answers: check it before you apply.")
MSG_SHORT_SOURCE = E_("Source: {clause}")
MSG_SOURCES = E_("Source of these points: {sources}")
MSG_SHORT_FOOTER = E_("Checked on {date}. Guidance from our sources, not an official decision.")

ENGINE_MESSAGES: tuple[str | tuple[str, str], ...] = (
    MSG_PROGRESS,
    MSG_YES,
    MSG_NO,
    MSG_UNSURE,
    MSG_FINISH,
    MSG_NONE,
    MSG_MONTHS,
    MSG_SELECTED,
    MSG_AT_START,
    MSG_HELP_MISSING,
    MSG_NUMBER_RANGE,
    MSG_MONEY_RANGE,
    MSG_NEED_SELECTION,
    MSG_LOG_FULL,
    MSG_STALE,
    MSG_CANCELLED,
    MSG_PARTNERS_SO_FAR,
    MSG_PARTNERS_NONE,
    MSG_CONSORTIUM_COUNT,
    MSG_NOT_COUNTED,
    MSG_UNCLEAR,
    MSG_DETAIL_ANSWER,
    MSG_NOTED,
    MSG_GOES_ON,
    MSG_DETAIL_RANGE,
    MSG_DETAIL_COUNTED,
    MSG_DETAIL_NOTHING_COUNTED,
    *MSG_STANDING.values(),
    *MSG_RESULT.values(),
    *MSG_MARK.values(),
    MSG_WHAT_TO_DO,
    MSG_NOTES_HEADING,
    MSG_ANSWERS_HEADING,
    MSG_CRITERIA_HEADING,
    MSG_FOOTER,
    *MSG_STATUS.values(),
    MSG_STATUS_UNKNOWN,
    MSG_WINDOW,
    MSG_DATE_TIME,
    MSG_ADVICE_UNKNOWN,
    MSG_SHORT_SOURCE,
    MSG_SOURCES,
    MSG_SHORT_FOOTER,
)

# --- countries ---------------------------------------------------------------------------------
# General knowledge, not from our sources: the 27 EU Member States (ISO codes; the EU writes "EL"
# for Greece, the parser accepts both).
EU_MEMBER_STATES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)
# Parts of a Member State (and of the EU) that have ISO codes of their own: Åland and the
# outermost regions (TFEU art. 349/355). Azores, Madeira and the Canaries share PT/ES codes or IC.
EU_REGIONS = {
    "AX": "FI",
    "GP": "FR",
    "MQ": "FR",
    "GF": "FR",
    "RE": "FR",
    "YT": "FR",
    "MF": "FR",
    "IC": "ES",
    "EA": "ES",
}
# Overseas countries and territories linked to a Member State (TFEU Annex II).
OVERSEAS_COUNTRIES_AND_TERRITORIES = {
    "GL": "DK",
    "NC": "FR",
    "PF": "FR",
    "TF": "FR",
    "WF": "FR",
    "PM": "FR",
    "BL": "FR",
    "AW": "NL",
    "CW": "NL",
    "SX": "NL",
    "BQ": "NL",
}


class Result(StrEnum):
    """How one criterion came out."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


class Standing(StrEnum):
    """Where a country stands under a call's country rules."""

    MEMBER = "member"
    REGION = "region"
    OVERSEAS = "overseas"
    EXCLUDED = "excluded"
    OVERSEAS_OF_EXCLUDED = "overseas_of_excluded"
    OVERSEAS_NOT_INCLUDED = "overseas_not_included"
    OVERSEAS_UNCLEAR = "overseas_unclear"
    ASSOCIATED = "associated"
    NOT_ASSOCIATED = "not_associated"
    ASSOCIATION_UNKNOWN = "association_unknown"
    OUTSIDE = "outside"

    @property
    def result(self) -> Result:
        """Whether an organisation from a country of this standing counts."""
        if self in (Standing.MEMBER, Standing.REGION, Standing.OVERSEAS, Standing.ASSOCIATED):
            return Result.PASS
        if self in (
            Standing.OVERSEAS_OF_EXCLUDED,
            Standing.OVERSEAS_UNCLEAR,
            Standing.ASSOCIATION_UNKNOWN,
        ):
            return Result.UNKNOWN
        return Result.FAIL


@dataclass(frozen=True)
class CountryRules:
    """A call's country rules, from the `countries:` block of its facts file."""

    member_states: bool
    overseas_included: bool | None
    excluded: frozenset[str]
    associated: bool


def country_parent(code: str) -> str | None:
    """The Member State a region or overseas territory belongs to ('GL' -> 'DK'), else None."""
    return EU_REGIONS.get(code) or OVERSEAS_COUNTRIES_AND_TERRITORIES.get(code)


def needs_association_answer(code: str, rules: CountryRules) -> bool:
    """Whether only the user can tell us if this country counts (it is outside the EU)."""
    inside = code in EU_MEMBER_STATES or country_parent(code) is not None
    return rules.associated and not inside and code not in rules.excluded


def country_standing(
    code: str, rules: CountryRules, association: Mapping[str, bool | None]
) -> Standing:
    """Classify a country; `association` holds the user's answers for non-EU countries."""
    member = code if code in EU_MEMBER_STATES else EU_REGIONS.get(code)
    if member is not None:
        if member in rules.excluded or not rules.member_states:
            return Standing.EXCLUDED
        return Standing.MEMBER if member == code else Standing.REGION
    oct_parent = OVERSEAS_COUNTRIES_AND_TERRITORIES.get(code)
    if oct_parent is not None:
        if oct_parent in rules.excluded:
            return Standing.OVERSEAS_OF_EXCLUDED
        if rules.overseas_included is None:
            return Standing.OVERSEAS_UNCLEAR
        return Standing.OVERSEAS if rules.overseas_included else Standing.OVERSEAS_NOT_INCLUDED
    if code in rules.excluded:
        return Standing.EXCLUDED
    if not rules.associated:
        return Standing.OUTSIDE
    answer = association.get(code)
    if answer is None:
        return Standing.ASSOCIATION_UNKNOWN
    return Standing.ASSOCIATED if answer else Standing.NOT_ASSOCIATED


# --- texts and messages ------------------------------------------------------------------------


# A str is a message id (English text) translated through gettext.
Text: TypeAlias = str | L10n


@dataclass(frozen=True)
class Money:
    """An amount of money."""

    amount: Decimal
    currency: str = "EUR"


@dataclass(frozen=True)
class Percent:
    """A rate shown as a percentage (0.9 -> 90 %)."""

    rate: Decimal


@dataclass(frozen=True)
class Countries:
    """Country codes, shown as names in the reader's language, joined by commas."""

    codes: tuple[str, ...]


@dataclass(frozen=True)
class Labels:
    """Texts (message ids or L10n) shown translated and joined by semicolons."""

    texts: tuple[Text, ...]


@dataclass(frozen=True)
class Count:
    """A whole number with a plural-aware unit message (e.g. '{n} months')."""

    n: int
    forms: tuple[str, str]


@dataclass(frozen=True)
class When:
    """A moment from a facts file: a date, maybe a time, and its time zone."""

    day: date
    at: time | None
    zone: str


@dataclass(frozen=True)
class Message:
    """A message id with its parameters, rendered later in the reader's language."""

    msgid: str
    params: tuple[tuple[str, ParamValue], ...] = ()
    plural: str | None = None
    n: int = 1

    @classmethod
    def of(cls, msgid: str, **params: ParamValue) -> Message:
        """A message with keyword parameters."""
        return cls(msgid, tuple(params.items()))

    @classmethod
    def count(cls, forms: tuple[str, str], n: int, **params: ParamValue) -> Message:
        """A plural message; n is also available as {n}."""
        return cls(forms[0], tuple({"n": n, **params}.items()), forms[1], n)


ParamValue: TypeAlias = (
    int | str | Decimal | date | Money | Percent | Countries | Labels | Count | When | Message
)


def render_text(text: Text, t: Translator) -> str:
    """A message id translated, or an L10n text in the translator's language."""
    return text.get(t.lang) if isinstance(text, L10n) else t.gettext(text)


def _render_when(value: When, t: Translator) -> str:
    if value.at is None:
        return t.format_date(value.day)
    clock = t.format_time(datetime.combine(value.day, value.at))
    return t.gettext(MSG_DATE_TIME).format(
        date=t.format_date(value.day), time=clock, zone=value.zone
    )


def _render_param(value: ParamValue, t: Translator) -> str:
    if isinstance(value, Message):
        return render_message(value, t)
    if isinstance(value, Money):
        return t.format_money(value.amount, value.currency)
    if isinstance(value, Percent):
        return t.format_percent(value.rate)
    if isinstance(value, Countries):
        if not value.codes:
            return t.gettext(MSG_NONE)
        return ", ".join(country_name(code, t.lang) for code in value.codes)
    if isinstance(value, Labels):
        texts = [render_text(text, t) for text in value.texts]
        # Labels from the facts are sentences; in a list their full stops read as noise.
        return "; ".join(text.rstrip(".") for text in texts) if len(texts) > 1 else texts[0]
    if isinstance(value, Count):
        return t.ngettext(value.forms[0], value.forms[1], value.n).format(
            n=t.format_number(value.n)
        )
    if isinstance(value, When):
        return _render_when(value, t)
    if isinstance(value, bool):
        return t.gettext(MSG_YES if value else MSG_NO)
    if isinstance(value, int | Decimal):
        return t.format_number(value)
    if isinstance(value, date):
        return t.format_date(value)
    return value


def render_message(message: Message, t: Translator) -> str:
    """Translate first, then fill in the parameters formatted for the reader's locale."""
    if message.plural is not None:
        template = t.ngettext(message.msgid, message.plural, message.n)
    else:
        template = t.gettext(message.msgid)
    values = {name: _render_param(value, t) for name, value in message.params}
    return template.format(**values) if values else template


# --- the spec ----------------------------------------------------------------------------------


class QuestionType(StrEnum):
    """The kinds of question a check can ask."""

    YESNO = "yesno"
    CHOICE = "choice"
    MULTI = "multi"
    MONEY = "money"
    NUMBER = "number"
    COUNTRY = "country"
    COUNTRIES = "countries"


@dataclass(frozen=True)
class Option:
    """One answer option: a short ASCII id (it travels in callback data) and its label."""

    id: str
    label: Text
    exclusive: bool = False
    # An answer like "not sure": conditions on it are unknown rather than false.
    unknown: bool = False


@dataclass(frozen=True)
class AnswerTest:
    """A test on one earlier answer: equals, in, includes, at_least or at_most."""

    step: str
    op: str
    value: Any
    unknown: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AllOf:
    """True when every part is."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """True when some part is."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The opposite of a condition (unknown stays unknown)."""

    item: Condition


Condition: TypeAlias = AnswerTest | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Question:
    """One step of a check."""

    id: str
    type: QuestionType
    prompt: str
    summary: str
    help: str | None = None
    options: tuple[Option, ...] = ()
    unsure: bool = False
    when: Condition | None = None
    # Steps whose countries (the non-EU ones) this question is asked about, one at a time.
    for_each: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    unit: str | None = None
    params: tuple[tuple[str, ParamValue], ...] = ()

    @property
    def collects(self) -> bool:
        """Whether the answer is built over several messages and confirmed with Done."""
        return self.type in (QuestionType.MULTI, QuestionType.COUNTRIES)

    def option(self, option_id: str) -> Option | None:
        """The option with this id, if any."""
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class ConditionTest:
    """A rule that passes when a condition on the answers holds."""

    condition: Condition


@dataclass(frozen=True)
class RangeTest:
    """A rule that passes when a number or amount lies within [minimum, maximum]."""

    step: str
    minimum: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class EstablishedTest:
    """A rule that passes when the applicant's country is eligible."""

    step: str
    association: str | None


@dataclass(frozen=True)
class ConsortiumTest:
    """A rule on how many organisations and countries of the consortium count."""

    applicant: str
    partners: str
    association: str | None
    min_entities: int
    min_countries: int


RuleTest: TypeAlias = ConditionTest | RangeTest | EstablishedTest | ConsortiumTest

# Why a rule of each kind can fail; a rule gives a fix for each reason (or one for all).
FAIL_REASONS: dict[type, tuple[str, ...]] = {
    ConditionTest: ("fail",),
    RangeTest: ("low", "high"),
    EstablishedTest: ("excluded", "outside"),
    ConsortiumTest: ("countries", "entities"),
}
# The parameters each kind of rule gives its messages, beyond the rule's own `params:`.
KIND_PARAMS: dict[type, frozenset[str]] = {
    ConditionTest: frozenset(),
    RangeTest: frozenset({"value", "min", "max"}),
    EstablishedTest: frozenset({"country"}),
    ConsortiumTest: frozenset({"n", "entities", "countries"}),
}


@dataclass(frozen=True)
class MessageSpec:
    """A message id from a check file, maybe with a plural form chosen by parameter `n`."""

    msgid: str
    plural: str | None = None


@dataclass(frozen=True)
class Rule:
    """One eligibility criterion: the requirement, its clause and source, and how to fix it."""

    id: str
    requirement: str
    clause: str
    source: str
    test: RuleTest
    fixes: tuple[tuple[str, MessageSpec], ...]
    unknown: str | None = None
    when: Condition | None = None
    params: tuple[tuple[str, ParamValue], ...] = ()

    def fix_for(self, reason: str) -> MessageSpec | None:
        """The fix message for a failure reason."""
        return dict(self.fixes).get(reason)


@dataclass(frozen=True)
class CofinancingNote:
    """A note computing total costs and own contribution from a requested grant and a rate."""

    amount_step: str
    rate: Decimal


@dataclass(frozen=True)
class Note:
    """Advice added to the verdict when its condition holds."""

    id: str
    text: str
    when: Condition | None = None
    params: tuple[tuple[str, ParamValue], ...] = ()
    cofinancing: CofinancingNote | None = None


@dataclass(frozen=True)
class CallWindow:
    """When applications are accepted; either end may be unknown."""

    opens: When | None
    closes: When | None


@dataclass(frozen=True)
class CheckSpec:
    """A validated eligibility check."""

    id: str
    file: str
    call: str
    source: str
    title: Text
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    notes: tuple[Note, ...]
    window: CallWindow
    status_unknown: str
    countries: CountryRules | None = None
    intro: str | None = None

    def question(self, step: str) -> Question:
        """The question with this id (for_each instances 'as.NO' map to 'as')."""
        base = step.split(".", 1)[0]
        for q in self.questions:
            if q.id == base:
                return q
        raise KeyError(step)


class SpecError(ValueError):
    """A check file that does not validate; the message names the file and the field."""


# --- loading -----------------------------------------------------------------------------------

_Catalogs: TypeAlias = dict[str, dict[str, tuple[str, ...]]]


def load_catalogs(locales_dir: Path = LOCALES_DIR) -> _Catalogs:
    """Every msgid of every .po domain per language -> its translation(s) (plural: all forms)."""
    catalogs: _Catalogs = {}
    for lang in LANGUAGES:
        entries: dict[str, tuple[str, ...]] = {}
        for po in sorted((locales_dir / lang / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            for message in catalog:
                if not message.id or message.fuzzy:
                    continue
                strings = (
                    message.string if isinstance(message.string, tuple) else (message.string,)
                )
                msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                entries.setdefault(str(msgid), tuple(str(s or "") for s in strings))
        catalogs[lang] = entries
    return catalogs


def placeholders(template: str) -> set[str]:
    """The {names} a format string uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass
class _MessageUse:
    msgid: str
    plural: str | None
    params: frozenset[str]
    where: str


class _Loader:
    """Reads one check file; every error names the file and the field."""

    def __init__(self, path: Path, facts_dir: Path) -> None:
        self.path = path
        self.facts_dir = facts_dir
        self.facts: Any = None
        self.uses: list[_MessageUse] = []
        self.step_ids: list[str] = []
        self.questions: dict[str, Question] = {}
        self.countries: CountryRules | None = None
        try:
            self.file = str(path.relative_to(PACKAGE_ROOT))
        except ValueError:
            self.file = str(path)

    def fail(self, where: str, problem: str) -> NoReturn:
        """Stop loading with an error naming the file and the field."""
        raise SpecError(f"{self.file}: {where}: {problem}")

    # -- small readers --

    def mapping(self, value: Any, where: str, allowed: Iterable[str]) -> dict[str, Any]:
        """A YAML mapping whose keys are all among `allowed`."""
        if not isinstance(value, dict):
            self.fail(where, "expected a mapping")
        unknown = set(value) - set(allowed)
        if unknown:
            self.fail(f"{where}.{sorted(unknown)[0]}", "unknown field")
        return value

    def text_field(
        self, value: Any, where: str, params: Iterable[str] = (), *, required: bool = True
    ) -> str | None:
        """A message id, recorded for the catalog check with the parameters it may use."""
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(where, "expected a non-empty message id")
        self.uses.append(_MessageUse(value, None, frozenset(params), where))
        return value

    def msg_field(self, value: Any, where: str, params: Iterable[str]) -> MessageSpec:
        """A message id, or {singular, plural} for a message counted by {n}."""
        if isinstance(value, dict):
            self.mapping(value, where, ("singular", "plural"))
            singular, plural = value.get("singular"), value.get("plural")
            if not isinstance(singular, str) or not isinstance(plural, str):
                self.fail(where, "a plural message needs `singular` and `plural`")
            if "n" not in set(params):
                self.fail(where, "a plural message needs a count {n}, which this field lacks")
            self.uses.append(_MessageUse(singular, plural, frozenset(params), where))
            return MessageSpec(singular, plural)
        text = self.text_field(value, where, params)
        assert text is not None
        return MessageSpec(text)

    def l10n(self, value: Any, where: str) -> L10n:
        """A text in en, sv and fi (from the facts)."""
        if not isinstance(value, dict) or any(
            not isinstance(value.get(lang), str) or not value[lang].strip() for lang in LANGUAGES
        ):
            self.fail(where, "expected a text in en, sv and fi")
        return L10n(value["en"], value["sv"], value["fi"])

    # -- facts --

    def load_facts(self, name: Any) -> None:
        """Read the facts file the check names."""
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9-]+", name):
            self.fail("facts", "expected the name of a facts file")
        path = self.facts_dir / f"{name}.yaml"
        if not path.is_file():
            self.fail("facts", f"no facts file {path}")
        self.facts = yaml.safe_load(path.read_text(encoding="utf-8"))

    def fact(self, ref: Any, where: str) -> Any:
        """Resolve {fact: path} against the facts file ('a.b', 'a[number=1].b', 'a.0')."""
        spec = self.mapping(ref, where, ("fact", "optional", "as"))
        path = spec.get("fact")
        if not isinstance(path, str):
            self.fail(where, "expected {fact: <path>}")
        value: Any = self.facts
        for part in re.findall(r"[^.\[\]]+(?:\[[^\]]*\])?", path):
            match = re.fullmatch(r"([^\[]+)(?:\[([^=\]]+)=([^\]]*)\])?", part)
            if match is None:
                self.fail(where, f"bad fact path {path!r}")
            key, sel_key, sel_value = match.groups()
            if isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            elif isinstance(value, dict) and key in value:
                value = value[key]
            elif spec.get("optional"):
                return None
            else:
                self.fail(where, f"unknown fact path {path!r} in facts {self.facts_name}")
            if sel_key is not None:
                found = [
                    item
                    for item in value or []
                    if isinstance(item, dict) and str(item.get(sel_key)) == sel_value
                ]
                if len(found) != 1:
                    self.fail(where, f"unknown fact path {path!r}: no single item {part}")
                value = found[0]
        if value is None and not spec.get("optional"):
            self.fail(where, f"fact {path!r} is empty in facts {self.facts_name}")
        return value

    @property
    def facts_name(self) -> str:
        """The facts file's id, for error messages."""
        return str(self.facts.get("id")) if isinstance(self.facts, dict) else "?"

    def number(self, value: Any, where: str) -> Decimal:
        """A number, literal or from the facts."""
        if isinstance(value, dict):
            value = self.fact(value, where)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(where, "expected a number or {fact: ...}")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            self.fail(where, "expected a number")

    def param(self, value: Any, where: str) -> ParamValue:
        """A message parameter: a literal, or a fact converted to Money/L10n/Percent/When."""
        if not isinstance(value, dict):
            if isinstance(value, bool) or not isinstance(value, int | str):
                self.fail(where, "expected a number, text or {fact: ...}")
            return value
        kind = value.get("as")
        resolved = self.fact(value, where)
        if kind == "percent":
            return Percent(self.number(resolved, where))
        if kind not in (None, "number"):
            self.fail(f"{where}.as", "expected `percent` or `number`")
        if isinstance(resolved, dict) and {"amount", "currency"} <= set(resolved):
            return Money(self.number(resolved["amount"], where), str(resolved["currency"]))
        if isinstance(resolved, dict) and set(LANGUAGES) <= set(resolved):
            return Labels((self.l10n(resolved, where),))
        if isinstance(resolved, dict) and "date" in resolved:
            return self.when_value(resolved, where)
        if isinstance(resolved, bool):
            self.fail(where, "a yes/no fact cannot be shown as a parameter")
        if isinstance(resolved, int):
            return resolved
        if isinstance(resolved, float):
            return Decimal(str(resolved))
        if isinstance(resolved, str):
            return resolved
        if isinstance(resolved, date):
            return resolved
        self.fail(where, "this fact cannot be shown as a parameter")

    def params(self, value: Any, where: str) -> tuple[tuple[str, ParamValue], ...]:
        """Message parameters by name."""
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail(where, "expected a mapping of parameter names")
        return tuple((str(k), self.param(v, f"{where}.{k}")) for k, v in value.items())

    def when_value(self, value: Any, where: str) -> When:
        """A date, optional time and time zone from the facts."""
        spec = self.mapping(value, where, ("date", "time", "tz"))
        day = spec.get("date")
        if not isinstance(day, date):
            self.fail(f"{where}.date", "expected a date YYYY-MM-DD")
        raw_time = spec.get("time")
        at: time | None = None
        if isinstance(raw_time, int) and not isinstance(raw_time, bool):
            # YAML 1.1 reads an unquoted 17:00 as the sexagesimal integer 1020.
            at = time(raw_time // 60, raw_time % 60)
        elif isinstance(raw_time, str):
            try:
                at = time.fromisoformat(raw_time)
            except ValueError:
                self.fail(f"{where}.time", "expected HH:MM")
        elif raw_time is not None:
            self.fail(f"{where}.time", "expected HH:MM or null")
        zone = spec.get("tz")
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(f"{where}.tz", f"unknown time zone {zone!r}")
        return When(day, at, str(zone))

    # -- conditions --

    def condition(self, value: Any, where: str, before: Sequence[str]) -> Condition:
        """A `when:`/rule condition; it may only test questions asked before."""
        if not isinstance(value, dict) or len(value) == 0:
            self.fail(where, "expected a condition")
        if "all" in value or "any" in value:
            key = "all" if "all" in value else "any"
            self.mapping(value, where, (key,))
            items = value[key]
            if not isinstance(items, list) or not items:
                self.fail(f"{where}.{key}", "expected a list of conditions")
            parts = tuple(
                self.condition(c, f"{where}.{key}[{i}]", before) for i, c in enumerate(items)
            )
            return AllOf(parts) if key == "all" else AnyOf(parts)
        if "not" in value:
            self.mapping(value, where, ("not",))
            return Not(self.condition(value["not"], f"{where}.not", before))
        ops = ("equals", "in", "includes", "at_least", "at_most")
        spec = self.mapping(value, where, ("answer", *ops))
        step = str(spec.get("answer"))
        if step not in before:
            self.fail(f"{where}.answer", f"unknown question id {step!r} (or not asked before)")
        question = self.questions[step]
        if question.for_each:
            self.fail(f"{where}.answer", "conditions cannot test a per-country question")
        given = [op for op in ops if op in spec]
        if len(given) != 1:
            self.fail(where, f"expected exactly one of {', '.join(ops)}")
        op = given[0]
        raw = spec[op]
        allowed_ops = {
            QuestionType.YESNO: ("equals",),
            QuestionType.CHOICE: ("equals", "in"),
            QuestionType.MULTI: ("includes",),
            QuestionType.MONEY: ("at_least", "at_most"),
            QuestionType.NUMBER: ("equals", "at_least", "at_most"),
            QuestionType.COUNTRY: ("equals", "in"),
            QuestionType.COUNTRIES: ("includes",),
        }[question.type]
        if op not in allowed_ops:
            self.fail(f"{where}.{op}", f"not a test for a {question.type} question")
        if question.type is QuestionType.YESNO:
            if not isinstance(raw, bool):
                self.fail(f"{where}.{op}", "expected yes or no")
            return AnswerTest(step, op, raw)
        if question.type in (QuestionType.MONEY, QuestionType.NUMBER):
            return AnswerTest(step, op, self.number(raw, f"{where}.{op}"))
        values = raw if isinstance(raw, list) else [raw]
        if op == "in" and not isinstance(raw, list):
            self.fail(f"{where}.in", "expected a list")
        for item in values:
            if question.options and question.option(str(item)) is None:
                self.fail(f"{where}.{op}", f"unknown option {item!r} of question {step!r}")
        unsure = frozenset(o.id for o in question.options if o.unknown)
        if op == "in":
            return AnswerTest(step, op, tuple(str(v) for v in values), unsure)
        return AnswerTest(step, op, str(raw), unsure)

    # -- questions --

    def options(self, raw: dict[str, Any], where: str) -> tuple[Option, ...]:
        """Options listed in the file and/or taken from a list in the facts."""
        options: list[Option] = []
        source = raw.get("options_from")
        if source is not None:
            spec = self.mapping(
                source, f"{where}.options_from", ("fact", "id", "label", "id_prefix")
            )
            items = self.fact({"fact": spec.get("fact")}, f"{where}.options_from")
            if not isinstance(items, list) or not items:
                self.fail(f"{where}.options_from", "expected a non-empty list in the facts")
            id_key, label_key = spec.get("id", "id"), spec.get("label", "text")
            prefix = str(spec.get("id_prefix", ""))
            for i, item in enumerate(items):
                here = f"{where}.options_from[{i}]"
                if not isinstance(item, dict) or id_key not in item or label_key not in item:
                    self.fail(here, f"fact item lacks {id_key!r} or {label_key!r}")
                options.append(
                    Option(
                        f"{prefix}{item[id_key]}",
                        self.l10n(item[label_key], f"{here}.{label_key}"),
                    )
                )
        for key in ("options", "extra_options"):
            for i, item in enumerate(raw.get(key) or []):
                here = f"{where}.{key}[{i}]"
                spec = self.mapping(item, here, ("id", "label", "exclusive", "unknown"))
                label = self.text_field(spec.get("label"), f"{here}.label")
                assert label is not None
                options.append(
                    Option(
                        str(spec.get("id")),
                        label,
                        bool(spec.get("exclusive")),
                        bool(spec.get("unknown")),
                    )
                )
        seen: set[str] = set()
        for i, option in enumerate(options):
            if not _OPTION_ID.match(option.id) or option.id in CONTROL_OPTIONS:
                self.fail(
                    f"{where}.options[{i}].id",
                    f"option id {option.id!r} must be short ASCII and not reserved",
                )
            if option.id in seen:
                self.fail(f"{where}.options[{i}].id", f"duplicate option id {option.id!r}")
            seen.add(option.id)
        return tuple(options)

    def question(self, raw: Any, index: int) -> Question:
        """One step of the check."""
        where = f"steps[{index}]"
        fields = (
            "id",
            "type",
            "prompt",
            "help",
            "summary",
            "options",
            "options_from",
            "extra_options",
            "unsure",
            "when",
            "for_each",
            "min",
            "max",
            "unit",
            "params",
        )
        spec = self.mapping(raw, where, fields)
        qid = spec.get("id")
        if not isinstance(qid, str) or not _ID.match(qid):
            self.fail(f"{where}.id", "expected a short lower-case ASCII id")
        if qid in self.questions:
            self.fail(f"{where}.id", f"duplicate question id {qid!r}")
        where = f"steps[{index}] ({qid})"
        try:
            qtype = QuestionType(str(spec.get("type")))
        except ValueError:
            self.fail(f"{where}.type", f"unknown type {spec.get('type')!r}")
        params = self.params(spec.get("params"), f"{where}.params")
        names = {name for name, _ in params}
        for_each: tuple[str, ...] = ()
        if spec.get("for_each") is not None:
            each = self.mapping(spec["for_each"], f"{where}.for_each", ("non_member_countries",))
            steps = each.get("non_member_countries")
            if not isinstance(steps, list) or not steps:
                self.fail(f"{where}.for_each", "expected non_member_countries: [question ids]")
            for step in steps:
                kind = self.questions.get(step)
                if kind is None or kind.type not in (QuestionType.COUNTRY, QuestionType.COUNTRIES):
                    self.fail(f"{where}.for_each", f"{step!r} is not an earlier country question")
            if qtype is not QuestionType.YESNO:
                self.fail(f"{where}.for_each", "only yes/no questions can be asked per country")
            for_each = tuple(steps)
            names.add("country")
        prompt = self.text_field(spec.get("prompt"), f"{where}.prompt", names)
        help_text = self.text_field(spec.get("help"), f"{where}.help", names, required=False)
        summary = self.text_field(spec.get("summary"), f"{where}.summary", names)
        assert prompt is not None and summary is not None
        when = None
        if spec.get("when") is not None:
            when = self.condition(spec["when"], f"{where}.when", self.step_ids)
        options = self.options(spec, where)
        if qtype in (QuestionType.CHOICE, QuestionType.MULTI) and len(options) < 2:
            self.fail(f"{where}.options", "a choice needs at least two options")
        if qtype not in (QuestionType.CHOICE, QuestionType.MULTI) and options:
            self.fail(f"{where}.options", f"a {qtype} question has no options")
        if qtype is not QuestionType.MULTI and any(o.exclusive for o in options):
            self.fail(f"{where}.options", "only multiple choice has exclusive options")
        if qtype is not QuestionType.CHOICE and any(o.unknown for o in options):
            self.fail(f"{where}.options", "only single choice has `unknown` options")
        unit = spec.get("unit")
        if unit not in (None, "months") or (unit and qtype is not QuestionType.NUMBER):
            self.fail(f"{where}.unit", "only number questions take unit: months")
        bounds = {k: self.number(spec[k], f"{where}.{k}") for k in ("min", "max") if k in spec}
        if bounds and qtype not in (QuestionType.NUMBER, QuestionType.MONEY):
            self.fail(f"{where}.min", "only number and money questions take min/max")
        if spec.get("unsure") and qtype is not QuestionType.YESNO:
            self.fail(f"{where}.unsure", "only yes/no questions offer “I don't know”")
        question = Question(
            id=qid,
            type=qtype,
            prompt=prompt,
            summary=summary,
            help=help_text,
            options=options,
            unsure=bool(spec.get("unsure")),
            when=when,
            for_each=for_each,
            minimum=bounds.get("min"),
            maximum=bounds.get("max"),
            unit=unit if isinstance(unit, str) else None,
            params=params,
        )
        self.questions[qid] = question
        self.step_ids.append(qid)
        return question

    # -- rules --

    def answer_ref(self, value: Any, where: str, types: Sequence[QuestionType]) -> str:
        """A question id whose type is one of `types`."""
        question = self.questions.get(value) if isinstance(value, str) else None
        if question is None:
            self.fail(where, f"unknown question id {value!r}")
        if question.type not in types and not (question.for_each and QuestionType.YESNO in types):
            self.fail(where, f"question {value!r} is a {question.type} question")
        return str(value)

    def association_ref(self, value: Any, where: str) -> str | None:
        """The per-country question that says whether a non-EU country is associated."""
        if value is None:
            return None
        ref = self.answer_ref(value, where, (QuestionType.YESNO,))
        if not self.questions[ref].for_each:
            self.fail(where, f"{ref!r} is not a per-country question")
        return ref

    def rule_test(self, raw: Any, where: str) -> RuleTest:
        """The test of a rule: condition, range, established or consortium."""
        kinds = ("condition", "range", "established", "consortium")
        spec = self.mapping(raw, where, kinds)
        if len(spec) != 1:
            self.fail(where, f"expected exactly one of {', '.join(kinds)}")
        kind, body = next(iter(spec.items()))
        here = f"{where}.{kind}"
        if kind == "condition":
            return ConditionTest(self.condition(body, here, self.step_ids))
        if kind == "range":
            body = self.mapping(body, here, ("answer", "min", "max"))
            step = self.answer_ref(
                body.get("answer"), f"{here}.answer", (QuestionType.MONEY, QuestionType.NUMBER)
            )
            low, high = (
                self.number(body.get("min"), f"{here}.min"),
                self.number(body.get("max"), f"{here}.max"),
            )
            if low > high:
                self.fail(here, "min is above max")
            return RangeTest(step, low, high)
        if self.countries is None:
            self.fail(here, "this check has no `countries:` rules")
        if kind == "established":
            body = self.mapping(body, here, ("answer", "association"))
            return EstablishedTest(
                self.answer_ref(body.get("answer"), f"{here}.answer", (QuestionType.COUNTRY,)),
                self.association_ref(body.get("association"), f"{here}.association"),
            )
        body = self.mapping(
            body, here, ("applicant", "partners", "association", "min_entities", "min_countries")
        )
        return ConsortiumTest(
            applicant=self.answer_ref(
                body.get("applicant"), f"{here}.applicant", (QuestionType.COUNTRY,)
            ),
            partners=self.answer_ref(
                body.get("partners"), f"{here}.partners", (QuestionType.COUNTRIES,)
            ),
            association=self.association_ref(body.get("association"), f"{here}.association"),
            min_entities=int(self.number(body.get("min_entities"), f"{here}.min_entities")),
            min_countries=int(self.number(body.get("min_countries"), f"{here}.min_countries")),
        )

    def rule(self, raw: Any, index: int, default_source: str) -> Rule:
        """One criterion with its clause, source and fixes."""
        where = f"rules[{index}]"
        fields = (
            "id",
            "requirement",
            "clause",
            "source",
            "test",
            "fix",
            "unknown",
            "when",
            "params",
            "based_on",
        )
        spec = self.mapping(raw, where, fields)
        rid = spec.get("id")
        if not isinstance(rid, str) or not _ID.match(rid):
            self.fail(f"{where}.id", "expected a short lower-case ASCII id")
        where = f"rules[{index}] ({rid})"
        for i, path in enumerate(spec.get("based_on") or []):
            if self.fact({"fact": path}, f"{where}.based_on[{i}]") is not True:
                self.fail(f"{where}.based_on[{i}]", f"fact {path!r} is not true in the facts")
        params = self.params(spec.get("params"), f"{where}.params")
        own = {name for name, _ in params}
        test = self.rule_test(spec.get("test"), f"{where}.test")
        names = own | KIND_PARAMS[type(test)]
        requirement = self.text_field(spec.get("requirement"), f"{where}.requirement", own)
        clause = self.text_field(spec.get("clause"), f"{where}.clause")
        assert requirement is not None and clause is not None
        source = spec.get("source", default_source)
        if not isinstance(source, str) or not re.fullmatch(r"[a-z0-9-]+", source):
            self.fail(f"{where}.source", "expected a document id")
        reasons = FAIL_REASONS[type(test)]
        raw_fix = spec.get("fix")
        fixes: list[tuple[str, MessageSpec]] = []
        if isinstance(raw_fix, dict) and set(raw_fix) - {"singular", "plural"}:
            self.mapping(raw_fix, f"{where}.fix", reasons)
            for reason in reasons:
                if reason not in raw_fix:
                    self.fail(f"{where}.fix.{reason}", "missing fix for this failure")
                fixes.append(
                    (reason, self.msg_field(raw_fix[reason], f"{where}.fix.{reason}", names))
                )
        else:
            message = self.msg_field(raw_fix, f"{where}.fix", names)
            fixes = [(reason, message) for reason in reasons]
        unknown = self.text_field(spec.get("unknown"), f"{where}.unknown", names, required=False)
        when = None
        if spec.get("when") is not None:
            when = self.condition(spec["when"], f"{where}.when", self.step_ids)
        return Rule(rid, requirement, clause, source, test, tuple(fixes), unknown, when, params)

    def note(self, raw: Any, index: int) -> Note:
        """Advice for the verdict, shown when its condition holds."""
        where = f"notes[{index}]"
        spec = self.mapping(raw, where, ("id", "text", "when", "params", "cofinancing"))
        nid = spec.get("id")
        if not isinstance(nid, str) or not _ID.match(nid):
            self.fail(f"{where}.id", "expected a short lower-case ASCII id")
        params = self.params(spec.get("params"), f"{where}.params")
        names = {name for name, _ in params}
        cofinancing = None
        if spec.get("cofinancing") is not None:
            body = self.mapping(spec["cofinancing"], f"{where}.cofinancing", ("amount", "rate"))
            step = self.answer_ref(
                body.get("amount"), f"{where}.cofinancing.amount", (QuestionType.MONEY,)
            )
            rate = self.number(body.get("rate"), f"{where}.cofinancing.rate")
            if not Decimal(0) < rate <= Decimal(1):
                self.fail(f"{where}.cofinancing.rate", "expected a rate between 0 and 1")
            cofinancing = CofinancingNote(step, rate)
            names |= {"grant", "rate", "total", "own"}
        text = self.text_field(spec.get("text"), f"{where}.text", names)
        assert text is not None
        when = None
        if spec.get("when") is not None:
            when = self.condition(spec["when"], f"{where}.when", self.step_ids)
        return Note(nid, text, when, params, cofinancing)

    # -- the whole file --

    def load(self) -> CheckSpec:
        """The whole file, validated into a CheckSpec."""
        try:
            raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            self.fail("(file)", f"not valid YAML: {exc}")
        spec = self.mapping(
            raw,
            "(top level)",
            (
                "id",
                "call",
                "facts",
                "source",
                "title",
                "intro",
                "countries",
                "window",
                "status_unknown",
                "steps",
                "rules",
                "notes",
            ),
        )
        check_id = spec.get("id")
        if not isinstance(check_id, str) or not _CHECK_ID.match(check_id):
            self.fail("id", "expected a short lower-case ASCII id (2-10 characters)")
        self.load_facts(spec.get("facts"))
        call = spec.get("call")
        if isinstance(call, dict):
            call = self.fact(call, "call")
        if not isinstance(call, str) or not call:
            self.fail("call", "expected the call's name or reference")
        source = spec.get("source")
        if isinstance(source, dict):
            source = self.fact(source, "source")
        if not isinstance(source, str) or not re.fullmatch(r"[a-z0-9-]+", source):
            self.fail("source", "expected a document id")
        raw_title = spec.get("title")
        title: Text
        if isinstance(raw_title, dict) and "fact" in raw_title:
            title = self.l10n(self.fact(raw_title, "title"), "title")
        else:
            text = self.text_field(raw_title, "title")
            assert text is not None
            title = text
        intro = self.text_field(spec.get("intro"), "intro", required=False)
        if spec.get("countries") is not None:
            block = self.fact(spec["countries"], "countries")
            block = self.mapping(
                block,
                "countries (in facts)",
                ("member_states", "overseas_included", "excluded", "associated", "text"),
            )
            excluded = block.get("excluded") or []
            if not isinstance(excluded, list) or not all(
                isinstance(c, str) and re.fullmatch("[A-Z]{2}", c) for c in excluded
            ):
                self.fail("countries (in facts).excluded", "expected ISO country codes")
            self.countries = CountryRules(
                member_states=bool(block.get("member_states")),
                overseas_included=block.get("overseas_included"),
                excluded=frozenset(excluded),
                associated=bool(block.get("associated")),
            )
        window_spec = self.mapping(spec.get("window") or {}, "window", ("opens", "closes"))
        ends: dict[str, When | None] = {}
        for end in ("opens", "closes"):
            ref = window_spec.get(end)
            value = self.fact(ref, f"window.{end}") if ref is not None else None
            ends[end] = self.when_value(value, f"window.{end}") if value is not None else None
        status_unknown = (
            self.text_field(spec.get("status_unknown"), "status_unknown", required=False)
            or MSG_STATUS_UNKNOWN
        )
        steps = spec.get("steps")
        if not isinstance(steps, list) or not steps:
            self.fail("steps", "expected a list of questions")
        questions = tuple(self.question(q, i) for i, q in enumerate(steps))
        rules_raw = spec.get("rules")
        if not isinstance(rules_raw, list) or not rules_raw:
            self.fail("rules", "expected a list of rules")
        rules = tuple(self.rule(r, i, source) for i, r in enumerate(rules_raw))
        ids = [r.id for r in rules]
        if len(set(ids)) != len(ids):
            self.fail("rules", "duplicate rule ids")
        notes = tuple(self.note(n, i) for i, n in enumerate(spec.get("notes") or []))
        check = CheckSpec(
            id=check_id,
            file=self.file,
            call=call,
            source=source,
            title=title,
            questions=questions,
            rules=rules,
            notes=notes,
            window=CallWindow(ends["opens"], ends["closes"]),
            status_unknown=status_unknown,
            countries=self.countries,
            intro=intro,
        )
        self.check_callback_budget(check)
        return check

    def check_callback_budget(self, check: CheckSpec) -> None:
        """Every button of every step must fit in 64 bytes of callback data."""
        for q in check.questions:
            step = f"{q.id}.XX" if q.for_each else q.id
            ids = [o.id for o in q.options] + sorted(CONTROL_OPTIONS) + [YES, NO, UNSURE]
            for option in ids:
                data = encode_callback(check.id, step, option)
                if len(data.encode("utf-8")) > CALLBACK_MAX_BYTES:
                    self.fail(f"steps ({q.id})", f"callback data {data!r} is over 64 bytes")

    def check_messages(self, catalogs: _Catalogs) -> None:
        """Every message id is translated in every language and gets its parameters."""
        for use in self.uses:
            for lang in LANGUAGES:
                strings = catalogs.get(lang, {}).get(use.msgid)
                if not strings or not all(s.strip() for s in strings):
                    self.fail(use.where, f"message id not translated in {lang}: {use.msgid!r}")
                if use.plural is not None and len(strings) < 2:
                    self.fail(use.where, f"message has no plural forms in {lang}")
            used = placeholders(use.msgid) | placeholders(use.plural or "")
            if used - use.params:
                self.fail(
                    use.where,
                    f"message uses {sorted(used - use.params)} which this field does not provide",
                )


def load_check(
    path: Path,
    *,
    facts_dir: Path = FACTS_DIR,
    catalogs: _Catalogs | None = None,
) -> CheckSpec:
    """Load and validate one check file; raise SpecError naming the file and field."""
    loader = _Loader(path, facts_dir)
    check = loader.load()
    loader.check_messages(catalogs if catalogs is not None else load_catalogs())
    return check


def load_checks(
    checks_dir: Path = CHECKS_DIR,
    *,
    facts_dir: Path = FACTS_DIR,
    locales_dir: Path = LOCALES_DIR,
) -> dict[str, CheckSpec]:
    """Load every check under checks_dir (start-up): check id -> spec; any error stops start-up."""
    catalogs = load_catalogs(locales_dir)
    checks: dict[str, CheckSpec] = {}
    for path in sorted(checks_dir.glob("*.yaml")):
        check = load_check(path, facts_dir=facts_dir, catalogs=catalogs)
        if check.id in checks:
            raise SpecError(
                f"{check.file}: id: {check.id!r} is also used by {checks[check.id].file}"
            )
        checks[check.id] = check
    return checks


# --- callback data -----------------------------------------------------------------------------


def encode_callback(check_id: str, step: str, option: str) -> str:
    """Callback data for a button: 'elig:<check>:<step>:<option>' (at most 64 bytes)."""
    return f"{CALLBACK_PREFIX}:{check_id}:{step}:{option}"


def decode_callback(data: str) -> tuple[str, str, str] | None:
    """(check, step, option) from callback data, or None when it is not ours."""
    parts = data.split(":")
    if len(parts) != 4 or parts[0] != CALLBACK_PREFIX or not all(parts[1:]):
        return None
    return parts[1], parts[2], parts[3]


# --- state -------------------------------------------------------------------------------------

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


# --- events and outcomes -----------------------------------------------------------------------


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


# --- the engine --------------------------------------------------------------------------------


@dataclass
class _Answers:
    done: dict[str, Value] = field(default_factory=dict)
    pending: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Instance:
    question: Question
    id: str
    country: str | None = None


def _evaluate(condition: Condition, done: Mapping[str, Value]) -> bool | None:
    """Three-valued: None when an answer it needs is missing or "I don't know"."""
    if isinstance(condition, AllOf):
        results = [_evaluate(c, done) for c in condition.items]
        return False if False in results else None if None in results else True
    if isinstance(condition, AnyOf):
        results = [_evaluate(c, done) for c in condition.items]
        return True if True in results else None if None in results else False
    if isinstance(condition, Not):
        inner = _evaluate(condition.item, done)
        return None if inner is None else not inner
    value = done.get(condition.step)
    if value is None or (isinstance(value, str) and value in condition.unknown):
        return None
    if condition.op == "equals":
        return value == condition.value
    if condition.op == "in":
        return value in condition.value
    if condition.op == "includes":
        return isinstance(value, tuple) and condition.value in value
    number = Decimal(str(value))
    return number >= condition.value if condition.op == "at_least" else number <= condition.value


def _country_answers(steps: Sequence[str], done: Mapping[str, Value]) -> list[str]:
    codes: list[str] = []
    for step in steps:
        value = done.get(step)
        if isinstance(value, str):
            codes.append(value)
        elif isinstance(value, tuple):
            codes.extend(value)
    return codes


def _instances(spec: CheckSpec, done: Mapping[str, Value]) -> list[_Instance]:
    """The questions that apply given the answers so far, per-country ones expanded."""
    found: list[_Instance] = []
    for q in spec.questions:
        if q.when is not None and _evaluate(q.when, done) is not True:
            continue
        if not q.for_each:
            found.append(_Instance(q, q.id))
            continue
        rules = spec.countries
        seen: set[str] = set()
        for code in _country_answers(q.for_each, done):
            if code not in seen and rules is not None and needs_association_answer(code, rules):
                seen.add(code)
                found.append(_Instance(q, f"{q.id}.{code}", code))
    return found


def _current(spec: CheckSpec, answers: _Answers) -> tuple[_Instance | None, list[_Instance]]:
    instances = _instances(spec, answers.done)
    current = next((i for i in instances if i.id not in answers.done), None)
    return current, instances


def _apply(answers: _Answers, question: Question, entry: Entry) -> None:
    if entry.op == "set":
        answers.done[entry.step] = entry.value
    elif entry.op == "add" and isinstance(entry.value, tuple):
        answers.pending[entry.step] = answers.pending.get(entry.step, ()) + entry.value
    elif entry.op == "toggle" and isinstance(entry.value, str):
        answers.pending[entry.step] = _toggled(
            question, answers.pending.get(entry.step, ()), entry.value
        )
    elif entry.op == "finish":
        answers.done[entry.step] = answers.pending.pop(entry.step, ())


def _toggled(question: Question, selected: tuple[str, ...], option_id: str) -> tuple[str, ...]:
    """Flip one option; an exclusive one ("none of these") clears the rest and vice versa."""
    option = question.option(option_id)
    if option_id in selected:
        chosen = set(selected) - {option_id}
    elif option is not None and option.exclusive:
        chosen = {option_id}
    else:
        chosen = {s for s in selected if not (o := question.option(s)) or not o.exclusive}
        chosen.add(option_id)
    return tuple(o.id for o in question.options if o.id in chosen)


def _valid_entry(question: Question, entry: Entry) -> bool:
    """Whether a logged entry still fits the question (the check file may have changed)."""
    v = entry.value
    if entry.op == "set":
        match question.type:
            case QuestionType.YESNO:
                return isinstance(v, bool) or (v is None and question.unsure)
            case QuestionType.CHOICE:
                return isinstance(v, str) and question.option(v) is not None
            case QuestionType.MULTI:
                return isinstance(v, tuple) and bool(v) and all(question.option(o) for o in v)
            case QuestionType.MONEY:
                return isinstance(v, str)
            case QuestionType.NUMBER:
                return isinstance(v, int) and not isinstance(v, bool)
            case QuestionType.COUNTRY:
                return isinstance(v, str)
        return False
    if entry.op == "add":
        return question.type is QuestionType.COUNTRIES and isinstance(v, tuple)
    if entry.op == "toggle":
        return (
            question.type is QuestionType.MULTI and isinstance(v, str) and bool(question.option(v))
        )
    return entry.op == "finish" and question.collects


def _replay(spec: CheckSpec, state: DialogState) -> tuple[DialogState, _Answers]:
    """Rebuild the answers; entries that no longer fit the check (it changed) are dropped."""
    answers = _Answers()
    for index, entry in enumerate(state.log):
        current, _ = _current(spec, answers)
        if (
            current is None
            or entry.step != current.id
            or not _valid_entry(current.question, entry)
        ):
            return replace(state, log=state.log[:index]), answers
        _apply(answers, current.question, entry)
    return state, answers


def _yes_no_options(question: Question) -> tuple[Option, ...]:
    options = (Option(YES, MSG_YES), Option(NO, MSG_NO))
    return (*options, Option(UNSURE, MSG_UNSURE)) if question.unsure else options


def _ask(
    spec: CheckSpec,
    state: DialogState,
    answers: _Answers,
    current: _Instance,
    instances: list[_Instance],
    *,
    show_help: bool = False,
) -> Ask:
    q = current.question
    params = dict(q.params)
    if current.country is not None:
        params["country"] = Countries((current.country,))
    options = _yes_no_options(q) if q.type is QuestionType.YESNO else q.options
    selected = answers.pending.get(current.id, ())
    notes: list[Message] = []
    if q.type is QuestionType.COUNTRIES:
        notes.extend(_partner_notes(spec, q, answers))
    elif q.type is QuestionType.MULTI and selected:
        chosen = tuple(o.label for o in q.options if o.id in selected)
        notes.append(Message.of(MSG_SELECTED, options=Labels(chosen)))
    position = next(i for i, inst in enumerate(instances) if inst.id == current.id)
    total = max(len(instances), longest_path(spec, answers.done))
    return Ask(
        state=state,
        check=spec.id,
        step=current.id,
        question=q,
        prompt=Message(q.prompt, tuple(params.items())),
        options=options,
        progress=Progress(position + 1, total),
        selected=selected,
        notes=tuple(notes),
        feedback=_feedback(spec, state, answers),
        help=Message(q.help, tuple(params.items())) if q.help else None,
        show_help=show_help,
        can_finish=q.collects,
        at_start=not state.log,
    )


def _conditions_on(spec: CheckSpec) -> dict[str, list[AnswerTest]]:
    """The tests of `when:` conditions, by the step whose answer they read."""
    found: dict[str, list[AnswerTest]] = {}

    def walk(condition: Condition) -> None:
        if isinstance(condition, AllOf | AnyOf):
            for item in condition.items:
                walk(item)
        elif isinstance(condition, Not):
            walk(condition.item)
        else:
            found.setdefault(condition.step, []).append(condition)

    for q in spec.questions:
        if q.when is not None:
            walk(q.when)
    return found


def _branch_values(q: Question, tests: Sequence[AnswerTest]) -> list[Value]:
    """Answers to a question that decide later `when:` conditions differently."""
    if q.type is QuestionType.YESNO:
        return [True, False, *([None] if q.unsure else [])]
    if q.type is QuestionType.CHOICE:
        return [o.id for o in q.options]
    if q.type is QuestionType.MULTI:
        return [(o.id,) for o in q.options]
    values: list[Value] = [None]
    for test in tests:
        if test.op in ("at_least", "at_most"):
            limit = Decimal(str(test.value))
            values += [str(limit), str(limit - 1), str(limit + 1)]
        elif test.op == "in":
            values += list(test.value)
        else:
            values.append(test.value)
    return values


def longest_path(spec: CheckSpec, done: Mapping[str, Value]) -> int:
    """How many questions the longest way through the check still takes, given the answers.

    The step counter shows this total, so it only shrinks as branches are settled instead of
    jumping up ("1/2, 2/2, 3/4"). Follow-up questions per named country are counted once their
    country is named: before that nobody can know how many there will be.
    """
    branching = _conditions_on(spec)

    def walk(answers: dict[str, Value]) -> int:
        instances = _instances(spec, answers)
        current = next((i for i in instances if i.id not in answers), None)
        if current is None:
            return len(instances)
        tests = branching.get(current.id)
        if not tests:
            return walk({**answers, current.id: None})
        return max(
            walk({**answers, current.id: value})
            for value in _branch_values(current.question, tests)
        )

    return walk(dict(done))


def _rule_steps(rule: Rule) -> set[str]:
    test = rule.test
    if isinstance(test, ConditionTest):
        return set(_steps_in(test.condition))
    if isinstance(test, RangeTest):
        return {test.step}
    if isinstance(test, EstablishedTest):
        return {test.step, test.association or ""}
    return {test.applicant, test.partners, test.association or ""}


def _feedback(spec: CheckSpec, state: DialogState, answers: _Answers) -> tuple[Message, ...]:
    """Criteria the answer just given fails (an answer still open says nothing)."""
    if not state.log or state.log[-1].op not in ("set", "finish"):
        return ()
    answered = state.log[-1].step.split(".", 1)[0]
    messages: list[Message] = []
    for rule in spec.rules:
        if answered not in _rule_steps(rule):
            continue
        if rule.when is not None and _evaluate(rule.when, answers.done) is not True:
            continue
        outcome = _run_test(spec, rule.test, answers.done)
        if outcome.result is Result.FAIL:
            requirement = Message(rule.requirement, rule.params)
            messages.append(Message.of(MSG_NOTED, requirement=requirement))
            messages.extend(outcome.details)
    if messages:
        messages.append(Message.of(MSG_GOES_ON))
    return tuple(messages)


def _partner_notes(spec: CheckSpec, q: Question, answers: _Answers) -> list[Message]:
    """While partners are entered: who is in so far and how many count."""
    partners = answers.pending.get(q.id, ())
    if not partners:
        return [Message.of(MSG_PARTNERS_NONE)]
    notes = [Message.count(MSG_PARTNERS_SO_FAR, len(partners), names=Countries(partners))]
    test = next(
        (
            r.test
            for r in spec.rules
            if isinstance(r.test, ConsortiumTest) and r.test.partners == q.id
        ),
        None,
    )
    if test is None or spec.countries is None:
        return notes
    done = {**answers.done, q.id: partners}
    tally = _consortium_tally(spec.countries, test, done)
    notes.append(
        Message.of(
            MSG_CONSORTIUM_COUNT,
            entities=len(tally.counted),
            countries=len(set(tally.counted)),
            min_entities=test.min_entities,
            min_countries=test.min_countries,
        )
    )
    if tally.not_counted:
        notes.append(Message.of(MSG_NOT_COUNTED, names=Countries(_unique(tally.not_counted))))
    if tally.unclear:
        notes.append(Message.of(MSG_UNCLEAR, names=Countries(_unique(tally.unclear))))
    return notes


def _outcome(
    spec: CheckSpec,
    state: DialogState,
    answers: _Answers,
    now: datetime,
    *,
    show_help: bool = False,
) -> Ask | Done:
    current, instances = _current(spec, answers)
    if current is None:
        return Done(state, evaluate(spec, state, now))
    return _ask(spec, state, answers, current, instances, show_help=show_help)


def _choice_options(options: Sequence[Option], t: Translator | None) -> list[ChoiceOption]:
    result = []
    for option in options:
        labels: tuple[str, ...]
        if isinstance(option.label, L10n):
            labels = (option.label.en, option.label.sv, option.label.fi)
        else:
            labels = (option.label,) + ((t.gettext(option.label),) if t is not None else ())
        result.append(ChoiceOption(option.id, labels, option.exclusive))
    return result


def _parse_typed(
    q: Question,
    ask: Ask,
    text: str,
    t: Translator | None,
) -> Entry | Message | None:
    """The entry a typed answer makes, a hint message when it does not fit, None for 'finish'."""
    result: Parsed[Any] | Rejected
    match q.type:
        case QuestionType.YESNO:
            result = parse_yes_no(text, allow_unsure=q.unsure)
        case QuestionType.CHOICE:
            result = parse_choice(text, _choice_options(q.options, t))
        case QuestionType.MULTI:
            result = parse_multi_choice(text, _choice_options(q.options, t))
        case QuestionType.MONEY:
            result = parse_money(text)
        case QuestionType.NUMBER:
            result = parse_whole_number(text, unit=q.unit)
        case QuestionType.COUNTRY:
            result = parse_country(text)
        case QuestionType.COUNTRIES:
            result = parse_countries(text)
    if isinstance(result, Rejected):
        return Message(result.hint, result.params)
    value: Any = result.value
    if q.type in (QuestionType.MONEY, QuestionType.NUMBER):
        low, high = q.minimum, q.maximum
        number = Decimal(value)
        if (low is not None and number < low) or (high is not None and number > high):
            if q.type is QuestionType.MONEY:
                return Message.of(
                    MSG_MONEY_RANGE, min=Money(low or Decimal(0)), max=Money(high or number)
                )
            return Message.of(MSG_NUMBER_RANGE, min=low or Decimal(0), max=high or number)
        return Entry(ask.step, "set", str(value) if q.type is QuestionType.MONEY else value)
    if q.type is QuestionType.COUNTRIES:
        return Entry(ask.step, "add", value) if value else None
    return Entry(ask.step, "set", value)


def _pressed_entry(q: Question, ask: Ask, option: str) -> Entry | None:
    if q.type is QuestionType.YESNO:
        values: dict[str, bool | None] = {YES: True, NO: False}
        if q.unsure:
            values[UNSURE] = None
        return Entry(ask.step, "set", values[option]) if option in values else None
    if q.option(option) is None:
        return None
    if q.type is QuestionType.MULTI:
        return Entry(ask.step, "toggle", option)
    if q.type is QuestionType.CHOICE:
        return Entry(ask.step, "set", option)
    return None


def _with(state: DialogState, entry: Entry) -> DialogState:
    return replace(state, log=(*state.log, entry))


def _finish(spec: CheckSpec, state: DialogState, ask: Ask, now: datetime) -> Outcome:
    if ask.question.type is QuestionType.MULTI and not ask.selected:
        return Invalid(ask, Message.of(MSG_NEED_SELECTION))
    return _append(spec, state, ask, Entry(ask.step, "finish"), now)


def _append(spec: CheckSpec, state: DialogState, ask: Ask, entry: Entry, now: datetime) -> Outcome:
    """Log one more entry; adding and toggling stop at a cap (the log is stored and replayed).

    Answers and Done are always taken: there are only as many as there are questions.
    """
    if entry.op in ("add", "toggle") and len(state.log) >= MAX_LOG_ENTRIES:
        return Invalid(ask, Message.of(MSG_LOG_FULL))
    return _after(spec, _with(state, entry), now)


def _after(spec: CheckSpec, state: DialogState, now: datetime) -> Ask | Done:
    state, answers = _replay(spec, state)
    return _outcome(spec, state, answers, now)


def next_step(
    spec: CheckSpec,
    state: DialogState,
    event: Event,
    *,
    now: datetime,
    t: Translator | None = None,
) -> Outcome:
    """The pure engine: apply one event to a state and say what to show next.

    `now` (timezone-aware) dates the verdict and decides the call status; `t` lets typed answers
    match option labels in the user's language (numbers, ids and English labels always work).
    """
    if state.check != spec.id:
        raise ValueError(f"state of check {state.check!r} given to check {spec.id!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    state, answers = _replay(spec, state)
    current = _outcome(spec, state, answers, now)
    step_here = current.step if isinstance(current, Ask) else VERDICT_STEP
    if isinstance(event, Pressed) and event.option in (
        OPTION_BACK,
        OPTION_RESTART,
        OPTION_CANCEL,
        OPTION_HELP,
    ):
        if event.step != step_here:
            return Stale(current)
        event_map: dict[str, Event] = {
            OPTION_BACK: Back(event.step),
            OPTION_RESTART: Restart(),
            OPTION_CANCEL: Cancel(),
        }
        if event.option == OPTION_HELP:
            return _outcome(spec, state, answers, now, show_help=True)
        event = event_map[event.option]
    if isinstance(event, Typed):
        command = parse_command(event.text)
        if command is Command.BACK:
            event = Back()
        elif command is Command.RESTART:
            event = Restart()
        elif command is Command.CANCEL:
            event = Cancel()
        elif command is Command.HELP:
            return _outcome(spec, state, answers, now, show_help=True)
        elif isinstance(current, Ask) and command is Command.DONE and current.can_finish:
            return _finish(spec, state, current, now)
    match event:
        case Show():
            return current
        case Cancel():
            return Cancelled(state)
        case Restart():
            return _after(spec, start(spec), now)
        case Back(step=step):
            if step is not None and step != step_here:
                return Stale(current)
            if not state.log:
                return current
            return _after(spec, state.back(), now)
        case Pressed(step=step, option=option):
            if not isinstance(current, Ask) or step != current.step:
                return Stale(current)
            if option == OPTION_FINISH and current.can_finish:
                return _finish(spec, state, current, now)
            entry = _pressed_entry(current.question, current, option)
            if entry is None:
                return Stale(current)
            return _append(spec, state, current, entry, now)
        case Typed(text=text):
            if not isinstance(current, Ask):
                return current
            parsed = _parse_typed(current.question, current, text, t)
            if isinstance(parsed, Message):
                return Invalid(current, parsed)
            if parsed is None:
                return _finish(spec, state, current, now)
            return _append(spec, state, current, parsed, now)
    raise TypeError(f"unknown event {event!r}")


# --- the verdict -------------------------------------------------------------------------------


class Eligibility(StrEnum):
    """The overall answer."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    CANNOT_TELL = "cannot_tell"


class CallStatus(StrEnum):
    """Whether applications are accepted at the time of the check."""

    OPEN = "open"
    CLOSED = "closed"
    NOT_YET_OPEN = "not_yet_open"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Criterion:
    """One rule's outcome with its clause, source, details and what to do."""

    rule: str
    result: Result
    requirement: Message
    clause: str
    source: str
    details: tuple[Message, ...] = ()
    fix: Message | None = None
    advice: Message | None = None


@dataclass(frozen=True)
class AnswerLine:
    """One answer as the summary lists it."""

    label: Message
    value: ParamValue


@dataclass(frozen=True)
class Verdict:
    """The result of a check: overall, per criterion, call status, notes and the answers."""

    check: str
    call: str
    title: Text
    eligibility: Eligibility
    criteria: tuple[Criterion, ...]
    call_status: CallStatus
    window: CallWindow
    status_advice: Message | None
    notes: tuple[Message, ...]
    answers: tuple[AnswerLine, ...]
    checked_on: date

    def with_result(self, result: Result) -> tuple[Criterion, ...]:
        """The criteria that came out as result."""
        return tuple(c for c in self.criteria if c.result is result)


@dataclass(frozen=True)
class _Tally:
    counted: list[str]
    not_counted: list[str]
    unclear: list[str]
    standings: list[tuple[str, Standing]]


def _association(done: Mapping[str, Value], step: str | None) -> dict[str, bool | None]:
    if step is None:
        return {}
    prefix = f"{step}."
    return {
        key[len(prefix) :]: value
        for key, value in done.items()
        if key.startswith(prefix) and (value is None or isinstance(value, bool))
    }


def _consortium_tally(
    rules: CountryRules, test: ConsortiumTest, done: Mapping[str, Value]
) -> _Tally:
    association = _association(done, test.association)
    members: list[str] = []
    applicant = done.get(test.applicant)
    if isinstance(applicant, str):
        members.append(applicant)
    partners = done.get(test.partners)
    if isinstance(partners, tuple):
        members.extend(partners)
    tally = _Tally([], [], [], [])
    for code in members:
        standing = country_standing(code, rules, association)
        tally.standings.append((code, standing))
        {
            Result.PASS: tally.counted,
            Result.FAIL: tally.not_counted,
            Result.UNKNOWN: tally.unclear,
        }[standing.result].append(code)
    return tally


def _unique(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def _standing_message(code: str, standing: Standing) -> Message:
    parent = country_parent(code)
    params: dict[str, ParamValue] = {"country": Countries((code,))}
    if parent is not None:
        params["parent"] = Countries((parent,))
    return Message.of(MSG_STANDING[standing.value], **params)


@dataclass(frozen=True)
class _TestOutcome:
    result: Result
    reason: str = ""
    params: tuple[tuple[str, ParamValue], ...] = ()
    details: tuple[Message, ...] = ()


def _number_value(q: Question, value: Decimal) -> ParamValue:
    """A number answer shown as money, months or a plain number."""
    if q.type is QuestionType.MONEY:
        return Money(value)
    if q.unit == "months" and value == value.to_integral_value():
        return Count(int(value), MSG_MONTHS)
    return value


def _answer_value(q: Question, value: Value) -> ParamValue:
    """An answer as the user would say it."""
    if q.type is QuestionType.YESNO:
        return Labels((MSG_UNSURE if value is None else MSG_YES if value else MSG_NO,))
    if q.type is QuestionType.CHOICE and isinstance(value, str):
        option = q.option(value)
        return Labels((option.label if option else MSG_NONE,))
    if q.type is QuestionType.MULTI and isinstance(value, tuple):
        return Labels(tuple(o.label for o in q.options if o.id in value))
    if q.type in (QuestionType.MONEY, QuestionType.NUMBER) and isinstance(value, str | int):
        return _number_value(q, Decimal(value))
    if isinstance(value, str):
        return Countries((value,))
    if isinstance(value, tuple):
        return Countries(value)
    return Labels((MSG_NONE,))


def _steps_in(condition: Condition) -> list[str]:
    if isinstance(condition, AllOf | AnyOf):
        return [s for c in condition.items for s in _steps_in(c)]
    if isinstance(condition, Not):
        return _steps_in(condition.item)
    return [condition.step]


def _run_test(spec: CheckSpec, test: RuleTest, done: Mapping[str, Value]) -> _TestOutcome:
    if isinstance(test, ConditionTest):
        outcome = _evaluate(test.condition, done)
        details = tuple(
            Message.of(MSG_DETAIL_ANSWER, answer=_answer_value(spec.question(s), done[s]))
            for s in _unique(_steps_in(test.condition))
            if s in done
        )
        result = Result.UNKNOWN if outcome is None else Result.PASS if outcome else Result.FAIL
        return _TestOutcome(result, "fail", (), details)
    if isinstance(test, RangeTest):
        raw = done.get(test.step)
        q = spec.question(test.step)
        params: tuple[tuple[str, ParamValue], ...] = (
            ("min", _number_value(q, test.minimum)),
            ("max", _number_value(q, test.maximum)),
        )
        if raw is None:
            return _TestOutcome(Result.UNKNOWN, params=params)
        value = Decimal(str(raw))
        params = (("value", _number_value(q, value)), *params)
        detail = Message(MSG_DETAIL_RANGE, params)
        if value < test.minimum:
            return _TestOutcome(Result.FAIL, "low", params, (detail,))
        if value > test.maximum:
            return _TestOutcome(Result.FAIL, "high", params, (detail,))
        return _TestOutcome(Result.PASS, "", params, (detail,))
    rules = spec.countries
    assert rules is not None  # the loader refuses country rules without a countries block
    if isinstance(test, EstablishedTest):
        code = done.get(test.step)
        if not isinstance(code, str):
            return _TestOutcome(Result.UNKNOWN)
        standing = country_standing(code, rules, _association(done, test.association))
        reason = "excluded" if standing is Standing.EXCLUDED else "outside"
        return _TestOutcome(
            standing.result,
            reason,
            (("country", Countries((code,))),),
            (_standing_message(code, standing),),
        )
    tally = _consortium_tally(rules, test, done)
    entities, countries = len(tally.counted), len(set(tally.counted))
    lines: list[Message] = []
    if tally.counted:
        lines.append(
            Message.of(
                MSG_DETAIL_COUNTED,
                entities=entities,
                countries=countries,
                min_entities=test.min_entities,
                min_countries=test.min_countries,
                names=Countries(_unique(tally.counted)),
            )
        )
    else:
        lines.append(Message.of(MSG_DETAIL_NOTHING_COUNTED))
    seen: set[str] = set()
    for code, standing in tally.standings:
        if standing.result is not Result.PASS and code not in seen:
            seen.add(code)
            lines.append(_standing_message(code, standing))
    missing_countries = max(0, test.min_countries - countries)
    missing_entities = max(0, test.min_entities - entities)
    reason = "countries" if missing_countries else "entities"
    params = (
        ("n", max(missing_countries, missing_entities)),
        ("entities", entities),
        ("countries", countries),
    )
    if not isinstance(done.get(test.partners), tuple):
        return _TestOutcome(Result.UNKNOWN, reason, params, tuple(lines))
    if not missing_countries and not missing_entities:
        return _TestOutcome(Result.PASS, "", params, tuple(lines))
    maybe = tally.counted + tally.unclear
    if len(maybe) >= test.min_entities and len(set(maybe)) >= test.min_countries:
        return _TestOutcome(Result.UNKNOWN, reason, params, tuple(lines))
    return _TestOutcome(Result.FAIL, reason, params, tuple(lines))


def _spec_message(spec: MessageSpec, params: Mapping[str, ParamValue]) -> Message:
    n = params.get("n")
    count = n if isinstance(n, int) else 1
    return Message(spec.msgid, tuple(params.items()), spec.plural, count)


def call_status(window: CallWindow, now: datetime) -> CallStatus:
    """Open, closed, not yet open or unknown at `now` (a missing time means the whole day)."""
    if window.closes is None and window.opens is None:
        return CallStatus.UNKNOWN
    if window.opens is not None:
        opens = datetime.combine(
            window.opens.day, window.opens.at or time(0), ZoneInfo(window.opens.zone)
        )
        if now < opens:
            return CallStatus.NOT_YET_OPEN
    if window.closes is None:
        return CallStatus.UNKNOWN
    zone = ZoneInfo(window.closes.zone)
    if window.closes.at is None:
        closes = datetime.combine(window.closes.day + timedelta(days=1), time(0), zone)
        return CallStatus.OPEN if now < closes else CallStatus.CLOSED
    closes = datetime.combine(window.closes.day, window.closes.at, zone)
    return CallStatus.OPEN if now <= closes else CallStatus.CLOSED


def _cofinancing(note: CofinancingNote, done: Mapping[str, Value]) -> dict[str, ParamValue]:
    raw = done.get(note.amount_step)
    if not isinstance(raw, str):
        return {}
    grant = Decimal(raw)
    total = (grant / note.rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return {
        "grant": Money(grant),
        "rate": Percent(note.rate),
        "total": Money(total),
        "own": Money(total - grant),
    }


def evaluate(spec: CheckSpec, state: DialogState, now: datetime) -> Verdict:
    """The verdict for the answers in state (unanswered questions leave criteria open)."""
    state, answers = _replay(spec, state)
    done = answers.done
    criteria: list[Criterion] = []
    for rule in spec.rules:
        if rule.when is not None and _evaluate(rule.when, done) is not True:
            continue
        outcome = _run_test(spec, rule.test, done)
        params = {**dict(rule.params), **dict(outcome.params)}
        fix = advice = None
        if outcome.result is Result.FAIL:
            message = rule.fix_for(outcome.reason)
            fix = _spec_message(message, params) if message is not None else None
        elif outcome.result is Result.UNKNOWN:
            advice = Message(rule.unknown or MSG_ADVICE_UNKNOWN, tuple(params.items()))
        criteria.append(
            Criterion(
                rule=rule.id,
                result=outcome.result,
                requirement=Message(rule.requirement, rule.params),
                clause=rule.clause,
                source=rule.source,
                details=outcome.details,
                fix=fix,
                advice=advice,
            )
        )
    results = {c.result for c in criteria}
    eligibility = (
        Eligibility.NOT_ELIGIBLE
        if Result.FAIL in results
        else Eligibility.CANNOT_TELL
        if Result.UNKNOWN in results
        else Eligibility.ELIGIBLE
    )
    notes: list[Message] = []
    for note in spec.notes:
        if note.when is not None and _evaluate(note.when, done) is not True:
            continue
        params = dict(note.params)
        if note.cofinancing is not None:
            extra = _cofinancing(note.cofinancing, done)
            if not extra:
                continue
            params.update(extra)
        notes.append(Message(note.text, tuple(params.items())))
    lines = []
    for instance in _instances(spec, done):
        if instance.id in done:
            q = instance.question
            label_params = dict(q.params)
            if instance.country is not None:
                label_params["country"] = Countries((instance.country,))
            lines.append(
                AnswerLine(
                    Message(q.summary, tuple(label_params.items())),
                    _answer_value(q, done[instance.id]),
                )
            )
    status = call_status(spec.window, now)
    return Verdict(
        check=spec.id,
        call=spec.call,
        title=spec.title,
        eligibility=eligibility,
        criteria=tuple(criteria),
        call_status=status,
        window=spec.window,
        status_advice=Message.of(spec.status_unknown) if status is CallStatus.UNKNOWN else None,
        notes=tuple(notes),
        answers=tuple(lines),
        checked_on=now.date(),
    )


# --- rendering (plain text; the Telegram layer escapes it for HTML) ----------------------------

_MARKS = {Result.PASS: "✓", Result.FAIL: "✗", Result.UNKNOWN: "?"}


def progress_text(progress: Progress, t: Translator) -> str:
    """'Step 3 of 8' in the reader's language."""
    return t.gettext(MSG_PROGRESS).format(
        n=t.format_number(progress.n), total=t.format_number(progress.total)
    )


def option_label(option: Option, t: Translator) -> str:
    """An option's label in the reader's language."""
    return render_text(option.label, t)


def render_ask(ask: Ask, t: Translator, *, numbered_options: bool = True) -> str:
    """A question as plain text: feedback on the last answer, progress, prompt, notes, options."""
    lines = [render_message(m, t) for m in ask.feedback] + ([""] if ask.feedback else [])
    lines += [progress_text(ask.progress, t), "", render_message(ask.prompt, t)]
    if ask.show_help:
        lines += ["", render_message(ask.help, t) if ask.help else t.gettext(MSG_HELP_MISSING)]
    if ask.notes:
        lines += [""] + [render_message(note, t) for note in ask.notes]
    if numbered_options and ask.options:
        lines.append("")
        for number, option in enumerate(ask.options, start=1):
            mark = "[x] " if option.id in ask.selected else ("[ ] " if ask.can_finish else "")
            lines.append(f"{number}. {mark}{option_label(option, t)}")
    return "\n".join(lines)


def render_invalid(invalid: Invalid, t: Translator, *, numbered_options: bool = True) -> str:
    """The hint, then only the question again (not the feedback on the answer before it)."""
    return f"{render_message(invalid.hint, t)}\n\n" + render_ask(
        replace(invalid.ask, feedback=()), t, numbered_options=numbered_options
    )


def render_call_status(verdict: Verdict, t: Translator) -> str:
    """One or two lines on whether applications are accepted."""
    window = verdict.window
    if verdict.call_status is CallStatus.UNKNOWN:
        advice = verdict.status_advice
        return render_message(advice, t) if advice is not None else ""
    values = {
        "opens": _render_when(window.opens, t) if window.opens else "",
        "closes": _render_when(window.closes, t) if window.closes else "",
    }
    line = t.gettext(MSG_STATUS[verdict.call_status.value]).format(**values)
    if window.opens is not None and window.closes is not None:
        line += "\n" + t.gettext(MSG_WINDOW).format(**values)
    return line


def render_verdict(
    verdict: Verdict, t: Translator, *, source_names: Mapping[str, str] | None = None
) -> str:
    """The plain-text summary a user can forward to their consortium.

    Each criterion names its clause; the sources are named once, and each answer is listed
    once, under "Your answers".
    """
    names = source_names or {}
    lines = [render_text(verdict.title, t), "", _result_line(verdict, t)]
    lines += [render_call_status(verdict, t), "", t.gettext(MSG_CRITERIA_HEADING)]
    sources = list(dict.fromkeys(c.source for c in verdict.criteria))
    for c in verdict.criteria:
        lines.append(
            f"{_MARKS[c.result]} {render_message(c.requirement, t)}"
            f" ({t.gettext(MSG_MARK[c.result.value])})"
        )
        lines += [
            f"   {render_message(d, t)}"
            for d in c.details
            if not (verdict.answers and d.msgid == MSG_DETAIL_ANSWER)
        ]
        for extra in (c.fix, c.advice):
            if extra is not None:
                text = render_message(extra, t)
                lines.append("   " + t.gettext(MSG_WHAT_TO_DO).format(text=text))
        lines.append("   " + t.gettext(MSG_SHORT_SOURCE).format(clause=_clause(c, sources, t)))
    lines += ["", _sources_line(sources, names, t)]
    if verdict.notes:
        lines += ["", t.gettext(MSG_NOTES_HEADING)]
        lines += [f"• {render_message(note, t)}" for note in verdict.notes]
    if verdict.answers:
        lines += ["", t.gettext(MSG_ANSWERS_HEADING)]
        lines += [
            f"• {render_message(a.label, t)}: {_render_param(a.value, t)}" for a in verdict.answers
        ]
    lines += ["", t.gettext(MSG_FOOTER).format(date=t.format_date(verdict.checked_on))]
    return "\n".join(lines)


def _clause(c: Criterion, sources: list[str], t: Translator) -> str:
    """The criterion's clause, numbered by its source when there are several."""
    clause = t.gettext(c.clause)
    return f"{clause} [{sources.index(c.source) + 1}]" if len(sources) > 1 else clause


def _sources_line(sources: list[str], names: Mapping[str, str], t: Translator) -> str:
    numbered = len(sources) > 1
    titles = [
        (f"[{n}] " if numbered else "") + names.get(source, source)
        for n, source in enumerate(sources, 1)
    ]
    return t.gettext(MSG_SOURCES).format(sources="; ".join(titles))


# The verdict a phone shows on about two screens; the full detail is a button away.
SUMMARY_CHARS = 1_400


def render_verdict_summary(
    verdict: Verdict, t: Translator, *, source_names: Mapping[str, str] | None = None
) -> str:
    """The verdict for a phone screen: what fails or is open first, with what to do; passes in
    one line each; every source named once.

    Answers are not repeated (the user just gave them); render_verdict has the full detail.
    """
    names = source_names or {}
    lines = [render_text(verdict.title, t), _result_line(verdict, t)]
    status = render_call_status(verdict, t).split("\n")[0]
    if status:
        lines.append(status)
    sources = list(dict.fromkeys(c.source for c in verdict.criteria))
    open_points = [c for c in verdict.criteria if c.result is not Result.PASS]
    open_points.sort(key=lambda c: c.result is not Result.FAIL)
    for c in open_points:
        lines += ["", f"{_MARKS[c.result]} {render_message(c.requirement, t)}"]
        lines += [f"   {render_message(d, t)}" for d in c.details if d.msgid != MSG_DETAIL_ANSWER]
        for extra in (c.fix, c.advice):
            if extra is not None:
                text = render_message(extra, t)
                lines.append("   " + t.gettext(MSG_WHAT_TO_DO).format(text=text))
        lines.append("   " + t.gettext(MSG_SHORT_SOURCE).format(clause=_clause(c, sources, t)))
    passes = [c for c in verdict.criteria if c.result is Result.PASS]
    if passes:
        lines.append("")
        lines += [f"{_MARKS[Result.PASS]} {t.gettext(c.clause)}" for c in passes]
    ending = [
        "",
        _sources_line(sources, names, t),
        t.gettext(MSG_SHORT_FOOTER).format(date=t.format_date(verdict.checked_on)),
    ]
    # Notes (what the grant means in costs, whom to ask) go in while the summary stays short.
    notes: list[str] = []
    for note in verdict.notes:
        line = f"• {render_message(note, t)}"
        longer = "\n".join([*lines, "", *notes, line, *ending])
        if len(longer) <= SUMMARY_CHARS:
            notes.append(line)
    if notes:
        lines += ["", *notes]
    return "\n".join(lines + ending)


def _result_line(verdict: Verdict, t: Translator) -> str:
    if verdict.eligibility is Eligibility.ELIGIBLE:
        return t.gettext(str(MSG_RESULT["eligible"]))
    forms = MSG_RESULT[verdict.eligibility.value]
    assert isinstance(forms, tuple)
    wanted = Result.FAIL if verdict.eligibility is Eligibility.NOT_ELIGIBLE else Result.UNKNOWN
    n = len(verdict.with_result(wanted))
    return t.ngettext(forms[0], forms[1], n).format(n=t.format_number(n))


def iter_message_ids(spec: CheckSpec) -> Iterator[str]:
    """Every message id a check uses (a plural message by its singular id, as catalogs do)."""
    texts: list[str] = [spec.status_unknown, *([spec.intro] if spec.intro else [])]
    if isinstance(spec.title, str):
        texts.append(spec.title)
    for q in spec.questions:
        texts += [q.prompt, q.summary, *([q.help] if q.help else [])]
        texts += [o.label for o in q.options if isinstance(o.label, str)]
    for r in spec.rules:
        texts += [r.requirement, r.clause, *([r.unknown] if r.unknown else [])]
        texts += [fix.msgid for _, fix in r.fixes]
    texts += [n.text for n in spec.notes]
    return iter(dict.fromkeys(texts))
