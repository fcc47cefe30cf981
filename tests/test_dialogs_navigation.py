"""Moving around in a check: back, restart, cancel, stale buttons, answers that do not fit,
help, feedback on a failed answer, stopping early, and a stored state that cannot grow.
"""

import pytest

from bot.eligibility import (
    MAX_LOG_ENTRIES,
    MSG_LOG_FULL,
    OPTION_BACK,
    OPTION_STOP,
    Ask,
    Back,
    Cancel,
    Cancelled,
    CheckSpec,
    DialogState,
    Done,
    Eligibility,
    Event,
    Invalid,
    Pressed,
    Restart,
    Show,
    Stale,
    Typed,
    next_step,
    render_ask,
    render_invalid,
)
from bot.eligibility.parsing import HINT_YES_NO
from i18n import translator
from tests.support.dialogs import ELIGIBLE_THB, NOW, verdict_of, walk

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


# --- feedback, stopping early, bounded state -----------------------------------------------------


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
