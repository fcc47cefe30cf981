"""The question use case: a user's question to a Reply in their zone, counted and votable.

Every question a Telegram user asks goes through `ask`, whether typed on its own or in the middle
of an eligibility check: the answer shows times in the user's zone, follows up on the calls of
the conversation's previous answer, adds to the daily answered/declined counts and, when it
answers or declines, gets a vote token for its 👍/👎 buttons.

Nothing here links a vote to a person: the `answers` row has no user id unless the operator
turned on STORE_QUESTIONS, and the token is random.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from bot.assistant import Reply
from bot.services import Services, UserContext
from bot.storage import AnswerRecord, Answers
from knowledge.base import KnowledgeBase

# Replies that answer (or decline) a question get buttons; greetings and listings do not.
VOTABLE_KINDS = frozenset({"fact", "passage", "call", "decline"})
ANSWERED_METRIC = "answered"
DECLINED_METRIC = "declined"


@dataclass(frozen=True)
class Asked:
    """A question's reply, and the token of its vote buttons (None: no buttons)."""

    reply: Reply
    token: str | None


async def ask(services: Services, user: UserContext, text: str, lang: str | None) -> Asked:
    """Answer text in lang (None: the question's own language), count it, keep it for votes."""
    recent = services.recent_calls
    zone = user.zone_in(lang or user.text_language(text))
    reply = services.assistant.answer(text, lang, zone.key, previous=recent.get(user.conversation))
    recent.put(user.conversation, reply.calls)
    keep = services.settings.store_questions and user.user_id is not None
    token = await record_answer(
        services.store,
        reply,
        services.assistant.kb,
        text if keep else None,
        user.user_id if keep else None,
    )
    return Asked(reply, token)


def new_token() -> str:
    """A random answer token (12 URL-safe characters: unguessable, short in callback data)."""
    return secrets.token_urlsafe(9)


def prepare_votes(kb: KnowledgeBase) -> None:
    """Build the passage lookup of vote records now (~80 ms at 20,000 passages), not mid-reply."""
    _passage_ids_by_text(kb)


@lru_cache(maxsize=2)
def _passage_ids_by_text(kb: KnowledgeBase) -> dict[str, str]:
    return {p.text: p.id for index in kb.indexes.values() for p in index.passages}


def passage_ids(reply: Reply, kb: KnowledgeBase | None) -> tuple[str, ...]:
    """The passages a reply quotes (a passage answer shows them verbatim)."""
    if kb is None or reply.kind != "passage":
        return ()
    by_text = _passage_ids_by_text(kb)
    return tuple(dict.fromkeys(by_text[p] for p in reply.body if p in by_text))


def answer_metric(reply: Reply) -> str | None:
    """The daily counter a reply adds to: answered, declined, or none (greetings, listings)."""
    if reply.kind == "decline":
        return DECLINED_METRIC
    if reply.answered and reply.kind in VOTABLE_KINDS:
        return ANSWERED_METRIC
    return None


async def record_answer(
    store: Answers,
    reply: Reply,
    kb: KnowledgeBase | None = None,
    question: str | None = None,
    asker: int | None = None,
) -> str | None:
    """Count the reply and keep it for voting; the token for its buttons, or None for none.

    Pass question (and its asker's user id) only when the operator turned on STORE_QUESTIONS.
    """
    metric = answer_metric(reply)
    if reply.kind not in VOTABLE_KINDS:
        await store.record_answer(None, metric)
        return None
    record = AnswerRecord(
        token=new_token(),
        lang=reply.lang,
        kind=reply.kind,
        passages=passage_ids(reply, kb),
        sources=tuple(s.id for s in reply.sources),
        question=question,
        asker=asker,
    )
    await store.record_answer(record, metric)
    return record.token
