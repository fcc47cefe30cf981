"""A call an operator ingests becomes a call: cited answers in three languages, /calls, status.

The documents are the invented call pages of tests/data/ingest (an EU topic page, a digest of a
call with three topics, a ministry news item in Finnish and in Swedish, a PDF call document).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.reminders import due_reminders
from bot.storage import ALL_CALLS, Subscriber, Subscription
from knowledge.base import KnowledgeBase
from knowledge.ingest import ingest_paths

CORPUS = Path(__file__).parent / "data" / "ingest"
# While the housing topic is open (14 April to 22 September 2026).
IN_MAY_2026 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NBSP = {"\u00a0": " ", "\u202f": " "}


def plain(text: str) -> str:
    return text.translate(str.maketrans(NBSP))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    documents = [p for p in sorted(CORPUS.iterdir()) if p.suffix != ".py"]
    results = ingest_paths(documents, data)
    assert [r.error for r in results] == [None] * len(documents)
    return data


@pytest.fixture(scope="module")
def assistant(data_dir: Path) -> Assistant:
    return Assistant(KnowledgeBase.load(data_dir), lambda: IN_MAY_2026)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "What is the deadline of AMIF-2026-TF2-AG-INTE-03-HOUSING?",
            "22 September 2026 at 17:00 (Brussels time)",
        ),
        (
            "När är sista ansökningsdag för AMIF-2026-TF2-AG-INTE-03-HOUSING?",
            "22 september 2026 kl. 17.00 (Brysseltid)",
        ),
        (
            "Mikä on AMIF-2026-TF2-AG-INTE-03-HOUSING:n määräaika?",
            "22. syyskuuta 2026 klo 17.00 (Brysselin aikaa)",
        ),
    ],
)
def test_an_ingested_deadline_is_answered_in_each_language(
    assistant: Assistant, question: str, expected: str
) -> None:
    reply = assistant.answer(question)
    assert reply.answered and expected in plain(reply.text), reply.text
    assert reply.calls == ("AMIF-2026-TF2-AG-INTE-03-HOUSING",)
    # The source is the ingested page, with the URL its canonical link gave.
    assert [s.id for s in reply.sources] == ["op-ft-topic-housing"]
    assert reply.sources[0].url == (
        "https://example.org/funding/topic-details/amif-2026-tf2-ag-inte-03-housing"
    )


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How big is the budget of topic AMIF-2026-TF2-AG-INTE-03-HOUSING?", "€4,200,000"),
        ("Hur stor är budgeten för AMIF-2026-TF2-AG-INTE?", "12 600 000 €"),
        ("Paljonko AMIF-2026-TF2-AG-INTE-haun avustus voi olla?", "700 000 €"),
        ("What share of the costs does AMIF-2026-TF2-AG-INTE cover?", "90%"),
        ("Kan danska organisationer delta i AMIF-2026-TF2-AG-INTE?", "Danmark"),
    ],
)
def test_ingested_facts_are_answered_for_the_call_asked_about(
    assistant: Assistant, question: str, expected: str
) -> None:
    reply = assistant.answer(question)
    assert reply.answered and expected in plain(reply.text), reply.text
    assert all(s.id == "op-ft-topic-housing" for s in reply.sources)


def test_a_topic_budget_is_not_the_whole_calls(assistant: Assistant) -> None:
    reply = assistant.answer("What is the budget of AMIF-2026-TF2-AG-COMM-02-ELDERLY?")
    assert reply.calls == ("AMIF-2026-TF2-AG-COMM-02-ELDERLY",)
    assert "€15,000,000" not in reply.text


def test_a_national_call_from_the_swedish_and_finnish_news(assistant: Assistant) -> None:
    sv = assistant.answer("Hur mycket kan man söka i utlysningen VN/4417/2026?")
    assert sv.answered and "150 000" in plain(sv.text) and "900 000" in plain(sv.text)
    fi = assistant.answer("Milloin haku VN/4417/2026 päättyy?")
    assert "16. maaliskuuta 2026 klo 16.15 (Helsingin aikaa)" in plain(fi.text), fi.text


def test_ingested_calls_are_listed_with_their_status(assistant: Assistant) -> None:
    listing = assistant.list_calls("en").text
    for reference in ("AMIF-2026-TF2-AG-INTE", "AMIF-2026-TF2-AG-COMM", "AMIF-2026-TF2-AG-RETURN"):
        assert reference in listing
    reply = assistant.answer("Which calls are open now?")
    assert reply.kind == "calls" and "AMIF-2026-TF2-AG-INTE" in reply.text
    assert "AMIF-2024-TF2-AG-THB" not in reply.text  # closed long ago: not "open now"


def test_a_swedish_question_finds_the_english_page_and_says_so(assistant: Assistant) -> None:
    reply = assistant.answer("Vad är hyresgaranti för hyresvärdar i AMIF-2026-TF2-AG-INTE?")
    assert reply.lang == "sv" and reply.answered, reply.text
    assert "källa på ett annat språk (English)" in reply.text
    assert "landlords" in reply.text


def test_an_ingested_call_gets_reminders(assistant: Assistant) -> None:
    subscriber = Subscriber(Subscription(7, 7, ALL_CALLS, "sv", IN_MAY_2026), "sv", None)
    call = assistant.kb.call("AMIF-2026-TF2-AG-INTE-03-HOUSING")
    assert call is not None and call.deadline is not None
    week_before = call.deadline.moment() - timedelta(days=6)
    due = due_reminders([subscriber], assistant.kb.calls, week_before, set())
    assert "AMIF-2026-TF2-AG-INTE-03-HOUSING" in {d.call.id for d in due}


def test_the_operator_corrects_an_extracted_value_in_the_data_dir(
    data_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    (data / "facts").mkdir()
    (data / "facts" / "housing.yaml").write_text(
        "id: AMIF-2026-TF2-AG-INTE-03-HOUSING\nbudget: {amount: 4500000, currency: EUR}\n",
        encoding="utf-8",
    )
    assistant = Assistant(KnowledgeBase.load(data), lambda: IN_MAY_2026)
    reply = assistant.answer("What is the budget of AMIF-2026-TF2-AG-INTE-03-HOUSING?")
    assert "€4,500,000" in reply.text
    deadline = assistant.answer("What is the deadline of AMIF-2026-TF2-AG-INTE-03-HOUSING?")
    assert "22 September 2026" in deadline.text  # the rest stays as extracted


def test_a_duration_answer_and_the_call_overview_cite_the_document_that_gives_the_duration(
    tmp_path: Path,
) -> None:
    # The operator says the 2024 call's project length stands in another (shipped) document:
    # both the answer about the duration and /call's overview must name that document.
    data = tmp_path / "data"
    (data / "facts").mkdir(parents=True)
    (data / "facts" / "duration.yaml").write_text(
        "id: AMIF-2024-TF2-AG-THB\nfield_sources: {duration: eu-2020-thb-call}\n",
        encoding="utf-8",
    )
    assistant = Assistant(KnowledgeBase.load(data), lambda: IN_MAY_2026)
    reply = assistant.answer("How long can projects last in AMIF-2024-TF2-AG-THB?")
    assert "24" in reply.text
    assert "eu-2020-thb-call" in {s.id for s in reply.sources}
    call = assistant.kb.call("AMIF-2024-TF2-AG-THB")
    assert call is not None
    overview = assistant.call_overview(call, "en")
    assert "eu-2020-thb-call" in {s.id for s in overview.sources}
