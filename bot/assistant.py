"""The transport-agnostic assistant: a question in, a cited, localized Reply out.

A thin façade over bot/answering: the Telegram handlers, the terminal chat and the command line
all ask through it. A question is cleaned, parsed once into a Query (language, the calls it names,
the aspects it asks about, the reader's time zone, the previous reply's calls for follow-ups) and
answered with a structured fact or a retrieved passage, each citing its source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot.answering.engine import Answerer
from bot.answering.policy import POLICY, AnswerPolicy
from bot.answering.query import zone_named
from bot.answering.render import View
from bot.answering.reply import Reply, SourceRef
from bot.overview import CallOverview, call_overview
from i18n import normalize_language, translator
from knowledge.base import KnowledgeBase, PassageHit
from knowledge.facts import CallFacts

__all__ = ["MAX_QUESTION_CHARS", "MIN_SCORE", "MIN_STEM_SHARE", "Assistant", "Reply", "SourceRef"]

Clock = Callable[[], datetime]
MAX_QUESTION_CHARS = POLICY.max_question_chars
MIN_SCORE = POLICY.min_score
MIN_STEM_SHARE = POLICY.min_stem_share
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def _system_now() -> datetime:
    return datetime.now(UTC)


def clean_question(text: str) -> str:
    """Drop control and invisible characters; collapse white space."""
    return " ".join(_CONTROL.sub(" ", text).split())


class Assistant:
    """Answers questions from the knowledge base; one instance serves every user and front end."""

    def __init__(
        self, kb: KnowledgeBase, clock: Clock = _system_now, policy: AnswerPolicy = POLICY
    ) -> None:
        self.kb = kb
        self.clock = clock
        self._answerer = Answerer(kb, clock, policy)

    def answer(
        self,
        question: str,
        lang: str | None = None,
        tz: str | None = None,
        previous: Sequence[str] = (),
    ) -> Reply:
        """Answer one question in lang (or the question's language); times also shown in tz.

        previous holds the calls of the reply before (Reply.calls), so that a follow-up such as
        "and the deadline?" is answered for the same call.
        """
        text = clean_question(question)
        if not text:
            t = translator(normalize_language(lang) or "en")
            return Reply(
                t.lang,
                False,
                (t.gettext("Please type a question about AMIF calls."),),
                kind="empty",
            )
        return self._answerer.answer(text, lang, tz, previous)

    def good_passages(self, text: str, lang: str, k: int = 5) -> list[PassageHit]:
        """The passages among the best k for text that an answer may quote: the chat's filter.

        Inline mode offers these as further results, so it shows nothing a chat answer would
        decline to show.
        """
        return self._answerer.passages.good_hits(text, lang, k)

    def call_overview(self, call: CallFacts, lang: str, tz: str | None = None) -> Reply:
        """The key facts of one call: what it funds, money, dates, who may apply, contact."""
        return self.call_sections(call, lang, tz).reply()

    def call_sections(self, call: CallFacts, lang: str, tz: str | None = None) -> CallOverview:
        """The key facts of one call under headings, for a front end that lays them out."""
        return call_overview(self._answerer.render, self._view(lang, tz), call)

    def list_calls(self, lang: str, tz: str | None = None) -> Reply:
        """Every known call with its status and deadline."""
        return self._answerer.render.listing(self._view(lang, tz))

    def _view(self, lang: str, tz: str | None) -> View:
        return View(translator(lang), zone_named(tz), self.clock())
