"""Replaying a state's log into answers: which questions apply and what was answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from bot.eligibility.countries import needs_association_answer
from bot.eligibility.spec import AllOf, AnyOf, CheckSpec, Condition, Not, Question, QuestionType
from bot.eligibility.state import DialogState, Entry, Value


@dataclass
class Answers:
    done: dict[str, Value] = field(default_factory=dict)
    pending: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The user stopped after a failed criterion: the verdict now, the questions left open.
    stopped: bool = False


@dataclass(frozen=True)
class Instance:
    question: Question
    id: str
    country: str | None = None


def evaluate_condition(condition: Condition, done: Mapping[str, Value]) -> bool | None:
    """Three-valued: None when an answer it needs is missing or "I don't know"."""
    if isinstance(condition, AllOf):
        results = [evaluate_condition(c, done) for c in condition.items]
        return False if False in results else None if None in results else True
    if isinstance(condition, AnyOf):
        results = [evaluate_condition(c, done) for c in condition.items]
        return True if True in results else None if None in results else False
    if isinstance(condition, Not):
        inner = evaluate_condition(condition.item, done)
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


def applies(when: Condition | None, done: Mapping[str, Value]) -> bool:
    """Whether a question, rule or note applies: always without `when:`, else if it holds."""
    return when is None or evaluate_condition(when, done) is True


def _country_answers(steps: Sequence[str], done: Mapping[str, Value]) -> list[str]:
    codes: list[str] = []
    for step in steps:
        value = done.get(step)
        if isinstance(value, str):
            codes.append(value)
        elif isinstance(value, tuple):
            codes.extend(value)
    return codes


def applicable(spec: CheckSpec, done: Mapping[str, Value]) -> list[Instance]:
    """The questions that apply given the answers so far, per-country ones expanded."""
    found: list[Instance] = []
    for q in spec.questions:
        if not applies(q.when, done):
            continue
        if not q.for_each:
            found.append(Instance(q, q.id))
            continue
        rules = spec.countries
        seen: set[str] = set()
        for code in _country_answers(q.for_each, done):
            if code not in seen and rules is not None and needs_association_answer(code, rules):
                seen.add(code)
                found.append(Instance(q, f"{q.id}.{code}", code))
    return found


def current_instance(spec: CheckSpec, answers: Answers) -> tuple[Instance | None, list[Instance]]:
    instances = applicable(spec, answers.done)
    current = next((i for i in instances if i.id not in answers.done), None)
    return current, instances


def _apply(answers: Answers, question: Question, entry: Entry) -> None:
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
    elif entry.op == "stop":
        answers.stopped = True


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
    if entry.op == "stop":
        return True
    return entry.op == "finish" and question.collects


def replay(spec: CheckSpec, state: DialogState) -> tuple[DialogState, Answers]:
    """Rebuild the answers; entries that no longer fit the check (it changed) are dropped."""
    answers = Answers()
    for index, entry in enumerate(state.log):
        current, _ = current_instance(spec, answers)
        if (
            current is None
            or answers.stopped  # nothing comes after a stop
            or entry.step != current.id
            or not _valid_entry(current.question, entry)
        ):
            return replace(state, log=state.log[:index]), answers
        _apply(answers, current.question, entry)
    return state, answers
