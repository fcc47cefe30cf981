"""The passage fallback: the passages that answer a question, in its language or another.

A question no structured fact answers is answered from the passages of the documents: in its own
language, through the glossary in another language, or for the words of another language it
quotes; a long passage is cut to the sentences that carry the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.answering.aspects import aspect_evidence
from bot.answering.glossary import translate_query
from bot.answering.policy import AnswerPolicy
from bot.answering.query import Query
from bot.answering.render import FactRenderer, View
from bot.answering.reply import Reply
from i18n import LANGUAGE_NAMES, LANGUAGES
from knowledge.base import KnowledgeBase, PassageHit, fold
from knowledge.documents import Passage
from knowledge.facts import CallFacts

# A word this long that the question's language does not know but another language's passages
# do is a quoted term of that language ('samhällsorientering'); shorter ones are too often names
# or typos that happen to exist elsewhere.
FOREIGN_TERM_MIN_LETTERS = 8
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"“(])")


class PassageFinder:
    """Finds and renders the passages that answer a Query; one instance serves every user."""

    def __init__(
        self,
        kb: KnowledgeBase,
        policy: AnswerPolicy,
        render: FactRenderer,
        call_documents: Mapping[str, frozenset[str]],
        known_terms: Mapping[str, Mapping[str, int]],
    ) -> None:
        self.kb = kb
        self.policy = policy
        self.render = render
        self._call_documents = call_documents
        self._known_terms = known_terms
        # (document, passage key, language) -> passage of the shipped documents, made on first use.
        self._parallels: dict[tuple[str, str, str], Passage] | None = None

    def good_hits(self, text: str, lang: str, k: int = 5) -> list[PassageHit]:
        """The passages that match a text well enough to be shown, best first."""
        return [h for h in self.kb.search(text, lang, k=k) if self._good(h)]

    def _good(self, hit: PassageHit) -> bool:
        """Whether a hit scores and shares enough of the question's stems."""
        if hit.score < self.policy.min_score or hit.query_stems == 0:
            return False
        return share(hit) >= self.policy.min_stem_share

    def _foreign_hits(
        self, q: Query, documents: frozenset[str] | None = None
    ) -> tuple[list[PassageHit], list[str]]:
        """Good passages in another language, found through the glossary; and their query terms."""
        for other in LANGUAGES:
            if other == q.lang:
                continue
            # Names and words the glossary does not know pass through ("Kalevalagården").
            own_words = self.kb.indexes[q.asked_in].analyzer.words(q.text)
            query = " ".join([translate_query(q.folded, q.asked_in, other), *own_words])
            if not query.strip():
                continue
            hits = [
                h
                for h in self.kb.search(query, other, k=20 if documents else 5)
                if self._good(h) and (documents is None or h.passage.source.id in documents)
            ]
            if hits:
                return hits[:5], self.kb.indexes[other].analyzer.terms(query)
        return [], []

    def call_passage(self, v: View, q: Query) -> Reply | None:
        """A passage of a named call's ingested documents that speaks of what is asked, or None.

        The shipped facts state all that their sources say; an ingested document may say more
        than what was extracted from it.
        """
        documents = frozenset(
            doc
            for c in q.calls
            for doc in self._call_documents[c.id]
            if doc in self.kb.sources and self.kb.sources[doc].ingested
        )
        if not documents:
            return None
        own = [
            h
            for h in self.kb.search(q.text, q.lang, k=20)
            if self._good(h) and h.passage.source.id in documents
        ]
        terms = self.kb.indexes[q.lang].analyzer.terms(q.text)
        foreign = False
        if not own:
            own, terms = self._foreign_hits(q, documents)
            foreign = bool(own)
        wanted = q.aspect.aspect if q.aspect else None
        own = [h for h in own if wanted is None or _speaks_of(h.passage, wanted)]
        if not own:
            return None
        return self._passages_reply(v, q, own, terms, foreign)

    def _foreign_term_hits(self, q: Query) -> tuple[list[PassageHit], list[str], bool]:
        """Passages for the words of another language a question quotes ('samhällsorientering').

        The shipped documents say the same in every language under the same passage key, so a
        quoted Swedish term leads to the passage in the question's own language; an ingested
        document's passage is shown as it is, marked as being in another language.
        """
        own = self._known_terms[q.lang]
        analyzer = self.kb.indexes[q.lang].analyzer
        for other in LANGUAGES:
            if other == q.lang:
                continue
            theirs, other_analyzer = self._known_terms[other], self.kb.indexes[other].analyzer
            quoted = [
                w
                for w in analyzer.words(q.text)
                if len(w) >= FOREIGN_TERM_MIN_LETTERS
                and (analyzer.terms(w) or [""])[0] not in own
                and (other_analyzer.terms(w) or [""])[0] in theirs
            ]
            if not quoted:
                continue
            hits = self.good_hits(" ".join(quoted), other)
            if not hits:
                continue
            parallel = [self._parallel(h, q.lang) for h in hits]
            if all(p is not None for p in parallel):
                return [p for p in parallel if p is not None], analyzer.terms(q.text), False
            return hits, other_analyzer.terms(" ".join(quoted)), True
        return [], [], False

    def _parallel(self, hit: PassageHit, lang: str) -> PassageHit | None:
        """The same passage of a shipped document in another language, if it has one."""
        if self._parallels is None:
            self._parallels = {
                (p.source.id, p.key, p.lang): p
                for document in self.kb.documents
                if not document.source.ingested
                for p in document.passages
            }
        found = self._parallels.get((hit.passage.source.id, hit.passage.key, lang))
        return (
            None
            if found is None
            else PassageHit(found, hit.score, hit.matched_stems, hit.query_stems)
        )

    def reply(self, v: View, q: Query) -> Reply | None:
        """The passages that answer a question; None when no source speaks of it."""
        quoted, quoted_terms, quoted_foreign = self._foreign_term_hits(q)
        if quoted:
            return self._passages_reply(v, q, quoted, quoted_terms, quoted_foreign)
        hits = self.good_hits(q.text, q.lang)
        terms = self.kb.indexes[q.lang].analyzer.terms(q.text)
        foreign = False
        if q.calls:
            documents = frozenset().union(*(self._call_documents[c.id] for c in q.calls))
            own = [h for h in hits if h.passage.source.id in documents]
            if not own:
                found, found_terms = self._foreign_hits(q, documents)
                if found:
                    hits, terms, foreign = found, found_terms, True
        if not hits or (
            not foreign
            and q.lang != "en"
            and share(hits[0]) < self.policy.min_stem_share + self.policy.foreign_share_margin
        ):
            found, found_terms = self._foreign_hits(q)
            if found and (
                not hits or share(found[0]) >= share(hits[0]) + self.policy.foreign_share_margin
            ):
                hits, terms, foreign = found, found_terms, True
        if not hits:
            return None
        return self._passages_reply(v, q, hits, terms, foreign)

    def _passages_reply(
        self,
        v: View,
        q: Query,
        hits: list[PassageHit],
        terms: list[str],
        foreign: bool,
    ) -> Reply:
        """The best passage (and a second close one), cut to its key sentences, cited."""
        t = v.t
        best = hits[0]
        chosen = [best]
        for hit in hits[1:]:
            if (
                hit.score >= self.policy.second_passage_ratio * best.score
                and hit.passage.key != best.passage.key
            ):
                chosen.append(hit)
                break
        body: list[str] = []
        if foreign:
            body.append(
                t.gettext("I found this only in a source in {language}:").format(
                    language=LANGUAGE_NAMES[best.passage.lang]
                )
            )
        # The words that name the call say nothing about which sentence answers.
        naming = " ".join(
            f"{c.id} {c.reference or ''} {' '.join(c.aliases)} {c.title.get(best.passage.lang)}"
            for c in q.calls
        )
        wanted = set(terms) - set(self.kb.indexes[best.passage.lang].analyzer.terms(naming))
        body.extend(self._key_sentences(h.passage, wanted) for h in chosen)
        calls = [c for c in self._calls_of(chosen) if not q.calls or c in q.calls]
        if q.timing or (q.aspect is not None and q.aspect.aspect == "deadline"):
            # Where a call stands now is said when the question is about timing, only then.
            for call in calls:
                body.append(self.render.status_line(v, call))
        # One line per source document, with the best passage's score.
        best_of = {h.passage.source.id: h for h in reversed(chosen)}
        refs = tuple(
            self.render.ref(doc, best_of[doc].score)
            for doc in dict.fromkeys(h.passage.source.id for h in chosen)
        )
        return Reply(
            t.lang, True, tuple(body), refs, kind="passage", calls=tuple(c.id for c in calls)
        )

    def _key_sentences(self, passage: Passage, terms: set[str]) -> str:
        """The sentences of a long passage that carry the answer, in order; else all of it."""
        if len(passage.text.split()) < self.policy.key_sentences_from_words:
            return passage.text
        sentences = [
            piece
            for line in passage.text.split("\n")  # an ingested page's lines end its sentences
            for sentence in _SENTENCE.split(line)
            if sentence.strip()
            for piece in _pieces(sentence, self.policy.key_sentence_max_words)
        ]
        if len(sentences) <= self.policy.key_sentences:
            return passage.text
        analyzer = self.kb.indexes[passage.lang].analyzer
        wanted = {term for term in terms if not term.startswith("#")}
        shared = [len(wanted.intersection(analyzer.terms(sentence))) for sentence in sentences]
        if not any(shared):
            return passage.text
        best = sorted((i for i in range(len(sentences)) if shared[i]), key=lambda i: -shared[i])
        keep = sorted(best[: self.policy.key_sentences])
        # An ellipsis stands wherever the passage's own text is left out.
        parts = ["…"] if keep[0] > 0 else []
        for at, i in enumerate(keep):
            if at and i > keep[at - 1] + 1:
                parts.append("…")
            parts.append(sentences[i])
        if keep[-1] < len(sentences) - 1:
            parts.append("…")
        return " ".join(parts)

    def _calls_of(self, hits: list[PassageHit]) -> list[CallFacts]:
        """The calls whose documents the hits come from."""
        ids = {h.passage.source.id for h in hits}
        return [c for c in self.kb.calls if c.kind == "call" and self._call_documents[c.id] & ids]


def _pieces(sentence: str, most: int) -> list[str]:
    """A sentence, or, when it runs on (a page's table or headings read as text), its parts."""
    words = sentence.split()
    if len(words) <= most:
        return [sentence]
    size = most // 2
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def share(hit: PassageHit) -> float:
    """The share of the question's stems a passage matched."""
    return hit.matched_stems / hit.query_stems if hit.query_stems else 0.0


def _speaks_of(passage: Passage, aspect: str) -> bool:
    """Whether a passage's own words name the aspect a question asks about."""
    return any(a.aspect == aspect for a in aspect_evidence(fold(passage.text)))
