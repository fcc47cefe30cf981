"""Benchmark of passage retrieval at scale: our BM25 index, rank-bm25 and bm25s side by side.

Run: python benchmarks/bench_retrieval.py [--sizes 200,2000,20000,200000] [--langs en,sv,fi]
         [--large-langs en,sv] [--queries 200] [--skip-retrieval] [--skip-startup]
Prints tables; it is a measurement, not a test (about 8 minutes on 2 cores with the defaults, peak
memory ~5-7 GB, most of it rank-bm25 at 200,000 Swedish passages). Needs bm25s (the [bench] extra).

Passages are synthetic but built from the knowledge base's own words: each language's word forms,
ranked by how often the shipped documents use them (stop words included), extended with made-up
compounds and inflections up to 50,000 forms, drawn with Zipf's law (s = 1.1); a passage has 60-120
words. All three libraries get the same term lists from our analyzers (the build column times
exactly that), so Swedish and Finnish carry their character 4-grams (~5 terms per content word),
which is where the postings and the memory go. The notes under the table give ours also built the
way LanguageIndex builds it: from the passages' words, each distinct word expanded into its terms
once (that expansion, part of analysis, included). Queries are 2-8 content words of the
knowledge base, a third with one rare word added, analysed into terms (n-grams included).
At 200,000 passages Finnish is left out by default (it behaves like Swedish and would add ~5
minutes); --large-langs en,sv,fi puts it in.

Per size and language: build time; query latency p50/p95 (each query run 3 times, interleaved
across libraries, the fastest run kept: the machine is shared and that is the least noisy
estimate); memory of the index structures (array bytes plus dicts and their key strings, counted
the same way for every library; for ours, the share taken by n-gram terms); top-5 agreement with
rank-bm25 (OracleBM25: BM25Okapi with our idf): the picks must carry the oracle's 5 best scores.
bm25s is queried through get_scores_from_ids and its own top-k selection, its fastest public path.
rank-bm25 loops over every passage per query term, so it runs fewer queries at the larger sizes
(the table says how many), once each from 20,000 passages up.

Then start-up: 20,000 passages written as ingested documents (the store format of
knowledge/ingest.py) into a temporary data directory, and `python -m bot ask` timed in a fresh
process, once cold (parses, builds the index and saves it) and then warm (loads it).
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.support import ask_seconds, print_table  # noqa: E402
from knowledge.analysis import TOKEN, analyzer  # noqa: E402
from knowledge.base import INDEX_FILE, INDEX_SUBDIR, KnowledgeBase, fold  # noqa: E402
from knowledge.index import K1, B, BM25Index  # noqa: E402
from knowledge.oracle import OracleBM25  # noqa: E402

VOCABULARY_SIZE = 50_000
ZIPF_S = 1.1
PASSAGE_WORDS = (60, 120)
QUERY_WORDS = (2, 8)
K = 5
REPEATS = 3
# Queries rank-bm25 runs per size: it costs ~N x terms dict look-ups per query.
ORACLE_QUERIES = {200: 200, 2_000: 100, 20_000: 30, 200_000: 10}
# 200,000 Swedish passages take ~5 minutes (bm25s alone builds for ~100 s); Finnish behaves like
# Swedish, so by default it stops at 20,000 to keep a run near 10 minutes (--large-langs adds it).
LARGE = 200_000
LARGE_LANGS = "en,sv"
TAIL_SUFFIXES = {
    "en": ("s", "ed", "ing", "er", "ation"),
    "sv": ("en", "et", "ar", "na", "ens", "ande", "ade"),
    "fi": ("n", "sta", "ssa", "lle", "t", "ksi", "lla", "iden"),
}
STARTUP_PASSAGES = 20_000
STARTUP_DOCUMENTS = 100
STARTUP_LANGS = ("en",) * 6 + ("sv",) * 2 + ("fi",) * 2
STARTUP_QUESTION = "What is the funding rate?"
LAST_SINGLE_NGRAMS = (0, 0, 0.0)  # set by build_ours: (single-passage n-grams, n-grams, share)


# ----- synthetic passages -----------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """Word forms of one language ranked for Zipf draws, with their index terms."""

    lang: str
    words: list[str]
    content: list[str]  # the knowledge base's own content words: what queries ask about
    terms: list[tuple[str, ...]]  # index terms per word (empty for stop words)
    probabilities: npt.NDArray[np.float64] = field(repr=False)


def build_vocabulary(kb: KnowledgeBase, lang: str, seed: int = 7) -> Vocabulary:
    """The knowledge base's words in lang by frequency, then made-up compounds and inflections."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    for passage in kb.indexes[lang].passages:
        counts.update(TOKEN.findall(fold(passage.text)))
    words = [word for word, _ in counts.most_common()]
    lang_analyzer = analyzer(lang)
    content = [
        w for w in words if len(w) >= 4 and not w.isdigit() and w not in lang_analyzer.stop_words
    ]
    seen = set(words)
    while len(words) < VOCABULARY_SIZE:
        first, second = rng.choice(content), rng.choice(content)
        draw = rng.random()
        if draw < 0.4 and lang != "en":
            word = first + second  # a compound, as Swedish and Finnish write them
        elif draw < 0.7:
            stem = first[: max(3, len(first) - rng.randint(0, 2))]
            word = stem + rng.choice(TAIL_SUFFIXES[lang])
        else:
            word = first[: rng.randint(2, len(first))] + second[rng.randint(1, len(second) - 2) :]
        if word not in seen:
            seen.add(word)
            words.append(word)
    terms = [() if w in lang_analyzer.stop_words else lang_analyzer.word_terms(w) for w in words]
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    probabilities = ranks**-ZIPF_S
    probabilities /= probabilities.sum()
    return Vocabulary(lang, words, content, terms, probabilities)


