"""Tests for `amif-bot ingest`: operator documents become cited passages in the local store."""

from __future__ import annotations

import io
import os
import random
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from knowledge.documents import load_document
from knowledge.errors import KnowledgeError
from knowledge.ingest import IngestResult, ingest_paths
from knowledge.passages import MAX_WORDS, split_passages
from knowledge.readers import base as reader_limits
from knowledge.readers.base import (
    MAX_EXTRACTED_CHARS,
    MAX_FILE_BYTES,
    MAX_PAGE_CONTENT_BYTES,
    MAX_PASSAGES_PER_DOCUMENT,
    MAX_PDF_PAGES,
    IngestError,
)
from knowledge.readers.files import extract_text
from tests.support.pdfs import make_bomb_pdf, make_pdf

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

ENGLISH_CALL = """\
Open call for integration projects 2025

Call reference AMIF-2025-TF1-AG-INTE (an invented reference used only by this test).

Municipalities and non-profit groups may apply together for money to run language cafes,
mentoring schemes and job coaching for newly arrived residents of their towns.

Each partnership needs three members from three different countries. The grant pays most of
the eligible costs, and the partners cover the rest from their own budgets.
"""

SWEDISH_TEXT = """\
Ansökan om stöd för integrationsprojekt

Kommuner och föreningar kan söka pengar för projekt som hjälper nyanlända att lära sig
språket och hitta arbete. Ansökan ska lämnas in senast i slutet av oktober, och alla
bilagor måste vara med när ansökan skickas.

Stödet täcker största delen av kostnaderna, men varje sökande måste själv stå för en del av
finansieringen. Vi rekommenderar att ni kontaktar myndigheten i god tid innan ni skickar in.
"""

FINNISH_TEXT = """\
Avustushaku kotoutumishankkeille

Kunnat ja järjestöt voivat hakea rahoitusta hankkeisiin, joissa autetaan maahan muuttaneita
oppimaan kieltä ja löytämään työtä. Hakemus on jätettävä lokakuun loppuun mennessä, ja
kaikkien liitteiden pitää olla mukana, kun hakemus lähetetään.

Avustus kattaa suurimman osan kustannuksista, mutta jokaisen hakijan on itse maksettava osa
rahoituksesta. Suosittelemme, että otatte yhteyttä viranomaiseen hyvissä ajoin.
"""


