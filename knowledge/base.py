"""The knowledge base: documents, structured facts and one BM25 index per language.

With an operator store (``<data_dir>/documents``), what a start-up builds is saved to
``<data_dir>/index/knowledge.arrays``: the parsed documents, every language's index and its
words, under a fingerprint of the document files (names, sizes, modification times), of the code
that reads and indexes them and of the analyzer settings. The next start-up with the same
fingerprint maps that file in (knowledge/arrayfile.py) instead of parsing 20,000 passages and
indexing them again, and makes a passage into an object only when an answer first reads it; any
change rebuilds.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.analysis import analysis_signature, analyzer
from knowledge.arrayfile import read_array_file, write_array_file
from knowledge.documents import (
    BUILTIN_DOCUMENTS_DIR,
    LANGS,
    Document,
    Passage,
    Source,
    load_documents,
)
from knowledge.facts import (
    BUILTIN_FACTS_DIR,
    EXTRACTED_SUBDIR,
    OPERATOR_FACTS_SUBDIR,
    CallFacts,
    load_facts,
    load_layered_facts,
)
from knowledge.index import K1, B, BM25Index, PackedStrings, pack_strings, unpack_strings
from knowledge.sequences import LazyList

INGESTED_SUBDIR = "documents"

INDEX_SUBDIR = "index"
INDEX_FILE = "knowledge.arrays"
# Files of earlier layouts: removed when a new index is saved beside them.
_OLD_INDEX_FILES = ("passages.npz",)
# Bump when the saved layout or what the arrays mean changes; older files are then rebuilt.
INDEX_FORMAT = 2
YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# A call or topic reference as the EU portal and national authorities write them, folded:
# a programme code, a year, then dash-separated parts ("amif-2025-tf2-ag-inte-02-health").
CALL_REFERENCE = re.compile(r"(?<![\w-])[a-z]{2,10}-(?:19|20)\d\d(?:-[a-z0-9]+)+(?![\w-])")
# A call is named by its title when a question shares this many of its title words (their first
# TITLE_PREFIX letters, so that inflected forms meet): one shared word was too often a word every
# call has; two named the right call for the corpus pages in tests/data/ingest.
TITLE_PREFIX = 5
TITLE_WORDS_TO_NAME = 2
# Words of call titles that name no call in particular.
_GENERIC = frozenset(
    w[:TITLE_PREFIX]
    for w in re.findall(
        r"\S+",
        "call calls amif fund programme national proposals topic utlysning utlysningen haku "
        "haun ämne aihe nationella kansallinen asylum migration integration asyl migrations "
        "integrations turvapaikka maahanmuutto kotouttamisrahasto finland finlands suomen "
        "autumn hösten syksyllä syksyn",
    )
)
# "2021-2027" is a programme period, not the year of a call.
PERIOD = re.compile(r"(?<!\d)(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d(?!\d)")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PassageHit:
    """A retrieved passage with its BM25 score and how many query stems it contains."""

    passage: Passage
    score: float
    matched_stems: int
    query_stems: int


def fold(text: str) -> str:
    """Case- and width-folded text for matching aliases and keywords."""
    return unicodedata.normalize("NFKC", text).casefold()


class LanguageIndex:
    """Passages of one language and their BM25 index."""

    def __init__(
        self,
        lang: str,
        passages: Sequence[Passage],
        index: BM25Index | None = None,
        words: frozenset[str] | None = None,
    ) -> None:
        self.lang = lang
        self.passages = passages
        self.analyzer = analyzer(lang)
        if index is None or words is None:
            analysed = [self.analyzer.words(p.text) for p in passages]
            words = frozenset(chain.from_iterable(analysed))
            if index is None:
                index = BM25Index.build_from_words(analysed, self.analyzer.word_terms)
        if index.n_docs != len(passages):
            raise ValueError(f"{lang} index has {index.n_docs} passages, expected {len(passages)}")
        self.index = index
        # Every word of the passages (analyzer.words): saved with the index, so that checking
        # whether a question's words occur in our sources needs no pass over all passages.
        self.words = words

    def ranked(self, text: str, k: int = 5) -> list[tuple[Passage, float]]:
        """Best passages for text and their scores, without search()'s count of matched stems."""
        return [
            (self.passages[h.doc], h.score)
            for h in self.index.search(self.analyzer.terms(text), k)
        ]

    def search(self, text: str, k: int = 5) -> list[PassageHit]:
        """Best passages for text, analysed the way this language's passages were."""
        terms = self.analyzer.terms(text)
        stems = {t for t in terms if not t.startswith("#")}
        hits = self.index.search(terms, k)
        matched = self.index.count_terms(stems, [h.doc for h in hits])
        return [
            PassageHit(self.passages[h.doc], h.score, count, len(stems))
            for h, count in zip(hits, matched, strict=True)
        ]


