"""The verdict: each rule evaluated against the answers, with its clause, source and fix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from bot.eligibility.countries import Standing, country_parent, country_standing
from bot.eligibility.messages import (
    MSG_ADVICE_UNKNOWN,
    MSG_DETAIL_ANSWER,
    MSG_DETAIL_COUNTED,
    MSG_DETAIL_NOTHING_COUNTED,
    MSG_DETAIL_RANGE,
    MSG_MONTHS,
    MSG_NO,
    MSG_NONE,
    MSG_STANDING,
    MSG_UNSURE,
    MSG_YES,
    Count,
    CountryNames,
    Labels,
    Message,
    ParamValue,
    Percent,
    Text,
    euro,
)
from bot.eligibility.replay import applicable, applies, evaluate_condition, replay
from bot.eligibility.spec import (
    AllOf,
    AnyOf,
    CallWindow,
    CheckSpec,
    CofinancingNote,
    Condition,
    ConditionTest,
    ConsortiumTest,
    CountryRules,
    EstablishedTest,
    MessageSpec,
    Not,
    Question,
    QuestionType,
    RangeTest,
    Result,
    RuleTest,
)
from bot.eligibility.state import DialogState, Value
from knowledge.facts import CallStatus


class Eligibility(StrEnum):
    """The overall answer."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    CANNOT_TELL = "cannot_tell"


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
class Tally:
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


def consortium_tally(
    rules: CountryRules, test: ConsortiumTest, done: Mapping[str, Value]
) -> Tally:
    association = _association(done, test.association)
    members: list[str] = []
    applicant = done.get(test.applicant)
    if isinstance(applicant, str):
        members.append(applicant)
    partners = done.get(test.partners)
    if isinstance(partners, tuple):
        members.extend(partners)
    tally = Tally([], [], [], [])
    for code in members:
        standing = country_standing(code, rules, association)
        tally.standings.append((code, standing))
        {
            Result.PASS: tally.counted,
            Result.FAIL: tally.not_counted,
            Result.UNKNOWN: tally.unclear,
        }[standing.result].append(code)
    return tally


def unique_codes(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def _standing_message(code: str, standing: Standing) -> Message:
    parent = country_parent(code)
    params: dict[str, ParamValue] = {"country": CountryNames((code,))}
    if parent is not None:
        params["parent"] = CountryNames((parent,))
    return Message.of(MSG_STANDING[standing.value], **params)


@dataclass(frozen=True)
class TestOutcome:
    result: Result
    reason: str = ""
    params: tuple[tuple[str, ParamValue], ...] = ()
    details: tuple[Message, ...] = ()


def _number_value(q: Question, value: Decimal) -> ParamValue:
    """A number answer shown as money, months or a plain number."""
    if q.type is QuestionType.MONEY:
        return euro(value)
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
        return CountryNames((value,))
    if isinstance(value, tuple):
        return CountryNames(value)
    return Labels((MSG_NONE,))


def steps_in(condition: Condition) -> list[str]:
    if isinstance(condition, AllOf | AnyOf):
        return [s for c in condition.items for s in steps_in(c)]
    if isinstance(condition, Not):
        return steps_in(condition.item)
    return [condition.step]


def run_test(spec: CheckSpec, test: RuleTest, done: Mapping[str, Value]) -> TestOutcome:
    if isinstance(test, ConditionTest):
        outcome = evaluate_condition(test.condition, done)
        details = tuple(
            Message.of(MSG_DETAIL_ANSWER, answer=_answer_value(spec.question(s), done[s]))
            for s in unique_codes(steps_in(test.condition))
            if s in done
        )
        result = Result.UNKNOWN if outcome is None else Result.PASS if outcome else Result.FAIL
        return TestOutcome(result, "fail", (), details)
    if isinstance(test, RangeTest):
        raw = done.get(test.step)
        q = spec.question(test.step)
        params: tuple[tuple[str, ParamValue], ...] = (
            ("min", _number_value(q, test.minimum)),
            ("max", _number_value(q, test.maximum)),
        )
        if raw is None:
            return TestOutcome(Result.UNKNOWN, params=params)
        value = Decimal(str(raw))
        params = (("value", _number_value(q, value)), *params)
        detail = Message(MSG_DETAIL_RANGE, params)
        if value < test.minimum:
            return TestOutcome(Result.FAIL, "low", params, (detail,))
        if value > test.maximum:
            return TestOutcome(Result.FAIL, "high", params, (detail,))
        return TestOutcome(Result.PASS, "", params, (detail,))
    rules = spec.countries
    assert rules is not None  # the loader refuses country rules without a countries block
    if isinstance(test, EstablishedTest):
        code = done.get(test.step)
        if not isinstance(code, str):
            return TestOutcome(Result.UNKNOWN)
        standing = country_standing(code, rules, _association(done, test.association))
        reason = "excluded" if standing is Standing.EXCLUDED else "outside"
        return TestOutcome(
            standing.result,
            reason,
            (("country", CountryNames((code,))),),
            (_standing_message(code, standing),),
        )
    tally = consortium_tally(rules, test, done)
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
                names=CountryNames(unique_codes(tally.counted)),
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
        return TestOutcome(Result.UNKNOWN, reason, params, tuple(lines))
    if not missing_countries and not missing_entities:
        return TestOutcome(Result.PASS, "", params, tuple(lines))
    maybe = tally.counted + tally.unclear
    if len(maybe) >= test.min_entities and len(set(maybe)) >= test.min_countries:
        return TestOutcome(Result.UNKNOWN, reason, params, tuple(lines))
    return TestOutcome(Result.FAIL, reason, params, tuple(lines))


def _spec_message(spec: MessageSpec, params: Mapping[str, ParamValue]) -> Message:
    n = params.get("n")
    count = n if isinstance(n, int) else 1
    return Message(spec.msgid, tuple(params.items()), spec.plural, count)


def _cofinancing(note: CofinancingNote, done: Mapping[str, Value]) -> dict[str, ParamValue]:
    raw = done.get(note.amount_step)
    if not isinstance(raw, str):
        return {}
    grant = Decimal(raw)
    total = (grant / note.rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return {
        "grant": euro(grant),
        "rate": Percent(note.rate),
        "total": euro(total),
        "own": euro(total - grant),
    }


def evaluate(spec: CheckSpec, state: DialogState, now: datetime) -> Verdict:
    """The verdict for the answers in state (unanswered questions leave criteria open)."""
    state, answers = replay(spec, state)
    done = answers.done
    criteria: list[Criterion] = []
    for rule in spec.rules:
        if not applies(rule.when, done):
            continue
        outcome = run_test(spec, rule.test, done)
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
        if not applies(note.when, done):
            continue
        params = dict(note.params)
        if note.cofinancing is not None:
            extra = _cofinancing(note.cofinancing, done)
            if not extra:
                continue
            params.update(extra)
        notes.append(Message(note.text, tuple(params.items())))
    lines = []
    for instance in applicable(spec, done):
        if instance.id in done:
            q = instance.question
            label_params = dict(q.params)
            if instance.country is not None:
                label_params["country"] = CountryNames((instance.country,))
            lines.append(
                AnswerLine(
                    Message(q.summary, tuple(label_params.items())),
                    _answer_value(q, done[instance.id]),
                )
            )
    status = spec.facts.status(now)
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
