"""The transport-agnostic assistant: a question in, a cited, localized Reply out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from bot.intents import Intent, detect_intent
from i18n import LANGUAGE_NAMES, LANGUAGES, N_, Translator, normalize_language, translator
from i18n.detect import detect_language
from knowledge.base import CALL_REFERENCE, PERIOD, YEAR, KnowledgeBase, PassageHit, fold
from knowledge.documents import Source
from knowledge.facts import CallFacts, CallStatus, Objective

Clock = Callable[[], datetime]
MAX_QUESTION_CHARS = 2000
# A passage must share at least this BM25 score and a share of the question's stems to count as
# an answer; below it the assistant says it does not know (measured on tests/data/questions.yaml).
MIN_SCORE = 3.0
MIN_STEM_SHARE = 0.34
SECOND_PASSAGE_RATIO = 0.85
OTHER_PROGRAMMES = re.compile(
    r"\b(horizon|horisont\w*|erasmus|esf\+?|esr\+?|interreg|cerv|creative europe|digital europe"
    r"|eu4health|erdf|eruf|eakr|europeiska socialfonden\+?|euroopan sosiaalirahasto\+?"
    r"|regionala utvecklingsfonden|aluekehitysrahasto\w*|kreativa europa|luova eurooppa"
    r"|fonden för inre säkerhet|sisäisen turvallisuuden rahasto\w*"
    r"|cohesion fund|isf|bmvi|life programme|just transition|rrf|recovery and resilience"
    r"|invest ?eu)\b"
)
# Words that make a year in a question the year of a call ("the 2027 call", "haku 2027").
CALL_WORDS = re.compile(
    r"\b(calls?|utlysning\w*|ansökningsomgång\w*|haku|haun|haussa|hakuun|hakukierro\w*)\b"
)
FUTURE_CALLS = re.compile(
    r"\b(next|upcoming|future|coming) (amif )?(call|round)\w*|\bnästa\b|\bkommande utlysning\w*"
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
_TOPIC_FIELDS = {
    "funding_rate": ("funding_rate", "co_financing"),
    "grant": ("grant", "funding_rate"),
    "budget": ("budget", "objectives"),
    "actions": ("actions", "objectives"),
}
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
_ZONE_NAMES = {
    "Europe/Brussels": N_("Brussels time"),
    "Europe/Helsinki": N_("Helsinki time"),
    "Europe/Stockholm": N_("Stockholm time"),
    "UTC": N_("UTC"),
}
# The zone of the person reading the answer, for the length of one answer() call.
_VIEWER_ZONE: ContextVar[ZoneInfo | None] = ContextVar("viewer_zone", default=None)
_STATUS_TEXT = {
    CallStatus.OPEN: N_("open"),
    CallStatus.UPCOMING: N_("upcoming"),
    CallStatus.CLOSED: N_("closed"),
    CallStatus.UNKNOWN: N_("status unknown: our sources give no deadline"),
}
_TOPIC_WHAT = {
    "budget": N_("the total budget"),
    "grant": N_("the size of a grant"),
    "funding_rate": N_("the funding rate"),
    "deadline": N_("the deadline"),
    "duration": N_("the duration of projects"),
    "contact": N_("a contact address"),
    "applicants": N_("who may apply"),
    "countries": N_("which countries are eligible"),
    "consortium": N_("consortium rules"),
    "priorities": N_("the priorities"),
    "actions": N_("which activities are funded"),
    "objectives": N_("the specific objectives"),
    "not_funded": N_("what is not funded"),
    "how_to_apply": N_("how to apply"),
    "history": N_("the history of the programme"),
    "network": N_("the European Migration Network"),
    "management": N_("how the budget is managed"),
    "target_group": N_("the target group"),
}


@dataclass(frozen=True)
class SourceRef:
    """A cited source as shown to the user."""

    id: str
    title: str
    publisher: str
    url: str | None
    score: float | None


@dataclass(frozen=True)
class Reply:
    """What the assistant says: plain paragraphs, the sources behind them, whether it knew."""

    lang: str
    answered: bool
    body: tuple[str, ...]
    sources: tuple[SourceRef, ...] = ()
    kind: str = "answer"
    calls: tuple[str, ...] = field(default=())

    def source_lines(self) -> list[str]:
        """The plain-text citation lines, localized."""
        t = translator(self.lang)
        lines = []
        for src in self.sources:
            where = src.url or t.gettext("no public URL known")
            lines.append(
                t.gettext("Source: {title} ({publisher}), {where}").format(
                    title=src.title, publisher=src.publisher, where=where
                )
            )
        return lines

    @property
    def text(self) -> str:
        """The reply as a user reads it, plain text."""
        return "\n\n".join(
            [*self.body, *(["\n".join(self.source_lines())] if self.sources else [])]
        )

    def to_json(self) -> dict[str, object]:
        """The stable JSON shape of `amif-bot ask --json`."""
        return {
            "lang": self.lang,
            "answered": self.answered,
            "text": self.text,
            "sources": [
                {"id": s.id, "title": s.title, "url": s.url, "score": s.score}
                for s in self.sources
            ],
        }


def _system_now() -> datetime:
    return datetime.now(UTC)


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


class Assistant:
    """Answers questions from the knowledge base; one instance serves every user and front end."""

    def __init__(self, kb: KnowledgeBase, clock: Clock = _system_now) -> None:
        self.kb = kb
        self.clock = clock
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
        # Per (call, objective number): the first five letters of the longer words of the
        # objective's title in every language, which a question naming the objective shares.
        self._objective_prefixes = {
            (call.id, obj.number): frozenset(
                word[:5]
                for code in LANGUAGES
                for word in kb.indexes[code].analyzer.words(obj.title.get(code))
                if len(word) > 3
            )
            for call in kb.calls
            for obj in call.objectives
        }

    def _in_sources(self, word: str) -> bool:
        """Whether our passages or the calls' aliases use this exact word."""
        return any(word in words for words in self._source_words)

    def _is_known(self, word: str, lang: str) -> bool:
        """A word our sources use, in any inflection (stem) or as part of a compound (4-grams)."""
        if self._in_sources(word) or _is_keyword(word):
            return True
        terms = self.kb.indexes[lang].analyzer.terms(word)
        known = self._known_terms[lang]
        if terms and terms[0] in known:
            return True
        grams = terms[1:]
        return bool(grams) and sum(g in known for g in grams) >= 0.6 * len(grams)

    # ----- entry point -------------------------------------------------------------------------

    def answer(self, question: str, lang: str | None = None, tz: str | None = None) -> Reply:
        """Answer one question in lang (or the question's language); times also shown in tz."""
        token = _VIEWER_ZONE.set(_zone(tz))
        try:
            return self._answer(question, lang)
        finally:
            _VIEWER_ZONE.reset(token)

    def _answer(self, question: str, lang: str | None) -> Reply:
        text = _clean(question)
        forced = normalize_language(lang)
        reply_lang = forced or detect_language(text).lang if text else (forced or "en")
        t = translator(reply_lang)
        if not text:
            return Reply(
                reply_lang,
                False,
                (t.gettext("Please type a question about AMIF calls."),),
                kind="empty",
            )
        if len(text) > MAX_QUESTION_CHARS:
            msg = t.gettext(
                "That message is too long for me. Please ask one question in at most "
                "{limit} characters."
            ).format(limit=t.format_number(MAX_QUESTION_CHARS))
            return Reply(reply_lang, False, (msg,), kind="too_long")
        folded = fold(text)
        words = [w for w in re.findall(r"[^\W_]+", folded)]
        if words and all(w in SMALL_TALK for w in words):
            return self._greeting(t)
        if OTHER_PROGRAMMES.search(folded) or FUTURE_CALLS.search(folded):
            return self._decline(t, None)
        named = self.kb.find_calls(text)
        unknown = self._unknown_calls(folded, named)
        if unknown:
            return self._decline_unknown_call(t, unknown)
        if self._mentions_unknown_year(folded) or self._off_topic(text):
            return self._decline(t, None)
        intent = detect_intent(folded)
        if intent is not None:
            reply = self._fact_reply(t, intent, named, text)
            if reply is not None:
                return reply
        if WHAT_IS.search(folded):
            reply = self._summary_reply(t, text, named)
            if reply is not None:
                return reply
        return self._passage_reply(t, text, named)

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

    def _decline(self, t: Translator, call: CallFacts | None, topic: str | None = None) -> Reply:
        if call is not None and topic is not None:
            first = t.gettext(
                "Our sources do not say {what} for {call}, so I cannot tell you."
            ).format(what=t.gettext(_TOPIC_WHAT[topic]), call=call.title.get(t.lang))
        else:
            first = t.gettext(
                "I don't know that: my sources don't cover it, and I'd rather not guess."
            )
        body = [first, self._where_to_ask(t, call)]
        sources = (self._ref(call.source_of("contact"), None),) if call and call.contact else ()
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

    def _unknown_calls(self, folded: str, named: list[CallFacts]) -> list[str]:
        """References or call years the question names that no known call has."""
        found, unknown = self.kb.resolve_references(folded)
        if found:
            return []
        if unknown:
            return unknown
        if named or not CALL_WORDS.search(folded):
            return []
        years = set(YEAR.findall(PERIOD.sub(" ", CALL_REFERENCE.sub(" ", folded))))
        known = set().union(*(self.kb.call_years(c) for c in self.kb.calls if c.kind == "call"))
        return sorted(years - known)

    def _decline_unknown_call(self, t: Translator, names: list[str]) -> Reply:
        """A call we have no source for: say so, and which calls we do know."""
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
            + _bullets(
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

    # ----- structured facts --------------------------------------------------------------------

    def _fact_reply(
        self, t: Translator, intent: Intent, named: list[CallFacts], text: str
    ) -> Reply | None:
        topic = intent.topic
        candidates = named or self._relevant_calls(text, t.lang)
        if not named and topic in _PROGRAMME_TOPICS:
            candidates.sort(key=lambda c: c.kind != "programme")
        mentioned = {c.id: self._mentioned_objectives(c, text) for c in candidates}
        if topic in _OBJECTIVE_TOPICS:
            # "How much is there for return projects?" asks about one objective of a call.
            with_objectives = [c for c in candidates if mentioned[c.id]]
            if with_objectives:
                return self._objective_reply(
                    t, with_objectives[0], mentioned[with_objectives[0].id]
                )
        if topic in ("actions", "objectives"):
            specific = self._specific_passage(t, text, intent, named)
            if specific is not None:
                return specific
        having = [c for c in candidates if _has_topic(c, topic)]
        if named and not having:
            return self._decline(t, named[0], topic)
        if not having:
            return None
        # Long listings for one call only; short facts for up to four calls side by side.
        having = having[: len(named) or 1] if topic in _LONG_TOPICS or named else having[:4]
        body: list[str] = []
        for call in having:
            body.extend(self._render_topic(t, call, topic))
        if topic == "deadline" and not named:
            unknown = [c for c in candidates if c.kind == "call" and c.deadline is None]
            for call in unknown:
                body.append(self._status_line(t, call))
        sources = [
            self._ref(call.source_of(f), None)
            for call in having
            for f in _TOPIC_FIELDS.get(topic, (topic,))
            if _field_set(call, f)
        ]
        if not sources:
            sources = [self._ref(call.source, None) for call in having]
        return Reply(
            t.lang,
            True,
            tuple(body),
            tuple(dict.fromkeys(sources)),
            kind="fact",
            calls=tuple(c.id for c in having),
        )

    def _off_topic(self, text: str) -> bool:
        """Whether most of what the question talks about never occurs in our sources."""
        lang = detect_language(text).lang
        words = [
            w for w in self.kb.indexes[lang].analyzer.words(text) if len(w) > 2 and not w.isdigit()
        ]
        unknown = [w for w in words if not self._is_known(w, lang)]
        return len(unknown) >= 2 and len(unknown) >= 0.5 * len(words)

    def _relevant_calls(self, text: str, lang: str) -> list[CallFacts]:
        """All calls, the one whose sources best match the question first."""
        best: dict[str, float] = {}
        for passage, score in self.kb.ranked_passages(text, lang, k=10):
            best.setdefault(passage.source.id, score)
        programme_last = sorted(self.kb.calls, key=lambda c: c.kind != "call")

        def rank(call: CallFacts) -> float:
            ids = {call.source, *call.field_sources.values()}
            return max((best.get(i, 0.0) for i in ids), default=0.0)

        return sorted(programme_last, key=lambda c: -rank(c))

    def _specific_passage(
        self, t: Translator, text: str, intent: Intent, named: list[CallFacts]
    ) -> Reply | None:
        """A passage answer when the question asks more than a listing would tell.

        "What projects are wanted for unaccompanied minors' well-being?" hits the 'actions'
        keywords, but a passage about exactly that answers it better than the list of measures.
        """
        folded = fold(text)
        rest = folded[: intent.span[0]] + " " + folded[intent.span[1] :]
        for call in named:
            for alias in (*call.aliases, call.id):
                rest = rest.replace(fold(alias), " ")
        lang = detect_language(text).lang
        analyzer = self.kb.indexes[lang].analyzer
        title_words = {w for call in named for w in analyzer.words(call.title.get(lang))}
        words = [
            w
            for w in analyzer.words(rest)
            if w not in _NAME_WORDS and w not in title_words and not w.isdigit() and len(w) > 2
        ]
        if len(words) < 4:
            return None
        hits = [h for h in self.kb.search(text, t.lang, k=3) if _good(h) and h.matched_stems >= 3]
        if not hits:
            return None
        return self._passage_reply(t, text, named)

    def _mentioned_objectives(self, call: CallFacts, text: str) -> list[int]:
        """Numbers of the call's specific objectives the question refers to by name or number."""
        if not call.objectives or call.kind != "call":
            return []
        folded = fold(text)
        numbers = {int(m.group(1) or m.group(2)) for m in _OBJECTIVE_NUMBER.finditer(folded)}
        lang = detect_language(text).lang
        asked = {w[:5] for w in self.kb.indexes[lang].analyzer.words(text) if len(w) > 3}
        found = [
            obj.number
            for obj in call.objectives
            if obj.number in numbers
            or not asked.isdisjoint(self._objective_prefixes[(call.id, obj.number)])
        ]
        return found if len(found) < len(call.objectives) else []

    def _objective_reply(self, t: Translator, call: CallFacts, numbers: list[int]) -> Reply:
        body = [t.gettext("{call}:").format(call=call.title.get(t.lang))]
        body.extend(
            self._objective_blocks(t, call, [o for o in call.objectives if o.number in numbers])
        )
        body.append(self._status_line(t, call, short=True))
        return Reply(
            t.lang,
            True,
            tuple(body),
            (self._ref(call.source_of("objectives"), None),),
            kind="fact",
            calls=(call.id,),
        )

    def _summary_reply(self, t: Translator, text: str, named: list[CallFacts]) -> Reply | None:
        """'What is AMIF?', 'Vad är utlysningen 2024?': the name and purpose of a call."""
        calls = named or [c for c in self.kb.calls if c.kind == "programme"]
        if not calls or not self._only_names(text, calls[0]):
            return None
        call = calls[0]
        body = [
            t.gettext("{call}: {summary}").format(
                call=call.title.get(t.lang), summary=call.summary.get(t.lang)
            )
        ]
        if call.kind == "call":
            body.append(self._status_line(t, call, short=True))
        return Reply(
            t.lang,
            True,
            tuple(body),
            (self._ref(call.source, None),),
            kind="fact",
            calls=(call.id,),
        )

    def _only_names(self, text: str, call: CallFacts) -> bool:
        """Whether the question has no content beyond naming the call (and AMIF)."""
        folded = WHAT_IS.sub(" ", fold(text))
        for alias in sorted({*call.aliases, fold(call.id)}, key=len, reverse=True):
            folded = re.sub(r"(?<![\w-])" + re.escape(fold(alias)) + r"(?![\w-])", " ", folded)
        lang = detect_language(text).lang
        rest = [
            w
            for w in self.kb.indexes[lang].analyzer.words(folded)
            if w not in _NAME_WORDS and not w.isdigit()
        ]
        return not rest

    def _render_topic(self, t: Translator, call: CallFacts, topic: str) -> list[str]:
        name = call.title.get(t.lang)
        lang = t.lang
        lines: list[str] = []
        if topic == "budget":
            if call.budget is not None:
                lines.append(
                    t.gettext("{call}: the total budget is {amount}.").format(
                        call=name, amount=t.format_money(call.budget.amount, call.budget.currency)
                    )
                )
            lines.extend(self._objective_amounts(t, call))
        elif topic == "grant" and call.grant_min and call.grant_max:
            lines.append(
                t.gettext("{call}: a grant is between {low} and {high}.").format(
                    call=name,
                    low=t.format_money(call.grant_min.amount, call.grant_min.currency),
                    high=t.format_money(call.grant_max.amount, call.grant_max.currency),
                )
            )
            if call.funding_rate:
                lines.append(self._funding_rate(t, call))
        elif topic == "funding_rate":
            if call.funding_rate:
                lines.append(self._funding_rate(t, call))
            if call.co_financing:
                co = call.co_financing
                lines.append(
                    t.gettext(
                        "{call}: the EU grant usually covers at most {usual} of a project's total "
                        "costs; it can be raised to {raised} ({condition})."
                    ).format(
                        call=name,
                        usual=t.format_percent(co.usual_max),
                        raised=t.format_percent(co.raised_max),
                        condition=co.raised_when.get(lang),
                    )
                )
        elif topic == "deadline":
            lines.append(self._deadline_line(t, call))
            if call.kind == "call":
                lines.append(self._status_line(t, call, short=True))
        elif topic == "duration" and call.duration_months:
            lines.append(
                t.ngettext(
                    "{call}: projects initially run for {n} month.",
                    "{call}: projects initially run for {n} months.",
                    call.duration_months,
                ).format(call=name, n=call.duration_months)
            )
        elif topic == "contact" and call.contact:
            lines.append(
                t.gettext("{call}: {contact}").format(
                    call=name, contact=call.contact.text.get(lang)
                )
            )
            if call.contact.email:
                lines.append(t.gettext("E-mail: {email}").format(email=call.contact.email))
        elif topic == "applicants" and call.applicants:
            lines.extend(self._applicants(t, call))
        elif topic == "countries" and call.countries:
            lines.append(
                t.gettext("{call}: {rule}").format(call=name, rule=call.countries.text.get(lang))
            )
            if call.countries.excluded:
                names = [
                    Locale.parse(_babel_lang(lang)).territories.get(c, c)
                    for c in call.countries.excluded
                ]
                lines.append(
                    t.gettext("Organisations established in {countries} cannot take part.").format(
                        countries=", ".join(names)
                    )
                )
        elif topic == "consortium" and call.consortium:
            lines.append(
                t.gettext(
                    "{call}: you need a consortium of at least {entities} entities from at least "
                    "{countries} different eligible countries."
                ).format(
                    call=name,
                    entities=call.consortium.min_entities,
                    countries=call.consortium.min_countries,
                )
            )
        elif topic == "target_group" and call.target_group:
            lines.append(
                t.gettext("{call}: {text}").format(call=name, text=call.target_group.get(lang))
            )
        elif topic == "priorities" and call.priorities:
            lines.append(
                t.gettext("{call} funds actions with these priorities:").format(call=name)
            )
            lines.append(_bullets([p.text.get(lang) for p in call.priorities]))
        elif topic == "actions" and (call.actions or _measures(call)):
            if call.actions:
                lines.append(t.gettext("Examples of what {call} funds:").format(call=name))
                lines.append(_bullets([a.text.get(lang) for a in call.actions]))
            else:
                lines.extend(self._objectives(t, call))
        elif topic == "objectives" and call.objectives:
            lines.extend(self._objectives(t, call))
        elif topic == "not_funded" and call.not_funded:
            lines.append(t.gettext("{call} does not fund:").format(call=name))
            lines.append(_bullets([x.get(lang) for x in call.not_funded]))
        elif topic == "how_to_apply" and call.how_to_apply:
            lines.append(t.gettext("How to apply ({call}):").format(call=name))
            lines.append(
                "\n".join(f"{i}. {s.get(lang)}" for i, s in enumerate(call.how_to_apply, 1))
            )
        elif topic == "history" and call.history:
            lines.append(call.history.get(lang))
        elif topic == "network" and call.network:
            lines.append(call.network.get(lang))
        elif topic == "management" and call.management:
            m = call.management
            lines.append(
                t.gettext("{call}: {share} of the budget is in shared management.").format(
                    call=name, share=t.format_percent(m.shared)
                )
            )
            lines.append(f"{m.shared_text.get(lang)} {m.direct_text.get(lang)}")
        return lines

    def _funding_rate(self, t: Translator, call: CallFacts) -> str:
        assert call.funding_rate is not None
        return t.gettext("{call}: the grant covers {rate} {basis}.").format(
            call=call.title.get(t.lang),
            rate=t.format_percent(call.funding_rate.rate),
            basis=call.funding_rate.basis.get(t.lang),
        )

    def _objective_amounts(self, t: Translator, call: CallFacts) -> list[str]:
        lines = []
        for obj in call.objectives:
            if obj.amount is not None:
                lines.append(
                    t.gettext("Specific objective {number} ({title}): {amount} available.").format(
                        number=obj.number,
                        title=obj.title.get(t.lang),
                        amount=t.format_money(obj.amount.amount, obj.amount.currency),
                    )
                )
        if len(lines) > 1:
            total = sum(o.amount.amount for o in call.objectives if o.amount is not None)
            lines.append(t.gettext("In all: {amount}.").format(amount=t.format_money(total)))
        if lines:
            lines.insert(0, t.gettext("{call}:").format(call=call.title.get(t.lang)))
        return ["\n".join(lines)] if lines else []

    def _objectives(self, t: Translator, call: CallFacts) -> list[str]:
        out = [t.gettext("Specific objectives of {call}:").format(call=call.title.get(t.lang))]
        return out + self._objective_blocks(t, call, list(call.objectives))

    def _objective_blocks(
        self, t: Translator, call: CallFacts, objectives: list[Objective]
    ) -> list[str]:
        out = []
        for obj in objectives:
            head = f"{obj.number}. {obj.title.get(t.lang)}"
            if obj.amount is not None:
                head += " – " + t.gettext("{amount} available").format(
                    amount=t.format_money(obj.amount.amount, obj.amount.currency)
                )
            parts = [head, *(f"   • {m.text.get(t.lang)}" for m in obj.measures)]
            if obj.note is not None:
                parts.append(f"   {obj.note.get(t.lang)}")
            out.append("\n".join(parts))
        return out

    def _applicants(self, t: Translator, call: CallFacts) -> list[str]:
        a = call.applicants
        assert a is not None
        name = call.title.get(t.lang)
        rules = []
        if a.legal_person:
            rules.append(t.gettext("be a legal person"))
        if a.public_or_private:
            rules.append(t.gettext("be a public or a private body"))
        if a.non_profit:
            rules.append(t.gettext("be non-profit"))
        lines = []
        if rules:
            lines.append(
                t.gettext("{call}: an applicant must {rules}.").format(
                    call=name, rules=", ".join(rules)
                )
            )
        if a.types:
            lines.append(
                t.gettext("{call}: eligible organisations include:").format(call=name)
                + "\n"
                + _bullets([x.get(t.lang) for x in a.types])
            )
        return lines

    def _deadline_line(self, t: Translator, call: CallFacts) -> str:
        name = call.title.get(t.lang)
        d = call.deadline
        if d is None:
            return t.gettext("{call}: our sources give no deadline.").format(call=name)
        zone = t.gettext(_ZONE_NAMES.get(d.tz.key, d.tz.key))
        if call.opens is not None and d.time is None:
            return t.gettext("{call}: application period from {start} to {end}.").format(
                call=name, start=t.format_date(call.opens.date), end=t.format_date(d.date)
            )
        if d.time is not None:
            line = t.gettext("{call}: the deadline is {date} at {time} ({zone}).").format(
                call=name,
                date=t.format_date(d.date),
                time=t.format_time(d.moment(), d.tz),
                zone=zone,
            )
            viewer = _VIEWER_ZONE.get()
            if viewer is not None and viewer.key != d.tz.key:
                local = d.moment().astimezone(viewer)
                line += " " + t.gettext("That is {date} at {time} {zone}.").format(
                    date=t.format_date(local.date()),
                    time=t.format_time(local, viewer),
                    zone=t.gettext(_ZONE_NAMES.get(viewer.key, viewer.key)),
                )
            return line
        return t.gettext("{call}: the deadline is {date}.").format(
            call=name, date=t.format_date(d.date)
        )

    def _status_line(self, t: Translator, call: CallFacts, short: bool = False) -> str:
        """Whether the call is open, upcoming or closed now; short when the call was just named."""
        now = self.clock()
        status = call.status(now)
        name = call.title.get(t.lang)
        if status is CallStatus.OPEN:
            left = call.time_left(now)
            if left is not None:
                return t.gettext("{call} is open; it closes {when}.").format(
                    call=name, when=t.format_timedelta(left)
                )
        if status is CallStatus.UPCOMING and call.opens is not None:
            return t.gettext("{call} has not opened yet; it opens {when}.").format(
                call=name, when=t.format_timedelta(call.opens.start() - now)
            )
        if status is CallStatus.UNKNOWN:
            where = call.url or (
                call.contact.email if call.contact and call.contact.email else None
            )
            text = t.gettext(
                "{call}: our sources give no deadline, so I cannot say whether it is open."
            ).format(call=name)
            if where:
                text += " " + t.gettext("Check {where}.").format(where=where)
            return text
        if short:
            return t.gettext("Status: {status}.").format(status=t.gettext(_STATUS_TEXT[status]))
        return t.gettext("Status of {call}: {status}.").format(
            call=name, status=t.gettext(_STATUS_TEXT[status])
        )

    def _passage_reply(self, t: Translator, text: str, named: list[CallFacts]) -> Reply:
        hits = [h for h in self.kb.search(text, t.lang, k=5) if _good(h)]
        foreign = False
        if not hits:
            # Drop the question's own stop words first: "where is" means nothing to Swedish.
            content = " ".join(self.kb.indexes[t.lang].analyzer.words(text))
            for other in LANGUAGES:
                if other != t.lang:
                    hits = [h for h in self.kb.search(content, other, k=5) if _good(h)]
                    if hits:
                        foreign = True
                        break
        if not hits:
            return self._decline(t, named[0] if named else None)
        best = hits[0]
        chosen = [best]
        for hit in hits[1:]:
            if (
                hit.score >= SECOND_PASSAGE_RATIO * best.score
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
        body.extend(h.passage.text for h in chosen)
        calls = self._calls_of(chosen)
        for call in calls:
            if call.kind == "call":
                body.append(self._status_line(t, call))
        refs = tuple(dict.fromkeys(self._ref(h.passage.source.id, h.score) for h in chosen))
        return Reply(
            t.lang, True, tuple(body), refs, kind="passage", calls=tuple(c.id for c in calls)
        )

    def _calls_of(self, hits: list[PassageHit]) -> list[CallFacts]:
        ids = {h.passage.source.id for h in hits}
        return [c for c in self.kb.calls if c.kind == "call" and c.source in ids]

    def _ref(self, doc_id: str, score: float | None) -> SourceRef:
        src: Source = self.kb.sources[doc_id]
        return SourceRef(
            src.id, src.title, src.publisher, src.url, None if score is None else round(score, 3)
        )

    def call_overview(self, call: CallFacts, lang: str, tz: str | None = None) -> Reply:
        """The key facts of one call: what it funds, money, dates, who may apply, contact."""
        token = _VIEWER_ZONE.set(_zone(tz))
        try:
            return self._call_overview(call, lang)
        finally:
            _VIEWER_ZONE.reset(token)

    def _call_overview(self, call: CallFacts, lang: str) -> Reply:
        t = translator(lang)
        ref = f" [{call.reference}]" if call.reference else ""
        body = [f"{call.title.get(t.lang)}{ref}", call.summary.get(t.lang)]
        topics = (
            "deadline",
            "budget",
            "grant",
            "duration",
            "applicants",
            "countries",
            "consortium",
            "contact",
        )
        used: list[str] = []
        prefix = f"{call.title.get(t.lang)}: "
        for topic in topics:
            if _has_topic(call, topic):
                # The title heads the overview, so each line drops its "<call>: " lead-in.
                body.extend(
                    _capitalize(line.removeprefix(prefix))
                    for line in self._render_topic(t, call, topic)
                )
                used.extend(f for f in _TOPIC_FIELDS.get(topic, (topic,)) if _field_set(call, f))
        if call.kind == "call" and call.deadline is None:
            body.append(self._status_line(t, call))
        sources = tuple(dict.fromkeys(self._ref(call.source_of(f), None) for f in used)) or (
            self._ref(call.source, None),
        )
        return Reply(t.lang, True, tuple(body), sources, kind="call", calls=(call.id,))

    # ----- listings ----------------------------------------------------------------------------

    def list_calls(self, lang: str, tz: str | None = None) -> Reply:
        """Every known call with its status and deadline."""
        token = _VIEWER_ZONE.set(_zone(tz))
        try:
            return self._list_calls(lang)
        finally:
            _VIEWER_ZONE.reset(token)

    def _list_calls(self, lang: str) -> Reply:
        t = translator(lang)
        body = [t.gettext("Calls I know about:")]
        for call in self.kb.calls:
            if call.kind != "call":
                continue
            ref = f" [{call.reference}]" if call.reference else ""
            prefix = f"{call.title.get(t.lang)}: "
            deadline = _capitalize(self._deadline_line(t, call).removeprefix(prefix))
            status = self._status_line(t, call, short=call.deadline is not None)
            lines = [deadline] if call.deadline is not None else []
            lines.append(_capitalize(status.removeprefix(prefix)))
            body.append(f"• {call.title.get(t.lang)}{ref}\n  " + "\n  ".join(lines))
        refs = tuple(
            dict.fromkeys(self._ref(c.source, None) for c in self.kb.calls if c.kind == "call")
        )
        return Reply(t.lang, True, tuple(body), refs, kind="calls")


_LONG_TOPICS = {
    "priorities",
    "actions",
    "objectives",
    "how_to_apply",
    "history",
    "network",
    "not_funded",
    "applicants",
    "management",
    "countries",
    "target_group",
}


def _good(hit: PassageHit) -> bool:
    if hit.score < MIN_SCORE or hit.query_stems == 0:
        return False
    return hit.matched_stems / hit.query_stems >= MIN_STEM_SHARE


def _measures(call: CallFacts) -> bool:
    return any(o.measures for o in call.objectives)


def _has_topic(call: CallFacts, topic: str) -> bool:
    checks: dict[str, Callable[[CallFacts], object]] = {
        "budget": lambda c: c.budget or any(o.amount for o in c.objectives),
        "grant": lambda c: c.grant_min,
        "funding_rate": lambda c: c.funding_rate or c.co_financing,
        "deadline": lambda c: c.deadline,
        "duration": lambda c: c.duration_months,
        "contact": lambda c: c.contact,
        "applicants": lambda c: c.applicants,
        "countries": lambda c: c.countries,
        "consortium": lambda c: c.consortium,
        "priorities": lambda c: c.priorities,
        "actions": lambda c: c.actions or _measures(c),
        "objectives": lambda c: c.objectives,
        "not_funded": lambda c: c.not_funded,
        "how_to_apply": lambda c: c.how_to_apply,
        "history": lambda c: c.history,
        "network": lambda c: c.network,
        "management": lambda c: c.management,
        "target_group": lambda c: c.target_group,
    }
    return bool(checks[topic](call))


def _babel_lang(lang: str) -> str:
    return {"en": "en_GB", "sv": "sv_FI", "fi": "fi_FI"}.get(lang, "en_GB")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def _clean(text: str) -> str:
    """Drop control and invisible characters; collapse white space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=8192)
def _is_keyword(word: str) -> bool:
    """Whether a word is one the topic patterns react to ('deadline', 'määräaika')."""
    return detect_intent(word) is not None


def _field_set(call: CallFacts, name: str) -> bool:
    value = getattr(call, name if name != "grant" else "grant_min", None)
    return bool(value)
