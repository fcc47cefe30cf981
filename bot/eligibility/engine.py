"""The engine: one pure function walks every check, `next_step(spec, state, event, now=...)`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.eligibility.events import (
    Ask,
    Back,
    Cancel,
    Cancelled,
    Done,
    Event,
    Invalid,
    Outcome,
    Pressed,
    Progress,
    Restart,
    Show,
    Stale,
    Typed,
)
from bot.eligibility.messages import (
    MSG_CONSORTIUM_COUNT,
    MSG_GOES_ON,
    MSG_LOG_FULL,
    MSG_MONEY_RANGE,
    MSG_NEED_SELECTION,
    MSG_NO,
    MSG_NOT_COUNTED,
    MSG_NOTED,
    MSG_NUMBER_RANGE,
    MSG_PARTNERS_NONE,
    MSG_PARTNERS_SO_FAR,
    MSG_SELECTED,
    MSG_UNCLEAR,
    MSG_UNSURE,
    MSG_YES,
    CountryNames,
    Labels,
    Message,
    euro,
)
from bot.eligibility.parsing import (
    ChoiceOption,
    Command,
    Parsed,
    Rejected,
    parse_choice,
    parse_command,
    parse_countries,
    parse_country,
    parse_money,
    parse_multi_choice,
    parse_whole_number,
    parse_yes_no,
)
from bot.eligibility.replay import (
    Answers,
    Instance,
    applicable,
    applies,
    current_instance,
    replay,
)
from bot.eligibility.spec import (
    NO,
    OPTION_BACK,
    OPTION_CANCEL,
    OPTION_FINISH,
    OPTION_HELP,
    OPTION_RESTART,
    OPTION_STOP,
    UNSURE,
    VERDICT_STEP,
    YES,
    AllOf,
    AnswerTest,
    AnyOf,
    CheckSpec,
    Condition,
    ConditionTest,
    ConsortiumTest,
    EstablishedTest,
    Not,
    Option,
    Question,
    QuestionType,
    RangeTest,
    Result,
    Rule,
)
from bot.eligibility.state import MAX_LOG_ENTRIES, DialogState, Entry, Value, start
from bot.eligibility.verdict import consortium_tally, evaluate, run_test, steps_in, unique_codes
from i18n import Translator
from knowledge.facts import L10n


def _yes_no_options(question: Question) -> tuple[Option, ...]:
    options = (Option(YES, MSG_YES), Option(NO, MSG_NO))
    return (*options, Option(UNSURE, MSG_UNSURE)) if question.unsure else options


def _ask(
    spec: CheckSpec,
    state: DialogState,
    answers: Answers,
    current: Instance,
    instances: list[Instance],
    *,
    show_help: bool = False,
) -> Ask:
    q = current.question
    params = dict(q.params)
    if current.country is not None:
        params["country"] = CountryNames((current.country,))
    options = _yes_no_options(q) if q.type is QuestionType.YESNO else q.options
    selected = answers.pending.get(current.id, ())
    notes: list[Message] = []
    if q.type is QuestionType.COUNTRIES:
        notes.extend(_partner_notes(spec, q, answers))
    elif q.type is QuestionType.MULTI and selected:
        chosen = tuple(o.label for o in q.options if o.id in selected)
        notes.append(Message.of(MSG_SELECTED, options=Labels(chosen)))
    position = next(i for i, inst in enumerate(instances) if inst.id == current.id)
    feedback = _feedback(spec, state, answers)
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
        feedback=feedback,
        help=Message(q.help, tuple(params.items())) if q.help else None,
        show_help=show_help,
        can_finish=q.collects,
        at_start=not state.log,
        can_stop=bool(feedback),
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
        instances = applicable(spec, answers)
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
        return set(steps_in(test.condition))
    if isinstance(test, RangeTest):
        return {test.step}
    if isinstance(test, EstablishedTest):
        return {test.step, test.association or ""}
    return {test.applicant, test.partners, test.association or ""}


def _feedback(spec: CheckSpec, state: DialogState, answers: Answers) -> tuple[Message, ...]:
    """Criteria the answer just given fails (an answer still open says nothing)."""
    if not state.log or state.log[-1].op not in ("set", "finish"):
        return ()
    answered = state.log[-1].step.split(".", 1)[0]
    messages: list[Message] = []
    for rule in spec.rules:
        if answered not in _rule_steps(rule):
            continue
        if not applies(rule.when, answers.done):
            continue
        outcome = run_test(spec, rule.test, answers.done)
        if outcome.result is Result.FAIL:
            requirement = Message(rule.requirement, rule.params)
            messages.append(Message.of(MSG_NOTED, requirement=requirement))
            messages.extend(outcome.details)
    if messages:
        messages.append(Message.of(MSG_GOES_ON))
    return tuple(messages)


def _partner_notes(spec: CheckSpec, q: Question, answers: Answers) -> list[Message]:
    """While partners are entered: who is in so far and how many count."""
    partners = answers.pending.get(q.id, ())
    if not partners:
        return [Message.of(MSG_PARTNERS_NONE)]
    notes = [Message.count(MSG_PARTNERS_SO_FAR, len(partners), names=CountryNames(partners))]
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
    tally = consortium_tally(spec.countries, test, done)
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
        notes.append(
            Message.of(MSG_NOT_COUNTED, names=CountryNames(unique_codes(tally.not_counted)))
        )
    if tally.unclear:
        notes.append(Message.of(MSG_UNCLEAR, names=CountryNames(unique_codes(tally.unclear))))
    return notes


def _outcome(
    spec: CheckSpec,
    state: DialogState,
    answers: Answers,
    now: datetime,
    *,
    show_help: bool = False,
) -> Ask | Done:
    current, instances = current_instance(spec, answers)
    if current is None or answers.stopped:
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
                    MSG_MONEY_RANGE, min=euro(low or Decimal(0)), max=euro(high or number)
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
    state, answers = replay(spec, state)
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
    state, answers = replay(spec, state)
    current = _outcome(spec, state, answers, now)
    step_here = current.step if isinstance(current, Ask) else VERDICT_STEP
    if isinstance(event, Pressed) and event.option in _CONTROL_BUTTONS:
        if event.step != step_here:
            return Stale(current)
        if event.option == OPTION_HELP:
            return _outcome(spec, state, answers, now, show_help=True)
        if event.option == OPTION_STOP:
            if not (isinstance(current, Ask) and current.can_stop):
                return Stale(current)
            stopped = replace(state, log=(*state.log, Entry(current.step, "stop")))
            return _after(spec, stopped, now)
        event = _control_event(event)
    command = parse_command(event.text) if isinstance(event, Typed) else None
    if command is Command.HELP:
        return _outcome(spec, state, answers, now, show_help=True)
    if command is Command.DONE and isinstance(current, Ask) and current.can_finish:
        return _finish(spec, state, current, now)
    if command in _COMMAND_EVENTS:
        event = _COMMAND_EVENTS[command]
    return _dispatch(spec, state, current, step_here, event, now, t)


def _dispatch(
    spec: CheckSpec,
    state: DialogState,
    current: Ask | Done,
    step_here: str,
    event: Event,
    now: datetime,
    t: Translator | None,
) -> Outcome:
    """Apply an event once buttons and typed commands are read as what they stand for."""
    match event:
        case Show():
            return current
        case Cancel():
            return Cancelled(state)
        case Restart():
            return _after(spec, start(spec), now)
        case Back(step=step):
            if step is not None and step != step_here:
                return Stale(current)  # a Back button under an older question
            return _after(spec, state.back(), now) if state.log else current
        case Pressed(step=step, option=option):
            return _on_pressed(spec, state, current, step, option, now)
        case Typed(text=text):
            return _on_typed(spec, state, current, text, now, t)
    raise TypeError(f"unknown event {event!r}")


# The buttons every step has; each stands for an event (Help only shows the help text).
_CONTROL_BUTTONS = (OPTION_BACK, OPTION_RESTART, OPTION_CANCEL, OPTION_HELP, OPTION_STOP)
# Typed commands that are events of their own (/help and "done" are decided before).
_COMMAND_EVENTS: dict[Command, Event] = {
    Command.BACK: Back(),
    Command.RESTART: Restart(),
    Command.CANCEL: Cancel(),
}


def _control_event(event: Pressed) -> Event:
    """The event a pressed Back, Start over or Cancel button stands for."""
    if event.option == OPTION_BACK:
        return Back(event.step)
    return Restart() if event.option == OPTION_RESTART else Cancel()


def _on_pressed(
    spec: CheckSpec, state: DialogState, current: Ask | Done, step: str, option: str, now: datetime
) -> Outcome:
    """An option button: only the current question's buttons count."""
    if not isinstance(current, Ask) or step != current.step:
        return Stale(current)
    if option == OPTION_FINISH and current.can_finish:
        return _finish(spec, state, current, now)
    entry = _pressed_entry(current.question, current, option)
    if entry is None:
        return Stale(current)
    return _append(spec, state, current, entry, now)


def _on_typed(
    spec: CheckSpec,
    state: DialogState,
    current: Ask | Done,
    text: str,
    now: datetime,
    t: Translator | None,
) -> Outcome:
    """A typed answer to the current question (a finished check shows its verdict again)."""
    if not isinstance(current, Ask):
        return current
    parsed = _parse_typed(current.question, current, text, t)
    if isinstance(parsed, Message):
        return Invalid(current, parsed)
    if parsed is None:
        return _finish(spec, state, current, now)
    return _append(spec, state, current, parsed, now)
