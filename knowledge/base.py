"""The knowledge base: documents, structured facts and one BM25 index per language.

With an operator store (``<data_dir>/documents``), what a start-up builds is saved to
``<data_dir>/index/passages.npz``: the parsed documents, every language's index and its words,
under a fingerprint of the document files (names, sizes, modification times), of the code that
reads and indexes them and of the analyzer settings. The next start-up with the same fingerprint
loads that file instead of parsing 20,000 passages and indexing them again; any change rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.analysis import analysis_signature, analyzer
from knowledge.documents import (
    BUILTIN_DOCUMENTS_DIR,
    LANGS,
    Document,
    Passage,
    Source,
    load_documents,
)
from knowledge.facts import BUILTIN_FACTS_DIR, CallFacts, load_facts
from knowledge.index import K1, B, BM25Index, pack_strings, unpack_strings

INGESTED_SUBDIR = "documents"
INDEX_SUBDIR = "index"
INDEX_FILE = "passages.npz"
# Bump when the saved layout or what the arrays mean changes; older files are then rebuilt.
INDEX_FORMAT = 1
_NOT_SAVED: tuple[None, None] = (None, None)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
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
        passages: list[Passage],
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

    def search(self, text: str, k: int = 5) -> list[PassageHit]:
        """Best passages for text, analysed the way this language's passages were."""
        terms = self.analyzer.terms(text)
        stems = {t for t in terms if not t.startswith("#")}
        hits = self.index.search(terms, k)
        return [
            PassageHit(
                self.passages[h.doc],
                h.score,
                sum(self.index.has_term(stem, h.doc) for stem in stems),
                len(stems),
            )
            for h in hits
        ]


class KnowledgeBase:
    """Everything the assistant knows, loaded and validated at start-up."""

    def __init__(
        self,
        documents: list[Document],
        calls: list[CallFacts],
        indexes: Mapping[str, tuple[BM25Index, frozenset[str]]] | None = None,
    ) -> None:
        self.documents = documents
        self.sources: dict[str, Source] = {d.source.id: d.source for d in documents}
        self.calls = calls
        self.calls_by_id = {c.id.casefold(): c for c in calls}
        saved = indexes or {}
        self.indexes = {
            lang: LanguageIndex(lang, _passages_in(documents, lang), *saved.get(lang, _NOT_SAVED))
            for lang in LANGS
        }
        self._alias_patterns = [
            (call, re.compile(r"(?<![\w-])" + re.escape(fold(alias)) + r"(?![\w-])"), len(alias))
            for call in calls
            for alias in {*call.aliases, call.id, *([call.reference] if call.reference else [])}
        ]

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
            return cls(documents, load_facts(facts_dir, {d.source.id for d in documents}))
        folders.append((data_dir / INGESTED_SUBDIR, True))
        # Fingerprint first: a file that changes while we read it then fails the next check.
        fingerprint = documents_fingerprint(folders)
        path = data_dir / INDEX_SUBDIR / INDEX_FILE
        saved = read_saved_knowledge(path, fingerprint)
        if saved is not None:
            calls = load_facts(facts_dir, {d.source.id for d in saved.documents})
            return cls(saved.documents, calls, saved.indexes)
        documents = load_documents(folders)
        calls = load_facts(facts_dir, {d.source.id for d in documents})
        started = time.perf_counter()
        kb = cls(documents, calls)
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

    def find_calls(self, text: str) -> list[CallFacts]:
        """Calls the text names by reference, id or alias; the most specific mention first.

        A year in the text is decisive: "the 2020 call on trafficking" names the 2020 call even
        though "trafficking" alone is an alias of the 2024 one.
        """
        folded = fold(text)
        best: dict[str, tuple[int, CallFacts]] = {}
        for call, pattern, size in self._alias_patterns:
            if pattern.search(folded) and size > best.get(call.id, (0, call))[0]:
                best[call.id] = (size, call)
        found = [call for _, call in sorted(best.values(), key=lambda x: -x[0])]
        years = set(_YEAR.findall(folded))
        if years and not found:
            # "syksyn 2023" is no alias, but the year names the one call of that year.
            found = [c for c in self.calls if c.kind == "call" and years & self._call_years(c)]
        if years and len(found) > 1:
            dated = [c for c in found if years & self._call_years(c)]
            if dated:
                return dated
        return found

    @staticmethod
    def _call_years(call: CallFacts) -> set[str]:
        names = [call.id, *(call.aliases), call.reference or ""]
        return {y for name in names for y in _YEAR.findall(fold(name))}

    def call(self, ident: str) -> CallFacts | None:
        """A call by its id or reference, case-insensitive."""
        key = ident.strip().casefold()
        found = self.calls_by_id.get(key)
        if found is None:
            found = next((c for c in self.calls if (c.reference or "").casefold() == key), None)
        return found


