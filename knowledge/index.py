"""A BM25 index over precomputed sparse postings.

The formula is rank-bm25's ``BM25Okapi`` (k1=1.5, b=0.75) with one change: the idf is Lucene's
``ln(1 + (N - n + 0.5) / (n + 0.5))``, which is always positive. BM25Okapi instead floors negative
idfs to 0.25 x the mean idf, so on a small corpus a word found in over half the passages
("AMIF") can outweigh a rare, telling one. ``knowledge.oracle.OracleBM25`` is rank-bm25 with that
idf; a test keeps it as the reference for our scores.

rank-bm25 scores by looping over every passage in Python for each query term (~43 ms per query at
20,000 passages). Here each posting stores its whole contribution ``idf x term weight`` (float32,
passage numbers int32), computed once at build time, so a query only adds up the postings of its
own terms: one ``np.add.at`` over all of them into a reused per-thread score array, then a top-k
that looks at a few blocks of that array rather than at every passage. A term found in a quarter
of the passages or more (with Swedish/Finnish n-grams, most of what a query touches) is a dense
row instead, added in one vectorised step. Building is vectorised too: one int64 key per token
(term, passage), sorted once. benchmarks/bench_retrieval.py measures all of it against rank-bm25
and bm25s.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, count
from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge.arrayfile import read_array_file, write_array_file
from knowledge.sequences import LazyList

K1 = 1.5
B = 0.75
# A term in at least this share of the passages is stored as a dense row of contributions: adding
# a contiguous row costs ~0.2 ns per passage against ~2 ns per scattered posting, and at df >= N/4
# a float32 row takes at most twice the bytes of its postings (less above N/2). Below
# DENSE_MIN_DOCS passages the per-row call costs more than the scatter it saves.
DENSE_SHARE = 0.25
DENSE_MIN_DOCS = 4096
# Top-k selection: in a small index, scan all scores; otherwise, with few postings, sort the
# passages they name, and with many, look at blocks of the score array (a sort of P postings
# costs about as much as a scan of 8P scores).
SMALL_INDEX = 4096
SPARSE_RATIO = 8
_BLOCK = 64
_BLOCK_OFFSETS = np.arange(_BLOCK)
# Sorting this many (score, doc) pairs in Python costs less than numpy's calls to narrow them.
_SORT_IN_PYTHON = 32
_TERM_SEPARATOR = "\n"

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def lucene_idf(n_docs: int, doc_freq: int) -> float:
    """Always-positive BM25 idf."""
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


@dataclass(frozen=True)
class Hit:
    """A passage position in the index and its score."""

    doc: int
    score: float


class BM25Index:
    """Postings of term -> (passage numbers ascending, score contributions); common terms dense.

    A term is either sparse (its postings are docs[indptr[t]:indptr[t+1]] with impacts alongside)
    or dense (its postings range is empty and dense[row] holds its contribution to every passage).
    """

    def __init__(
        self,
        vocabulary: dict[str, int],
        indptr: IntArray,
        docs: npt.NDArray[np.int32],
        impacts: Float32Array,
        idf: FloatArray,
        n_docs: int,
        dense_terms: IntArray | None = None,
        dense: Float32Array | None = None,
    ) -> None:
        self.vocabulary, self.indptr, self.docs = vocabulary, indptr, docs
        self.impacts, self.idf, self.n_docs = impacts, idf, n_docs
        self.dense_terms = np.empty(0, dtype=np.int64) if dense_terms is None else dense_terms
        self.dense = np.zeros((0, n_docs), dtype=np.float32) if dense is None else dense
        self._dense_row = {int(tid): row for row, tid in enumerate(self.dense_terms.tolist())}
        self._scratch = threading.local()

    # ----- building ----------------------------------------------------------------------------

    @classmethod
    def build(cls, corpus: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> BM25Index:
        """Index tokenized passages (one term list per passage)."""
        vocabulary: defaultdict[str, int] = defaultdict(count().__next__)
        lengths, term_ids = _numbered(corpus, vocabulary)
        return cls._from_own_term_ids(term_ids, lengths, dict(vocabulary), k1, b)

    @classmethod
    def build_from_words(
        cls,
        passages: Sequence[Sequence[str]],
        word_terms: Callable[[str], Sequence[str]],
        k1: float = K1,
        b: float = B,
    ) -> BM25Index:
        """Index passages given as words, where each word stands for the terms word_terms(word).

        The same index as build() over the expanded term lists, but each distinct word is
        expanded once: with n-grams a Swedish word is ~5 terms, so this is the cheaper path.
        """
        words: defaultdict[str, int] = defaultdict(count().__next__)
        word_counts, word_ids = _numbered(passages, words)
        vocabulary: defaultdict[str, int] = defaultdict(count().__next__)
        terms_per_word, expansion_ids = _numbered([word_terms(word) for word in words], vocabulary)
        if terms_per_word.size and (terms_per_word == 1).all():
            # One term per word (English: just the stem): the word ids map straight to term ids.
            term_ids = expansion_ids[word_ids]
            del word_ids
            return cls._from_own_term_ids(term_ids, word_counts, dict(vocabulary), k1, b)
        per_token = terms_per_word[word_ids]
        # ends[i]: terms of all tokens before token i; passage lengths are differences of it.
        ends = np.zeros(per_token.size + 1, dtype=np.int64)
        np.cumsum(per_token, out=ends[1:])
        passage_ends = np.cumsum(word_counts)
        lengths = ends[passage_ends] - ends[passage_ends - word_counts]
        has_terms = per_token > 0
        if not has_terms.all():
            word_ids, per_token = word_ids[has_terms], per_token[has_terms]
            ends = np.concatenate(([0], np.cumsum(per_token)))
        # Position in expansion_ids of every term of every token: runs of +1 within a word,
        # a jump to the next word's first term between words; one cumulative sum makes them.
        steps = np.ones(int(ends[-1]), dtype=np.int64)
        if steps.size:
            first = (np.cumsum(terms_per_word) - terms_per_word)[word_ids]
            # From the last term of token i-1 to the first term of token i.
            jumps = first[1:] - first[:-1]
            jumps -= per_token[:-1]
            jumps += 1
            steps[ends[1:-1]] = jumps
            steps[0] = first[0]
            del first, jumps
            np.cumsum(steps, out=steps)
        term_ids = expansion_ids[steps]
        del steps, word_ids, per_token, ends
        return cls._from_own_term_ids(term_ids, lengths, dict(vocabulary), k1, b)

    @classmethod
    def from_term_ids(
        cls,
        term_ids: IntArray,
        lengths: IntArray,
        vocabulary: dict[str, int],
        k1: float = K1,
        b: float = B,
    ) -> BM25Index:
        """Index passages given as one flat array of term ids, passage after passage."""
        return cls._from_own_term_ids(
            np.array(term_ids, dtype=np.int64),
            np.asarray(lengths, dtype=np.int64),
            vocabulary,
            k1,
            b,
        )

    @classmethod
    def _from_own_term_ids(
        cls, term_ids: IntArray, lengths: IntArray, vocabulary: dict[str, int], k1: float, b: float
    ) -> BM25Index:
        """from_term_ids on an int64 array it may overwrite.

        Arrays here are as long as the corpus (tens of millions of tokens), and the page faults
        of first touching fresh memory cost more than the arithmetic (measured: a 75 MB
        temporary ~0.3 s): work in place and drop temporaries early.
        """
        n_docs = int(lengths.size)
        n_terms = len(vocabulary)
        stride = max(n_docs, 1)
        # One int64 key per token sorts by term, then passage; numpy sorts int64 keys with SIMD,
        # several times faster than an argsort or a Counter per passage.
        keys = term_ids
        keys *= stride
        keys += np.repeat(np.arange(n_docs, dtype=np.int32), lengths)
        keys.sort()
        first = np.empty(keys.size, dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        del first
        tf = np.empty(starts.size, dtype=np.float64)
        np.subtract(starts[1:], starts[:-1], out=tf[:-1])
        tf[-1:] = keys.size - starts[-1:]
        terms, positions = np.divmod(keys[starts], stride)
        del keys, starts
        docs = positions.astype(np.int32)
        del positions
        doc_freq = np.bincount(terms, minlength=n_terms)
        total = float(lengths.sum())
        avgdl = total / n_docs if n_docs and total else 1.0
        idf = np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
        # weight = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)), in place
        weights = lengths.astype(np.float64)[docs]
        weights *= b / avgdl
        weights += 1.0 - b
        weights *= k1
        weights += tf
        tf *= k1 + 1.0
        np.divide(tf, weights, out=weights)
        del tf
        weights *= idf[terms]
        impacts = weights.astype(np.float32)
        del weights
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        if n_docs < DENSE_MIN_DOCS:
            np.cumsum(doc_freq, out=indptr[1:])
            return cls(vocabulary, indptr, docs, impacts, idf, n_docs)
        dense_terms = np.flatnonzero(doc_freq >= DENSE_SHARE * n_docs)
        row_of_term = np.full(n_terms, -1, dtype=np.int64)
        row_of_term[dense_terms] = np.arange(dense_terms.size)
        rows = row_of_term[terms]
        del terms
        in_row = rows >= 0
        dense = np.zeros((dense_terms.size, n_docs), dtype=np.float32)
        dense[rows[in_row], docs[in_row]] = impacts[in_row]
        del rows
        sparse = ~in_row
        doc_freq[dense_terms] = 0
        np.cumsum(doc_freq, out=indptr[1:])
        return cls(
            vocabulary, indptr, docs[sparse], impacts[sparse], idf, n_docs, dense_terms, dense
        )

    # ----- querying ----------------------------------------------------------------------------

    def _query_terms(self, query: Iterable[str]) -> list[tuple[int, int]]:
        """(term id, times in the query) of the known query terms, in first-seen order."""
        found = []
        for term, times in Counter(query).items():
            tid = self.vocabulary.get(term)
            if tid is not None:
                found.append((tid, times))
        return found

    def scores(self, query: Sequence[str]) -> FloatArray:
        """BM25 scores of every passage for the query terms (repeats count, as in rank-bm25)."""
        buffer = np.zeros(self.n_docs, dtype=np.float32)
        terms = self._query_terms(query)
        if terms:
            self._accumulate(buffer, terms)
        return buffer.astype(np.float64)

    def has_term(self, term: str, doc: int) -> bool:
        """Whether passage number doc contains term."""
        tid = self.vocabulary.get(term)
        if tid is None:
            return False
        row = self._dense_row.get(tid)
        if row is not None:
            return bool(self.dense[row, doc] > 0)
        postings = self.docs[self.indptr[tid] : self.indptr[tid + 1]]
        at = int(np.searchsorted(postings, doc))
        return at < postings.size and int(postings[at]) == doc

    def count_terms(self, terms: Iterable[str], docs: Sequence[int]) -> list[int]:
        """For each passage number in docs, how many of the (distinct) terms it contains."""
        wanted = np.asarray(docs, dtype=np.int64)
        if not wanted.size:
            return []
        counts = np.zeros(wanted.size, dtype=np.int64)
        # One vectorised look-up per term for all the passages: has_term per (term, passage)
        # pair costs a few numpy calls each, ~40 of them for a search's top 10.
        for term in set(terms):
            tid = self.vocabulary.get(term)
            if tid is None:
                continue
            row = self._dense_row.get(tid)
            if row is not None:
                counts += self.dense[row, wanted] > 0
                continue
            postings = self.docs[self.indptr[tid] : self.indptr[tid + 1]]
            at = postings.searchsorted(wanted)
            inside = at < postings.size
            inside[inside] = postings[at[inside]] == wanted[inside]
            counts += inside
        return counts.tolist()

    def search(self, query: Sequence[str], k: int = 5) -> list[Hit]:
        """The k best passages with a positive score, best first (ties: lower position first)."""
        if not self.n_docs or k <= 0:
            return []
        terms = self._query_terms(query)
        if not terms:
            return []
        buffer = self._buffer()
        try:
            touched, any_dense = self._accumulate(buffer, terms)
            if self.n_docs <= SMALL_INDEX:
                candidates = np.flatnonzero(buffer)
                scores = buffer[candidates]
                buffer[candidates] = 0.0
            elif not any_dense and touched.size * SPARSE_RATIO < self.n_docs:
                candidates = _distinct(touched)
                scores = buffer[candidates]
                buffer[candidates] = 0.0
            else:
                candidates, scores = _block_candidates(buffer, k)
                buffer.fill(0.0)
        except BaseException:
            # An interrupted query may leave scores in the buffer: never reuse it.
            self._scratch.scores = None
            raise
        return _top(candidates, scores.astype(np.float64), k)

    def _accumulate(
        self, buffer: Float32Array, terms: list[tuple[int, int]]
    ) -> tuple[IntArray, bool]:
        """Add the query terms' contributions to buffer; return the sparse postings' passages."""
        sparse = [
            (self.indptr[tid], self.indptr[tid + 1], times)
            for tid, times in terms
            if tid not in self._dense_row
        ]
        # Float32 sums are within 1e-6 of float64 ones over a few dozen terms, and halve the
        # memory traffic. np.add.at takes its fast path only for intp indices and values of the
        # buffer's dtype; converting while concatenating is cheap next to the slow path (3-4x).
        docs = np.concatenate(
            [self.docs[lo:hi] for lo, hi, _ in sparse] or [np.empty(0, np.int32)], dtype=np.intp
        )
        contributions = np.concatenate(
            [
                self.impacts[lo:hi] * np.float32(times) if times > 1 else self.impacts[lo:hi]
                for lo, hi, times in sparse
            ]
            or [np.empty(0, np.float32)],
            dtype=np.float32,
        )
        np.add.at(buffer, docs, contributions)
        any_dense = False
        for tid, times in terms:
            row = self._dense_row.get(tid)
            if row is not None:
                any_dense = True
                dense = self.dense[row]
                np.add(
                    buffer[: self.n_docs],
                    dense * np.float32(times) if times > 1 else dense,
                    out=buffer[: self.n_docs],
                )
        return docs, any_dense

    def _buffer(self) -> Float32Array:
        """A zeroed per-thread score array padded to whole blocks; callers re-zero it."""
        buffer: Float32Array | None = getattr(self._scratch, "scores", None)
        if buffer is None:
            size = -(-self.n_docs // _BLOCK) * _BLOCK
            buffer = np.zeros(size, dtype=np.float32)
            self._scratch.scores = buffer
        return buffer

    # ----- persistence -------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """The index as named arrays (the terms as one UTF-8 block), for np.savez."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            **pack_strings(terms, "terms"),
            "indptr": self.indptr,
            "docs": self.docs,
            "impacts": self.impacts,
            "idf": self.idf,
            "n_docs": np.array([self.n_docs], dtype=np.int64),
            "dense_terms": self.dense_terms,
            "dense": self.dense,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[np.generic]]) -> BM25Index:
        """Rebuild an index from to_arrays() output; raises ValueError if they do not fit."""
        terms = unpack_strings(arrays, "terms")
        indptr = np.asarray(arrays["indptr"], dtype=np.int64)
        docs = np.asarray(arrays["docs"], dtype=np.int32)
        impacts = np.asarray(arrays["impacts"], dtype=np.float32)
        idf = np.asarray(arrays["idf"], dtype=np.float64)
        n_docs = int(np.asarray(arrays["n_docs"])[0])
        dense_terms = np.asarray(arrays["dense_terms"], dtype=np.int64)
        dense = np.asarray(arrays["dense"], dtype=np.float32)
        if (
            indptr.size != len(terms) + 1
            or idf.size != len(terms)
            or docs.size != impacts.size
            or int(indptr[-1]) != docs.size
            or dense.shape != (dense_terms.size, n_docs)
        ):
            raise ValueError("index arrays do not fit together")
        vocabulary = dict(zip(terms, range(len(terms)), strict=True))
        return cls(vocabulary, indptr, docs, impacts, idf, n_docs, dense_terms, dense)

    def save(self, path: Path) -> None:
        """Write the index to one file (atomically), for load() to map back in."""
        write_array_file(path, {}, self.to_arrays())

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        """Read an index written by save(); its arrays are views of the mapped file."""
        _, arrays = read_array_file(path)
        return cls.from_arrays(arrays)

    @property
    def nbytes(self) -> int:
        """Bytes of the postings, dense rows and per-term arrays (not the vocabulary dict)."""
        arrays = (self.indptr, self.docs, self.impacts, self.idf, self.dense_terms, self.dense)
        return sum(a.nbytes for a in arrays)


