"""The eligibility engine: shipped checks load, exact step sequences, verdicts, back/restart/stale.

Every walk below round-trips the state through JSON between steps, as the bot does through storage.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.eligibility import (
    CALLBACK_MAX_BYTES,
    CHECKS_DIR,
    CONTROL_OPTIONS,
    ENGINE_MESSAGES,
    FACTS_DIR,
    MAX_LOG_ENTRIES,
    MSG_LOG_FULL,
    MSG_NEED_SELECTION,
    OPTION_BACK,
    OPTION_FINISH,
    OPTION_STOP,
    Ask,
    Back,
    CallStatus,
    Cancel,
    Cancelled,
    CheckSpec,
    ConsortiumTest,
    DialogState,
    Done,
    Eligibility,
    Event,
    Invalid,
    Outcome,
    Pressed,
    RangeTest,
    Restart,
    Result,
    Show,
    SpecError,
    Stale,
    Typed,
    Verdict,
    iter_message_ids,
    load_catalogs,
    load_check,
    load_checks,
    next_step,
    render_ask,
    render_invalid,
    render_verdict,
    start,
)
from bot.eligibility.parsing import HINT_YES_NO, HINTS
from handlers.callbacks import decode_callback, encode_callback
from i18n import LANGUAGES, LOCALES_DIR, translator
from tests.support.clock import FIXED_NOW

NOW = FIXED_NOW
NBSP = ("\u00a0", "\u202f")


@pytest.fixture(scope="module")
def thb(checks: dict[str, CheckSpec]) -> CheckSpec:
    return checks["thb24"]


@pytest.fixture(scope="module")
def fi(checks: dict[str, CheckSpec]) -> CheckSpec:
    return checks["fi23"]


def plain(text: str) -> str:
    for space in NBSP:
        text = text.replace(space, " ")
    return text


def label(outcome: Outcome) -> str:
    """How a test names what the user sees next."""
    if isinstance(outcome, Ask):
        return outcome.step
    if isinstance(outcome, Invalid):
        return f"invalid:{outcome.ask.step}"
    if isinstance(outcome, Stale):
        return "stale"
    if isinstance(outcome, Cancelled):
        return "cancelled"
    return "done"


def walk(
    spec: CheckSpec, inputs: Sequence[str | Event], lang: str = "en", now: datetime = NOW
) -> tuple[list[str], Outcome]:
    """Start a check and feed it typed texts or events; return the steps shown and the end."""
    t = translator(lang)
    outcome: Outcome = next_step(spec, start(spec), Show(), now=now, t=t)
    steps = [label(outcome)]
    for item in inputs:
        state = DialogState.from_json(outcome.state.to_json())
        event = Typed(item) if isinstance(item, str) else item
        outcome = next_step(spec, state, event, now=now, t=t)
        steps.append(label(outcome))
        rendered = (
            render_ask(outcome, t)
            if isinstance(outcome, Ask)
            else render_invalid(outcome, t)
            if isinstance(outcome, Invalid)
            else render_verdict(outcome.verdict, t)
            if isinstance(outcome, Done)
            else ""
        )
        assert "{" not in rendered, rendered
    return steps, outcome


def verdict_of(outcome: Outcome) -> Verdict:
    assert isinstance(outcome, Done), outcome
    return outcome.verdict


def results(verdict: Verdict) -> dict[str, Result]:
    return {c.rule: c.result for c in verdict.criteria}


# --- loading -----------------------------------------------------------------------------------


def test_every_shipped_check_loads_against_the_real_facts(checks: dict[str, CheckSpec]) -> None:
    assert set(checks) == {"thb24", "fi23"}
    assert len(list(CHECKS_DIR.glob("*.yaml"))) == len(checks)


def test_rules_take_their_numbers_from_the_facts_file(thb: CheckSpec) -> None:
    facts = yaml.safe_load((FACTS_DIR / "amif-2024-tf2-ag-thb.yaml").read_text("utf-8"))
    grant = next(r.test for r in thb.rules if r.id == "grant")
    consortium = next(r.test for r in thb.rules if r.id == "consortium")
    assert isinstance(grant, RangeTest) and isinstance(consortium, ConsortiumTest)
    assert (grant.minimum, grant.maximum) == (
        facts["grant"]["min"]["amount"],
        facts["grant"]["max"]["amount"],
    )
    assert consortium.min_countries == facts["consortium"]["min_countries"]
    prio = thb.question("prio")
    assert [o.id for o in prio.options][:-1] == [p["id"] for p in facts["priorities"]]
    assert thb.countries is not None and thb.countries.excluded == frozenset({"DK"})


def test_every_button_fits_telegrams_64_byte_callback_limit(checks: dict[str, CheckSpec]) -> None:
    for spec in checks.values():
        for q in spec.questions:
            step = f"{q.id}.XX" if q.for_each else q.id
            for option in [o.id for o in q.options] + sorted(CONTROL_OPTIONS):
                data = encode_callback(spec.id, step, option)
                assert len(data.encode()) <= CALLBACK_MAX_BYTES
                assert decode_callback(data) == (spec.id, step, option)
    assert decode_callback("other:thing") is None


def _broken(tmp_path: Path, change: Any, name: str = "broken.yaml") -> Path:
    raw = yaml.safe_load((CHECKS_DIR / "amif-2024-tf2-ag-thb.yaml").read_text("utf-8"))
    change(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def _step(raw: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in raw["steps"] if s["id"] == step_id)


def _rule(raw: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in raw["rules"] if r["id"] == rule_id)


BROKEN = [
    (
        lambda r: _step(r, "sector").update(when={"answer": "nope", "equals": True}),
        r"steps\[1\] \(sector\)\.when\.answer: unknown question id 'nope'",
    ),
    (
        lambda r: _step(r, "legal").update(when={"answer": "sector", "equals": "pub"}),
        r"steps\[0\] \(legal\)\.when\.answer: unknown question id 'sector'"
        r" \(or not asked before\)",
    ),
    (
        lambda r: _rule(r, "sector")["test"]["condition"].update({"in": ["pub", "public"]}),
        r"rules\[1\] \(sector\)\.test\.condition\.in: unknown option 'public'",
    ),
    (
        lambda r: _step(r, "legal").update(prompt="Are you a legal entity?"),
        r"steps\[0\] \(legal\)\.prompt: message id not translated in en:"
        r" 'Are you a legal entity\?'",
    ),
    (
        lambda r: _rule(r, "grant")["test"]["range"].update(max={"fact": "grant.maximum.amount"}),
        r"rules\[5\] \(grant\)\.test\.range\.max: unknown fact path 'grant\.maximum\.amount'",
    ),
    (
        lambda r: _rule(r, "legal").update(test={"vote": {"answer": "legal"}}),
        r"rules\[0\] \(legal\)\.test\.vote: unknown field",
    ),
    (
        lambda r: _rule(r, "legal").update(based_on=["co_financing"]),
        r"rules\[0\] \(legal\)\.based_on\[0\]: fact 'co_financing' is empty",
    ),
    (
        lambda r: _step(r, "prio").update(options_from={"fact": "actions", "id": "slug"}),
        r"steps\[8\] \(prio\)\.options_from\[0\]: fact item lacks 'slug'",
    ),
    (
        lambda r: _step(r, "sector")["options"].append({"id": "x" * 50, "label": "Not sure"}),
        r"steps \(sector\): callback data 'elig:thb24:sector:x+' is over 64 bytes",
    ),
    (
        lambda r: _step(r, "sector")["options"].append({"id": "ok", "label": "Not sure"}),
        r"steps\[1\] \(sector\)\.options\[3\]\.id: option id 'ok' must be short ASCII",
    ),
    (lambda r: _step(r, "legal").update(colour="blue"), r"steps\[0\]\.colour: unknown field"),
    (
        lambda r: _rule(r, "consortium")["fix"].pop("entities"),
        r"rules\[4\] \(consortium\)\.fix\.entities: missing fix for this failure",
    ),
    (
        lambda r: _rule(r, "legal").update(
            fix="Plan the action for an initial duration of {months} months."
        ),
        r"rules\[0\] \(legal\)\.fix: message uses \['months'\] which this field does not provide",
    ),
]


@pytest.mark.parametrize(("change", "error"), BROKEN)
def test_a_broken_check_file_is_refused_naming_file_and_field(
    tmp_path: Path, change: Any, error: str
) -> None:
    path = _broken(tmp_path, change)
    with pytest.raises(SpecError, match=rf"broken\.yaml: {error}"):
        load_check(path)


def test_two_check_files_with_one_id_are_refused(tmp_path: Path) -> None:
    _broken(tmp_path, lambda r: None, "a.yaml")
    _broken(tmp_path, lambda r: None, "b.yaml")
    with pytest.raises(SpecError, match=r"b\.yaml: id: 'thb24' is also used by .*a\.yaml"):
        load_checks(tmp_path)


# --- the 2024 trafficking call: exact step sequences -------------------------------------------

ELIGIBLE_THB = {
    "en": ["yes", "2", "yes", "Sweden", "Finland and Estonia", "done", "800 000", "24", "1, 3"],
    "sv": [
        "ja",
        "2",
        "ja",
        "Sverige",
        "Finland och Estland",
        "klar",
        "0,8 milj.",
        "24 månader",
        "1 3",
    ],
    "fi": [
        "kyllä",
        "2",
        "joo",
        "Ruotsi",
        "Suomi ja Viro",
        "valmis",
        "800 000 €",
        "24 kk",
        "1 ja 3",
    ],
}
THB_STEPS = [
    "legal",
    "sector",
    "profit",
    "country",
    "partners",
    "partners",
    "grant",
    "months",
    "prio",
    "done",
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_thb_eligible_path_in_each_language(thb: CheckSpec, lang: str) -> None:
    steps, outcome = walk(thb, ELIGIBLE_THB[lang], lang)
    assert steps == THB_STEPS
    verdict = verdict_of(outcome)
    assert verdict.eligibility is Eligibility.ELIGIBLE
    assert set(results(verdict).values()) == {Result.PASS}
    assert verdict.call_status is CallStatus.UNKNOWN
    text = plain(render_verdict(verdict, translator(lang)))
    assert {"en": "€888,889", "sv": "888 889 €", "fi": "888 889 €"}[lang] in text
    assert {"en": "€88,889", "sv": "88 889 €", "fi": "88 889 €"}[lang] in text
    assert {"en": "Result: eligible", "sv": "Resultat: behörig", "fi": "Tulos: kelpoinen"}[
        lang
    ] in text
    assert "Funding & Tenders" in text


def test_thb_same_path_with_buttons(thb: CheckSpec) -> None:
    events: list[str | Event] = [
        Pressed("legal", "y"),
        Pressed("sector", "priv"),
        Pressed("profit", "y"),
        "SE",
        "FI EE",
        Pressed("partners", OPTION_FINISH),
        "800k",
        "24",
        Pressed("prio", "prevent-labour-exploitation"),
        Pressed("prio", "demand-awareness"),
        Pressed("prio", OPTION_FINISH),
    ]
    steps, outcome = walk(thb, events)
    assert steps == [
        "legal",
        "sector",
        "profit",
        "country",
        "partners",
        "partners",
        "grant",
        "months",
        "prio",
        "prio",
        "prio",
        "done",
    ]
    assert verdict_of(outcome).eligibility is Eligibility.ELIGIBLE


def _failing(answers: dict[int, str]) -> list[str]:
    path = list(ELIGIBLE_THB["en"])
    for index, text in answers.items():
        path[index] = text
    return path


@pytest.mark.parametrize(
    ("changes", "rule", "fix_words"),
    [
        ({0: "no"}, "legal", "Register your organisation as a legal person"),
        ({2: "no"}, "profit", "Only non-profit organisations"),
        ({6: "400 000"}, "grant", "Raise the request to at least €500,000"),
        ({6: "1,2 million"}, "grant", "Bring the request down to at most €1,000,000"),
        ({7: "36"}, "duration", "initial duration of 24 months"),
        ({8: "none"}, "priority", "Rework the action"),
    ],
)
def test_thb_each_failure_names_its_fix(
    thb: CheckSpec, changes: dict[int, str], rule: str, fix_words: str
) -> None:
    steps, outcome = walk(thb, _failing(changes))
    assert steps == THB_STEPS
    verdict = verdict_of(outcome)
    assert verdict.eligibility is Eligibility.NOT_ELIGIBLE
    assert [c.rule for c in verdict.with_result(Result.FAIL)] == [rule]
    text = render_verdict(verdict, translator("en"))
    assert fix_words in text
    assert "Result: not eligible as things stand. 1 criterion is not met." in text


@pytest.mark.parametrize(
    ("lang", "denmark", "words"),
    [
        ("en", "Denmark", "Organisations established in Denmark cannot take part"),
        ("sv", "Danmark", "Organisationer etablerade i Danmark kan inte delta"),
        ("fi", "Tanska", "Maassa Tanska sijaitsevat organisaatiot eivät voi osallistua"),
    ],
)
def test_thb_applicant_in_denmark_fails_in_each_language(
    thb: CheckSpec, lang: str, denmark: str, words: str
) -> None:
    path = list(ELIGIBLE_THB[lang])
    path[3] = denmark
    steps, outcome = walk(thb, path, lang)
    assert steps == THB_STEPS
    verdict = verdict_of(outcome)
    assert results(verdict)["country"] is Result.FAIL
    # Denmark does not count, so Sweden's place is missing: two eligible countries only.
    assert results(verdict)["consortium"] is Result.FAIL
    assert words in render_verdict(verdict, translator(lang))


def test_thb_consortium_too_small_says_how_many_more(thb: CheckSpec) -> None:
    steps, outcome = walk(thb, _failing({4: "Danmark, Tanska"}))
    assert steps == THB_STEPS
    verdict = verdict_of(outcome)
    assert [c.rule for c in verdict.with_result(Result.FAIL)] == ["consortium"]
    text = render_verdict(verdict, translator("en"))
    assert "Counted: organisations 1 of 3, different eligible countries 1 of 3 (Sweden)." in text
    assert "Denmark is excluded from this call." in text
    assert "2 more eligible countries are needed" in text


def test_thb_three_partners_in_two_countries_still_needs_a_third_country(
    thb: CheckSpec,
) -> None:
    _, outcome = walk(thb, _failing({4: "Sweden, Sweden"}))
    verdict = verdict_of(outcome)
    text = render_verdict(verdict, translator("sv"))
    assert "organisationer 3 av 3, olika behöriga länder 1 av 3" in text
    assert "2 behöriga länder till behövs" in text


def test_thb_partners_one_by_one_show_the_count_so_far(thb: CheckSpec) -> None:
    t = translator("en")
    steps, outcome = walk(thb, ["yes", "1", "yes", "Sweden", "Denmark", "Finland"])
    assert steps == ["legal", "sector", "profit", "country", "partners", "partners", "partners"]
    assert isinstance(outcome, Ask)
    text = render_ask(outcome, t)
    assert "So far 2 partners: Denmark, Finland." in text
    assert "organisations 2 of 3, different eligible countries 2 of 3." in text
    assert "Not counted: Denmark." in text
    steps, outcome = walk(thb, ["yes", "1", "yes", "Sweden", "Denmark", "Finland", "back"])
    assert isinstance(outcome, Ask) and outcome.selected == ("DK",)


def test_thb_non_eu_countries_branch_into_one_question_each(thb: CheckSpec) -> None:
    path = [
        "yes",
        "1",
        "yes",
        "Norway",
        "Finland, Ukraine, Norge",
        "done",
        "yes",
        "no",
        "800 000",
        "24",
        "1",
    ]
    steps, outcome = walk(thb, path)
    assert steps == [
        "legal",
        "sector",
        "profit",
        "country",
        "partners",
        "partners",
        "assoc.NO",
        "assoc.UA",
        "grant",
        "months",
        "prio",
        "done",
    ]
    verdict = verdict_of(outcome)
    assert results(verdict) == {
        "legal": Result.PASS,
        "sector": Result.PASS,
        "profit": Result.PASS,
        "country": Result.PASS,
        "consortium": Result.FAIL,
        "grant": Result.PASS,
        "duration": Result.PASS,
        "priority": Result.PASS,
    }
    text = render_verdict(verdict, translator("en"))
    assert "Ukraine is not associated to AMIF (your answer)." in text
    assert "• Norway associated to AMIF: Yes" in text


def test_thb_unknown_association_gives_cannot_tell_with_advice(thb: CheckSpec) -> None:
    path = ["ja", "2", "ja", "Norge", "Sverige, Finland", "klar", "vet inte", "800 000", "24", "1"]
    steps, outcome = walk(thb, path, "sv")
    assert steps[6] == "assoc.NO"
    verdict = verdict_of(outcome)
    assert verdict.eligibility is Eligibility.CANNOT_TELL
    assert [c.rule for c in verdict.with_result(Result.UNKNOWN)] == ["country", "consortium"]
    text = render_verdict(verdict, translator("sv"))
    assert "Resultat: går inte att avgöra ännu. 2 punkter är fortfarande öppna." in text
    assert "Kontrollera i utlysningens dokument på EU:s portal Funding & Tenders om Norge" in text


def test_thb_not_sure_answers_leave_the_verdict_open(thb: CheckSpec) -> None:
    steps, outcome = walk(thb, _failing({1: "3", 2: "en tiedä"}))
    assert steps == THB_STEPS
    verdict = verdict_of(outcome)
    assert verdict.eligibility is Eligibility.CANNOT_TELL
    assert [c.rule for c in verdict.with_result(Result.UNKNOWN)] == ["sector", "profit"]
    assert "Check your statutes" in render_verdict(verdict, translator("en"))


def test_thb_progress_counts_the_questions_that_apply(thb: CheckSpec) -> None:
    first = next_step(thb, start(thb), Show(), now=NOW)
    assert isinstance(first, Ask) and (first.progress.n, first.progress.total) == (1, 8)
    _, outcome = walk(thb, ["yes", "1", "yes", "Sweden", "Norway", "done"])
    assert isinstance(outcome, Ask) and outcome.step == "assoc.NO"
    assert (outcome.progress.n, outcome.progress.total) == (6, 9)
    assert "\n\nVaihe 6/9\n" in render_ask(outcome, translator("fi"))


def test_thb_multiple_choice_buttons_toggle_and_none_is_exclusive(thb: CheckSpec) -> None:
    head: list[str | Event] = list(ELIGIBLE_THB["en"][:8])
    steps, outcome = walk(
        thb,
        [
            *head,
            Pressed("prio", "demand-awareness"),
            Pressed("prio", "durable-solutions"),
            Pressed("prio", "demand-awareness"),
            Pressed("prio", "none"),
        ],
    )
    assert steps[-5:] == ["prio"] * 5
    assert isinstance(outcome, Ask) and outcome.selected == ("none",)
    _, outcome = walk(thb, [*head, Pressed("prio", "none"), Pressed("prio", "durable-solutions")])
    assert isinstance(outcome, Ask) and outcome.selected == ("durable-solutions",)
    assert "\n7. [x] " in render_ask(outcome, translator("en"))
    steps, outcome = walk(thb, [*head, Pressed("prio", OPTION_FINISH)])
    assert steps[-1] == "invalid:prio"
    assert isinstance(outcome, Invalid) and outcome.hint.msgid == MSG_NEED_SELECTION


# --- back, restart, cancel, stale buttons, invalid answers ---------------------------------------


def test_back_returns_to_the_previous_question_and_a_new_answer_replaces_the_old(
    thb: CheckSpec,
) -> None:
    steps, outcome = walk(thb, ["yes", "1", "back", "2", "no"])
    assert steps == ["legal", "sector", "profit", "sector", "profit", "country"]
    assert isinstance(outcome, Ask)
    assert [(e.step, e.value) for e in outcome.state.log] == [
        ("legal", True),
        ("sector", "priv"),
        ("profit", False),
    ]


def test_back_on_the_first_question_stays_there(thb: CheckSpec) -> None:
    steps, outcome = walk(thb, ["back", Back("legal")])
    assert steps == ["legal", "legal", "legal"]
    assert isinstance(outcome, Ask) and outcome.at_start


def test_back_from_the_verdict_reopens_the_last_question(thb: CheckSpec) -> None:
    steps, outcome = walk(thb, [*ELIGIBLE_THB["en"], Pressed("end", OPTION_BACK), "none"])
    assert steps[-3:] == ["done", "prio", "done"]
    assert verdict_of(outcome).eligibility is Eligibility.NOT_ELIGIBLE


def test_back_undoes_a_branch_so_its_question_disappears(thb: CheckSpec) -> None:
    steps, _ = walk(
        thb,
        [
            "yes",
            "1",
            "yes",
            "Sweden",
            "Norway",
            "done",
            "back",
            "back",
            "Finland",
            "Estonia",
            "done",
        ],
    )
    assert steps == [
        "legal",
        "sector",
        "profit",
        "country",
        "partners",
        "partners",
        "assoc.NO",
        "partners",
        "partners",
        "partners",
        "partners",
        "grant",
    ]


def test_restart_starts_over_with_nothing_remembered(thb: CheckSpec) -> None:
    steps, outcome = walk(thb, ["yes", "1", Restart()])
    assert steps == ["legal", "sector", "profit", "legal"]
    assert outcome.state.log == ()
    steps, outcome = walk(thb, ["yes", "börja om"])
    assert steps == ["legal", "sector", "legal"]


def test_cancel_ends_the_check(thb: CheckSpec) -> None:
    steps, outcome = walk(thb, ["yes", "peruuta"])
    assert steps == ["legal", "sector", "cancelled"]
    _, outcome = walk(thb, ["yes", Cancel()])
    assert isinstance(outcome, Cancelled)


def test_a_stale_button_changes_nothing(thb: CheckSpec) -> None:
    _, at_profit = walk(thb, ["yes", "1"])
    assert isinstance(at_profit, Ask) and at_profit.step == "profit"
    for event in (
        Pressed("legal", "n"),
        Pressed("sector", "priv"),
        Back("legal"),
        Pressed("profit", "nonsense"),
        Pressed("legal", OPTION_BACK),
    ):
        outcome = next_step(thb, at_profit.state, event, now=NOW)
        assert isinstance(outcome, Stale)
        assert outcome.state == at_profit.state
        assert isinstance(outcome.current, Ask) and outcome.current.step == "profit"


def test_a_stale_button_after_the_verdict_changes_nothing(thb: CheckSpec) -> None:
    _, done = walk(thb, ELIGIBLE_THB["en"])
    outcome = next_step(thb, done.state, Pressed("prio", "none"), now=NOW)
    assert isinstance(outcome, Stale) and isinstance(outcome.current, Done)
    assert outcome.state == done.state


def test_an_answer_that_does_not_fit_asks_again_with_a_hint(thb: CheckSpec) -> None:
    steps, outcome = walk(thb, ["kanske"], "sv")
    assert steps == ["legal", "invalid:legal"]
    assert isinstance(outcome, Invalid) and outcome.hint.msgid == HINT_YES_NO
    assert outcome.state.log == ()
    text = render_invalid(outcome, translator("sv"))
    assert text.startswith("Svara ja eller nej.\n\nSteg 1 av 8")
    steps, outcome = walk(thb, ["yes", "1", "yes", "Atlantis"])
    assert steps[-1] == "invalid:country"
    assert isinstance(outcome, Invalid)
    text = render_invalid(outcome, translator("en"))
    assert text.startswith("I don't recognise “Atlantis” as a country.")


def test_help_shows_the_explanation_without_moving_on(thb: CheckSpec) -> None:
    steps, outcome = walk(thb, ["?"], "fi")
    assert steps == ["legal", "legal"]
    assert isinstance(outcome, Ask) and outcome.show_help
    assert "Rekisteröidyt yhdistykset" in render_ask(outcome, translator("fi"))


def test_a_state_saved_before_a_check_file_change_resumes_where_it_still_fits(
    thb: CheckSpec,
) -> None:
    _, outcome = walk(thb, ["yes", "1", "yes"])
    data = outcome.state.to_json().replace('"pub"', '"municipal"')
    resumed = next_step(thb, DialogState.from_json(data), Show(), now=NOW)
    assert isinstance(resumed, Ask) and resumed.step == "sector"
    assert len(resumed.state.log) == 1


# --- Finland's autumn 2023 call ------------------------------------------------------------------

FI_PATHS = {
    "so2": (["3", "2", "5", "2", "no"], ["org", "so", "m2", "target", "work", "done"]),
    "so1": (["1", "1", "1", "no"], ["org", "so", "m1", "work", "done"]),
    "so3": (["2", "3", "1", "no"], ["org", "so", "m3", "work", "done"]),
    "none": (["3", "4"], ["org", "so", "done"]),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("branch", sorted(FI_PATHS))
def test_fi_each_objective_branches_to_its_own_questions(
    fi: CheckSpec, lang: str, branch: str
) -> None:
    inputs, expected = FI_PATHS[branch]
    steps, outcome = walk(fi, inputs, lang)
    assert steps == expected
    verdict = verdict_of(outcome)
    assert verdict.call_status is CallStatus.CLOSED
    if branch == "none":
        assert results(verdict) == {"objective": Result.FAIL}
    else:
        assert verdict.eligibility is Eligibility.ELIGIBLE


def test_fi_objective_two_by_label_in_finnish(fi: CheckSpec) -> None:
    steps, outcome = walk(
        fi, ["yhdistys", "laillinen maahanmuutto", "naisten", "pidempään", "ei"], "fi"
    )
    assert steps == ["org", "so", "m2", "target", "work", "done"]
    verdict = verdict_of(outcome)
    text = render_verdict(verdict, translator("fi"))
    assert "Tavoitteessa 2 haussa jaetaan yhteensä 7 800 000 €." in plain(text)
    assert "Pidempään Suomessa asuneet voivat osallistua" in text


@pytest.mark.parametrize(
    ("inputs", "failed", "absent"),
    [
        (["1", "3", "6", "no"], ["opsup"], "measure3"),
        (["1", "3", "7", "no"], ["measure3"], "opsup"),
        (["3", "2", "7", "1", "no"], ["measure2"], None),
        (["3", "2", "4", "3", "no"], ["target"], None),
        (["3", "2", "5", "1", "yes"], ["work"], None),
    ],
)
def test_fi_failures(
    fi: CheckSpec, inputs: list[str], failed: list[str], absent: str | None
) -> None:
    _, outcome = walk(fi, inputs)
    verdict = verdict_of(outcome)
    assert [c.rule for c in verdict.with_result(Result.FAIL)] == failed
    assert absent not in results(verdict)
    assert all(c.fix is not None for c in verdict.with_result(Result.FAIL))


def test_fi_employment_measures_flag_quotes_the_facts(fi: CheckSpec) -> None:
    _, outcome = walk(fi, ["3", "2", "5", "1", "?"], "sv")
    assert isinstance(outcome, Ask) and outcome.step == "work"
    assert "arbetspraktik eller lärande på en arbetsplats" in render_ask(outcome, translator("sv"))
    _, outcome = walk(fi, ["3", "2", "5", "1", "ja"], "sv")
    text = render_verdict(verdict_of(outcome), translator("sv"))
    assert "✗ Planen innehåller inga sysselsättningsåtgärder" in text
    assert "Ta bort arbetsprövning och lärande på arbetsplatsen" in text


@pytest.mark.parametrize(
    ("now", "status", "words"),
    [
        (
            datetime(2023, 9, 28, 20, 59, tzinfo=UTC),
            CallStatus.NOT_YET_OPEN,
            "Call status: not open yet. Applications can be sent from 29 September 2023.",
        ),
        (
            datetime(2023, 9, 28, 21, 0, tzinfo=UTC),
            CallStatus.OPEN,
            "Call status: open. Applications are accepted until 31 October 2023.",
        ),
        (datetime(2023, 10, 31, 21, 59, tzinfo=UTC), CallStatus.OPEN, "Call status: open."),
        (
            datetime(2023, 10, 31, 22, 0, tzinfo=UTC),
            CallStatus.CLOSED,
            "Call status: closed on 31 October 2023.",
        ),
        (NOW, CallStatus.CLOSED, "Application period: 29 September 2023 to 31 October 2023."),
    ],
)
def test_fi_call_status_follows_helsinki_time(
    fi: CheckSpec, now: datetime, status: CallStatus, words: str
) -> None:
    _, outcome = walk(fi, FI_PATHS["so1"][0], now=now)
    verdict = verdict_of(outcome)
    assert verdict.call_status is status
    assert words in render_verdict(verdict, translator("en"))


def test_engine_refuses_a_naive_clock_and_another_checks_state(
    thb: CheckSpec, fi: CheckSpec
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_step(thb, start(thb), Show(), now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="check 'fi23'"):
        next_step(thb, start(fi), Show(), now=NOW)


# --- the eligibility catalog -------------------------------------------------------------------


def _eligibility_catalog(lang: str) -> dict[tuple[str, ...], tuple[str, ...]]:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "eligibility.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    assert not catalog.fuzzy and catalog.plural_forms.startswith("nplurals=2")
    entries: dict[tuple[str, ...], tuple[str, ...]] = {}
    for m in catalog:
        if m.id:
            assert not m.fuzzy, m.id
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            entries[tuple(str(i) for i in ids)] = tuple(str(x) for x in strings)
    return entries


def _used_message_ids(checks: dict[str, CheckSpec]) -> set[tuple[str, ...]]:
    used: set[tuple[str, ...]] = {
        m if isinstance(m, tuple) else (m,) for m in (*ENGINE_MESSAGES, *HINTS)
    }
    plurals = {
        fix.msgid: fix.plural
        for spec in checks.values()
        for rule in spec.rules
        for _, fix in rule.fixes
        if fix.plural
    }
    for spec in checks.values():
        used |= {(m, plurals[m]) if m in plurals else (m,) for m in iter_message_ids(spec)}
    return used


def test_eligibility_catalog_has_exactly_the_messages_in_use(
    checks: dict[str, CheckSpec],
) -> None:
    in_catalog = set(_eligibility_catalog("en"))
    assert in_catalog == _used_message_ids(checks)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_eligibility_catalog_is_complete_in_each_language(lang: str) -> None:
    import re

    english = _eligibility_catalog("en")
    catalog = _eligibility_catalog(lang)
    assert set(catalog) == set(english)
    for ids, strings in catalog.items():
        assert len(strings) == len(ids) and all(s.strip() for s in strings), ids
        wanted = set(re.findall(r"\{(\w*)\}", ids[-1]))
        assert all(set(re.findall(r"\{(\w*)\}", s)) == wanted for s in strings), ids
        if lang == "en":
            assert strings == ids


def test_translations_reach_the_user_through_the_shared_translator() -> None:
    assert translator("sv").gettext("Legal person") == "Juridisk person"
    assert translator("fi").ngettext("{n} month", "{n} months", 24) == "{n} kuukautta"


def test_catalog_messages_are_what_load_check_validates(checks: dict[str, CheckSpec]) -> None:
    catalogs = load_catalogs()
    for lang in LANGUAGES:
        for msgid, *_rest in _used_message_ids(checks):
            assert msgid in catalogs[lang]


@pytest.mark.parametrize(
    ("lang", "denmark", "noted"),
    [
        ("en", "Denmark", "Denmark is excluded from this call."),
        ("sv", "Danmark", "Danmark är uteslutet från den här utlysningen."),
        ("fi", "Tanska", "Tanska on rajattu tämän haun ulkopuolelle."),
    ],
)
def test_a_failing_answer_is_noted_at_once_and_the_check_goes_on(
    thb: CheckSpec, lang: str, denmark: str, noted: str
) -> None:
    steps, outcome = walk(thb, [*ELIGIBLE_THB[lang][:3], denmark], lang)
    assert steps == ["legal", "sector", "profit", "country", "partners"]
    assert isinstance(outcome, Ask)
    text = render_ask(outcome, translator(lang))
    assert noted in text
    assert text.index(noted) < text.index({"en": "Step 5", "sv": "Steg 5", "fi": "Vaihe 5"}[lang])


def test_a_passing_or_open_answer_brings_no_feedback(thb: CheckSpec) -> None:
    _, outcome = walk(thb, ["yes", "1", "don't know", "Sweden"])
    assert isinstance(outcome, Ask) and outcome.feedback == ()
    _, outcome = walk(thb, ["no"])
    assert isinstance(outcome, Ask)
    assert render_ask(outcome, translator("en")).startswith(
        "Not met: The applicant is a legal person.\nYour answer: No\n"
        "You can stop here and see the result, or go on to see every point at the end."
        "\n\nStep 2 of 8"
    )
    assert outcome.can_stop


def test_after_a_failed_criterion_the_user_may_stop_and_see_the_verdict(thb: CheckSpec) -> None:
    _, outcome = walk(thb, ["no"])
    assert isinstance(outcome, Ask) and outcome.can_stop
    done = next_step(thb, outcome.state, Pressed(outcome.step, OPTION_STOP), now=NOW)
    assert isinstance(done, Done)
    assert done.verdict.eligibility is not Eligibility.ELIGIBLE
    # The stop is kept (a restart shows the verdict again) and Back undoes it.
    again = next_step(thb, DialogState.from_json(done.state.to_json()), Show(), now=NOW)
    assert isinstance(again, Done)
    back = next_step(thb, done.state, Back(), now=NOW)
    assert isinstance(back, Ask) and back.step == outcome.step
    # With nothing failed yet, stopping is not offered, and a forged press changes nothing.
    _, fine = walk(thb, ["yes"])
    assert isinstance(fine, Ask) and not fine.can_stop
    stale = next_step(thb, fine.state, Pressed(fine.step, OPTION_STOP), now=NOW)
    assert isinstance(stale, Stale)


def test_endless_button_presses_cannot_grow_the_stored_state_without_bound(
    thb: CheckSpec,
) -> None:
    _, outcome = walk(thb, ELIGIBLE_THB["en"][:8])
    for _ in range(MAX_LOG_ENTRIES):
        outcome = next_step(thb, outcome.state, Pressed("prio", "none"), now=NOW)
    assert isinstance(outcome, Invalid) and outcome.hint.msgid == MSG_LOG_FULL
    assert len(outcome.state.log) == MAX_LOG_ENTRIES
    outcome = next_step(thb, outcome.state, Typed("2"), now=NOW)
    assert isinstance(outcome, Done) and outcome.verdict.eligibility is Eligibility.ELIGIBLE


def test_back_while_ticking_options_leaves_the_question(thb: CheckSpec) -> None:
    head: list[str | Event] = list(ELIGIBLE_THB["en"][:8])
    steps, outcome = walk(
        thb, [*head, Pressed("prio", "demand-awareness"), Pressed("prio", OPTION_BACK)]
    )
    assert steps[-3:] == ["prio", "prio", "months"]
    assert isinstance(outcome, Ask) and outcome.selected == ()
    assert [e.step for e in outcome.state.log][-1] == "grant"


@pytest.mark.parametrize(
    ("lang", "back", "restart", "cancel"),
    [
        ("en", "back", "start over", "cancel"),
        ("sv", "tillbaka", "börja om", "avbryt"),
        ("fi", "takaisin", "aloita alusta", "lopeta"),
    ],
)
def test_typed_back_restart_and_cancel_in_each_language(
    fi: CheckSpec, lang: str, back: str, restart: str, cancel: str
) -> None:
    steps, outcome = walk(fi, ["3", "2", back, "3", "1", restart, "1", cancel], lang)
    assert steps == ["org", "so", "m2", "so", "m3", "work", "org", "so", "cancelled"]
    assert isinstance(outcome, Cancelled)