def passage_word_ids(vocab: Vocabulary, n: int, seed: int) -> list[npt.NDArray[np.int64]]:
    """n passages as arrays of word ranks, 60-120 words each."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(PASSAGE_WORDS[0], PASSAGE_WORDS[1] + 1, n)
    draws = rng.choice(len(vocab.words), size=int(lengths.sum()), p=vocab.probabilities)
    return np.split(draws, np.cumsum(lengths)[:-1])


def passage_terms(vocab: Vocabulary, word_ids: Sequence[npt.NDArray[np.int64]]) -> list[list[str]]:
    """Index terms of each passage, exactly as our analyzer would produce them from its text."""
    table = vocab.terms
    return [list(chain.from_iterable(map(table.__getitem__, ids.tolist()))) for ids in word_ids]


def queries(vocab: Vocabulary, n: int, seed: int) -> list[list[str]]:
    """n queries: 2-8 content words of the knowledge base, a third with one rare word."""
    rng = random.Random(seed)
    analyze = analyzer(vocab.lang).terms
    out = []
    for _ in range(n):
        words = rng.sample(vocab.content, rng.randint(*QUERY_WORDS))
        if rng.random() < 1 / 3:
            words[0] = vocab.words[rng.randrange(len(vocab.content), len(vocab.words))]
        out.append(analyze(" ".join(words)))
    return out


# ----- the three libraries ----------------------------------------------------------------------


def dict_bytes(mapping: dict[str, Any]) -> int:
    """A dict with its key strings (values are small ints or floats and counted with the dict)."""
    return sys.getsizeof(mapping) + sum(sys.getsizeof(key) for key in mapping)


@dataclass
class Engine:
    """One library's index under test: how to build it, query it and weigh it."""

    name: str
    search: Callable[[list[str]], list[int]]
    memory: int
    ngram_share: float | None = None


def build_ours(lang: str, words: list[list[str]]) -> tuple[Engine, float, BM25Index]:
    """Our postings index, built the way LanguageIndex does: from words, each expanded once."""
    started = time.perf_counter()
    index = BM25Index.build_from_words(words, analyzer(lang).word_terms)
    seconds = time.perf_counter() - started
    total = index.nbytes + dict_bytes(index.vocabulary)
    is_ngram = np.zeros(len(index.vocabulary), dtype=bool)
    ngram_keys = 0
    for term, tid in index.vocabulary.items():
        if term.startswith("#"):
            is_ngram[tid] = True
            ngram_keys += sys.getsizeof(term)
    posting_bytes = index.docs.itemsize + index.impacts.itemsize
    ngram_bytes = (
        int(np.diff(index.indptr)[is_ngram].sum()) * posting_bytes
        + int(is_ngram[index.dense_terms].sum()) * index.n_docs * index.dense.itemsize
        + sys.getsizeof(index.vocabulary) * int(is_ngram.sum()) // max(len(is_ngram), 1)
        + ngram_keys
    )
    # What dropping n-grams found in one passage only would save (they match one passage).
    doc_freq = np.diff(index.indptr)
    single = is_ngram & (doc_freq == 1)
    single_bytes = int(single.sum()) * (
        posting_bytes + sys.getsizeof(index.vocabulary) // max(len(is_ngram), 1) + 60
    )
    global LAST_SINGLE_NGRAMS
    LAST_SINGLE_NGRAMS = (int(single.sum()), int(is_ngram.sum()), single_bytes / total)

    def search(query: list[str]) -> list[int]:
        return [hit.doc for hit in index.search(query, K)]

    return Engine("ours", search, total, ngram_bytes / total if total else 0.0), seconds, index