class KnowledgeBase:
    """Everything the assistant knows, loaded and validated at start-up.

    documents() gives every document with its passages: few callers need them all (reloading
    compares them, saving writes them), so a saved index makes them only when first asked for.
    """

    def __init__(
        self,
        sources: Iterable[Source],
        indexes: Mapping[str, LanguageIndex],
        calls: list[CallFacts],
        documents: Callable[[], list[Document]],
    ) -> None:
        self.sources: dict[str, Source] = {source.id: source for source in sources}
        self.indexes = dict(indexes)
        self._documents = documents
        self.calls = calls
        self.calls_by_id = {c.id.casefold(): c for c in calls}
        # (call, folded alias, the alias as a whole word, its length); the plain substring test
        # comes first because most aliases are absent and `in` is ~20x cheaper than a search.
        self._aliases = [
            (
                call,
                fold(alias),
                re.compile(r"(?<![\w-])" + re.escape(fold(alias)) + r"(?![\w-])"),
                len(alias),
            )
            for call in calls
            for alias in {*call.aliases, call.id, *([call.reference] if call.reference else [])}
        ]
        # The years each call's id, aliases and reference name ("2024" for the 2024 call).
        self._years = {
            call.id: {
                year
                for name in (call.id, *call.aliases, call.reference or "")
                for year in YEAR.findall(fold(name))
            }
            for call in calls
        }
        # The title words of each call, as 5-letter prefixes: a call named by its title ("the
        # housing pathways topic") when no alias names one.
        self._title_words = {
            call.id: frozenset(
                word[:TITLE_PREFIX]
                for title in titles_folded(call)
                for word in re.findall(r"\w+", title)
                if len(word) > 3 and not word.isdigit() and word[:TITLE_PREFIX] not in _GENERIC
            )
            for call in calls
        }
        # Every reference a call answers to (its id, reference, topic references among its
        # aliases), folded: what a reference typed in a question is resolved against.
        self._references = [
            (fold(name), call)
            for call in calls
            for name in dict.fromkeys((call.id, call.reference or "", *call.aliases))
            if CALL_REFERENCE.fullmatch(fold(name))
        ]

    @classmethod
    def from_documents(cls, documents: list[Document], calls: list[CallFacts]) -> KnowledgeBase:
        """The knowledge of these documents and calls, every language's index built from them."""
        indexes = {lang: LanguageIndex(lang, _passages_in(documents, lang)) for lang in LANGS}
        return cls((d.source for d in documents), indexes, calls, lambda: documents)

    @property
    def documents(self) -> list[Document]:
        """Every document with its passages (from a saved index: made when first asked for)."""
        return self._documents()

    @classmethod
    def load(
        cls,
        data_dir: Path | None = None,
        documents_dir: Path = BUILTIN_DOCUMENTS_DIR,
        facts_dir: Path = BUILTIN_FACTS_DIR,
    ) -> KnowledgeBase:
        """Load shipped knowledge plus documents ingested into data_dir; errors name the file."""
        folders = [(documents_dir, False)]
        if data_dir is None:
            documents = load_documents(folders)
            return cls.from_documents(
                documents, load_facts(facts_dir, {d.source.id for d in documents})
            )
        folders.append((data_dir / INGESTED_SUBDIR, True))
        # Fingerprint first: a file that changes while we read it then fails the next check.
        fingerprint = documents_fingerprint(folders)
        path = data_dir / INDEX_SUBDIR / INDEX_FILE
        saved = read_saved_knowledge(path, fingerprint)
        if saved is not None:
            calls = load_data_dir_facts(data_dir, facts_dir, {s.id for s in saved.sources})
            return cls(saved.sources, saved.indexes, calls, lambda: saved.documents)
        documents = load_documents(folders)
        calls = load_data_dir_facts(data_dir, facts_dir, {d.source.id for d in documents})
        started = time.perf_counter()
        kb = cls.from_documents(documents, calls)
        seconds = time.perf_counter() - started
        if (data_dir / INGESTED_SUBDIR).is_dir():
            log.info("indexed %d passages in %.2f s; saving", kb.passage_count, seconds)
            kb.save_index(path, fingerprint)
        return kb

    def save_index(self, path: Path, fingerprint: str) -> bool:
        """Save documents and indexes for the next start-up; a failure is logged, returns False."""
        try:
            write_saved_knowledge(path, fingerprint, self)
        except OSError as exc:
            log.warning("could not save the retrieval index to %s: %s", path, exc)
            return False
        return True

    @property
    def passage_count(self) -> int:
        """Number of passages over all languages."""
        return sum(len(ix.passages) for ix in self.indexes.values())

    def search(self, text: str, lang: str, k: int = 5) -> list[PassageHit]:
        """BM25 search in one language's passages."""
        return self.indexes[lang].search(text, k)

    def ranked_passages(self, text: str, lang: str, k: int = 5) -> list[tuple[Passage, float]]:
        """BM25 search in one language's passages: (passage, score), best first."""
        return self.indexes[lang].ranked(text, k)

    def find_calls(self, text: str, also: Sequence[str] = ()) -> list[CallFacts]:
        """Calls the text names by reference, id or alias; the most specific mention first.

        A year picks among calls that share the words that named them: "the 2020 call on
        trafficking" names the 2020 call although "trafficking" alone is an alias of the 2024
        one. A call named by words no dated call shares stays ("the 2020 trafficking call or the
        Finnish call" names two calls). `also` holds more words for matching titles (the
        question's words in another language).
        """
        folded = fold(text)
        by_reference, _unknown = self.resolve_references(folded)
        if by_reference:
            # A reference is decisive, and the year inside it names no other call.
            return by_reference
        # An unknown reference's year ("AMIF-2023-TF2-AG-CALL") must not pick a call of 2023.
        folded = CALL_REFERENCE.sub(" ", folded)
        best: dict[str, tuple[int, CallFacts, str]] = {}
        for call, alias, pattern, size in self._aliases:
            if (
                alias in folded
                and size > best.get(call.id, (0, call, ""))[0]
                and pattern.search(folded)
            ):
                best[call.id] = (size, call, alias)
        ranked = sorted(best.values(), key=lambda x: -x[0])
        found = [call for _, call, _ in ranked]
        years = set(YEAR.findall(PERIOD.sub(" ", folded)))
        if not found:
            words = [*re.findall(r"\w+", folded), *also]
            asked = {w[:TITLE_PREFIX] for w in words if len(w) > 3}
            overlap = {c.id: len(asked & self._title_words[c.id]) for c in self.calls}
            found = sorted(
                (c for c in self.calls if overlap[c.id] >= TITLE_WORDS_TO_NAME),
                # On a tie the call before its topics (a topic's title adds the topic's name).
                key=lambda c: (-overlap[c.id], len(c.title.en)),
            )
        if years and not found:
            # "syksyn 2023" is no alias, but the year names the one call of that year.
            found = [c for c in self.calls if c.kind == "call" and years & self._years[c.id]]
        if years and len(found) > 1:
            dated = [c for c in found if years & self._years[c.id]]
            if dated:
                shared = {
                    word
                    for c in dated
                    for name in (*c.aliases, *titles_folded(c))
                    for word in re.findall(r"[\w-]+", name)
                }
                return [
                    call
                    for _, call, alias in ranked
                    if call in dated or not set(re.findall(r"[\w-]+", alias)) <= shared
                ] or dated
        return found

    def resolve_references(self, folded: str) -> tuple[list[CallFacts], list[str]]:
        """The calls that references in folded text name, and the references no call has.

        A reference names a call when it is the call's own (or a topic reference of it), a topic
        of it ("amif-2025-tf2-ag-inte-02-health" for the call amif-2025-tf2-ag-inte), or a part
        of it ("amif-2024-tf2" for amif-2024-tf2-ag-thb).
        """
        found: dict[str, CallFacts] = {}
        unknown: list[str] = []
        for asked in CALL_REFERENCE.findall(folded):
            # A call's own reference before a call that lists it as one of its topics.
            own = [
                call for call in self.calls if asked in (fold(call.id), fold(call.reference or ""))
            ]
            exact = own or [call for known, call in self._references if known == asked]
            matches = exact or [
                call
                for known, call in self._references
                if asked.startswith(known + "-") or known.startswith(asked + "-")
            ]
            if not matches:
                unknown.append(asked.upper())
            for call in matches:
                found.setdefault(call.id, call)
        return list(found.values()), unknown

    def call_years(self, call: CallFacts) -> set[str]:
        """The years a call is known by: in its names, and the year it opened.

        Not its deadline's: the 2020 call that closed in February 2021 is no "2021 call".
        """
        opened = {str(call.opens.date.year)} if call.opens is not None else set()
        return self._years[call.id] | opened

    def call(self, ident: str) -> CallFacts | None:
        """A call by its id or reference, case-insensitive."""
        key = ident.strip().casefold()
        found = self.calls_by_id.get(key)
        if found is None:
            found = next((c for c in self.calls if (c.reference or "").casefold() == key), None)
        return found


