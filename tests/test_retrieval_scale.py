"""The retrieval index persists: built once for an ingested store, loaded at the next start-up."""

import logging
import os
from pathlib import Path

import numpy as np
import pytest

from bot.assistant import Assistant
from knowledge.base import (
    INDEX_FILE,
    INDEX_SUBDIR,
    KnowledgeBase,
    documents_fingerprint,
    read_saved_knowledge,
)
from knowledge.documents import BUILTIN_DOCUMENTS_DIR, load_documents
from knowledge.index import BM25Index

QUESTIONS = [
    ("Which advisory desk helps associations in Ostrobothnia on Tuesdays?", "en"),
    ("Vilken rådgivning får föreningar i Österbotten om integrationsprojekt?", "sv"),
    ("Missä kotoutumishankkeiden neuvontaa annetaan yhdistyksille?", "fi"),
    ("funding rate for trafficking projects", "en"),
]

DOCUMENTS = {
    "op-advice-desk": (
        "en",
        [
            (
                "en",
                "p001",
                "The Vaasa advisory desk helps associations in Ostrobothnia shape "
                "integration projects every Tuesday afternoon, free of charge.",
            ),
            (
                "en",
                "p002",
                "Applicants who book the desk early get written comments on their "
                "budget table and work plan before they submit.",
            ),
        ],
    ),
    "op-radgivning": (
        "sv",
        [
            (
                "sv",
                "p001",
                "Rådgivningen i Vasa hjälper föreningar i Österbotten att planera "
                "integrationsprojekt och går igenom budgeten före ansökan.",
            ),
            (
                "fi",
                "p002",
                "Vaasan neuvonta auttaa Pohjanmaan yhdistyksiä suunnittelemaan "
                "kotoutumishankkeita ja käy budjetin läpi ennen hakemusta.",
            ),
        ],
    ),
}


