"""The saved index file: mapped back in as it was saved; a damaged one is rebuilt."""

import logging
import random
from pathlib import Path

import numpy as np
import pytest

from knowledge.arrayfile import read_array_file, write_array_file
from knowledge.base import INDEX_FILE, INDEX_SUBDIR, KnowledgeBase
from knowledge.index import BM25Index, pack_strings, unpack_strings

PASSAGES = {
    "en": "The Oulu advisory desk reviews budget tables of integration projects on Mondays – "
    "a €0 service.",
    "sv": "Rådgivningen i Åbo går igenom budgeten för integrationsprojekt på måndagar.",
    "fi": "Oulun neuvonta käy läpi kotoutumishankkeiden budjetit maanantaisin.",
}
QUESTIONS = [
    ("Which desk reviews budget tables in Oulu?", "en"),
    ("Vem går igenom budgeten i Åbo?", "sv"),
    ("Missä neuvonta käy läpi budjetit?", "fi"),
]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A data directory with one ingested document holding a passage in each language."""
    folder = tmp_path / "documents"
    folder.mkdir()
    body = "".join(
        f"\n## {lang}: p00{n}\n{text}\n" for n, (lang, text) in enumerate(PASSAGES.items())
    )
    (folder / "op-desk.md").write_text(
        "---\nid: op-desk\ntitle: Advice desk\npublisher: operator upload\nlanguage: en\n"
        f"url: no public URL known\n---\n{body}",
        encoding="utf-8",
    )
    return tmp_path


def _results(kb: KnowledgeBase) -> list[list[tuple[str, float, int]]]:
    return [
        [(h.passage.id, round(h.score, 6), h.matched_stems) for h in kb.search(text, lang)]
        for text, lang in QUESTIONS
    ]


def _truncate_to_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[20:40] = b"\xff" * 20
    path.write_bytes(bytes(data))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _old_npz(path: Path) -> None:
    with path.open("wb") as handle:
        np.savez(handle, manifest=np.zeros(3, dtype=np.uint8))


@pytest.mark.parametrize("damage", [_truncate_to_half, _garble_header, _empty, _old_npz])
def test_a_damaged_index_file_is_rebuilt_with_the_same_answers(
    store: Path, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    expected = _results(KnowledgeBase.load(store))
    assert [hits[0][0] for hits in expected] == [
        "op-desk#p000-en",
        "op-desk#p001-sv",
        "op-desk#p002-fi",
    ]
    path = store / INDEX_SUBDIR / INDEX_FILE
    assert callable(damage)
    damage(path)
    with caplog.at_level(logging.WARNING, logger="knowledge.base"):
        rebuilt = KnowledgeBase.load(store)
    assert _results(rebuilt) == expected
    assert "rebuilding" in caplog.text
    # The rebuilt index was saved again, and the next start-up maps it in with the same results.
    assert _results(KnowledgeBase.load(store)) == expected


def test_an_index_file_of_the_previous_layout_is_removed_when_a_new_one_is_saved(
    store: Path,
) -> None:
    folder = store / INDEX_SUBDIR
    folder.mkdir()
    _old_npz(folder / "passages.npz")
    KnowledgeBase.load(store)
    assert [p.name for p in folder.iterdir()] == [INDEX_FILE]


def test_saved_passage_texts_keep_every_character(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    KnowledgeBase.load(store)

    def refuse(*args: object, **kwargs: object) -> BM25Index:
        raise AssertionError("the index was built although a valid saved one exists")

    monkeypatch.setattr(BM25Index, "build_from_words", refuse)
    loaded = KnowledgeBase.load(store)
    document = next(d for d in loaded.documents if d.source.id == "op-desk")
    assert {p.lang: p.text for p in document.passages} == PASSAGES


STRINGS = [
    ["plain", "ascii", "words"],
    ["ett Åbo-ord", "€ 6 000 000", "🙂 emoji", "", "κείμενο"],
    ["a line\nbreak", "", "tab\tand\r\nCRLF", "x"],
    [""],
    [],
]


@pytest.mark.parametrize("strings", STRINGS)
@pytest.mark.parametrize("separately", [False, True])
def test_strings_round_trip_through_a_saved_file(
    tmp_path: Path, strings: list[str], separately: bool
) -> None:
    path = tmp_path / "strings.arrays"
    write_array_file(path, {"what": "strings"}, pack_strings(strings, "s", separately=separately))
    meta, arrays = read_array_file(path)
    assert meta == {"what": "strings"}
    assert unpack_strings(arrays, "s") == strings


def test_arrays_come_back_equal_and_read_only(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    saved = {
        "ints": rng.integers(0, 1000, 997).astype(np.int32),
        "floats": rng.random((7, 13)).astype(np.float32),
        "wide": rng.random(5),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "one": np.array([42], dtype=np.int64),
    }
    path = tmp_path / "arrays.arrays"
    write_array_file(path, {}, saved)
    _, loaded = read_array_file(path)
    assert list(loaded) == list(saved)
    for name, array in saved.items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        # A bug that writes into the index must fail, not change the saved file for everyone.
        with pytest.raises(ValueError):
            loaded[name][...] = 0


def test_a_truncated_array_file_is_refused_not_read_past_its_end(tmp_path: Path) -> None:
    path = tmp_path / "index.arrays"
    corpus = [[f"w{random.Random(n).randint(0, 50)}" for _ in range(30)] for n in range(300)]
    BM25Index.build(corpus).save(path)
    whole = path.read_bytes()
    for size in (0, 10, len(whole) // 3, len(whole) - 1):
        path.write_bytes(whole[:size])
        with pytest.raises(ValueError):
            BM25Index.load(path)


def test_a_loaded_store_has_the_passages_and_documents_of_a_built_one(store: Path) -> None:
    built = KnowledgeBase.load(store)
    loaded = KnowledgeBase.load(store)
    for lang in PASSAGES:
        passages = loaded.indexes[lang].passages
        assert list(passages) == list(built.indexes[lang].passages)
        assert passages[-1] == passages[len(passages) - 1] and passages[:] == list(passages)
        assert passages[0] is passages[0]  # one object per passage, however often it is read
    assert loaded.documents == built.documents
    assert loaded.sources == built.sources and loaded.passage_count == built.passage_count
