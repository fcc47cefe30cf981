"""rank-bm25 with our idf: the reference the postings index is tested and benchmarked against.

A module of its own so that answering questions never imports rank-bm25 (and the multiprocessing
machinery it pulls in): only tests and benchmarks need it.
"""

from __future__ import annotations

from rank_bm25 import BM25Okapi

from knowledge.index import lucene_idf


class OracleBM25(BM25Okapi):
    """rank-bm25's BM25Okapi with the Lucene idf: the reference our index must equal."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        self.idf = {word: lucene_idf(self.corpus_size, freq) for word, freq in nd.items()}