def titles_folded(call: CallFacts) -> tuple[str, ...]:
    """A call's title in every language, folded for matching."""
    return (fold(call.title.en), fold(call.title.sv), fold(call.title.fi))


def load_data_dir_facts(data_dir: Path, facts_dir: Path, source_ids: set[str]) -> list[CallFacts]:
    """The calls of the shipped facts, of the ingested documents and of the operator's files."""
    return load_layered_facts(
        facts_dir, data_dir / EXTRACTED_SUBDIR, data_dir / OPERATOR_FACTS_SUBDIR, source_ids
    )


def _passages_in(documents: list[Document], lang: str) -> list[Passage]:
    return [p for d in documents for p in d.passages if p.lang == lang]


# The saved documents and indexes are only as valid as the code that made them.
_CODE_FILES = (
    "analysis.py",
    "arrayfile.py",
    "base.py",
    "documents.py",
    "index.py",
    "sequences.py",
)
_PASSAGE_FIELDS = ("id", "key", "lang", "text")  # Passage's own fields, saved column by column


class PassageTable(LazyList[Passage]):
    """Saved passages, kept as their columns; each becomes a Passage when it is first read.

    An answer reads a handful of the passages a start-up maps in. Making all of them up front
    (decoding ~13 MB of text into 20,000 objects) took ~70 ms of a warm start.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        counts: Sequence[int],
        arrays: Mapping[str, npt.NDArray[np.generic]],
    ) -> None:
        self._columns = [PackedStrings(arrays, f"passage_{field}") for field in _PASSAGE_FIELDS]
        size = len(self._columns[0])
        if sum(counts) != size or any(len(column) != size for column in self._columns):
            raise ValueError("the saved passages do not match the documents")
        self._source_of = [
            s for s, count in zip(sources, counts, strict=True) for _ in range(count)
        ]
        self._made: list[Passage | None] = [None] * size

    def __len__(self) -> int:
        return len(self._made)

    def item_at(self, at: int) -> Passage:
        made = self._made[at]
        if made is None:
            pid, key, lang, text = (column[at] for column in self._columns)
            made = Passage(pid, self._source_of[at], key, lang, text)
            self._made[at] = made
        return made


class PassageView(LazyList[Passage]):
    """Some passages of a table, by their positions in it: one language's, in order."""

    def __init__(self, table: Sequence[Passage], positions: list[int]) -> None:
        self._table = table
        self._positions = positions

    def __len__(self) -> int:
        return len(self._positions)

    def item_at(self, at: int) -> Passage:
        return self._table[self._positions[at]]