def build_rank_bm25(
    corpus: list[list[str]], latest: list[npt.NDArray[np.float64]]
) -> tuple[Engine, float]:
    """rank-bm25 with our idf: also the oracle; latest holds the scores of its last query."""
    started = time.perf_counter()
    oracle = OracleBM25(corpus)
    seconds = time.perf_counter() - started
    memory = (
        sys.getsizeof(oracle.doc_freqs)
        + sum(sys.getsizeof(d) for d in oracle.doc_freqs)
        + dict_bytes(oracle.idf)
        + sys.getsizeof(oracle.doc_len)
        + sys.getsizeof(1.0) * len(oracle.idf)
    )

    def search(query: list[str]) -> list[int]:
        scores = oracle.get_scores(query)
        picks = _top_positive(scores)
        latest[:] = [scores]
        return picks

    return Engine("rank-bm25", search, memory), seconds


def build_bm25s(corpus: list[list[str]]) -> tuple[Engine, float]:
    """bm25s with Lucene's formula (its scores are ours / (k1 + 1): the same ranking)."""
    import bm25s
    from bm25s.selection import topk

    started = time.perf_counter()
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
    retriever.index(corpus, show_progress=False)
    seconds = time.perf_counter() - started
    arrays = retriever.scores
    memory = sum(arrays[name].nbytes for name in ("data", "indices", "indptr")) + dict_bytes(
        retriever.vocab_dict
    )

    def search(query: list[str]) -> list[int]:
        ids = retriever.get_tokens_ids(query)
        if not ids:
            return []
        scores = retriever.get_scores_from_ids(ids)
        values, docs = topk(scores, K, backend="numpy", sorted=True)
        return [int(d) for d, v in zip(docs, values, strict=True) if v > 0]

    return Engine("bm25s", search, memory), seconds


def _top_positive(scores: npt.NDArray[np.float64]) -> list[int]:
    positive = np.flatnonzero(scores > 0)
    best = sorted(positive.tolist(), key=lambda i: (-scores[i], i))[:K]
    return best


