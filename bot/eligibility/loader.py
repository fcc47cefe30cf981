"""Reads the check files (knowledge/checks/*.yaml) into CheckSpecs; every error names the field."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

import yaml

from bot.eligibility.messages import (
    MSG_STATUS_UNKNOWN,
    Labels,
    ParamValue,
    Percent,
    Text,
)
from bot.eligibility.spec import (
    CALLBACK_MAX_BYTES,
    CALLBACK_PREFIX,
    CONTROL_OPTIONS,
    FAIL_REASONS,
    KIND_PARAMS,
    NO,
    UNSURE,
    YES,
    AllOf,
    AnswerTest,
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
    Note,
    Option,
    Question,
    QuestionType,
    RangeTest,
    Rule,
    RuleTest,
    SpecError,
)
from i18n import LANGUAGES, catalog
from knowledge.facts import (
    BUILTIN_FACTS_DIR,
    CallFacts,
    Countries,
    L10n,
    Money,
    When,
    load_facts,
)

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent
CHECKS_DIR = PACKAGE_ROOT / "knowledge" / "checks"
FACTS_DIR = BUILTIN_FACTS_DIR
# The fields of the facts file the window must name: a call's status comes from CallFacts.status.
_WINDOW_FACTS = {"opens": "opens", "closes": "deadline"}
_ID = re.compile(r"^[a-z][a-z0-9_]{0,11}$")
_CHECK_ID = re.compile(r"^[a-z][a-z0-9]{1,9}$")
# Length is bounded by the callback-data budget, checked per button at load time.
_OPTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


_Catalogs: TypeAlias = dict[str, dict[str, tuple[str, ...]]]


def load_catalogs() -> _Catalogs:
    """Every translated msgid per language -> its translation(s), from i18n's catalogs."""
    return {lang: catalog(lang) for lang in LANGUAGES}


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

    def __init__(self, path: Path, facts: Mapping[str, CallFacts]) -> None:
        self.path = path
        self.known_facts = facts
        self.facts: CallFacts | None = None
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

    def entry(self, raw: Any, where: str, allowed: Iterable[str]) -> tuple[dict[str, Any], str]:
        """A step, rule or note: a mapping of `allowed` fields with a short `id`, and that id."""
        spec = self.mapping(raw, where, allowed)
        entry_id = spec.get("id")
        if not isinstance(entry_id, str) or not _ID.match(entry_id):
            self.fail(f"{where}.id", "expected a short lower-case ASCII id")
        return spec, entry_id

    def when(self, spec: Mapping[str, Any], where: str) -> Condition | None:
        """An entry's optional `when:` condition, on the steps read so far."""
        if spec.get("when") is None:
            return None
        return self.condition(spec["when"], f"{where}.when", self.step_ids)

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
        if not isinstance(value, L10n):
            self.fail(where, "expected a text in en, sv and fi")
        return value

    # -- facts --

    def load_facts(self, name: Any) -> CallFacts:
        """The typed facts of the call the check names (by its facts file's name)."""
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9-]+", name):
            self.fail("facts", "expected the name of a facts file")
        facts = self.known_facts.get(name)
        if facts is None:
            self.fail("facts", f"no facts file {name}.yaml")
        self.facts = facts
        return facts

    def fact(self, ref: Any, where: str) -> Any:
        """Resolve {fact: path} in the typed facts ('a.b', 'a[number=1].b', 'a.0')."""
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
            found, value = _field(value, key)
            if not found:
                if spec.get("optional"):
                    return None
                self.fail(where, f"unknown fact path {path!r} in facts {self.facts_name}")
            if sel_key is not None:
                chosen = [
                    item
                    for item in value or ()
                    if _field(item, sel_key)[0] and str(_field(item, sel_key)[1]) == sel_value
                ]
                if len(chosen) != 1:
                    self.fail(where, f"unknown fact path {path!r}: no single item {part}")
                value = chosen[0]
        if value is None and not spec.get("optional"):
            self.fail(where, f"fact {path!r} is empty in facts {self.facts_name}")
        return value

    @property
    def facts_name(self) -> str:
        """The facts' call id, for error messages."""
        return self.facts.id if self.facts is not None else "?"

    def number(self, value: Any, where: str) -> Decimal:
        """A number, literal or from the facts."""
        if isinstance(value, dict):
            value = self.fact(value, where)
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.fail(where, "expected a number or {fact: ...}")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            self.fail(where, "expected a number")

    def param(self, value: Any, where: str) -> ParamValue:
        """A message parameter: a literal, or a fact shown as Money/L10n/Percent/When."""
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
        if isinstance(resolved, L10n):
            return Labels((resolved,))
        if isinstance(resolved, bool):
            self.fail(where, "a yes/no fact cannot be shown as a parameter")
        if isinstance(resolved, Money | When | int | Decimal | str | date):
            return resolved
        self.fail(where, "this fact cannot be shown as a parameter")

    def params(self, value: Any, where: str) -> tuple[tuple[str, ParamValue], ...]:
        """Message parameters by name."""
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail(where, "expected a mapping of parameter names")
        return tuple((str(k), self.param(v, f"{where}.{k}")) for k, v in value.items())

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
        return self.answer_test(value, where, before)

    def answer_test(self, value: dict[str, Any], where: str, before: Sequence[str]) -> AnswerTest:
        """A test of one earlier answer: equals, in, includes, at_least or at_most."""
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
            if not isinstance(items, tuple) or not items:
                self.fail(f"{where}.options_from", "expected a non-empty list in the facts")
            id_key, label_key = spec.get("id", "id"), spec.get("label", "text")
            prefix = str(spec.get("id_prefix", ""))
            for i, item in enumerate(items):
                here = f"{where}.options_from[{i}]"
                (has_id, ident), (has_label, label) = _field(item, id_key), _field(item, label_key)
                if not has_id or not has_label:
                    self.fail(here, f"fact item lacks {id_key!r} or {label_key!r}")
                options.append(Option(f"{prefix}{ident}", self.l10n(label, f"{here}.{label_key}")))
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

    def for_each(self, raw: Any, where: str, qtype: QuestionType) -> tuple[str, ...]:
        """The country questions a per-country question is asked for (none when not given)."""
        if raw is None:
            return ()
        each = self.mapping(raw, where, ("non_member_countries",))
        steps = each.get("non_member_countries")
        if not isinstance(steps, list) or not steps:
            self.fail(where, "expected non_member_countries: [question ids]")
        for step in steps:
            kind = self.questions.get(step)
            if kind is None or kind.type not in (QuestionType.COUNTRY, QuestionType.COUNTRIES):
                self.fail(where, f"{step!r} is not an earlier country question")
        if qtype is not QuestionType.YESNO:
            self.fail(where, "only yes/no questions can be asked per country")
        return tuple(steps)

    def question_options(
        self, spec: dict[str, Any], where: str, qtype: QuestionType
    ) -> tuple[Option, ...]:
        """A question's options, which only choices have (exclusive: multi; unknown: single)."""
        options = self.options(spec, where)
        if qtype in (QuestionType.CHOICE, QuestionType.MULTI) and len(options) < 2:
            self.fail(f"{where}.options", "a choice needs at least two options")
        if qtype not in (QuestionType.CHOICE, QuestionType.MULTI) and options:
            self.fail(f"{where}.options", f"a {qtype} question has no options")
        if qtype is not QuestionType.MULTI and any(o.exclusive for o in options):
            self.fail(f"{where}.options", "only multiple choice has exclusive options")
        if qtype is not QuestionType.CHOICE and any(o.unknown for o in options):
            self.fail(f"{where}.options", "only single choice has `unknown` options")
        return options

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
        spec, qid = self.entry(raw, where, fields)
        if qid in self.questions:
            self.fail(f"{where}.id", f"duplicate question id {qid!r}")
        where = f"steps[{index}] ({qid})"
        try:
            qtype = QuestionType(str(spec.get("type")))
        except ValueError:
            self.fail(f"{where}.type", f"unknown type {spec.get('type')!r}")
        params = self.params(spec.get("params"), f"{where}.params")
        names = {name for name, _ in params}
        for_each = self.for_each(spec.get("for_each"), f"{where}.for_each", qtype)
        if for_each:
            names.add("country")
        prompt = self.text_field(spec.get("prompt"), f"{where}.prompt", names)
        help_text = self.text_field(spec.get("help"), f"{where}.help", names, required=False)
        summary = self.text_field(spec.get("summary"), f"{where}.summary", names)
        assert prompt is not None and summary is not None
        when = self.when(spec, where)
        options = self.question_options(spec, where, qtype)
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
        spec, rid = self.entry(raw, where, fields)
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
        when = self.when(spec, where)
        return Rule(rid, requirement, clause, source, test, tuple(fixes), unknown, when, params)

    def note(self, raw: Any, index: int) -> Note:
        """Advice for the verdict, shown when its condition holds."""
        where = f"notes[{index}]"
        spec, nid = self.entry(raw, where, ("id", "text", "when", "params", "cofinancing"))
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
        when = self.when(spec, where)
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
        facts = self.load_facts(spec.get("facts"))
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
        self.call_rules(spec)
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
            window=CallWindow(facts.opens, facts.deadline),
            facts=facts,
            status_unknown=status_unknown,
            countries=self.countries,
            intro=intro,
        )
        self.check_callback_budget(check)
        return check

    def call_rules(self, spec: dict[str, Any]) -> None:
        """The call's country rules from its facts; the window must name the call's own dates."""
        if spec.get("countries") is not None:
            block = self.fact(spec["countries"], "countries")
            if not isinstance(block, Countries):
                self.fail("countries", "expected the facts' countries block")
            self.countries = CountryRules(
                member_states=block.member_states,
                overseas_included=block.overseas_included,
                excluded=frozenset(block.excluded),
                associated=bool(block.associated),
            )
        window_spec = self.mapping(spec.get("window") or {}, "window", ("opens", "closes"))
        for end, ref in window_spec.items():
            wanted = _WINDOW_FACTS[end]
            if not isinstance(ref, dict) or ref.get("fact") != wanted:
                self.fail(f"window.{end}", f"expected {{fact: {wanted}}}: the call's own dates")

    def check_callback_budget(self, check: CheckSpec) -> None:
        """Every button of every step must fit in 64 bytes of callback data."""
        for q in check.questions:
            step = f"{q.id}.XX" if q.for_each else q.id
            ids = [o.id for o in q.options] + sorted(CONTROL_OPTIONS) + [YES, NO, UNSURE]
            for option in ids:
                # The data handlers/callbacks.encode_callback builds (bot/ cannot import it).
                data = ":".join((CALLBACK_PREFIX, check.id, step, option))
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
    facts: Mapping[str, CallFacts] | None = None,
    catalogs: _Catalogs | None = None,
) -> CheckSpec:
    """Load and validate one check file; raise SpecError naming the file and field.

    `facts` maps a facts file's name to its typed facts (default: the built-in facts).
    """
    loader = _Loader(path, facts if facts is not None else builtin_facts())
    check = loader.load()
    loader.check_messages(catalogs if catalogs is not None else load_catalogs())
    return check


