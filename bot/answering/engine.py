"""The answer path: guards, then the structured fact or the passage that answers a Query."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from functools import lru_cache

from bot.answering.aspects import AspectMatch, aspect_evidence
from bot.answering.glossary import to_english
from bot.answering.passages import PassageFinder, share
from bot.answering.policy import POLICY, AnswerPolicy
from bot.answering.query import Query, parse_query
from bot.answering.render import FactRenderer, View, bullets
from bot.answering.reply import Reply
from bot.answering.topics import LONG_TOPICS, TOPIC_WHAT, has_topic, topic_facts
from i18n import LANGUAGES, Translator, translator
from knowledge.base import KnowledgeBase, fold
from knowledge.facts import CallFacts, CallStatus, official_page

Clock = Callable[[], datetime]
# Letters of a word that name an objective: 5 missed Swedish "asyl" (asylsystemet) and Finnish
# "palu" (paluu); with 4 every question of the set still names the right objectives.
OBJECTIVE_PREFIX = 4
OTHER_PROGRAMMES = re.compile(
    r"\b(horizon|horisont\w*|erasmus|esf\+?|esr\+?|interreg|cerv|creative europe|digital europe"
    r"|eu4health|erdf|eruf|eakr|europeiska socialfonden\+?|euroopan sosiaalirahasto\+?"
    r"|regionala utvecklingsfonden|aluekehitysrahasto\w*|kreativa europa|luova eurooppa"
    r"|fonden för inre säkerhet|sisäisen turvallisuuden rahasto\w*"
    r"|cohesion fund|isf|bmvi|life programme|just transition|rrf|recovery and resilience"
    r"|invest ?eu)\b"
)
FUTURE_CALLS = re.compile(
    r"\b(next|upcoming|future|coming) (amif )?(call|round)\w*|\bnästa\b|\bkommande utlysning\w*"
    r"|\bnext year\b|\bensi vuo\w*"
    r"|\bseuraava\w*|\btuleva\w* haku\w*"
)
WHAT_IS = re.compile(
    r"\bwhat('s| is| are| does)\b|\bstand for\b|\btell me about\b|\bexplain\b|\bvad (är|betyder)\b"
    r"|\bberätta om\b|\bmikä (on|ovat)\b|\bmitä (on|tarkoittaa)\b|\bkerro\b"
)
_NAME_WORDS = frozenset(
    [
        "amif",
        "eu",
        "eu's",
        "fund",
        "fonden",
        "rahasto",
        "call",
        "calls",
        "utlysning",
        "utlysningen",
        "haku",
        "haun",
        "abbreviation",
        "förkortning",
        "lyhenne",
        "mean",
        "means",
        "stand",
        "short",
    ]
)
_OBJECTIVE_NUMBER = re.compile(
    r"(?:objective|mål(?:et)?|tavoit\w*|so)\s*(\d)\b"
    r"|\b(\d)\s*(?:st|nd|rd|th)?\s*(?:specific )?objective"
)
_PROGRAMME_TOPICS = {
    "objectives",
    "management",
    "history",
    "network",
    "how_to_apply",
    "applicants",
}
_OBJECTIVE_TOPICS = {"budget", "grant", "actions", "objectives"}
SMALL_TALK = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "hej",
        "hejsan",
        "tjena",
        "hei",
        "moi",
        "moikka",
        "terve",
        "huomenta",
        "thanks",
        "thank",
        "you",
        "tack",
        "tackar",
        "kiitos",
        "kiitti",
        "help",
        "hjälp",
        "apua",
        "start",
        "ok",
        "okay",
    ]
)
# "Which calls are open?", "Vilka utlysningar kan man söka?", "Mitkä haut ovat auki?".
LISTING = re.compile(
    r"\b(which|what|any) (amif |eu )?(calls|funding|rounds)\b|\bcalls\b.*\b(open|available)\b"
    r"|\bvilka\b.*\butlysningar\w*|\butlysningar\w*\b.*\böppna\b|\bnågra\b.*\butlysning\w*"
    r"|\bmit(kä|ä)\b.*\bhau?(t|ja)\b|\bhau?(t|ja)\b.*\bauki\b|\bonko\b.*\bhakuja\b"
)
# What a comparison compares, and how its two values are ordered.
_COMPARABLE = ("budget", "grant", "funding_rate", "deadline", "duration")


class Answerer:
    """Answers Queries from one knowledge base; one instance serves every user and front end."""

    def __init__(self, kb: KnowledgeBase, clock: Clock, policy: AnswerPolicy = POLICY) -> None:
        self.kb = kb
        self.clock = clock
        self.policy = policy
        self.render = FactRenderer(kb)
        # Each language's index keeps the set of its passages' words (saved with it); they are
        # looked up one set after another, not merged: a union of 100,000 words at start-up
        # costs more than a few extra look-ups per question ever will.
        self._source_words: tuple[AbstractSet[str], ...] = (
            *(index.words for index in kb.indexes.values()),
            frozenset(w for c in kb.calls for alias in c.aliases for w in fold(alias).split()),
        )
        self._known_terms: dict[str, Mapping[str, int]] = {
            lang: index.index.vocabulary for lang, index in kb.indexes.items()
        }
        # Per (call, objective number): the first four letters of the longer words of the
        # objective's title in every language, which a question naming the objective shares
        # ("asyl" for "asylsystemet", "palu" for "paluu").
        self._objective_prefixes = {
            (call.id, obj.number): frozenset(
                word[:OBJECTIVE_PREFIX]
                for code in LANGUAGES
                for word in kb.indexes[code].analyzer.words(obj.title.get(code))
                if len(word) > OBJECTIVE_PREFIX
            )
            for call in kb.calls
            for obj in call.objectives
        }
        # The documents of each call: its facts' sources and the documents ingested for it.
        by_reference: dict[str, set[str]] = {}
        for source in kb.sources.values():
            if source.call:
                by_reference.setdefault(source.call.casefold(), set()).add(source.id)
        self._call_documents = {
            call.id: frozenset(
                {call.source, *call.field_sources.values()}
                | by_reference.get((call.reference or "").casefold(), set())
            )
            for call in kb.calls
        }
        self.passages = PassageFinder(
            kb, policy, self.render, self._call_documents, self._known_terms
        )

    # ----- entry point -------------------------------------------------------------------------

    def answer(
        self,
        text: str,
        lang: str | None = None,
        tz: str | None = None,
        previous: Sequence[str] = (),
    ) -> Reply:
        """Answer one cleaned question; previous holds the calls of the reply before it."""
        q = parse_query(self.kb, text, self.policy, lang, tz, previous)
        v = View(translator(q.lang), q.zone, self.clock())
        t = v.t
        if len(text) > self.policy.max_question_chars:
            msg = t.gettext(
                "That message is too long for me. Please ask one question in at most "
                "{limit} characters."
            ).format(limit=t.format_number(self.policy.max_question_chars))
            return Reply(q.lang, False, (msg,), kind="too_long")
        words = re.findall(r"[^\W_]+", q.folded)
        if words and all(w in SMALL_TALK for w in words):
            return self._greeting(t)
        if OTHER_PROGRAMMES.search(q.folded) or FUTURE_CALLS.search(q.folded):
            return self._decline(v, None)
        if q.unknown_calls:
            return self._decline_unknown_call(v, list(q.unknown_calls))
        if self._mentions_unknown_year(q.folded) or self._off_topic(q):
            return self._decline(v, None)
        if q.timing and not q.calls and LISTING.search(q.folded):
            return self.render.listing(v, only_current=True)
        if q.comparison and q.aspect is not None and q.aspect.aspect in _COMPARABLE:
            return self._compare(v, q, q.aspect.aspect)
        if q.aspect is not None:
            reply = self._fact_reply(v, q, q.aspect)
            if reply is not None and not self._passage_outweighs(q, reply):
                return reply
            if reply is None and q.calls:
                return self.passages.call_passage(v, q) or self._decline(
                    v, q.calls[0], q.aspect.aspect
                )
        if WHAT_IS.search(q.folded):
            reply = self._summary_reply(v, q)
            if reply is not None:
                return reply
        return self._passage_reply(v, q)

    def _passage_reply(self, v: View, q: Query) -> Reply:
        """The passages that answer the question; else a decline that says where to ask."""
        return self.passages.reply(v, q) or self._decline(v, q.calls[0] if q.calls else None)

    # ----- small talk and declining ------------------------------------------------------------

    def _greeting(self, t: Translator) -> Reply:
        body = (
            t.gettext(
                "Hello! I answer questions about calls of the EU Asylum, Migration and "
                "Integration Fund (AMIF) in English, Swedish and Finnish, and I name my sources."
            ),
            t.gettext(
                "Try for example: What is the funding rate of the 2024 trafficking call? "
                "Can a Danish organisation apply? When did the Finnish autumn 2023 call close?"
            ),
        )
        return Reply(t.lang, True, body, kind="greeting")

    def _decline(self, v: View, call: CallFacts | None, topic: str | None = None) -> Reply:
        t = v.t
        if call is not None and topic is not None:
            first = t.gettext(
                "Our sources do not say {what} for {call}, so I cannot tell you."
            ).format(what=t.gettext(TOPIC_WHAT[topic]), call=call.title.get(t.lang))
        else:
            first = t.gettext(
                "I don't know that: my sources don't cover it, and I'd rather not guess."
            )
        body = [first, self._where_to_ask(t, call)]
        sources = (
            (self.render.ref(call.source_of("contact"), None),) if call and call.contact else ()
        )
        return Reply(
            t.lang, False, tuple(body), sources, kind="decline", calls=(call.id,) if call else ()
        )

    def _where_to_ask(self, t: Translator, call: CallFacts | None) -> str:
        if call is not None and call.contact is not None:
            lines = [call.contact.text.get(t.lang)]
            if call.contact.email:
                lines.append(t.gettext("E-mail: {email}").format(email=call.contact.email))
            return "\n".join(lines)
        union = next((c for c in self.kb.calls if c.contact and c.contact.email), None)
        general = t.gettext(
            "For national AMIF calls, ask your country's AMIF managing authority (in Finland, the "
            "Ministry of the Interior)."
        )
        if union is not None and union.contact is not None:
            return (
                general
                + " "
                + t.gettext("For EU-level union actions, write to {email}.").format(
                    email=union.contact.email
                )
            )
        return general

    def _decline_unknown_call(self, v: View, names: list[str]) -> Reply:
        """A call we have no source for: say so, and which calls we do know."""
        t = v.t
        known = [c for c in self.kb.calls if c.kind == "call"]
        body = [
            t.gettext("I have no source about {call}, so I cannot answer for it.").format(
                call=", ".join(
                    t.gettext("a call of {year}").format(year=name) if name.isdigit() else name
                    for name in names
                )
            ),
            t.gettext("The calls I know about:")
            + "\n"
            + bullets(
                [
                    f"{c.title.get(t.lang)}" + (f" ({c.reference})" if c.reference else "")
                    for c in known
                ]
            ),
            self._where_to_ask(t, None),
        ]
        return Reply(t.lang, False, tuple(body), kind="unknown_call")

    def _mentions_unknown_year(self, folded: str) -> bool:
        years = re.findall(r"\b(19\d\d|20\d\d)\b", folded)
        return not all(self._in_sources(year) for year in years)

    def _in_sources(self, word: str) -> bool:
        """Whether our passages or the calls' aliases use this exact word."""
        return any(word in words for words in self._source_words)

    def _is_known(self, word: str, lang: str) -> bool:
        """A word our sources use, in any inflection (stem) or as part of a compound (4-grams)."""
        if self._in_sources(word) or _is_keyword(word):
            return True
        if lang != "en" and any(self._in_sources(w) for w in to_english(word, lang)):
            return True  # our English sources speak of it ("hyresvärdar": landlords)
        terms = self.kb.indexes[lang].analyzer.terms(word)
        known = self._known_terms[lang]
        if terms and terms[0] in known:
            return True
        grams = terms[1:]
        return bool(grams) and sum(g in known for g in grams) >= 0.6 * len(grams)

    def _off_topic(self, q: Query) -> bool:
        """Whether most of what the question talks about never occurs in our sources."""
        lang = q.asked_in
        words = [
            w
            for w in self.kb.indexes[lang].analyzer.words(q.text)
            if len(w) > 2 and not w.isdigit()
        ]
        unknown = [w for w in words if not self._is_known(w, lang)]
        return len(unknown) >= 2 and len(unknown) >= 0.5 * len(words)

    # ----- structured facts --------------------------------------------------------------------

    def _fact_reply(self, v: View, q: Query, aspect: AspectMatch) -> Reply | None:
        t = v.t
        topic = aspect.aspect
        named = list(q.calls)
        candidates = named or self._relevant_calls(q)
        if not named and topic in _PROGRAMME_TOPICS:
            candidates.sort(key=lambda c: c.kind != "programme")
        mentioned = {c.id: self._mentioned_objectives(c, q) for c in candidates}
        if topic in _OBJECTIVE_TOPICS:
            # "How much is there for return projects?" asks about one objective of a call.
            with_objectives = [c for c in candidates if mentioned[c.id]]
            if with_objectives:
                return self._objective_reply(
                    v, q, with_objectives[0], mentioned[with_objectives[0].id]
                )
        if topic in ("actions", "objectives"):
            specific = self._specific_passage(v, q, aspect)
            if specific is not None:
                return specific
        having = [c for c in candidates if has_topic(c, topic)]
        if not having:
            return None
        # Long listings for one call only; short facts for up to four calls side by side.
        most = self.policy.max_calls_side_by_side
        having = having[: len(named) or 1] if topic in LONG_TOPICS or named else having[:most]
        body: list[str] = []
        for call in having:
            body.extend(self.render.topic(v, call, topic))
        if topic == "deadline" and not named:
            unknown = [c for c in candidates if c.kind == "call" and c.deadline is None]
            for call in unknown:
                body.append(self.render.status_line(v, call))
        sources = [
            self.render.ref(call.source_of(f), None)
            for call in having
            for f in topic_facts(call, topic)
        ]
        if not sources:
            sources = [self.render.ref(call.source, None) for call in having]
        page = official_page(having[0]) if len(having) == 1 else None
        if page and page not in " ".join(s.url or "" for s in sources):
            body.append(t.gettext("Official call page: {url}").format(url=page))
        return Reply(
            t.lang,
            True,
            tuple(body),
            tuple(dict.fromkeys(sources)),
            kind="fact",
            calls=tuple(c.id for c in having),
        )

    def _passage_outweighs(self, q: Query, reply: Reply) -> bool:
        """Whether a passage answers better than a fact found through generic words only."""
        aspect = q.aspect
        if aspect is None or aspect.weight > self.policy.weak_aspect_weight or q.calls:
            return False
        hits = self.passages.good_hits(q.text, q.lang)
        return bool(hits) and share(hits[0]) >= self.policy.passage_over_weak_aspect

    def _relevant_calls(self, q: Query) -> list[CallFacts]:
        """All calls: open and upcoming before closed, the best match of the question first."""
        best: dict[str, float] = {}
        for passage, score in self.kb.ranked_passages(q.text, q.lang, k=10):
            best.setdefault(passage.source.id, score)
        now = self.clock()

        def rank(call: CallFacts) -> tuple[bool, bool, float]:
            current = call.status(now) in (CallStatus.OPEN, CallStatus.UPCOMING)
            ids = self._call_documents.get(call.id, frozenset({call.source}))
            return (
                call.kind != "call",
                not current,
                -max((best.get(i, 0.0) for i in ids), default=0.0),
            )

        return sorted(self.kb.calls, key=rank)

    def _specific_passage(self, v: View, q: Query, aspect: AspectMatch) -> Reply | None:
        """A passage answer when the question asks more than a listing would tell.

        "What projects are wanted for unaccompanied minors' well-being?" hits the 'actions'
        keywords, but a passage about exactly that answers it better than the list of measures.
        """
        rest = q.folded[: aspect.span[0]] + " " + q.folded[aspect.span[1] :]
        for call in q.calls:
            for alias in (*call.aliases, call.id):
                rest = rest.replace(fold(alias), " ")
        lang = q.asked_in
        analyzer = self.kb.indexes[lang].analyzer
        title_words = {w for call in q.calls for w in analyzer.words(call.title.get(lang))}
        words = [
            w
            for w in analyzer.words(rest)
            if w not in _NAME_WORDS and w not in title_words and not w.isdigit() and len(w) > 2
        ]
        if len(words) < 4:
            return None
        hits = [h for h in self.passages.good_hits(q.text, q.lang, k=3) if h.matched_stems >= 3]
        if not hits:
            return None
        return self._passage_reply(v, q)

    def _mentioned_objectives(self, call: CallFacts, q: Query) -> list[int]:
        """Numbers of the call's specific objectives the question refers to by name or number."""
        if not call.objectives or call.kind != "call":
            return []
        numbers = {int(m.group(1) or m.group(2)) for m in _OBJECTIVE_NUMBER.finditer(q.folded)}
        analyzer = self.kb.indexes[q.asked_in].analyzer
        asked = {
            w[:OBJECTIVE_PREFIX] for w in analyzer.words(q.text) if len(w) >= OBJECTIVE_PREFIX
        }
        found = [
            obj.number
            for obj in call.objectives
            if obj.number in numbers
            or not asked.isdisjoint(self._objective_prefixes[(call.id, obj.number)])
        ]
        return found if len(found) < len(call.objectives) else []

    def _objective_reply(self, v: View, q: Query, call: CallFacts, numbers: list[int]) -> Reply:
        t = v.t
        body = [t.gettext("{call}:").format(call=call.title.get(t.lang))]
        body.extend(
            self.render._objective_blocks(
                v, call, [o for o in call.objectives if o.number in numbers]
            )
        )
        if q.timing:
            body.append(self.render.status_line(v, call, short=True))
        return Reply(
            t.lang,
            True,
            tuple(body),
            (self.render.ref(call.source_of("objectives"), None),),
            kind="fact",
            calls=(call.id,),
        )

    def _summary_reply(self, v: View, q: Query) -> Reply | None:
        """'What is AMIF?', 'Vad är utlysningen 2024?': the name and purpose of a call."""
        t = v.t
        calls = list(q.calls) or [c for c in self.kb.calls if c.kind == "programme"]
        if not calls or not self._only_names(q, calls[0]):
            return None
        call = calls[0]
        body = [
            t.gettext("{call}: {summary}").format(
                call=call.title.get(t.lang), summary=call.summary.get(t.lang)
            )
        ]
        if call.kind == "call" and q.timing:
            body.append(self.render.status_line(v, call, short=True))
        return Reply(
            t.lang,
            True,
            tuple(body),
            (self.render.ref(call.source, None),),
            kind="fact",
            calls=(call.id,),
        )

    def _only_names(self, q: Query, call: CallFacts) -> bool:
        """Whether the question has no content beyond naming the call (and AMIF)."""
        folded = WHAT_IS.sub(" ", q.folded)
        for alias in sorted({*call.aliases, fold(call.id)}, key=len, reverse=True):
            folded = re.sub(r"(?<![\w-])" + re.escape(fold(alias)) + r"(?![\w-])", " ", folded)
        rest = [
            w
            for w in self.kb.indexes[q.asked_in].analyzer.words(folded)
            if w not in _NAME_WORDS and not w.isdigit()
        ]
        return not rest

    # ----- comparisons -------------------------------------------------------------------------

    def _compare(self, v: View, q: Query, topic: str) -> Reply:
        """Both calls' facts for one aspect, then which is higher or earlier, or what lacks."""
        t = v.t
        first, second = q.calls[0], q.calls[1]
        body: list[str] = []
        for call in (first, second):
            if has_topic(call, topic):
                body.extend(self.render.topic(v, call, topic))
            else:
                body.append(
                    t.gettext("Our sources do not say {what} for {call}.").format(
                        what=t.gettext(TOPIC_WHAT[topic]), call=call.title.get(t.lang)
                    )
                )
        a, b = _comparable_value(first, topic), _comparable_value(second, topic)
        if a is not None and b is not None:
            body.append(self._conclusion(t, topic, (first, a), (second, b)))
        sources = [
            self.render.ref(call.source_of(f), None)
            for call in (first, second)
            for f in topic_facts(call, topic)
        ]
        return Reply(
            t.lang,
            a is not None or b is not None,
            tuple(body),
            tuple(dict.fromkeys(sources)),
            kind="comparison",
            calls=(first.id, second.id),
        )

    def _conclusion(
        self,
        t: Translator,
        topic: str,
        one: tuple[CallFacts, object],
        other: tuple[CallFacts, object],
    ) -> str:
        (a, va), (b, vb) = one, other
        if va == vb:
            return t.gettext("Both are the same.")
        first_wins = va < vb if topic == "deadline" else va > vb  # type: ignore[operator]
        winner = (a if first_wins else b).title.get(t.lang)
        if topic == "deadline":
            return t.gettext("Earlier deadline: {call}.").format(call=winner)
        return t.gettext("Higher: {call}.").format(call=winner)


def _comparable_value(call: CallFacts, topic: str) -> object | None:
    """The value two calls are compared by for a topic, or None when our sources lack it."""
    if topic == "budget":
        return call.budget.amount if call.budget else None
    if topic == "grant":
        return call.grant_max.amount if call.grant_max else None
    if topic == "funding_rate":
        if call.funding_rate:
            return call.funding_rate.rate
        return call.co_financing.usual_max if call.co_financing else None
    if topic == "deadline":
        return call.deadline.moment() if call.deadline else None
    if topic == "duration":
        return call.duration_months
    return None


@lru_cache(maxsize=8192)
def _is_keyword(word: str) -> bool:
    """Whether a word is one the aspect words react to ('deadline', 'määräaika')."""
    return bool(aspect_evidence(word))