def agrees(oracle_scores: npt.NDArray[np.float64], picks: list[int]) -> bool:
    """The picks carry the oracle's best scores (ties may pick other passages of equal score)."""
    best = sorted((s for s in oracle_scores if s > 0), reverse=True)[:K]
    got = [oracle_scores[d] for d in picks]
    return len(got) == len(best) and bool(np.allclose(got, best, rtol=1e-5, atol=1e-9))


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """A line on stderr, so that a long run shows where it is."""
    print(f"  [{time.perf_counter() - _STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)


# ----- one size, one language -------------------------------------------------------------------


@dataclass
class Row:
    """Measurements of one library at one size and language."""

    lang: str
    size: int
    name: str
    build_s: float
    p50_ms: float
    p95_ms: float
    queries: int
    memory: int
    ngram_share: float | None
    agreement: str


def measure(vocab: Vocabulary, size: int, n_queries: int, seed: int) -> tuple[list[Row], str]:
    """Build all three indexes on the same passages and time the same queries on each."""
    word_ids = passage_word_ids(vocab, size, seed)
    corpus = passage_terms(vocab, word_ids)
    words = [[vocab.words[i] for i in ids.tolist() if vocab.terms[i]] for ids in word_ids]
    del word_ids
    asked = queries(vocab, n_queries, seed + 1)
    terms_per_passage = sum(map(len, corpus)) / size
    # Collections during a build must not walk the benchmark's own millions of term strings:
    # that would charge whoever allocates most objects (rank-bm25) for our corpus.
    gc.collect()
    gc.freeze()
    progress(f"{vocab.lang} {size:,}: passages generated")
    ours, ours_build, ours_index = build_ours(vocab.lang, words)
    del words
    started = time.perf_counter()
    from_terms = BM25Index.build(corpus)
    from_terms_build = time.perf_counter() - started
    assert from_terms.docs.size == ours_index.docs.size  # the same index either way
    del from_terms, ours_index
    gc.collect()
    progress(f"{vocab.lang} {size:,}: ours built")
    bm25s_engine, bm25s_build = build_bm25s(corpus)
    progress(f"{vocab.lang} {size:,}: bm25s built")
    latest: list[npt.NDArray[np.float64]] = []
    oracle_scores: list[npt.NDArray[np.float64]] = []
    oracle_engine, oracle_build = build_rank_bm25(corpus, latest)
    progress(f"{vocab.lang} {size:,}: rank-bm25 built")
    del corpus
    builds = {"ours": from_terms_build, "rank-bm25": oracle_build, "bm25s": bm25s_build}
    engines = [ours, oracle_engine, bm25s_engine]
    oracle_queries = min(ORACLE_QUERIES.get(size, 20), n_queries)
    limits = {"ours": n_queries, "bm25s": n_queries, "rank-bm25": oracle_queries}
    latencies: dict[str, list[float]] = {e.name: [] for e in engines}
    picks: dict[str, list[list[int]]] = {e.name: [] for e in engines}
    gc.disable()  # a collection in the middle of one query would be timed as that query's cost
    try:
        for number, query in enumerate(asked):
            for engine in engines:
                if number >= limits[engine.name]:
                    continue
                fastest = float("inf")
                for _ in range(REPEATS if engine.name != "rank-bm25" or size < 20_000 else 1):
                    started = time.perf_counter()
                    result = engine.search(query)
                    fastest = min(fastest, time.perf_counter() - started)
                latencies[engine.name].append(fastest * 1000)
                picks[engine.name].append(result)
                if engine is oracle_engine:
                    oracle_scores.append(latest[0])
    finally:
        gc.enable()
    gc.unfreeze()
    progress(f"{vocab.lang} {size:,}: queries timed")
    checked = limits["rank-bm25"]
    rows = []
    for engine in engines:
        times = sorted(latencies[engine.name])
        agreement = "-"
        if engine.name != "rank-bm25":
            same = sum(
                agrees(scores, got)
                for scores, got in zip(oracle_scores, picks[engine.name][:checked], strict=True)
            )
            agreement = f"{same}/{checked}"
        rows.append(
            Row(
                vocab.lang,
                size,
                engine.name,
                builds[engine.name],
                statistics.median(times),
                times[int(0.95 * (len(times) - 1))],
                len(times),
                engine.memory,
                engine.ngram_share,
                agreement,
            )
        )
    single, ngrams, share = LAST_SINGLE_NGRAMS
    note = (
        f"{vocab.lang} {size:>7,}: {terms_per_passage:.0f} terms/passage; ours built as"
        f" LanguageIndex builds it (from words, expansion into terms included): {ours_build:.2f} s"
    )
    if ngrams:
        note += (
            f", {single:,} of {ngrams:,} n-grams in one passage only"
            f" ({share * 100:.1f} % of our index bytes)"
        )
    return rows, note


def print_rows(rows: list[Row]) -> None:
    """The retrieval table."""
    print_table(
        (
            ("lang", "<4", "lang"),
            ("passages", ">8,", "size"),
            ("library", "<10", "name"),
            ("build s", ">8.3f", "build_s"),
            ("p50 ms", ">8.3f", "p50_ms"),
            ("p95 ms", ">8.3f", "p95_ms"),
            ("queries", ">7", "queries"),
            ("memory MB", ">9.1f", lambda row: row.memory / 1e6),
            ("n-gram %", ">8", _ngram_percent),
            ("top-5 = oracle", ">14", "agreement"),
        ),
        rows,
    )


def _ngram_percent(row: Row) -> str:
    return f"{row.ngram_share * 100:.0f}" if row.ngram_share is not None else "-"


# ----- start-up with an ingested store ----------------------------------------------------------


def write_store(data_dir: Path, vocabularies: dict[str, Vocabulary], passages: int) -> None:
    """passages synthetic passages as ingested documents, in the store's file format."""
    folder = data_dir / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    per_document = passages // STARTUP_DOCUMENTS
    for number in range(STARTUP_DOCUMENTS):
        lang = STARTUP_LANGS[number % len(STARTUP_LANGS)]
        vocab = vocabularies[lang]
        word_ids = passage_word_ids(vocab, per_document, seed=1000 + number)
        front = {
            "id": f"op-synthetic-call-{number:03d}-{number:08x}",
            "title": f"Synthetic call document {number}",
            "publisher": "operator upload",
            "published": None,
            "language": lang,
            "url": "no public URL known",
            "call": None,
            "source_file": f"synthetic-call-{number:03d}.txt",
            "ingested": "2026-01-01T00:00:00+00:00",
        }
        parts = ["---\n", yaml.safe_dump(front, sort_keys=False, allow_unicode=True), "---\n"]
        for index, ids in enumerate(word_ids, start=1):
            words = [vocab.words[i] for i in ids.tolist()]
            text = " ".join(words).capitalize() + "."
            parts.append(f"\n## {lang}: p{index:03d}\n{text}\n")
        (folder / f"{front['id']}.md").write_text("".join(parts), encoding="utf-8")


def measure_startup(vocabularies: dict[str, Vocabulary], warm_runs: int = 5) -> None:
    """Cold and warm start-up to the first answer with a big ingested store."""
    with tempfile.TemporaryDirectory(prefix="amif-bench-") as temp:
        data_dir = Path(temp)
        write_store(data_dir, vocabularies, STARTUP_PASSAGES)
        empty = Path(temp) / "empty"
        empty.mkdir()
        baseline = [ask_seconds(empty, STARTUP_QUESTION) for _ in range(3)]
        cold = ask_seconds(data_dir, STARTUP_QUESTION)
        saved = data_dir / INDEX_SUBDIR / INDEX_FILE
        warm = [ask_seconds(data_dir, STARTUP_QUESTION) for _ in range(warm_runs)]
        # In-process parts of a warm start, to see where the time goes.
        started = time.perf_counter()
        kb = KnowledgeBase.load(data_dir)
        load_warm = time.perf_counter() - started
        from bot.assistant import Assistant

        started = time.perf_counter()
        assistant = Assistant(kb)
        assistant_init = time.perf_counter() - started
        started = time.perf_counter()
        assistant.answer(STARTUP_QUESTION)
        first_answer = time.perf_counter() - started
        shutil.rmtree(data_dir / INDEX_SUBDIR)
        started = time.perf_counter()
        KnowledgeBase.load(data_dir)
        load_cold = time.perf_counter() - started
        print(
            f"\nStart-up to the first answer, {kb.passage_count:,} passages "
            f"({kb.passage_count - KnowledgeBase.load(None).passage_count:,} ingested in "
            f"{STARTUP_DOCUMENTS} documents), fresh `python -m bot ask` process:"
        )
        rows = [
            (
                "no ingested documents (imports + shipped knowledge), median of 3",
                statistics.median(baseline),
            ),
            ("cold: builds the index and saves it", cold),
            (f"warm: loads the saved index, median of {warm_runs}", statistics.median(warm)),
            (f"warm, worst of {warm_runs}", max(warm)),
            ("  in process: KnowledgeBase.load, warm", load_warm),
            ("  in process: KnowledgeBase.load, cold (build + save)", load_cold),
            ("  in process: Assistant(kb)", assistant_init),
            ("  in process: first answer", first_answer),
        ]
        for label, seconds in rows:
            print(f"{label:<62} {seconds * 1000:>8.0f} ms")
        megabytes = saved.stat().st_size / 1e6 if saved.exists() else 0.0
        print(f"{'saved index file':<62} {megabytes:>8.1f} MB")


# ----- main -------------------------------------------------------------------------------------


def main() -> None:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200,2000,20000,200000")
    parser.add_argument("--langs", default="en,sv,fi")
    parser.add_argument("--large-langs", default=LARGE_LANGS, help="languages run at 200,000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-retrieval", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    langs = args.langs.split(",")
    started = time.perf_counter()
    kb = KnowledgeBase.load(None)
    vocabularies = {lang: build_vocabulary(kb, lang) for lang in ("en", "sv", "fi")}
    rows: list[Row] = []
    notes = []
    for size in [] if args.skip_retrieval else sizes:
        for lang in args.large_langs.split(",") if size >= LARGE else langs:
            got, note = measure(vocabularies[lang], size, args.queries, seed=size)
            rows.extend(got)
            notes.append(note)
            progress(f"measured {note}")
    if rows:
        print("Retrieval (synthetic passages from the knowledge base's vocabulary; k = 5):")
        print_rows(rows)
        print("\nAfter analysis:")
        for note in notes:
            print(f"  {note}")
        print(
            f"rank-bm25 runs {ORACLE_QUERIES} queries per size (and once, not 3 times, from "
            "20,000 up); agreement is counted over those queries."
        )
    if not args.skip_startup:
        measure_startup(vocabularies)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