def builtin_facts(folder: Path = FACTS_DIR) -> dict[str, CallFacts]:
    """The shipped facts files, typed, by file name (what a check's `facts:` names)."""
    return {facts.path.stem: facts for facts in load_facts(folder)}


def facts_by_file(calls: Iterable[CallFacts], folder: Path = FACTS_DIR) -> dict[str, CallFacts]:
    """What a check's `facts:` names (a shipped facts file), as the knowledge now states it.

    The knowledge merges the shipped facts with what ingest extracted and the operator's
    corrections, by call id; a check gets the merged call, so a corrected deadline reaches
    its verdict too.
    """
    by_id = {call.id.casefold(): call for call in calls}
    return {
        stem: by_id.get(facts.id.casefold(), facts)
        for stem, facts in builtin_facts(folder).items()
    }


def load_checks(
    checks_dir: Path = CHECKS_DIR, *, facts: Mapping[str, CallFacts] | None = None
) -> dict[str, CheckSpec]:
    """Load every check under checks_dir (start-up): check id -> spec; any error stops start-up."""
    catalogs = load_catalogs()
    known = facts if facts is not None else builtin_facts()
    checks: dict[str, CheckSpec] = {}
    for path in sorted(checks_dir.glob("*.yaml")):
        check = load_check(path, facts=known, catalogs=catalogs)
        if check.id in checks:
            raise SpecError(
                f"{check.file}: id: {check.id!r} is also used by {checks[check.id].file}"
            )
        checks[check.id] = check
    return checks


def _field(value: Any, key: str) -> tuple[bool, Any]:
    """One step of a fact path: a dataclass field, a list index or a mapping key."""
    if value is None:
        return False, None
    if isinstance(value, CallFacts) and key == "grant":
        # The facts file writes `grant: {min, max}`; CallFacts keeps them as two fields.
        return True, {"min": value.grant_min, "max": value.grant_max}
    if is_dataclass(value) and not isinstance(value, type):
        names = {f.name for f in fields(value)} - {"path", "field_sources"}
        return (True, getattr(value, key)) if key in names else (False, None)
    if isinstance(value, tuple) and key.isdigit():
        return (True, value[int(key)]) if int(key) < len(value) else (False, None)
    if isinstance(value, Mapping) and key in value:
        return True, value[key]
    return False, None
