"""The knowledge base: documents, structured facts and one BM25 index per language."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from knowledge.analysis import analyzer
from knowledge.documents import (
    BUILTIN_DOCUMENTS_DIR,
    LANGS,
    Document,
    Passage,
    Source,
    load_documents,
)
from knowledge.facts import BUILTIN_FACTS_DIR, CallFacts, load_facts
from knowledge.index import BM25Index

INGESTED_SUBDIR = "documents"
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


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

    def __init__(self, lang: str, passages: list[Passage]) -> None:
        self.lang = lang
        self.passages = passages
        self.analyzer = analyzer(lang)
        corpus = [self.analyzer.terms(p.text) for p in passages]
        self._stems = [frozenset(t for t in terms if not t.startswith("#")) for terms in corpus]
        self.index = BM25Index.build(corpus)

    def search(self, text: str, k: int = 5) -> list[PassageHit]:
        """Best passages for text, analysed the way this language's passages were."""
        terms = self.analyzer.terms(text)
        stems = {t for t in terms if not t.startswith("#")}
        hits = self.index.search(terms, k)
        return [
            PassageHit(self.passages[h.doc], h.score, len(stems & self._stems[h.doc]), len(stems))
            for h in hits
        ]


class KnowledgeBase:
    """Everything the assistant knows, loaded and validated at start-up."""

    def __init__(self, documents: list[Document], calls: list[CallFacts]) -> None:
        self.documents = documents
        self.sources: dict[str, Source] = {d.source.id: d.source for d in documents}
        self.calls = calls
        self.calls_by_id = {c.id.casefold(): c for c in calls}
        self.indexes = {
            lang: LanguageIndex(lang, [p for d in documents for p in d.passages if p.lang == lang])
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
        if data_dir is not None:
            folders.append((data_dir / INGESTED_SUBDIR, True))
        documents = load_documents(folders)
        calls = load_facts(facts_dir, {d.source.id for d in documents})
        return cls(documents, calls)

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
