"""The frozen model of a check: question types, options, conditions, rules and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeAlias

from bot.eligibility.messages import ParamValue, Text
from knowledge.facts import CallFacts, When

CALLBACK_PREFIX = "elig"
# Telegram rejects callback_data over 64 bytes (bytes, not characters).
CALLBACK_MAX_BYTES = 64
# Button ids the engine itself understands on every step; check options may not use them.
OPTION_FINISH = "ok"
OPTION_BACK = "bk"
OPTION_RESTART = "rs"
OPTION_CANCEL = "cx"
OPTION_HELP = "hp"
# After an answer that fails a criterion: stop and see the verdict (the rest stays open).
OPTION_STOP = "sp"
CONTROL_OPTIONS = frozenset(
    {OPTION_FINISH, OPTION_BACK, OPTION_RESTART, OPTION_CANCEL, OPTION_HELP, OPTION_STOP}
)
YES, NO, UNSURE = "y", "n", "u"
# The step id buttons under a verdict carry (Back from the verdict returns to the last question).
VERDICT_STEP = "end"


class Result(StrEnum):
    """How one criterion came out."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CountryRules:
    """A call's country rules, from the `countries:` block of its facts file."""

    member_states: bool
    overseas_included: bool | None
    excluded: frozenset[str]
    associated: bool


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
    # The call's typed facts: its status comes from them (CallFacts.status), like everywhere.
    facts: CallFacts = field(compare=False, repr=False)
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