def read_front_matter(path: Path) -> dict[str, Any]:
    """Parse a stored document's front matter the way any YAML reader would."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?\n)---\n", text, re.S)
    assert match, f"{path} does not start with a front matter block"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict)
    return meta


def stored(data_dir: Path) -> dict[str, bytes]:
    """Every file in the store with its bytes, to prove that failures change nothing."""
    folder = data_dir / "documents"
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ingest_one(path: Path, data_dir: Path) -> IngestResult:
    results = ingest_paths([path], data_dir, now=NOW)
    assert len(results) == 1
    return results[0]


PDF_PAGES = [
    [
        "Guide for applicants",
        "This guide explains how partners prepare a joint application for the",
        "integration strand. Every partner signs the mandate before the deadline.",
        "Budget rules",
        "Staff costs are paid at actual cost, and travel follows the unit rates",
        "published with the call.",
        "1",
    ],
    [
        "Page 2 of 2",
        "Reporting",
        "Coordinators send a progress report after twelve months and a final",
        "report within sixty days of the end date.",
    ],
]


# ---------------------------------------------------------------------------------------------
# Formats


def test_text_file_is_stored_with_front_matter_the_loader_accepts(tmp_path: Path) -> None:
    source = write(tmp_path / "in" / "Open Call 2025.txt", ENGLISH_CALL)
    result = ingest_one(source, tmp_path / "data")

    assert result.error is None
    assert result.doc_id is not None and result.passages >= 1
    # The id comes from the file's name, so a new version keeps it (and facts that name it).
    assert result.doc_id == "op-open-call-2025"
    path = tmp_path / "data" / "documents" / f"{result.doc_id}.md"
    meta = read_front_matter(path)
    assert meta == {
        "id": result.doc_id,
        "title": "Open call for integration projects 2025",
        "publisher": "operator upload",
        "published": None,
        "language": "en",
        "url": "no public URL known",
        "call": "AMIF-2025-TF1-AG-INTE",
        "source_file": "Open Call 2025.txt",
        "text_sha256": meta["text_sha256"],
        "ingested": "2025-03-14T09:30:00+00:00",
    }
    document = load_document(path, ingested=True)
    assert document.source.id == result.doc_id and document.source.url is None
    assert len(document.passages) == result.passages
    assert [p.key for p in document.passages] == [
        f"p{n:03d}" for n in range(1, result.passages + 1)
    ]
    text = " ".join(p.text for p in document.passages)
    assert "language cafes, mentoring schemes and job coaching" in text


def test_titles_with_quotes_and_colons_round_trip_through_yaml(tmp_path: Path) -> None:
    title = "Call: 'Safe homes' — #2 \"pilot\" & more: yes/no"
    source = write(tmp_path / "quoted.md", f"# {title}\n\nA short body about shelters.\n")
    result = ingest_one(source, tmp_path / "data")
    meta = read_front_matter(tmp_path / "data" / "documents" / f"{result.doc_id}.md")
    assert meta["title"] == title


def test_markdown_syntax_is_stripped_and_first_heading_is_the_title(tmp_path: Path) -> None:
    source = write(
        tmp_path / "guide.md",
        "Intro line before the heading\n\n"
        "# Applicant handbook\n\n"
        "## Who can apply\n\n"
        "Read the **official** [call page](https://example.org/call) and the _annex_ first.\n"
        "Use the form `B-12` and keep snake_case_names intact.\n\n"
        "---\n\n"
        "- first point\n- second point\n",
    )
    text, title = extract_text(source)

    assert title == "Applicant handbook"
    assert "Read the official call page and the annex first." in text
    assert "Use the form B-12 and keep snake_case_names intact." in text
    assert "https://example.org" not in text and "**" not in text and "#" not in text
    passages = split_passages(text)
    assert any("Who can apply\nRead the official" in p for p in passages)


def test_html_drops_scripts_and_navigation_and_decodes_entities(tmp_path: Path) -> None:
    source = write(
        tmp_path / "page.html",
        """<!doctype html><html><head><meta charset="utf-8">
        <title>Call page &ndash; Integration 2025</title>
        <link rel="canonical" href="https://example.org/calls/integration-2025">
        <style>p { color: red }</style><script>var tracking = "secret-token";</script>
        </head><body>
        <header><a href="/">Home</a> <h1>Integration call</h1></header>
        <nav><ul><li>Menu item one</li><li>Menu item two</li></ul></nav>
        <main><h2>Funding &amp; rates</h2>
        <p>The grant covers up to 90&nbsp;% of costs for R&amp;D &lt;pilot&gt; actions.</p>
        <p>Apply&#8203; before the deadline.<br>Late bids are refused.</p></main>
        <noscript>Please enable scripts</noscript>
        <footer>Cookie settings</footer></body></html>""",
    )
    text, title = extract_text(source)

    assert title == "Call page – Integration 2025"
    flat = " ".join(text.split())
    assert "The grant covers up to 90 % of costs for R&D <pilot> actions." in flat
    for dropped in ("tracking", "color: red", "Menu item", "Home", "enable scripts", "Cookie"):
        assert dropped not in text
    passages = split_passages(text)
    assert passages[0].startswith("Funding & rates\nThe grant covers up to 90 % of costs")
    assert "Apply before the deadline. Late bids are refused." in passages[0]
    result = ingest_one(source, tmp_path / "data")
    meta = read_front_matter(tmp_path / "data" / "documents" / f"{result.doc_id}.md")
    assert meta["url"] == "https://example.org/calls/integration-2025"


def test_html_without_title_uses_the_first_h1(tmp_path: Path) -> None:
    source = write(tmp_path / "bare.htm", "<body><h1>Bare &amp; simple</h1><p>Body text.</p>")
    assert extract_text(source)[1] == "Bare & simple"


def test_hand_written_pdf_is_read_per_page_without_page_numbers(tmp_path: Path) -> None:
    source = tmp_path / "guide.pdf"
    source.write_bytes(make_pdf(PDF_PAGES, title="Applicant guide 2025"))
    # The fixture itself must be a PDF that pypdf reads, or the test proves nothing.
    first_page = PdfReader(source).pages[0].extract_text()
    assert "joint application" in first_page

    text, title = extract_text(source)

    assert title == "Applicant guide 2025"
    paragraphs = text.split("\n\n")
    assert "Budget rules" in paragraphs
    assert (
        "This guide explains how partners prepare a joint application for the integration "
        "strand. Every partner signs the mandate before the deadline." in paragraphs
    )
    # page numbers at the head or foot of a page are gone, not glued to a sentence
    assert "Page 2" not in text
    assert paragraphs[3].endswith("travel follows the unit rates published with the call.")
    assert paragraphs[-2:] == [
        "Reporting",
        "Coordinators send a progress report after twelve months and a final report within "
        "sixty days of the end date.",
    ]
    result = ingest_one(source, tmp_path / "data")
    assert result.error is None and result.passages >= 1


def test_pdf_without_metadata_title_uses_its_first_line(tmp_path: Path) -> None:
    source = tmp_path / "untitled.pdf"
    source.write_bytes(make_pdf(PDF_PAGES))
    assert extract_text(source)[1] == "Guide for applicants"


def test_pdf_encrypted_only_against_editing_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(PDF_PAGES)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    source = tmp_path / "protected.pdf"
    with source.open("wb") as handle:
        writer.write(handle)
    text, _ = extract_text(source)
    assert "progress report after twelve months" in text


def test_password_protected_pdf_is_refused_clearly(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(PDF_PAGES)))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    source = tmp_path / "locked.pdf"
    with source.open("wb") as handle:
        writer.write(handle)
    result = ingest_one(source, tmp_path / "data")
    assert result.error is not None and "password" in result.error
    assert stored(tmp_path / "data") == {}


def test_latin1_text_falls_back_from_utf8(tmp_path: Path) -> None:
    source = tmp_path / "legacy.txt"
    source.write_bytes("Bidrag för året – ansökan öppen".encode("cp1252"))
    assert extract_text(source)[0] == "Bidrag för året – ansökan öppen"


def test_utf16_text_with_bom_is_not_mistaken_for_binary(tmp_path: Path) -> None:
    source = tmp_path / "notepad.txt"
    source.write_bytes("\ufeffRahoitusta haetaan syksyllä.".encode("utf-16-le"))
    assert extract_text(source)[0].endswith("Rahoitusta haetaan syksyllä.")


# ---------------------------------------------------------------------------------------------
# Language


def test_swedish_document_is_detected_as_swedish(tmp_path: Path) -> None:
    source = write(tmp_path / "utlysning.txt", SWEDISH_TEXT)
    result = ingest_one(source, tmp_path / "data")
    path = tmp_path / "data" / "documents" / f"{result.doc_id}.md"
    assert read_front_matter(path)["language"] == "sv"
    assert {p.lang for p in load_document(path, ingested=True).passages} == {"sv"}


def test_finnish_document_is_detected_as_finnish(tmp_path: Path) -> None:
    source = write(tmp_path / "haku.txt", FINNISH_TEXT)
    result = ingest_one(source, tmp_path / "data")
    path = tmp_path / "data" / "documents" / f"{result.doc_id}.md"
    assert read_front_matter(path)["language"] == "fi"


def test_a_passage_in_another_language_gets_its_own_language_tag(tmp_path: Path) -> None:
    english = " ".join(
        f"Partners in round {n} report their spending to the coordinator every quarter."
        for n in range(12)
    )
    swedish = " ".join(
        f"I omgång {n} ska alla partner rapportera sina kostnader till samordnaren varje kvartal."
        for n in range(12)
    )
    source = write(tmp_path / "mixed.txt", f"{english}\n\n{english}\n\n{swedish}\n")
    result = ingest_one(source, tmp_path / "data")
    path = tmp_path / "data" / "documents" / f"{result.doc_id}.md"
    langs = [p.lang for p in load_document(path, ingested=True).passages]
    assert read_front_matter(path)["language"] == "en"
    assert langs[0] == "en" and langs[-1] == "sv"


# ---------------------------------------------------------------------------------------------
# Passages


def sentences(count: int, start: int = 0) -> str:
    return " ".join(
        f"Sentence number {n} tells applicants one more small detail about the rules."
        for n in range(start, start + count)
    )


def test_long_paragraphs_split_at_sentence_ends_within_the_word_limit() -> None:
    text = f"{sentences(60)}\n\n{sentences(5, 100)}"
    passages = split_passages(text)

    assert all(len(p.split()) <= MAX_WORDS for p in passages)
    assert all(p.endswith("rules.") for p in passages)  # never cut inside a sentence
    assert " ".join(" ".join(passages).split()) == " ".join(text.split())
    # 60 sentences of 12 words split evenly rather than leaving a stub at the end
    assert min(len(p.split()) for p in passages) >= 60


def test_short_paragraphs_merge_and_headings_stay_with_their_paragraph() -> None:
    text = (
        "Skip to main content\n\n"
        "Eligible costs\n\n"
        f"{sentences(8)}\n\n"
        "Who may apply?\n\n"
        f"{sentences(8, 50)}\n\n"
        "7\n\n"
        "Deadline\n\n"
        "Applications close in autumn.\n"
    )
    passages = split_passages(text)

    assert "Skip to main content" not in "\n".join(passages)
    assert not any(line == "7" for p in passages for line in p.split("\n"))
    for heading in ("Eligible costs", "Who may apply?", "Deadline"):
        owner = next(p for p in passages if heading in p)
        assert not owner.endswith(heading), f"heading {heading!r} was cut from its paragraph"
    assert any(p.startswith("Who may apply?\nSentence number 50") for p in passages)
    # the closing one-liner is too short to stand alone, so it joins its neighbour
    assert len(passages) == 2 and passages[-1].endswith("Applications close in autumn.")


def test_list_items_become_lines_and_a_sentence_without_stops_is_still_cut() -> None:
    bullets = "\n".join(f"• item {n} about costs" for n in range(3))
    endless = " ".join(["word"] * 500)
    passages = split_passages(f"Costs:\n{bullets}\n\n{endless}")

    assert passages[0].startswith("Costs:\n• item 0 about costs\n• item 1")
    assert all(len(p.split()) <= MAX_WORDS for p in passages)
    assert sum(p.split().count("word") for p in passages) == 500


def test_skip_links_are_dropped_even_inside_a_block_of_lines() -> None:
    passages = split_passages("Skip to main content\nFund portal\nNews\n\nThe call is open.")
    assert passages == ["Fund portal News\nThe call is open."]


def test_text_of_only_boilerplate_has_no_passages() -> None:
    assert split_passages("Skip to main content\n\n12\n\nPage 3 of 9\n\n* * *\n") == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(alphabet="abcdefåäö.?!", min_size=1, max_size=12), min_size=1, max_size=300
        ),
        min_size=1,
        max_size=8,
    )
)
def test_passages_never_exceed_the_limit_and_keep_every_word(paragraphs: list[list[str]]) -> None:
    text = "\n\n".join(" ".join(words) for words in paragraphs)
    passages = split_passages(text)
    kept = " ".join(passages).split()
    assert all(len(p.split()) <= MAX_WORDS for p in passages)
    # Only boilerplate (paragraphs without letters or digits) may disappear.
    expected = [
        w for words in paragraphs if any(c.isalnum() for c in " ".join(words)) for w in words
    ]
    assert kept == expected


def test_body_lines_that_look_like_headings_are_escaped(tmp_path: Path) -> None:
    source = write(
        tmp_path / "notes.txt",
        "Notes for partners\n\n## en: p999\nThis line only looks like a passage heading.\n",
    )
    result = ingest_one(source, tmp_path / "data")
    path = tmp_path / "data" / "documents" / f"{result.doc_id}.md"
    assert "\n\\## en: p999 This line only" in path.read_text(encoding="utf-8")
    passages = load_document(path, ingested=True).passages
    assert len(passages) == 1 and "## en: p999 This line only" in passages[0].text


# ---------------------------------------------------------------------------------------------
# Store behaviour


def test_reingesting_the_same_content_reports_unchanged_and_rewrites_nothing(
    tmp_path: Path,
) -> None:
    source = write(tmp_path / "call.txt", ENGLISH_CALL)
    first = ingest_one(source, tmp_path / "data")
    stored_file = tmp_path / "data" / "documents" / f"{first.doc_id}.md"
    before = stored_file.stat().st_mtime_ns
    later = datetime(2025, 4, 1, tzinfo=UTC)
    second = ingest_paths([source], tmp_path / "data", now=later)[0]

    assert (second.doc_id, second.error, second.status) == (first.doc_id, None, "unchanged")
    assert list(stored(tmp_path / "data")) == [f"{first.doc_id}.md"]
    assert stored_file.stat().st_mtime_ns == before
    assert read_front_matter(stored_file)["ingested"] != "2025-04-01T00:00:00+00:00"


def test_one_page_saved_as_text_and_as_html_is_stored_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = ingest_one(write(tmp_path / "page.txt", ENGLISH_CALL), data)
    html = (
        "<html><body>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in ENGLISH_CALL.split("\n\n"))
        + "</body></html>"
    )
    second = ingest_one(write(tmp_path / "saved-page.html", html), data)
    assert (second.doc_id, second.status) == (first.doc_id, "duplicate")
    assert list(stored(data)) == [f"{first.doc_id}.md"]


def test_front_matter_sets_the_id_url_and_publisher(tmp_path: Path) -> None:
    page = write(
        tmp_path / "notes.md",
        "---\nid: inte-2025-health\nurl: https://example.org/calls/health\n"
        "publisher: Example Ministry\ntitle: Health topic\n---\n\n" + ENGLISH_CALL,
    )
    result = ingest_one(page, tmp_path / "data")
    assert result.doc_id == "inte-2025-health"
    meta = read_front_matter(tmp_path / "data" / "documents" / "inte-2025-health.md")
    assert meta["url"] == "https://example.org/calls/health"
    assert meta["publisher"] == "Example Ministry"


def test_html_og_url_is_kept_for_the_citation(tmp_path: Path) -> None:
    page = write(
        tmp_path / "topic.html",
        '<html><head><meta property="og:url" content="https://example.org/topic/x">'
        "<title>Topic X</title></head><body><p>" + ENGLISH_CALL + "</p></body></html>",
    )
    result = ingest_one(page, tmp_path / "data")
    meta = read_front_matter(tmp_path / "data" / "documents" / f"{result.doc_id}.md")
    assert meta["url"] == "https://example.org/topic/x"


def test_changed_content_replaces_only_the_same_file_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    source = write(tmp_path / "call.txt", ENGLISH_CALL)
    neighbours = [
        write(tmp_path / "call-2024.txt", "An older call with a similar file name.\n"),
        write(tmp_path / "call.md", "# Same stem, other type\n\nKept as its own document.\n"),
    ]
    old = ingest_one(source, data)
    kept = {r.doc_id for r in ingest_paths(neighbours, data, now=NOW)}

    write(source, ENGLISH_CALL.replace("three members", "four members"))
    new = ingest_one(source, data)

    assert (new.doc_id, new.error, new.status) == (old.doc_id, None, "changed")
    assert set(stored(data)) == {f"{new.doc_id}.md"} | {f"{k}.md" for k in kept}
    text = (data / "documents" / f"{new.doc_id}.md").read_text(encoding="utf-8")
    assert "four members" in text


def test_a_failed_write_keeps_the_stored_version_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    source = write(tmp_path / "call.txt", ENGLISH_CALL)
    ingest_one(source, data)
    before = stored(data)
    write(source, ENGLISH_CALL + "\nA new closing paragraph.\n")

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    result = ingest_one(source, data)

    assert result.error is not None and "No space left" in result.error
    assert stored(data) == before


def test_folders_are_walked_sorted_skipping_hidden_and_unsupported_files(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    write(folder / "b.txt", "Second document about mentoring.\n")
    write(folder / "a.md", "# First\n\nFirst document about language courses.\n")
    write(folder / "sub" / "c.html", "<p>Third document about housing.</p>")
    write(folder / ".hidden.txt", "Editor backup that must not be ingested.\n")
    write(folder / ".git" / "x.txt", "Version control internals.\n")
    write(folder / "notes.docx", "not supported")

    results = ingest_paths([folder], tmp_path / "data", now=NOW)

    assert [r.path.name for r in results] == ["a.md", "b.txt", "c.html"]
    assert all(r.error is None for r in results)


def test_an_empty_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    [result] = ingest_paths([tmp_path / "empty"], tmp_path / "data", now=NOW)
    assert result.doc_id is None and result.error is not None
    assert "no supported documents" in result.error


def test_two_different_files_with_one_name_in_one_run_do_not_overwrite(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "guide.txt", "Guide from the first folder.\n")
    second = write(tmp_path / "b" / "guide.txt", "Guide from the second folder.\n")
    results = ingest_paths([first, second], tmp_path / "data", now=NOW)
    assert results[0].error is None
    assert results[1].error is not None and "rename" in results[1].error
    assert list(stored(tmp_path / "data")) == [f"{results[0].doc_id}.md"]


# ---------------------------------------------------------------------------------------------
# Bad input: a clear error, the other files still ingested, the store untouched


def junk_without_nul() -> bytes:
    return bytes(b for b in range(1, 256) if b not in b"\t\n\r\f\v") * 20


BAD_FILES: list[tuple[str, bytes, str]] = [
    ("slides.pptx", b"PK\x03\x04 zipped slides", "Unsupported file type '.pptx'"),
    ("database.txt", b"SQLite format 3\x00" + b"table documents text " * 20 + b"\x00", "binary"),
    ("noise.md", junk_without_nul(), "binary"),
    ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n", "cannot be read as a PDF"),
    ("empty.txt", b"", "no text"),
    ("blank.html", b"<html><body><script>x=1</script>   </body></html>", "no text"),
    ("scan.pdf", make_pdf([[]]), "no extractable text"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_bad_files_give_an_error_and_keep_the_store_intact(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    data = tmp_path / "data"
    ingest_one(write(tmp_path / "good.txt", ENGLISH_CALL), data)
    before = stored(data)
    bad = tmp_path / name
    bad.write_bytes(content)
    late = write(tmp_path / "later.txt", SWEDISH_TEXT)

    results = ingest_paths([bad, late], data, now=NOW)

    assert results[0].doc_id is None and results[0].passages == 0
    assert results[0].error is not None and message in results[0].error
    assert results[1].error is None, "one bad file must not stop the others"
    after = stored(data)
    assert {k: v for k, v in after.items() if k in before} == before
    assert len(after) == len(before) + 1


def test_extract_text_raises_a_readable_error(tmp_path: Path) -> None:
    folder_named_like_a_pdf = tmp_path / "folder.pdf"
    folder_named_like_a_pdf.mkdir()
    with pytest.raises(IngestError, match="not a regular file"):
        extract_text(folder_named_like_a_pdf)
    with pytest.raises(IngestError, match="File not found"):
        extract_text(tmp_path / "missing.txt")


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root can read a chmod 000 file")
    source = write(tmp_path / "secret.txt", "Nobody may read this.\n")
    source.chmod(0)
    try:
        result = ingest_one(source, tmp_path / "data")
    finally:
        source.chmod(0o600)
    assert result.error is not None and "permission denied" in result.error


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "huge.txt"
    with source.open("wb") as handle:  # sparse: no 50 MB actually written
        handle.truncate(MAX_FILE_BYTES + 1)
    result = ingest_one(source, tmp_path / "data")
    assert result.error is not None and "50 MB" in result.error


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    result = ingest_one(tmp_path / "nowhere.pdf", tmp_path / "data")
    assert result.error == "File not found."


# ---------------------------------------------------------------------------------------------
# The real seed documents


def test_the_seed_documents_ingest_with_plausible_passages(tmp_path: Path) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"seed folder {SEEDS} is not present")
    results = ingest_paths([SEEDS], tmp_path / "data", now=NOW)

    assert len(results) == 5 and all(r.error is None for r in results)
    for result in results:
        assert result.doc_id is not None
        words = len(result.path.read_text(encoding="utf-8").split())
        path = tmp_path / "data" / "documents" / f"{result.doc_id}.md"
        document = load_document(path, ingested=True)
        assert words / MAX_WORDS <= len(document.passages) <= words / 30
        assert all(len(p.text.split()) <= MAX_WORDS for p in document.passages)
        expected = "sv" if result.path.name.startswith("004") else "en"
        assert document.source.language == expected, result.path.name
        assert all(p.lang == expected for p in document.passages if len(p.text.split()) > 40)
    calls = {
        read_front_matter(tmp_path / "data" / "documents" / f"{r.doc_id}.md")["call"]
        for r in results
    }
    assert "AMIF-2024-TF2-AG-THB" in calls


ITALIAN_CALL = (
    "Il Fondo per progetti di accoglienza sostiene le associazioni che aiutano le persone "
    "arrivate da poco a trovare una casa e un lavoro. Le domande si presentano entro la fine "
    "di settembre, e il contributo copre fino a tre quarti dei costi ammissibili. Possono "
    "partecipare enti pubblici e organizzazioni senza scopo di lucro con sede in uno Stato "
    "membro, anche in partenariato con università e centri di ricerca della regione.\n"
)


def test_a_document_in_a_language_the_assistant_cannot_read_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest_one(write(tmp_path / "call.txt", ENGLISH_CALL), data)
    result = ingest_paths([write(tmp_path / "bando.txt", ITALIAN_CALL)], data, now=NOW)[0]
    assert result.doc_id is None and result.error is not None
    assert "not in English, Swedish or Finnish" in result.error
    assert list(stored(data)) == ["op-call.md"]  # nothing of it kept, the rest untouched


def test_an_ingest_the_knowledge_cannot_load_with_is_undone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    source = write(tmp_path / "call.txt", ENGLISH_CALL)
    ingest_one(source, data)
    before = {p.name: p.read_bytes() for p in (data / "documents").iterdir()}
    write(source, ENGLISH_CALL.replace("three members", "four members"))

    def refuse() -> None:
        raise KnowledgeError("a facts file no longer validates")

    with pytest.raises(KnowledgeError):
        ingest_paths(
            [source, write(tmp_path / "new.txt", ENGLISH_CALL + "\nMore.\n")],
            data,
            now=NOW,
            verify=refuse,
        )
    assert {p.name: p.read_bytes() for p in (data / "documents").iterdir()} == before


# ---------------------------------------------------------------------------------------------
# Limits on what a document expands to


def test_a_pdf_bomb_page_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest_one(write(tmp_path / "good.txt", ENGLISH_CALL), data)
    before = stored(data)
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(make_bomb_pdf(64 * 1024 * 1024))  # 64 MB of content in 0.2 MB
    assert bomb.stat().st_size < 250_000
    result = ingest_one(bomb, data)
    assert result.error is not None
    assert "over the limit of 1 MB per page" in result.error, result.error
    assert stored(data) == before


def test_a_pdf_over_the_character_limit_is_refused(tmp_path: Path) -> None:
    # Seven pages, each under the page limit, together over the characters limit.
    pdf = tmp_path / "many.pdf"
    pdf.write_bytes(make_bomb_pdf(MAX_PAGE_CONTENT_BYTES // 2, pages=7))
    result = ingest_one(pdf, tmp_path / "data")
    assert result.error is not None
    assert f"limit of {MAX_EXTRACTED_CHARS:,} characters" in result.error, result.error
    assert stored(tmp_path / "data") == {}


def test_a_pdf_over_the_page_limit_is_refused(tmp_path: Path) -> None:
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(make_pdf([["A line of text."]] * (MAX_PDF_PAGES + 1)))
    result = ingest_one(pdf, tmp_path / "data")
    assert result.error == (
        f"The PDF has {MAX_PDF_PAGES + 1:,} pages, over the limit of {MAX_PDF_PAGES:,} pages "
        "per document; split it into smaller files."
    )


def test_text_over_the_character_limit_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "huge.txt"
    sentence = "Partners report after twelve months. "
    source.write_text(sentence * (MAX_EXTRACTED_CHARS // len(sentence) + 1), encoding="utf-8")
    result = ingest_one(source, tmp_path / "data")
    assert result.error is not None
    assert f"limit of {MAX_EXTRACTED_CHARS:,} characters" in result.error


def test_a_document_of_too_many_passages_is_refused(tmp_path: Path) -> None:
    # Short words: under the characters limit, over the passages limit.
    paragraph = " ".join(["Ab cd ef gh ij kl."] * 20)  # 120 words: one passage each
    source = tmp_path / "words.txt"
    source.write_text("\n\n".join([paragraph] * (MAX_PASSAGES_PER_DOCUMENT + 10)), "utf-8")
    assert len(source.read_text(encoding="utf-8")) < MAX_EXTRACTED_CHARS
    result = ingest_one(source, tmp_path / "data")
    assert result.error is not None
    assert f"limit of {MAX_PASSAGES_PER_DOCUMENT:,} passages" in result.error, result.error


def test_a_document_over_the_time_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_limits, "MAX_INGEST_SECONDS", 0.0)
    result = ingest_one(write(tmp_path / "call.txt", ENGLISH_CALL), tmp_path / "data")
    assert result.error == (
        "Ingesting this document took longer than the limit of 0 s per document; split it "
        "into smaller files."
    )


def test_high_byte_junk_named_md_is_refused_like_binary(tmp_path: Path) -> None:
    rng = random.Random(13)
    # No NUL and no C1 controls: it decodes as cp1252 into accented letters and signs.
    junk = bytes(
        rng.choice(range(0xA0, 0x100)) if rng.random() < 0.5 else 0x65 for _ in range(8000)
    )
    source = tmp_path / "notes.md"
    source.write_bytes(b"# Notes\n\n" + junk)
    result = ingest_one(source, tmp_path / "data")
    assert result.error == (
        "The file looks binary (its text decodes to unlikely characters), not like text."
    )
    swedish = tmp_path / "sv.md"
    swedish.write_bytes(SWEDISH_TEXT.encode("cp1252"))  # real 8-bit text still passes
    assert ingest_one(swedish, tmp_path / "data").error is None
