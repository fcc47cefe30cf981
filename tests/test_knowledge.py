"""Loading the knowledge: shipped files are valid; a broken file names itself and its field."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.documents import BUILTIN_DOCUMENTS_DIR, load_document
from knowledge.errors import KnowledgeError
from knowledge.facts import BUILTIN_FACTS_DIR, CallStatus, load_facts, load_facts_file


def test_shipped_knowledge_loads_with_every_required_fact(kb: KnowledgeBase) -> None:
    ids = {c.id for c in kb.calls}
    assert {"AMIF-2024-TF2-AG-THB", "EU-2020-THB", "FI-AMIF-2023-AUTUMN", "AMIF-2021-2027"} <= ids
    thb = kb.call("amif-2024-tf2-ag-thb")
    assert thb is not None and thb.budget and thb.grant_min and thb.grant_max
    assert (thb.budget.amount, thb.grant_min.amount, thb.grant_max.amount) == (
        6_000_000,
        500_000,
        1_000_000,
    )
    assert thb.funding_rate and float(thb.funding_rate.rate) == 0.9
    assert thb.duration_months == 24
    assert thb.countries and thb.countries.excluded == ("DK",) and thb.countries.associated
    assert thb.consortium and (thb.consortium.min_entities, thb.consortium.min_countries) == (3, 3)
    assert thb.contact and thb.contact.email == "home-amif-union-actions@ec.europa.eu"
    assert len(thb.priorities) >= 6
    old = kb.call("EU-2020-THB")
    assert (
        old and old.deadline and old.deadline.moment() == datetime(2021, 2, 16, 16, 0, tzinfo=UTC)
    )
    fi = kb.call("FI-AMIF-2023-AUTUMN")
    assert fi and fi.opens and fi.deadline
    assert [float(o.amount.amount) for o in fi.objectives if o.amount] == [2e6, 7.8e6, 1e6]
    assert fi.not_funded
    programme = kb.call("AMIF-2021-2027")
    assert programme and programme.budget and programme.budget.amount == 9_880_000_000
    assert programme.co_financing and float(programme.co_financing.usual_max) == 0.75
    assert programme.management and float(programme.management.shared) == 0.635
    assert len(programme.objectives) == 4 and programme.history and programme.network


def test_every_passage_is_in_english_and_swedish_with_its_source(kb: KnowledgeBase) -> None:
    for doc in kb.documents:
        keys = {p.key for p in doc.passages}
        for lang in ("en", "sv", "fi"):
            assert keys == {p.key for p in doc.passages if p.lang == lang}, (doc.path, lang)
    assert len(kb.documents) == 5


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (datetime(2020, 10, 1, tzinfo=UTC), CallStatus.OPEN),
        (datetime(2021, 2, 16, 15, 59, tzinfo=UTC), CallStatus.OPEN),
        (datetime(2021, 2, 16, 16, 1, tzinfo=UTC), CallStatus.CLOSED),
    ],
)
def test_deadline_respects_its_time_zone(
    kb: KnowledgeBase, now: datetime, status: CallStatus
) -> None:
    call = kb.call("EU-2020-THB")
    assert call is not None and call.status(now) is status


def test_window_without_time_closes_at_end_of_day_in_helsinki(kb: KnowledgeBase) -> None:
    call = kb.call("FI-AMIF-2023-AUTUMN")
    assert call is not None
    assert call.status(datetime(2023, 9, 28, 12, tzinfo=UTC)) is CallStatus.UPCOMING
    assert call.status(datetime(2023, 10, 31, 21, 0, tzinfo=UTC)) is CallStatus.OPEN  # 23:00 EET
    assert call.status(datetime(2023, 10, 31, 22, 1, tzinfo=UTC)) is CallStatus.CLOSED
    assert kb.call("AMIF-2024-TF2-AG-THB").status(datetime.now(UTC)) is CallStatus.UNKNOWN


def _copy_facts(tmp_path: Path) -> Path:
    folder = tmp_path / "facts"
    shutil.copytree(BUILTIN_FACTS_DIR, folder)
    return folder


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("duration_months: 24", "duration_months: twenty-four", "duration_months"),
        ("rate: 0.9", "rate: 90", "funding_rate.rate"),
        ("tz: Europe/Brussels", "tz: Mars/Olympus", "deadline.tz"),
        ("currency: EUR", "currency: euro", "currency"),
        ("kind: call", "kind: tender", "kind"),
    ],
)
def test_broken_facts_file_names_file_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    folder = _copy_facts(tmp_path)
    for path in folder.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            with pytest.raises(KnowledgeError) as err:
                load_facts_file(path)
            assert path.name in str(err.value) and field in str(err.value)
            return
    pytest.fail(f"no shipped facts file contains {old!r}")


def test_missing_translation_and_unknown_source_are_errors(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    folder = _copy_facts(tmp_path)
    path = folder / "amif-2024-tf2-ag-thb.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("source: welcomeurope-2024-thb-call", "source: nowhere", 1), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match="unknown document id 'nowhere'"):
        load_facts(folder, set(kb.sources))
    path.write_text(text.replace("    fi: ", "    fr: ", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"amif-2024-tf2-ag-thb\.yaml: field '.*\.fi'"):
        load_facts_file(path)


def test_broken_document_names_file_and_field(tmp_path: Path) -> None:
    src = BUILTIN_DOCUMENTS_DIR / "eu-2020-thb-call.md"
    broken = tmp_path / "broken.md"
    broken.write_text(
        src.read_text(encoding="utf-8").replace("language: en", "language: de"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match=r"broken\.md: field 'language'"):
        load_document(broken)
    no_sv = tmp_path / "no_sv.md"
    no_sv.write_text(
        "---\nid: x\ntitle: X\npublisher: P\nlanguage: en\nurl: no public URL known\n"
        "---\n\n## en: only\nEnglish only.\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="lacks language"):
        load_document(no_sv)


def test_a_corrupt_ingested_document_does_not_stop_start_up(tmp_path: Path) -> None:
    store = tmp_path / "documents"
    store.mkdir()
    (store / "op-bad.md").write_text("no front matter here", encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    assert "op-bad" not in kb.sources and len(kb.documents) == 5


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("What is the funding rate for trafficking projects?", "en"),
        ("Hur mycket pengar finns det för integration?", "sv"),
        ("Mikä on hankkeen kesto?", "fi"),
        ("zzz qqq", "en"),
    ],
)
def test_ranked_passages_are_the_search_hits_with_their_scores(
    kb: KnowledgeBase, question: str, lang: str
) -> None:
    hits = kb.search(question, lang, k=10)
    assert kb.ranked_passages(question, lang, k=10) == [(h.passage, h.score) for h in hits]
    assert bool(hits) == (question != "zzz qqq")


OPERATOR_DEADLINE = """\
id: AMIF-2024-TF2-AG-THB
deadline: {date: 2025-03-04, time: "17:00", tz: Europe/Brussels}
"""

OPERATOR_CALL = """\
id: AMIF-2026-TF2-AG-NEW
kind: call
reference: AMIF-2026-TF2-AG-NEW
source: sem-amif-overview
title: {en: "A new test call", sv: "En ny testutlysning", fi: "Uusi testihaku"}
summary: {en: "Written by an operator.", sv: "Skriven av en operatör.", fi: "Operaattorin teksti."}
deadline: {date: 2027-01-20, time: "17:00", tz: Europe/Brussels}
budget: {amount: 20000000, currency: SEK}
"""


def test_an_operator_facts_file_overrides_one_field_and_adds_a_call(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "thb-fix.yaml").write_text(OPERATOR_DEADLINE, encoding="utf-8")
    (facts / "new.yaml").write_text(OPERATOR_CALL, encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    thb = kb.call("AMIF-2024-TF2-AG-THB")
    assert thb is not None and thb.deadline is not None
    assert thb.deadline.date.isoformat() == "2025-03-04"
    assert thb.budget is not None and thb.budget.amount == 6_000_000  # the rest is kept
    new = kb.call("AMIF-2026-TF2-AG-NEW")
    assert new is not None and new.budget is not None and new.budget.currency == "SEK"


def test_a_broken_operator_facts_file_is_an_error_naming_it(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "thb-fix.yaml").write_text(
        OPERATOR_DEADLINE.replace("Europe/Brussels", "Mars/Olympus"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match=r"thb-fix\.yaml: field 'deadline\.tz'"):
        KnowledgeBase.load(tmp_path)


def test_extracted_facts_that_do_not_validate_are_left_out_not_fatal(tmp_path: Path) -> None:
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    (extracted / "op-bad.yaml").write_text(
        OPERATOR_CALL.replace("2027-01-20", "someday"), encoding="utf-8"
    )
    (extracted / "op-gone.yaml").write_text(
        OPERATOR_CALL.replace("sem-amif-overview", "op-removed-document"), encoding="utf-8"
    )
    kb = KnowledgeBase.load(tmp_path)
    assert kb.call("AMIF-2026-TF2-AG-NEW") is None
    assert kb.call("AMIF-2024-TF2-AG-THB") is not None
