"""The eligibility engine on the shipped checks: exact step sequences and verdicts of the 2024
trafficking call and Finland's autumn 2023 call.

Every walk round-trips the state through JSON between steps, as the bot does through storage.
"""

from datetime import UTC, datetime

import pytest

from bot.eligibility import (
    MSG_NEED_SELECTION,
    OPTION_FINISH,
    Ask,
    CallStatus,
    CheckSpec,
    Eligibility,
    Event,
    Invalid,
    Pressed,
    Result,
    Show,
    next_step,
    render_ask,
    render_verdict,
    start,
)
from i18n import LANGUAGES, translator
from tests.support.dialogs import ELIGIBLE_THB, NOW, plain, results, verdict_of, walk

# --- the 2024 trafficking call: exact step sequences -------------------------------------------

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
