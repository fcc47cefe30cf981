"""The assistant's behaviour a user notices: language, citations, honesty, time awareness."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.assistant import Assistant
from knowledge.base import KnowledgeBase


def _at(kb: KnowledgeBase, *when: int) -> Assistant:
    moment = datetime(*when, tzinfo=UTC)
    return Assistant(kb, lambda: moment)


def test_swedish_question_gets_swedish_reply_with_babel_formatting(assistant: Assistant) -> None:
    reply = assistant.answer("Hur stort bidrag kan man få i utlysningen 2024?")
    assert reply.lang == "sv" and reply.answered
    text = reply.text.replace("\u00a0", " ")
    assert "500 000 €" in text and "1 000 000 €" in text
    assert "Källa" in text


def test_every_answer_names_a_source(assistant: Assistant) -> None:
    for question in [
        "What is the deadline of the 2020 call?",
        "Mikä on AMIF:n budjetti?",
        "Vilka prioriteringar har utlysningen 2024?",
        "What is the EMN?",
    ]:
        reply = assistant.answer(question)
        assert reply.answered and reply.sources, question


def test_unknown_fact_is_declined_with_where_to_ask(assistant: Assistant) -> None:
    reply = assistant.answer("When is the deadline for the 2024 AMIF call on trafficking victims?")
    assert not reply.answered
    assert "home-amif-union-actions@ec.europa.eu" in reply.text


def test_off_topic_is_declined_in_the_users_language(assistant: Assistant) -> None:
    reply = assistant.answer("Vad blir det för väder i Helsingfors i helgen?")
    assert reply.lang == "sv" and not reply.answered and not reply.sources


def test_status_follows_the_clock(kb: KnowledgeBase) -> None:
    question = "What is the deadline of the 2020 trafficking call?"
    before = _at(kb, 2020, 11, 1).answer(question).text
    after = _at(kb, 2021, 3, 1).answer(question).text
    assert "open" in before and "months" in before
    assert "closed" in after
    finnish = _at(kb, 2023, 9, 1).answer("När öppnar Finlands AMIF-utlysning hösten 2023?").text
    assert "inte öppnat" in finnish or "kommande" in finnish


def test_calls_listing_shows_status_and_deadline(assistant: Assistant) -> None:
    text = assistant.list_calls("fi").text
    assert "AMIF-2024-TF2-AG-THB" in text
    assert "16. helmikuuta 2021" in text
    assert "suljettu" in text


def test_question_only_answered_in_another_language_says_so(tmp_path: Path) -> None:
    store = tmp_path / "documents"
    store.mkdir()
    (store / "op-x.md").write_text(
        "---\nid: op-kalevala\ntitle: Kalevalagården\npublisher: operator upload\n"
        "language: sv\nurl: no public URL known\n---\n\n## sv: p001\n"
        "Kalevalagården i Vasa ger AMIF-rådgivning varje tisdag för föreningar.\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.load(tmp_path)
    reply = Assistant(kb).answer("Where is Kalevalagården?", "en")
    assert reply.lang == "en" and reply.answered
    assert "Svenska" in reply.text and "Vasa" in reply.text
    assert reply.sources[0].id == "op-kalevala"


def test_greeting_and_empty_input(assistant: Assistant) -> None:
    assert assistant.answer("hej").lang == "sv"
    assert assistant.answer("moi").kind == "greeting"
    empty = assistant.answer(" \t ")
    assert empty.kind == "empty" and not empty.answered


def test_deadline_is_also_shown_in_the_readers_time_zone(assistant: Assistant) -> None:
    text = assistant.answer("Milloin vuoden 2020 haku päättyi?", tz="Europe/Helsinki").text
    assert "17.00 (Brysselin aikaa)" in text and "klo 18.00 Helsingin aikaa" in text
    same = assistant.answer("When did the 2020 call close?", tz="Europe/Brussels").text
    assert "That is" not in same


@pytest.mark.parametrize(
    ("question", "unknown", "lang"),
    [
        ("What is the budget of AMIF-2023-TF2-AG-CALL?", "AMIF-2023-TF2-AG-CALL", "en"),
        ("AMIF-2026-TF1-AG-XYZ deadline?", "AMIF-2026-TF1-AG-XYZ", "en"),
        ("When does the 2027 AMIF call close?", "2027", "en"),
        ("När stänger utlysningen 2025?", "2025", "sv"),
        ("Milloin vuoden 2027 haku päättyy?", "2027", "fi"),
    ],
)
def test_a_call_we_have_no_source_for_is_declined_with_the_calls_we_know(
    assistant: Assistant, question: str, unknown: str, lang: str
) -> None:
    reply = assistant.answer(question)
    assert (reply.lang, reply.answered) == (lang, False), reply.text
    assert unknown in reply.text
    # The user learns which calls we can answer for, in their language.
    assert "AMIF-2024-TF2-AG-THB" in reply.text
    assert {"en": "16 February 2021", "sv": "16 februari", "fi": "helmikuuta"}[lang] not in (
        reply.text
    )


@pytest.mark.parametrize(
    "question",
    [
        "What is the budget of AMIF-2024-TF2-AG-THB?",
        "What is the budget of amif-2024-tf2-ag-thb-01?",  # a topic of the call
        "What is the budget of AMIF-2024-TF2-AG?",  # the reference given only in part
    ],
)
def test_a_reference_names_its_call_whole_in_part_or_with_a_topic(
    assistant: Assistant, question: str
) -> None:
    reply = assistant.answer(question)
    assert reply.answered and reply.calls == ("AMIF-2024-TF2-AG-THB",), reply.text
    assert "6,000,000" in reply.text


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"),
    [
        (
            "How much money was in Finland's autumn 2023 call?",
            "and the deadline?",
            "31 October 2023",
        ),
        (
            "Hur mycket pengar fanns i Finlands höstutlysning 2023?",
            "och sista dagen?",
            "31 oktober 2023",
        ),
        ("Paljonko rahaa Suomen syksyn 2023 haussa oli?", "entä määräaika?", "31. lokakuuta 2023"),
    ],
)
def test_a_follow_up_is_answered_for_the_call_before(
    assistant: Assistant, first: str, follow_up: str, expected: str
) -> None:
    before = assistant.answer(first)
    assert before.calls == ("FI-AMIF-2023-AUTUMN",)
    reply = assistant.answer(follow_up, previous=before.calls)
    assert reply.answered and expected in reply.text
    assert reply.calls == ("FI-AMIF-2023-AUTUMN",)


@pytest.mark.parametrize(
    ("question", "conclusion"),
    [
        (
            "Which closes earlier, the 2020 trafficking call or Finland's autumn 2023 call?",
            "Earlier deadline: AMIF 2020 call on victims of trafficking in human beings.",
        ),
        (
            "Vilken stänger tidigare, utlysningen 2020 om människohandel eller Finlands "
            "höstutlysning 2023?",
            "Tidigare sista ansökningsdag: AMIF-utlysningen 2020 om offer för människohandel.",
        ),
    ],
)
def test_a_comparison_answers_both_sides_and_concludes(
    assistant: Assistant, question: str, conclusion: str
) -> None:
    reply = assistant.answer(question)
    assert reply.kind == "comparison" and set(reply.calls) == {
        "EU-2020-THB",
        "FI-AMIF-2023-AUTUMN",
    }
    assert "16 February 2021" in reply.text or "16 februari 2021" in reply.text
    assert "31 October 2023" in reply.text or "31 oktober 2023" in reply.text
    assert conclusion in reply.text


def test_a_comparison_says_which_side_our_sources_lack(assistant: Assistant) -> None:
    reply = assistant.answer(
        "Compare the deadlines of the 2024 trafficking call and the 2020 call"
    )
    assert "Our sources do not say the deadline for AMIF 2024 call" in reply.text
    assert "16 February 2021" in reply.text and "Earlier deadline" not in reply.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is 'samhällsorientering' in the Finnish autumn 2023 call?", "civic orientation"),
        ("Mitä tarkoittaa AMIFin 'thematic facility'?", "temaattisen välineen"),
        ("Vad är 'unaccompanied minors' i den finska utlysningen?", "ensamkommande"),
    ],
)
def test_a_quoted_term_of_another_language_leads_to_the_passage_in_the_askers(
    assistant: Assistant, question: str, expected: str
) -> None:
    reply = assistant.answer(question)
    assert reply.answered and expected in reply.text.lower(), reply.text
    assert "only in a source in" not in reply.text  # the shipped page says it in every language


def test_a_reply_names_each_source_once_and_says_the_status_only_when_asked(
    assistant: Assistant,
) -> None:
    for question in ("What is AMIF-2024-TF2-AG-THB?", "Vad finansierar utlysningen 2024?"):
        reply = assistant.answer(question)
        ids = [s.id for s in reply.sources]
        assert len(ids) == len(set(ids)), reply.text
        assert "Status" not in reply.text, reply.text
    timing = assistant.answer("Is the 2020 trafficking call still open?")
    assert "closed" in timing.text


def test_a_follow_up_about_a_fact_the_call_lacks_says_so_for_that_call(
    assistant: Assistant,
) -> None:
    before = assistant.answer(
        "Hur stor är finansieringsgraden i 2024 års utlysning om människohandel?"
    )
    reply = assistant.answer("och sista dagen?", previous=before.calls)
    assert not reply.answered and reply.calls == ("AMIF-2024-TF2-AG-THB",), reply.text
    assert "16 februari 2021" not in reply.text  # not another call's deadline
