"""knowledge.extraction on whole documents: the test corpus yields exactly its facts with exact
citations, the report describes them, and the shipped documents and seed pages agree with the
hand-written facts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from i18n import translator
from knowledge.documents import load_document
from knowledge.extraction.model import Extraction, Moment
from knowledge.extraction.pipeline import extract_call_facts
from knowledge.extraction.report import as_dict, describe
from knowledge.facts import CallFacts, load_facts
from knowledge.passages import split_passages
from knowledge.readers.files import extract_text
from tests.support.extraction import (
    BRUSSELS,
    HELSINKI,
    cited_in,
    eur,
    expect,
    one,
    summary,
)

CORPUS = Path(__file__).parent / "data" / "ingest"
DOCUMENTS = Path(__file__).resolve().parent.parent / "knowledge" / "documents"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def ingest_like(name: str, lang: str) -> tuple[Extraction, dict[str, str]]:
    """Read a corpus file as `amif-bot ingest` does (text, then passages) and extract."""
    text, _title = extract_text(CORPUS / name)
    passages = {f"p{i}": p for i, p in enumerate(split_passages(text))}
    return extract_call_facts(text, lang=lang, passages=list(passages.items())), passages


# ---------------------------------------------------------------------------------------------
# The corpus: exactly what each document yields.

# The ministry's news item says the same in Finnish and in Swedish.
MINISTRY_NEWS = expect(
    references=["VN/4417/2026"],
    published=date(2026, 1, 12),
    opens=(date(2026, 2, 2), None, None),
    deadline=(date(2026, 3, 16), time(16, 15), HELSINKI),
    budget=eur(8_400_000),
    grant=(eur(150_000), eur(900_000)),
    rate=Decimal("0.75"),
    duration=(36, 36),
    emails=["amif.haku@example.fi"],
)
CORPUS_EXPECTED: dict[str, tuple[str, dict[str, Any]]] = {
    "ft-topic-housing.html": (
        "en",
        expect(
            references=["AMIF-2026-TF2-AG-INTE"],
            topics=["AMIF-2026-TF2-AG-INTE-03-HOUSING"],
            title="Housing pathways for newly recognised refugees",
            published=date(2026, 3, 2),
            opens=(date(2026, 4, 14), None, None),
            deadline=(date(2026, 9, 22), time(17, 0), BRUSSELS),
            budget=eur(12_600_000),
            topic_budgets={"AMIF-2026-TF2-AG-INTE-03-HOUSING": eur(4_200_000)},
            grant=(eur(700_000), eur(1_400_000)),
            rate=Decimal("0.9"),
            duration=(30, 30),
            emails=["housing-topic@example.org"],
            consortium=(3, 2),
            excluded=["DK"],
        ),
    ),
    "euro-access-community-call.md": (
        "en",
        expect(
            references=["AMIF-2026-TF2-AG-COMM"],
            topics=[
                "AMIF-2026-TF2-AG-COMM-01-YOUTH",
                "AMIF-2026-TF2-AG-COMM-02-ELDERLY",
                "AMIF-2026-TF2-AG-COMM-03-DIGITAL",
            ],
            opens=(date(2026, 6, 2), None, None),
            deadline=(date(2026, 11, 3), time(17, 0), BRUSSELS),
            budget=eur(15_000_000),
            topic_budgets={
                "AMIF-2026-TF2-AG-COMM-01-YOUTH": eur(5_500_000),
                "AMIF-2026-TF2-AG-COMM-02-ELDERLY": eur(4_000_000),
                "AMIF-2026-TF2-AG-COMM-03-DIGITAL": eur(5_500_000),
            },
            grant=(None, eur(2_000_000)),
            rate=Decimal("0.9"),
            duration=(24, 24),
            emails=["comm-call@example.org"],
            consortium=(3, 2),
            excluded=["DK"],
        ),
    ),
    "fi-ministry-news.txt": ("fi", MINISTRY_NEWS),
    "sv-ministry-news.txt": ("sv", MINISTRY_NEWS),
    "call-document.pdf": (
        "en",
        expect(
            references=["AMIF-2026-TF2-AG-RETURN"],
            topics=[
                "AMIF-2026-TF2-AG-RETURN-01-COUNSEL",
                "AMIF-2026-TF2-AG-RETURN-02-JOBS",
                "AMIF-2026-TF2-AG-RETURN-03-CHILD",
            ],
            opens=(date(2026, 6, 1), None, None),
            deadline=(date(2026, 10, 15), time(17, 0), BRUSSELS),
            budget=eur(7_000_000),
            topic_budgets={
                "AMIF-2026-TF2-AG-RETURN-01-COUNSEL": eur(3_000_000),
                "AMIF-2026-TF2-AG-RETURN-02-JOBS": eur(2_750_000),
                "AMIF-2026-TF2-AG-RETURN-03-CHILD": eur(1_250_000),
            },
            grant=(eur(400_000), eur(1_500_000)),
            rate=Decimal("0.8"),
            duration=(18, 36),
            emails=["return-call@example.org"],
            consortium=(2, 2),
            excluded=["DK"],
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_document_yields_exactly_its_facts(name: str) -> None:
    lang, expected = CORPUS_EXPECTED[name]
    extraction, _ = ingest_like(name, lang)
    assert summary(extraction) == expected


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_every_value_cites_the_exact_text_of_its_passage(name: str) -> None:
    lang, _ = CORPUS_EXPECTED[name]
    extraction, passages = ingest_like(name, lang)
    cited = list(cited_in(extraction))
    assert cited
    for item in cited:
        text = passages[item.passage]
        assert text[item.start : item.start + len(item.span)] == item.span, item


def test_corpus_spans_read_as_the_page_wrote_them() -> None:
    fi, _ = ingest_like("fi-ministry-news.txt", "fi")
    sv, _ = ingest_like("sv-ministry-news.txt", "sv")
    housing, _ = ingest_like("ft-topic-housing.html", "en")
    assert fi.deadline and fi.deadline.span == "16. maaliskuuta 2026 klo 16.15 Suomen aikaa"
    assert fi.opens and fi.opens.span == "2.2.–16.3.2026"
    assert fi.budget and fi.budget.span == "8,4 miljoonaa euroa"
    assert sv.deadline and sv.deadline.span == "den 16 mars 2026 kl. 16.15 finsk tid"
    assert sv.opens and sv.opens.span == "den 2 februari till den 16 mars 2026"
    assert housing.deadline and housing.deadline.span == "22 September 2026, 17:00 CET"
    assert housing.grant_max and housing.grant_max.span == "EUR 700 000 and EUR 1 400 000"


def test_the_pdf_in_the_corpus_is_what_its_script_writes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_call_pdf", CORPUS / "make_call_pdf.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == (CORPUS / "call-document.pdf").read_bytes()


def test_plain_text_is_split_into_blocks_when_no_passages_are_given() -> None:
    e = one("Deadline: 16.09.2025 17:00\n\nTotal budget: EUR 9 000 000", "en")
    assert e.deadline and e.deadline.passage == "0"
    assert e.budget and e.budget.passage == "1"


# ---------------------------------------------------------------------------------------------
# Moment, describe and as_dict.


def test_moment_turns_into_a_facts_when() -> None:
    brussels = Moment(date(2025, 9, 16), time(17, 0), BRUSSELS)
    assert brussels.when(HELSINKI).tz == ZoneInfo(BRUSSELS)
    assert Moment(date(2025, 9, 16)).when(HELSINKI).tz == ZoneInfo(HELSINKI)
    offset = Moment(date(2025, 9, 16), time(17, 0), "+02:00")
    assert offset.when(BRUSSELS).tz == ZoneInfo("Etc/GMT-2")
    tz = offset.tz()
    assert tz is not None and tz.utcoffset(None).total_seconds() == 7200  # type: ignore[union-attr]
    assert Moment(date(2025, 9, 16)).tz() is None


@pytest.mark.parametrize("lang", ["en", "sv", "fi"])
def test_describe_names_each_value_and_its_passage(lang: str) -> None:
    extraction, _ = ingest_like("ft-topic-housing.html", "en")
    lines = describe(extraction, translator(lang))
    assert len(lines) == 15
    assert all("[" in line and line.endswith("]") for line in lines)
    assert any("AMIF-2026-TF2-AG-INTE-03-HOUSING" in line for line in lines)
    assert any("housing-topic@example.org" in line for line in lines)


def test_describe_in_each_language() -> None:
    e = one("Sista ansökningsdag är den 31 oktober 2023.", "sv")
    assert describe(e, translator("sv")) == [
        'sista ansökningsdag: 31 oktober 2023 ← "den 31 oktober 2023"  [avsnitt 0]'
    ]
    assert describe(e, translator("en")) == [
        'deadline: 31 October 2023 ← "den 31 oktober 2023"  [passage 0]'
    ]
    fi = describe(
        one("Määräaika on 16. syyskuuta 2025 klo 16.15 Suomen aikaa.", "fi"), translator("fi")
    )
    assert fi == [
        "määräaika: 16. syyskuuta 2025 16:15 Europe/Helsinki"
        ' ← "16. syyskuuta 2025 klo 16.15 Suomen aikaa"  [kohta 0]'
    ]


def test_describe_keeps_other_currencies() -> None:
    lines = describe(one("Budgeten är 20 miljoner kronor.", "sv"), translator("en"))
    assert lines == ['budget: 20,000,000 SEK ← "20 miljoner kronor"  [passage 0]']


def test_describe_says_when_nothing_was_found() -> None:
    assert describe(one("Nothing here.", "en"), translator("fi")) == [
        "hakua koskevia tietoja ei löytynyt"
    ]


def test_as_dict_is_json_ready_and_complete() -> None:
    extraction, _ = ingest_like("call-document.pdf", "en")
    data = as_dict(extraction)
    assert json.loads(json.dumps(data)) == data
    assert data["deadline"]["value"] == {"date": "2026-10-15", "time": "17:00", "zone": BRUSSELS}
    assert data["budget"]["value"] == {"amount": "7000000", "currency": "EUR"}
    assert data["topic_budgets"]["AMIF-2026-TF2-AG-RETURN-02-JOBS"]["value"]["amount"] == "2750000"
    assert data["funding_rate"]["value"] == "0.8"
    assert data["duration_months"]["value"] == [18, 36]
    assert data["excluded_countries"][0]["span"] == "Denmark does not take part"
    assert set(data) == set(vars(extraction))


# ---------------------------------------------------------------------------------------------
# Agreement with the hand-written facts, on the shipped documents and the seed pages.


@dataclass
class Agreement:
    """Fields compared between an extraction and hand-written facts."""

    agree: int = 0
    disagree: list[str] | None = None
    extracted_only: int = 0
    facts_only: int = 0

    def __post_init__(self) -> None:
        self.disagree = []


def _compare(e: Extraction, facts: CallFacts, where: str, tally: Agreement) -> None:
    pairs: list[tuple[str, Any, Any]] = []
    if facts.deadline is not None or e.deadline is not None:
        pairs.append(
            (
                "deadline",
                facts.deadline and (facts.deadline.date, facts.deadline.time),
                e.deadline and (e.deadline.value.date, e.deadline.value.time),
            )
        )
        if facts.deadline and e.deadline and e.deadline.value.zone:
            pairs.append(("deadline zone", facts.deadline.tz.key, e.deadline.value.zone))
    if facts.kind == "call" or e.opens is not None:
        pairs.append(("opens", facts.opens and facts.opens.date, e.opens and e.opens.value.date))
    pairs.append(("published", facts.published, e.published and e.published.value))
    pairs.append(("budget", facts.budget, e.budget and e.budget.value))
    pairs.append(("grant_min", facts.grant_min, e.grant_min and e.grant_min.value))
    pairs.append(("grant_max", facts.grant_max, e.grant_max and e.grant_max.value))
    pairs.append(
        (
            "funding_rate",
            facts.funding_rate and facts.funding_rate.rate,
            e.funding_rate and e.funding_rate.value,
        )
    )
    pairs.append(
        (
            "duration",
            facts.duration_months,
            e.duration_months and e.duration_months.value[1],
        )
    )
    if facts.consortium:
        pairs.append(
            (
                "min_entities",
                facts.consortium.min_entities,
                e.min_entities and e.min_entities.value,
            )
        )
        pairs.append(
            (
                "min_countries",
                facts.consortium.min_countries,
                e.min_countries and e.min_countries.value,
            )
        )
    if facts.countries:
        pairs.append(
            (
                "excluded",
                tuple(facts.countries.excluded) or None,
                tuple(c.value for c in e.excluded_countries) or None,
            )
        )
    if facts.contact and facts.contact.email:
        pairs.append(("email", facts.contact.email, e.emails and e.emails[0].value))
    if facts.reference:
        pairs.append(("reference", facts.reference, e.references and e.references[0].value))
    for name, hand, found in pairs:
        if hand is not None and found:
            if hand == found:
                tally.agree += 1
            else:
                assert tally.disagree is not None
                tally.disagree.append(f"{where}: {name}: facts {hand!r}, extracted {found!r}")
        elif found:
            tally.extracted_only += 1
        elif hand is not None:
            tally.facts_only += 1


def _facts_by_source() -> dict[str, CallFacts]:
    return {f.source: f for f in load_facts()}


def shipped_agreement() -> Agreement:
    """Compare extraction on each shipped document, per language, with its facts file."""
    tally = Agreement()
    facts = _facts_by_source()
    for path in sorted(DOCUMENTS.glob("*.md")):
        doc = load_document(path)
        if doc.source.id not in facts:
            continue
        for lang in ("en", "sv", "fi"):
            passages = [(p.id, p.text) for p in doc.passages if p.lang == lang]
            e = extract_call_facts("", lang=lang, passages=passages)
            _compare(e, facts[doc.source.id], f"{doc.source.id} ({lang})", tally)
    return tally


# Which facts file each seed page stands behind (seed files are named <n>_<hash>.txt).
SEED_FACTS = {
    "000": ("en", "eu-2020-thb-call"),
    "001": ("en", "welcomeurope-2024-thb-call"),
    "003": ("en", "eu-social-economy-gateway-amif"),
    "004": ("sv", "fi-amif-autumn-2023"),
}


def seed_agreement() -> Agreement:
    """Compare extraction on the seed pages with the facts written from them."""
    tally = Agreement()
    facts = _facts_by_source()
    for path in sorted(SEEDS.glob("*.txt")):
        entry = SEED_FACTS.get(path.name.split("_")[0])
        if entry is None:
            continue
        lang, source = entry
        e = extract_call_facts(path.read_text(encoding="utf-8"), lang=lang)
        _compare(e, facts[source], path.name, tally)
    return tally


def test_shipped_documents_agree_with_the_hand_written_facts() -> None:
    tally = shipped_agreement()
    assert tally.disagree == []
    # 5 documents x 3 languages; the count guards against an extractor that finds nothing.
    assert tally.agree >= 47, tally


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed pages are not on this machine")
def test_seed_pages_agree_with_the_hand_written_facts() -> None:
    tally = seed_agreement()
    assert tally.disagree == []
    assert tally.agree >= 16, tally
