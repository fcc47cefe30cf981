"""Weighted aspect words: what first-match routing got right stays, what it got wrong is fixed."""

from pathlib import Path

import pytest
import yaml

from bot.answering.aspects import aspect_evidence
from bot.intents import detect_intent
from knowledge.base import fold

DATA = Path(__file__).parent / "data"
QUESTIONS = [q["q"] for q in yaml.safe_load((DATA / "questions.yaml").read_text("utf-8"))]
# What bot/intents.py's 18 first-match regexes (6bcb54f) gave each question, recorded once.
FIRST_MATCH: dict[str, str | None] = yaml.safe_load(
    (DATA / "first_match_topics.yaml").read_text("utf-8")
)

# Questions whose strongest aspect differs from the first match, each because the new one is
# better. Timing questions go to the deadline (timing counts for it, priority.yaml).
BETTER: dict[str, tuple[str, str]] = {
    "Vilket generaldirektorat på kommissionen sköter AMIF?": (
        "management",
        "'generaldirektorat', 'sköter' (runs) name who manages it; first match found nothing",
    ),
    "Vi jobbar med asylsökande i Åbo. Vad kan vi få stöd för under mål 1 i Finlands "
    "AMIF-utlysning hösten 2023, och hur mycket finns det?": (
        "budget",
        "'hur mycket ... finns det' asks how much there is (budget), not one grant's size",
    ),
    "Mitä toimia syksyn 2023 haussa voi rahoittaa laillisen maahanmuuton ja kotouttamisen "
    "tavoitteesta, ja paljonko siihen on rahaa?": (
        "budget",
        "'paljonko ... on rahaa' is how much money there is (budget), as 'how much money is'",
    ),
    "is the finnish autumn 2023 amif round still accepting applications?": (
        "deadline",
        "timing: 'still accepting'; first match found nothing",
    ),
    "how many days do we have left before the Finnish AMIF call shuts?": (
        "deadline",
        "timing: 'how many days'; first match found nothing",
    ),
    "Is there still time for us to apply to the 2023 Finnish call?": (
        "deadline",
        "timing: 'still time'; first match took bare 'apply' for who may apply",
    ),
    "How much time is left to apply to the 2024 THB call?": (
        "deadline",
        "timing: 'how much time is left'; first match took 'how much' for the grant size",
    ),
    "Which had the bigger pot of money: the 2024 trafficking call or Finland's autumn 2023 "
    "call?": ("budget", "a comparison of budgets ('pot of money'); first match found nothing"),
    "The ministry news says 'operativt stöd' under objective 3 - is that covered in the 2023 "
    "call?": (
        "objectives",
        "asks what objective 3 includes; first match took 'covered' for the funding rate",
    ),
    "Går det fortfarande att söka i Finlands AMIF-utlysning hösten 2023?": (
        "deadline",
        "timing: 'går det fortfarande att söka'; first match took 'söka' for who may apply",
    ),
    "hinner vi ännu lämna in en ansökan till utlysningen 2020 om människohandel?": (
        "deadline",
        "timing: 'hinner' (is there time); first match found nothing",
    ),
    "Hur länge till kan man söka i THB-utlysningen 2024?": (
        "deadline",
        "timing: 'hur länge till' is how long is left, not the project duration",
    ),
    "Jämför laglig migration och integration med asyl i Finlands höstutlysning: hur mycket finns "
    "för vardera?": ("budget", "'hur mycket finns' is how much there is, not one grant's size"),
    "Hur stor del av AMIF-pengarna sköts tillsammans med medlemsstaterna jämfört med det "
    "kommissionen sköter själv?": (
        "management",
        "shared against direct management ('sköts', 'sköter'); first match took 'medlemsstaterna'",
    ),
    "Kuinka paljon rahaa vuoden 2024 ihmiskauppahaussa on kaikkiaan?": (
        "budget",
        "'kuinka paljon rahaa ... kaikkiaan': the money in all, not one grant's size",
    ),
    "Paljonko AMIF-rahastossa on rahaa koko ohjelmakaudella?": (
        "budget",
        "the fund's money over the whole period, not one grant's size",
    ),
    "Kuinka kauan vuoden 2024 THB-hakuun ehtii vielä hakea?": (
        "deadline",
        "timing: 'kuinka kauan', 'vielä hakea'; first match: 'kuinka ... haku' (how to apply)",
    ),
    "okei, entä paljonko rahaa oli paluuhankkeille?": (
        "budget",
        "'paljonko rahaa oli' is money set aside (budget), not one grant's size",
    ),
    "voiko siihen vielä hakea?": (
        "deadline",
        "timing: 'vielä hakea' (still apply); first match took 'hakea' for who may apply",
    ),
    "paljonko niihin on rahaa?": ("budget", "'paljonko ... on rahaa': how much money there is"),
    "what share of eligible costs does the EU pay in AMIF-2024-TF2-AG-THB?": (
        "funding_rate",
        "'what share of eligible costs' is the rate; first match took 'eligib*' for who may apply",
    ),
    "Is VAT an eligible cost in the 2024 THB call?": (
        "funding_rate",
        "about costs, not who may apply: 'eligible cost' is now weak (0.5) cost-and-rate evidence"
        " instead of 'eligib*' (applicants, 1.0); the set expects a decline either way",
    ),
    "Paljonko rahaa on haussa AMIF-2026-TF2-AG-XYZ?": (
        "budget",
        "'paljonko rahaa on haussa': the call's money, not one grant's size",
    ),
    "which AMIF calls can I apply to right now?": (
        "deadline",
        "timing: 'right now'; first match took bare 'apply' for who may apply",
    ),
    "Is the 2024 call on trafficking victims accepting proposals at the moment?": (
        "deadline",
        "timing: 'at the moment' (weak, 0.7); first match found nothing",
    ),
    "ok, and how much money was there for return projects?": (
        "budget",
        "'how much money was (there)' is the budget, as 'how much money is' always was",
    ),
    "is it still possible to apply?": (
        "deadline",
        "timing: 'still possible'; first match took bare 'apply' for who may apply",
    ),
    "Vilka AMIF-utlysningar kan man söka i just nu?": (
        "deadline",
        "timing: 'just nu' (right now); first match took 'söka' for who may apply",
    ),
    "Har vi ännu tid att söka understöd i höstens utlysning 2023?": (
        "deadline",
        "timing: 'ännu tid' (still time, Finland-Swedish); first match took 'söka'",
    ),
    "Tar utlysningen 2024 om offer för människohandel emot ansökningar just nu?": (
        "deadline",
        "timing: 'just nu' (right now); first match found nothing",
    ),
    "vad är läget med 2020 års AMIF-utlysning om människohandel, kan man söka?": (
        "deadline",
        "timing: 'läget' (the status, weak 0.7); first match took 'söka' for who may apply",
    ),
    "okej, och hur mycket fanns det för återvändandeprojekt?": (
        "budget",
        "'hur mycket fanns det' is how much there was (budget), not one grant's size",
    ),
    "och går det ännu att söka?": (
        "deadline",
        "timing: 'går det ännu att söka' (can one still apply); first match took 'söka'",
    ),
    "ehdinko viela hakea vuoden 2020 ihmiskauppahausta rahaa?": (
        "deadline",
        "timing: 'ehdi*' (is there time); first match took 'hakea' for who may apply",
    ),
    "Mihin AMIF-hakuihin voin hakea juuri nyt?": (
        "deadline",
        "timing: 'juuri nyt' (right now); first match took 'hakea' for who may apply",
    ),
    "Onko meillä vielä aikaa hakea avustusta syksyn 2023 haussa?": (
        "deadline",
        "timing: 'vielä aikaa' (still time); first match took 'hakea' for who may apply",
    ),
    "Otetaanko vuoden 2024 ihmiskauppahakuun hakemuksia vastaan tällä hetkellä?": (
        "deadline",
        "timing: 'tällä hetkellä' (at the moment, weak 0.7); first match found nothing",
    ),
    "mikä on vuoden 2020 AMIF-ihmiskauppahaun tilanne, voiko hakea?": (
        "deadline",
        "timing: 'tilanne' (the status, weak 0.7); first match took 'hakea' for who may apply",
    ),
}