def _write_document(
    folder: Path, doc_id: str, lang: str, passages: list[tuple[str, str, str]]
) -> Path:
    body = "".join(f"\n## {p_lang}: {key}\n{text}\n" for p_lang, key, text in passages)
    path = folder / f"{doc_id}.md"
    path.write_text(
        f"---\nid: {doc_id}\ntitle: {doc_id}\npublisher: operator upload\nlanguage: {lang}\n"
        f"url: no public URL known\n---\n{body}",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A data directory with a few ingested documents in three languages."""
    folder = tmp_path / "documents"
    folder.mkdir()
    for doc_id, (lang, passages) in DOCUMENTS.items():
        _write_document(folder, doc_id, lang, passages)
    return tmp_path


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts index builds (one entry per language index built)."""
    counted: list[int] = []
    original = BM25Index.build_from_words.__func__  # type: ignore[attr-defined]

    def counting(cls: type[BM25Index], *args: object, **kwargs: object) -> BM25Index:
        counted.append(1)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(BM25Index, "build_from_words", classmethod(counting))
    return counted


def _forbid_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> BM25Index:
        raise AssertionError("the index was built although a valid saved one exists")

    monkeypatch.setattr(BM25Index, "build_from_words", refuse)
    monkeypatch.setattr(BM25Index, "build", refuse)
    monkeypatch.setattr(BM25Index, "from_term_ids", refuse)


def _results(kb: KnowledgeBase) -> list[list[tuple[str, float, int, int]]]:
    return [
        [
            (h.passage.id, round(h.score, 6), h.matched_stems, h.query_stems)
            for h in kb.search(text, lang)
        ]
        for text, lang in QUESTIONS
    ]


def test_second_start_up_loads_the_saved_index_and_answers_the_same(
    store: Path, monkeypatch: pytest.MonkeyPatch, builds: list[int]
) -> None:
    first = KnowledgeBase.load(store)
    assert len(builds) == 3  # one index per language
    assert (store / INDEX_SUBDIR / INDEX_FILE).is_file()
    _forbid_builds(monkeypatch)
    second = KnowledgeBase.load(store)
    assert _results(second) == _results(first)
    assert _results(first)[0][0][0] == "op-advice-desk#p001-en"
    question = "Where can an association in Ostrobothnia get advice on its budget?"
    assert (
        Assistant(second).answer(question, "en").text
        == Assistant(first).answer(question, "en").text
    )


def test_a_changed_document_rebuilds_the_index_with_its_new_text(
    store: Path, builds: list[int]
) -> None:
    KnowledgeBase.load(store)
    path = store / "documents" / "op-advice-desk.md"
    before = path.stat().st_mtime_ns
    passages = [
        *DOCUMENTS["op-advice-desk"][1],
        ("en", "p003", "From March the desk also meets applicants in Kokkola."),
    ]
    _write_document(store / "documents", "op-advice-desk", "en", passages)
    os.utime(path, ns=(before + 10**9, before + 10**9))
    builds.clear()
    kb = KnowledgeBase.load(store)
    assert len(builds) == 3
    assert kb.search("Kokkola", "en")[0].passage.id == "op-advice-desk#p003-en"
    builds.clear()
    KnowledgeBase.load(store)
    assert builds == []  # the rebuilt index was saved in turn


def test_a_removed_or_added_document_rebuilds_the_index(store: Path, builds: list[int]) -> None:
    KnowledgeBase.load(store)
    (store / "documents" / "op-radgivning.md").unlink()
    builds.clear()
    kb = KnowledgeBase.load(store)
    assert builds and "op-radgivning" not in kb.sources
    assert all(h.passage.source.id != "op-radgivning" for h in kb.search("Österbotten", "sv"))
    _write_document(
        store / "documents",
        "op-new",
        "en",
        [("en", "p001", "Seinäjoki hosts a partner search day for applicants.")],
    )
    builds.clear()
    kb = KnowledgeBase.load(store)
    assert builds and kb.search("Seinäjoki partner search", "en")[0].passage.id == "op-new#p001-en"


def test_the_saved_documents_equal_the_files_and_another_fingerprint_is_refused(
    store: Path,
) -> None:
    KnowledgeBase.load(store)
    folders = [(BUILTIN_DOCUMENTS_DIR, False), (store / "documents", True)]
    path = store / INDEX_SUBDIR / INDEX_FILE
    saved = read_saved_knowledge(path, documents_fingerprint(folders))
    assert saved is not None
    # Every source field (dates included), passage and path as a fresh parse gives them.
    assert saved.documents == load_documents(folders)
    assert read_saved_knowledge(path, "another fingerprint") is None


def test_a_damaged_index_file_is_rebuilt_and_replaced(
    store: Path, builds: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    expected = _results(KnowledgeBase.load(store))
    path = store / INDEX_SUBDIR / INDEX_FILE
    path.write_bytes(path.read_bytes()[:200])
    builds.clear()
    with caplog.at_level(logging.WARNING, logger="knowledge.base"):
        kb = KnowledgeBase.load(store)
    assert builds and _results(kb) == expected
    assert "rebuilding" in caplog.text
    builds.clear()
    KnowledgeBase.load(store)
    assert builds == []


def test_an_unwritable_index_folder_does_not_stop_start_up(
    store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (store / INDEX_SUBDIR).write_text("a file where the folder should be", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="knowledge.base"):
        kb = KnowledgeBase.load(store)
    assert kb.search(*QUESTIONS[0])[0].passage.id == "op-advice-desk#p001-en"
    assert "could not save" in caplog.text


def test_saving_leaves_only_the_index_file(store: Path) -> None:
    KnowledgeBase.load(store)
    assert [p.name for p in (store / INDEX_SUBDIR).iterdir()] == [INDEX_FILE]


def test_without_an_ingested_store_nothing_is_written(tmp_path: Path) -> None:
    kb = KnowledgeBase.load(tmp_path)
    assert kb.passage_count > 0
    assert list(tmp_path.iterdir()) == []


def test_matched_stems_count_the_query_stems_a_passage_contains(store: Path) -> None:
    kb = KnowledgeBase.load(store)
    hits = kb.search("Vaasa advisory desk budget pineapple", "en")
    top = hits[0]
    assert top.passage.id == "op-advice-desk#p001-en"
    assert (top.matched_stems, top.query_stems) == (3, 5)  # vaasa, advisori, desk
    other = next(h for h in hits if h.passage.id == "op-advice-desk#p002-en")
    assert other.matched_stems == 2  # desk, budget


def test_saved_words_are_every_word_of_the_passages(store: Path) -> None:
    built = KnowledgeBase.load(store)
    loaded = KnowledgeBase.load(store)
    for lang, language_index in loaded.indexes.items():
        analyzer = language_index.analyzer
        expected = {w for p in language_index.passages for w in analyzer.words(p.text)}
        assert language_index.words == expected == built.indexes[lang].words
    assert "ostrobothnia" in loaded.indexes["en"].words


def test_scores_of_a_loaded_index_equal_the_built_one(store: Path) -> None:
    built = KnowledgeBase.load(store)
    loaded = KnowledgeBase.load(store)
    for lang in ("en", "sv", "fi"):
        terms = built.indexes[lang].analyzer.terms("föreningar budget neuvonta desk Vasa")
        np.testing.assert_array_equal(
            loaded.indexes[lang].index.scores(terms), built.indexes[lang].index.scores(terms)
        )
