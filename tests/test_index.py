"""Our postings index must score exactly like rank-bm25 (BM25Okapi with the Lucene idf)."""

import itertools
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import knowledge.index as index_module
from knowledge.index import BM25Index
from knowledge.oracle import OracleBM25

# How a search finds its top k depends on the index size and on the query; tests force each way
# on small corpora. "dense" also stores every term in a quarter of the passages as a dense row.
LAYOUTS = {
    "small index": {},
    "sparse top-k": {"SMALL_INDEX": 0, "SPARSE_RATIO": 10**9},
    "block top-k": {"SMALL_INDEX": 0, "SPARSE_RATIO": 0},
    "dense rows": {"DENSE_MIN_DOCS": 0, "SMALL_INDEX": 0},
}


@pytest.fixture(params=sorted(LAYOUTS))
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Patch the index's size thresholds so that one top-k strategy runs."""
    for name, value in LAYOUTS[request.param].items():
        monkeypatch.setattr(index_module, name, value)
    return str(request.param)


def _random_corpus(rng: random.Random, n_docs: int, vocab: int) -> list[list[str]]:
    words = [f"w{i}" for i in range(vocab)]
    # Zipf-like: a few words are in most passages, which is where BM25Okapi's idf floor bites.
    cumulative = list(itertools.accumulate(1.0 / (i + 1) for i in range(vocab)))
    return [
        rng.choices(words, cum_weights=cumulative, k=rng.randint(0, 40)) for _ in range(n_docs)
    ]


def _expected_top(scores: np.ndarray, k: int) -> list[int]:
    positive = np.flatnonzero(scores > 0).tolist()
    return sorted(positive, key=lambda i: (-scores[i], i))[:k]


@pytest.mark.parametrize(
    ("seed", "n_docs", "vocab"),
    [(s, n, v) for s, (n, v) in enumerate([(1, 5), (7, 3), (40, 60), (300, 400), (1500, 2000)])]
    + [
        (10 + s, random.Random(s).randint(1, 300), random.Random(s).randint(5, 400))
        for s in range(6)
    ],
)
def test_scores_equal_rank_bm25_oracle_on_random_corpora(
    layout: str, seed: int, n_docs: int, vocab: int
) -> None:
    rng = random.Random(seed)
    corpus = _random_corpus(rng, n_docs, vocab)
    if not any(corpus):
        corpus[0] = ["w0"]
    ours = BM25Index.build(corpus)
    oracle = OracleBM25(corpus)
    for _ in range(20):
        # Repeated query words count twice in rank-bm25; words outside the corpus count nothing.
        query = [f"w{rng.randint(0, vocab + 50)}" for _ in range(rng.randint(1, 8))]
        query += rng.sample(query, rng.randint(0, len(query)))
        k = rng.choice([1, 5, 12])
        expected = oracle.get_scores(query)
        got = ours.scores(query)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        top = ours.search(query, k=k)
        best = sorted((s for s in expected if s > 0), reverse=True)[:k]
        # Same top-k up to float ties: the scores of our picks are the oracle's best scores.
        np.testing.assert_allclose([h.score for h in top], best, rtol=1e-5)
        np.testing.assert_allclose([expected[h.doc] for h in top], best, rtol=1e-5)
        # Ties break by position exactly, consistent with our own scores.
        assert [h.doc for h in top] == _expected_top(got, k)


def test_a_larger_corpus_with_dense_rows_equals_the_oracle() -> None:
    rng = random.Random(42)
    corpus = _random_corpus(rng, index_module.DENSE_MIN_DOCS + 500, 3000)
    ours = BM25Index.build(corpus)
    assert ours.dense_terms.size > 0  # the commonest words are stored as dense rows
    oracle = OracleBM25(corpus)
    for _ in range(15):
        query = [f"w{rng.randint(0, 3000)}" for _ in range(rng.randint(1, 10))]
        expected = oracle.get_scores(query)
        np.testing.assert_allclose(ours.scores(query), expected, rtol=1e-5, atol=1e-6)
        top = ours.search(query, k=5)
        np.testing.assert_allclose(
            [expected[h.doc] for h in top], sorted(expected, reverse=True)[:5], rtol=1e-5
        )