def _top(question: str) -> str | None:
    intent = detect_intent(fold(question))
    return intent.topic if intent else None


def test_the_recording_covers_the_question_set() -> None:
    # Questions added after the recording have no first-match answer; the many recorded must stay.
    assert sum(q in FIRST_MATCH for q in QUESTIONS) >= 450


def test_the_strongest_aspect_is_the_first_match_except_where_it_is_better() -> None:
    recorded = [q for q in QUESTIONS if q in FIRST_MATCH]
    changed = {q: _top(q) for q in recorded if _top(q) != FIRST_MATCH[q]}
    assert changed == {q: topic for q, (topic, _) in BETTER.items() if q in FIRST_MATCH}
    assert len(recorded) - len(changed) >= 415


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        # English
        ("Does the EU cover the whole cost?", "funding_rate"),
        ("Which share of the eligible costs does the EU cover?", "funding_rate"),
        ("Can our partner in Denmark join?", "countries"),
        ("How many days are left to apply?", "timing"),
        ("Is the trafficking call still open?", "timing"),
        ("How long is the call open for?", "timing"),
        ("How much can a single project apply for?", "grant"),
        ("Who do we contact with questions about the call?", "contact"),
        ("How long can a project run?", "duration"),
        ("What is the overall budget of the call?", "budget"),
        ("What kinds of activities can be funded?", "actions"),
        ("Is the call meant for third-country nationals only?", "target_group"),
        ("Where do the partners of a consortium have to be established?", "countries"),
        # Swedish
        ("Hur många dagar är kvar att söka?", "timing"),
        ("Är utlysningen fortfarande öppen?", "timing"),
        ("Täcker EU hela kostnaden?", "funding_rate"),
        ("Hur stor del av kostnaderna står EU för?", "funding_rate"),
        ("Kan vår partner i Danmark vara med?", "countries"),
        ("Vilka organisationer får söka?", "applicants"),
        ("Vem kan jag kontakta om utlysningen?", "contact"),
        ("Hur länge får ett projekt pågå?", "duration"),
        ("Hur mycket pengar finns det totalt i utlysningen?", "budget"),
        ("Vilka åtgärder kan få stöd?", "actions"),
        ("Hur ansöker man om bidrag?", "how_to_apply"),
        # Finnish
        ("Kuinka monta päivää hakuaikaa on jäljellä?", "timing"),
        ("Onko haku vielä auki?", "timing"),
        ("Kattaako EU koko kustannukset?", "funding_rate"),
        ("Voiko tanskalainen kumppani osallistua?", "countries"),
        ("Paljonko yksi hanke voi saada enintään?", "grant"),
        ("Keneen voi ottaa yhteyttä?", "contact"),
        ("Kuinka pitkä hanke voi olla?", "duration"),
        ("Mikä on haun kokonaisbudjetti?", "budget"),
        ("Ketkä voivat hakea avustusta?", "applicants"),
        ("Miten hakemus jätetään?", "how_to_apply"),
        ("Mihin toimiin voi saada rahaa?", "actions"),
        ("Mihin mennessä hakemus pitää jättää?", "deadline"),
    ],
)
def test_weights_get_new_phrasings_right(question: str, aspect: str) -> None:
    evidence = aspect_evidence(fold(question))
    assert evidence, question
    if aspect == "timing":
        # Timing is answered from the deadline: its evidence counts for the deadline too.
        timing = [m for m in evidence if m.aspect == "timing"]
        assert evidence[0].aspect == "deadline" and timing and timing[0].weight >= 1, evidence
    else:
        assert evidence[0].aspect == aspect, evidence


def test_a_generic_word_alone_is_weak_evidence() -> None:
    for question in ["Can we apply?", "Kan vi söka?", "Voimmeko hakea?", "Will the EU cover it?"]:
        (only,) = aspect_evidence(fold(question))
        assert only.weight < 0.5


def test_a_term_inside_a_longer_one_is_not_counted_again() -> None:
    evidence = {m.aspect: m for m in aspect_evidence(fold("Is it still open?"))}
    assert evidence["timing"].terms[0] == "still open"
    assert "open" not in evidence["deadline"].terms


def test_evidence_names_its_terms_and_the_span_of_the_strongest() -> None:
    folded = fold("Does the EU cover the whole cost?")
    (rate,) = aspect_evidence(folded)
    assert (rate.aspect, rate.weight, rate.terms) == (
        "funding_rate",
        1.4,
        ("cover", "whole cost*"),
    )
    assert folded[slice(*rate.span)] == "whole cost"


def test_languages_can_be_chosen() -> None:
    assert aspect_evidence(fold("What is the deadline?"), ("sv", "fi")) == ()
    assert aspect_evidence(fold("What is the deadline?"), ("en",))[0].aspect == "deadline"
