"""Our postings index must score exactly like rank-bm25 (BM25Okapi with the Lucene idf)."""

import random

import numpy as np
import pytest

from knowledge.index import BM25Index, OracleBM25


def _random_corpus(rng: random.Random, n_docs: int, vocab: int) -> list[list[str]]:
    words = [f"w{i}" for i in range(vocab)]
    # Zipf-like: a few words are in most passages, which is where BM25Okapi's idf floor bites.
    weights = [1.0 / (i + 1) for i in range(vocab)]
    return [rng.choices(words, weights, k=rng.randint(0, 40)) for _ in range(n_docs)]


@pytest.mark.parametrize("seed", range(8))
def test_scores_equal_rank_bm25_oracle_on_random_corpora(seed: int) -> None:
    rng = random.Random(seed)
    corpus = _random_corpus(rng, rng.randint(1, 300), rng.randint(5, 400))
    if not any(corpus):
        corpus[0] = ["w0"]
    ours = BM25Index.build(corpus)
    oracle = OracleBM25(corpus)
    for _ in range(20):
        query = [f"w{rng.randint(0, 450)}" for _ in range(rng.randint(1, 6))]
        expected = oracle.get_scores(query)
        got = ours.scores(query)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        top = ours.search(query, k=5)
        best = sorted((s for s in expected if s > 0), reverse=True)[:5]
        # Same top-5 up to float ties: the scores of our picks are the oracle's best scores.
        np.testing.assert_allclose([h.score for h in top], best, rtol=1e-5)
        np.testing.assert_allclose([expected[h.doc] for h in top], best, rtol=1e-5)


def test_common_word_does_not_outweigh_rare_word() -> None:
    # "amif" is in 3 of 4 passages; with BM25Okapi's floor it would still score. Ours ranks the
    # passage with the rare word first.
    corpus = [["amif", "budget"], ["amif", "deadline"], ["amif", "amif", "amif"], ["denmark"]]
    top = BM25Index.build(corpus).search(["amif", "denmark"], k=2)
    assert top[0].doc == 3


def test_no_match_returns_nothing_and_empty_index_is_safe() -> None:
    assert BM25Index.build([["a"], ["b"]]).search(["zzz"]) == []
    assert BM25Index.build([]).search(["a"]) == []


def test_save_and_load_round_trip(tmp_path) -> None:
    corpus = _random_corpus(random.Random(1), 120, 80)
    index = BM25Index.build(corpus)
    path = tmp_path / "index.npz"
    index.save(path)
    loaded = BM25Index.load(path)
    query = ["w1", "w7", "w33"]
    np.testing.assert_array_equal(loaded.scores(query), index.scores(query))