class SavedKnowledge:
    """Documents and every language's index as a start-up saved them."""

    def __init__(
        self,
        sources: list[Source],
        entries: list[dict[str, Any]],
        passages: PassageTable,
        indexes: dict[str, LanguageIndex],
    ) -> None:
        self.sources = sources
        self.passages = passages
        self.indexes = indexes
        self._entries = entries
        self._documents: list[Document] | None = None

    @property
    def documents(self) -> list[Document]:
        """The documents with their passages, made on first use."""
        if self._documents is None:
            documents, start = [], 0
            for entry, source in zip(self._entries, self.sources, strict=True):
                end = start + int(entry["passages"])
                own = tuple(self.passages[start:end])
                documents.append(Document(source, own, Path(entry["path"])))
                start = end
            self._documents = documents
        return self._documents


def documents_fingerprint(folders: list[tuple[Path, bool]]) -> str:
    """A digest of the document files (names, sizes, modification times), code and settings."""
    parts = [f"format {INDEX_FORMAT}", f"k1 {K1} b {B}", analysis_signature()]
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        try:
            parts.append(hashlib.sha256((here / name).read_bytes()).hexdigest())
        except OSError:
            parts.append(f"{name} unreadable")
    for folder, ingested in folders:
        parts.append(f"folder {folder.resolve()} ingested={ingested}")
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            try:
                stat = path.stat()
            except OSError:
                continue  # the loader will not read it either
            parts.append(f"{path.name}\t{stat.st_size}\t{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def write_saved_knowledge(path: Path, fingerprint: str, kb: KnowledgeBase) -> None:
    """Save the documents, every language's index and words in one file, atomically."""
    documents: list[dict[str, Any]] = []
    for document in kb.documents:
        source = {**vars(document.source)}
        if source["published"] is not None:
            source["published"] = source["published"].isoformat()
        entry = {"source": source, "path": str(document.path), "passages": len(document.passages)}
        documents.append(entry)
    meta = {"format": INDEX_FORMAT, "fingerprint": fingerprint, "documents": documents}
    passages = [p for d in kb.documents for p in d.passages]
    arrays: dict[str, npt.NDArray[np.generic]] = {}
    for field in _PASSAGE_FIELDS:
        values = [getattr(p, field) for p in passages]
        # One by one: each passage is decoded only when an answer reads it (PassageTable).
        arrays.update(pack_strings(values, f"passage_{field}", separately=True))
    for lang, language_index in kb.indexes.items():
        positions = [at for at, passage in enumerate(passages) if passage.lang == lang]
        parts = (
            language_index.index.to_arrays()
            | pack_strings(sorted(language_index.words), "words")
            | {"passages": np.array(positions, dtype=np.int64)}
        )
        arrays.update({f"{lang}.{name}": array for name, array in parts.items()})
    # A reader sees the old file or the new one, never half of one: written aside, then renamed.
    write_array_file(path, meta, arrays)
    for name in _OLD_INDEX_FILES:
        (path.parent / name).unlink(missing_ok=True)


def read_saved_knowledge(path: Path, fingerprint: str) -> SavedKnowledge | None:
    """What write_saved_knowledge saved, if under this fingerprint and intact; else None."""
    if not path.is_file():
        return None
    try:
        meta, arrays = read_array_file(path)
        if (meta.get("format"), meta.get("fingerprint")) != (INDEX_FORMAT, fingerprint):
            log.info("the saved retrieval index is out of date; rebuilding")
            return None
        entries = meta["documents"]
        sources = [_saved_source(entry) for entry in entries]
        table = PassageTable(sources, [int(entry["passages"]) for entry in entries], arrays)
        indexes = {}
        for lang in LANGS:
            prefix = f"{lang}."
            own = {
                name.removeprefix(prefix): array
                for name, array in arrays.items()
                if name.startswith(prefix)
            }
            index = BM25Index.from_arrays(own)
            positions = np.asarray(own["passages"], dtype=np.int64)
            if positions.size != index.n_docs or (
                positions.size and not 0 <= positions.min() <= positions.max() < len(table)
            ):
                raise ValueError(f"the {lang} index does not match the saved passages")
            words = frozenset(unpack_strings(own, "words"))
            passages = PassageView(table, positions.tolist())
            indexes[lang] = LanguageIndex(lang, passages, index, words)
        saved = SavedKnowledge(sources, entries, table, indexes)
    except Exception as exc:  # it is a cache: whatever is wrong with it, rebuild
        log.warning("cannot read the saved retrieval index %s (%s); rebuilding", path, exc)
        return None
    return saved


def _saved_source(entry: Mapping[str, Any]) -> Source:
    """The Source of a document as write_saved_knowledge described it."""
    fields = dict(entry["source"])
    if fields["published"] is not None:
        fields["published"] = date.fromisoformat(fields["published"])
    # JSON has no tuples: the translated titles come back as lists of pairs.
    fields["titles"] = tuple((lang, title) for lang, title in fields.get("titles", ()))
    return Source(**fields)