def test_equal_scores_rank_the_earlier_passage_first(layout: str) -> None:
    corpus = [["x"], ["amif", "grant"], ["y"], ["amif", "grant"], ["amif", "grant"], ["z"]]
    top = BM25Index.build(corpus).search(["grant"], k=2)
    assert [h.doc for h in top] == [1, 3]
    assert top[0].score == top[1].score


def _stem_and_bigrams(word: str) -> tuple[str, ...]:
    if word == "och":
        return ()  # a word may stand for no term at all
    return (word[:3], *(f"#{word[i : i + 2]}" for i in range(len(word) - 1)))


def _stem_only(word: str) -> tuple[str, ...]:
    return (word[:4],)  # English: one term per word


@pytest.mark.parametrize("word_terms", [_stem_and_bigrams, _stem_only])
@pytest.mark.parametrize("seed", range(4))
def test_building_from_words_equals_building_from_their_terms(
    seed: int, word_terms: Callable[[str], tuple[str, ...]]
) -> None:

    rng = random.Random(seed)
    words = ["integrationsfonden", "fonden", "stöd", "ansökan", "x", "rahoitus", "och"]
    passages = [rng.choices(words, k=rng.randint(0, 12)) for _ in range(rng.randint(1, 60))]
    from_words = BM25Index.build_from_words(passages, word_terms)
    from_terms = BM25Index.build([[t for w in p for t in word_terms(w)] for p in passages])
    queries = [["#on", "fon"], ["sto", "#ds", "#ds"], ["rah", "#io", "int"], ["none"], ["fond"]]
    for query in queries:
        np.testing.assert_allclose(from_words.scores(query), from_terms.scores(query), rtol=1e-6)
        assert from_words.search(query) == from_terms.search(query)


def test_common_word_does_not_outweigh_rare_word() -> None:
    # "amif" is in 3 of 4 passages; with BM25Okapi's floor it would still score. Ours ranks the
    # passage with the rare word first.
    corpus = [["amif", "budget"], ["amif", "deadline"], ["amif", "amif", "amif"], ["denmark"]]
    top = BM25Index.build(corpus).search(["amif", "denmark"], k=2)
    assert top[0].doc == 3


def test_no_match_returns_nothing_and_empty_index_is_safe(layout: str) -> None:
    assert BM25Index.build([["a"], ["b"]]).search(["zzz"]) == []
    assert BM25Index.build([["a"], ["b"]]).search([]) == []
    assert BM25Index.build([]).search(["a"]) == []
    assert BM25Index.build([[], []]).search(["a"]) == []
    assert BM25Index.build([["a"], []]).search(["a"], k=0) == []
    assert [h.doc for h in BM25Index.build([[], ["a"], []]).search(["a"])] == [1]


def test_has_term_answers_for_sparse_and_dense_terms(layout: str) -> None:
    corpus = [["amif", "fund"], ["amif"], ["amif", "grant"], ["amif"], ["fund"]]
    index = BM25Index.build(corpus)
    assert index.has_term("amif", 3) and not index.has_term("amif", 4)
    assert index.has_term("grant", 2) and not index.has_term("grant", 1)
    assert not index.has_term("unknown", 0)


def test_count_terms_counts_the_terms_each_passage_contains(layout: str) -> None:
    rng = random.Random(9)
    corpus = _random_corpus(rng, 400, 60)
    index = BM25Index.build(corpus)
    for _ in range(30):
        terms = [f"w{rng.randint(0, 70)}" for _ in range(rng.randint(0, 6))]
        docs = rng.sample(range(len(corpus)), rng.randint(0, 12))
        expected = [len(set(terms) & set(corpus[doc])) for doc in docs]
        assert index.count_terms(terms, docs) == expected
        assert expected == [sum(index.has_term(t, doc) for t in set(terms)) for doc in docs]


def test_save_and_load_round_trip(layout: str, tmp_path: Path) -> None:
    corpus = _random_corpus(random.Random(1), 120, 80)
    corpus[5].append("line\nbreak")  # a term with the separator the saved vocabulary uses
    index = BM25Index.build(corpus)
    path = tmp_path / "index.npz"
    index.save(path)
    loaded = BM25Index.load(path)
    for query in (["w1", "w7", "w33"], ["w0"], ["line\nbreak", "w2"]):
        np.testing.assert_array_equal(loaded.scores(query), index.scores(query))
        assert loaded.search(query) == index.search(query)
    assert list(tmp_path.iterdir()) == [path]