def _numbered(
    groups: Sequence[Sequence[str]], numbers: defaultdict[str, int]
) -> tuple[IntArray, IntArray]:
    """Each group's length, and the number of every item of every group, in order.

    `numbers` is a defaultdict fed by a counter: it numbers new items in C, with no Python code
    per item, and keeps the numbering for the caller.
    """
    lengths = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
    ids = np.fromiter(
        map(numbers.__getitem__, chain.from_iterable(groups)),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    return lengths, ids


def _distinct(docs: IntArray) -> IntArray:
    """The distinct values of docs, ascending."""
    ordered = np.sort(docs)
    keep = np.empty(ordered.size, dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _block_candidates(buffer: Float32Array, k: int) -> tuple[IntArray, Float32Array]:
    """Passages of a dense score array that may be among the k best, with their scores.

    The k-th largest block maximum is at most the k-th largest score, so only the few blocks whose
    maximum reaches it can hold a top-k passage; no pass over every score is needed to find them.
    """
    blocks = buffer.reshape(-1, _BLOCK).max(axis=1)
    theta = 0.0
    if blocks.size > k:
        theta = float(np.partition(blocks, blocks.size - k)[blocks.size - k])
    chosen = np.flatnonzero(blocks >= theta) if theta > 0 else np.flatnonzero(blocks)
    candidates = (chosen[:, None] * _BLOCK + _BLOCK_OFFSETS).ravel()
    scores = buffer[candidates]
    keep = scores >= theta if theta > 0 else scores > 0
    return candidates[keep], scores[keep]


def _top(docs: IntArray, scores: FloatArray, k: int) -> list[Hit]:
    """The k best (doc, score) pairs, by score then lower doc first; scores are all positive."""
    if docs.size > max(k, _SORT_IN_PYTHON):
        # Keep every passage that ties the k-th score so the tie-break by position stays exact.
        kth = np.partition(scores, docs.size - k)[docs.size - k]
        keep = scores >= kth
        docs, scores = docs[keep], scores[keep]
    best = sorted(zip((-scores).tolist(), docs.tolist(), strict=True))[:k]
    return [Hit(doc, -negated) for negated, doc in best]


def pack_strings(
    strings: Sequence[str], name: str, *, separately: bool = False
) -> dict[str, npt.NDArray[np.generic]]:
    """Strings as arrays: one UTF-8 block, cut at newlines or at stored byte offsets.

    Offsets are stored when a string holds a newline, or when asked to (separately): each string
    is then decoded on its own. For long texts that is faster, and one "€" in one passage no
    longer makes a single decoded block, and every text cut from it, two bytes per character.
    """
    if separately or any(_TERM_SEPARATOR in s for s in strings):
        encoded = [s.encode("utf-8") for s in strings]
        ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        blob = b"".join(encoded)
    else:
        ends = np.empty(0, dtype=np.int64)
        blob = _TERM_SEPARATOR.join(strings).encode("utf-8")
    return {
        name: np.frombuffer(blob, dtype=np.uint8),
        f"{name}_count": np.array([len(strings)], dtype=np.int64),
        f"{name}_ends": ends,
    }


class PackedStrings(LazyList[str]):
    """Strings pack_strings stored one by one (with offsets), each decoded when it is read."""

    def __init__(self, arrays: Mapping[str, npt.NDArray[np.generic]], name: str) -> None:
        # A view of the array's buffer: a mapped file's bytes are not even read until needed.
        self._block = np.ascontiguousarray(arrays[name], dtype=np.uint8).data
        ends = np.asarray(arrays[f"{name}_ends"], dtype=np.int64)
        count = int(np.asarray(arrays[f"{name}_count"])[0])
        in_order = not ends.size or (ends[0] >= 0 and not (np.diff(ends) < 0).any())
        size = int(ends[-1]) if ends.size else 0
        if ends.size != count or size != len(self._block) or not in_order:
            raise ValueError(f"the string offsets of '{name}' do not fit its block")
        self._ends = ends.tolist()
        self._starts = [0, *self._ends[:-1]]

    def __len__(self) -> int:
        return len(self._ends)

    def item_at(self, at: int) -> str:
        return str(self._block[self._starts[at] : self._ends[at]], "utf-8")


def unpack_strings(arrays: Mapping[str, npt.NDArray[np.generic]], name: str) -> list[str]:
    """The strings pack_strings stored under name; raises ValueError if they do not fit."""
    if np.asarray(arrays[f"{name}_ends"]).size:
        return PackedStrings(arrays, name)[:]
    # Decoding straight from the array's buffer spares a copy of megabytes of text.
    block = np.ascontiguousarray(arrays[name], dtype=np.uint8).data
    expected = int(np.asarray(arrays[f"{name}_count"])[0])
    strings = str(block, "utf-8").split(_TERM_SEPARATOR) if expected else []
    if len(strings) != expected:
        raise ValueError(f"expected {expected} strings in '{name}', found {len(strings)}")
    return strings