def _passages_in(documents: list[Document], lang: str) -> list[Passage]:
    return [p for d in documents for p in d.passages if p.lang == lang]


# The saved documents and indexes are only as valid as the code that made them.
_CODE_FILES = ("analysis.py", "base.py", "documents.py", "index.py")
_PASSAGE_FIELDS = ("id", "key", "lang", "text")  # Passage's own fields, saved column by column


@dataclass(frozen=True)
class SavedKnowledge:
    """Documents and per-language (index, words) as a start-up saved them."""

    documents: list[Document]
    indexes: dict[str, tuple[BM25Index, frozenset[str]]]


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
    manifest = {"format": INDEX_FORMAT, "fingerprint": fingerprint, "documents": documents}
    passages = [p for d in kb.documents for p in d.passages]
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "manifest": np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    }
    for field in _PASSAGE_FIELDS:
        arrays.update(pack_strings([getattr(p, field) for p in passages], f"passage_{field}"))
    for lang, language_index in kb.indexes.items():
        parts = language_index.index.to_arrays() | pack_strings(
            sorted(language_index.words), "words"
        )
        arrays.update({f"{lang}.{name}": array for name, array in parts.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    # A reader sees the old file or the new one, never half of one: write aside, then rename.
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def read_saved_knowledge(path: Path, fingerprint: str) -> SavedKnowledge | None:
    """What write_saved_knowledge saved, if under this fingerprint and intact; else None."""
    if not path.is_file():
        return None
    try:
        # Our own handle: np.load leaks the one it opens when the zip is damaged.
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            manifest = json.loads(data["manifest"].tobytes().decode("utf-8"))
            made_under = (manifest.get("format"), manifest.get("fingerprint"))
            if made_under != (INDEX_FORMAT, fingerprint):
                log.info("the saved retrieval index is out of date; rebuilding")
                return None
            fields = [unpack_strings(data, f"passage_{field}") for field in _PASSAGE_FIELDS]
            documents = _documents_from(manifest["documents"], zip(*fields, strict=True))
            indexes = {}
            for lang in LANGS:
                prefix = f"{lang}."
                arrays = {
                    name.removeprefix(prefix): data[name]
                    for name in data.files
                    if name.startswith(prefix)
                }
                index = BM25Index.from_arrays(arrays)
                if index.n_docs != len(_passages_in(documents, lang)):
                    raise ValueError(f"the {lang} index does not match the saved passages")
                indexes[lang] = (index, frozenset(unpack_strings(arrays, "words")))
    except Exception as exc:  # it is a cache: whatever is wrong with it, rebuild
        log.warning("cannot read the saved retrieval index %s (%s); rebuilding", path, exc)
        return None
    return SavedKnowledge(documents, indexes)


def _documents_from(
    saved: list[dict[str, Any]], passages: Iterator[tuple[str, ...]]
) -> list[Document]:
    """Documents as write_saved_knowledge described them, passages in document order."""
    documents = []
    for entry in saved:
        fields = dict(entry["source"])
        if fields["published"] is not None:
            fields["published"] = date.fromisoformat(fields["published"])
        source = Source(**fields)
        own = tuple(
            Passage(pid, source, key, lang, text)
            for pid, key, lang, text in islice(passages, entry["passages"])
        )
        if len(own) != entry["passages"]:
            raise ValueError("fewer saved passages than the documents have")
        documents.append(Document(source, own, Path(entry["path"])))
    if next(passages, None) is not None:
        raise ValueError("more saved passages than the documents have")
    return documents
