"""👍/👎 under answers: each answer gets a random token; a vote is stored with the passages used.

Nothing here links a vote to a person: the `answers` row has no user id, and the callback data
is only `fb:<token>:u|d`. Pressing the other button changes the vote instead of adding one.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.assistant import Reply
from bot.reminders import O_
from bot.storage import AnswerRecord, Answers
from handlers.callbacks import decode, encode
from handlers.common import BotContext, answering, send_html, user_translator
from handlers.render import reply_to_html
from i18n import Translator, translator
from knowledge.base import KnowledgeBase

FEEDBACK = "fb"
VOTES = {"u": 1, "d": -1}
# Replies that answer (or decline) a question get buttons; greetings and listings do not.
VOTABLE_KINDS = frozenset({"fact", "passage", "call", "decline"})
ANSWERED_METRIC = "answered"
DECLINED_METRIC = "declined"

HELPFUL = O_("👍 Helpful")
NOT_HELPFUL = O_("👎 Not helpful")
THANKS = O_("Thank you! Your vote helps improve the answers.")
NO_LONGER_ACTIVE = O_("This button is no longer active.")


def new_token() -> str:
    """A random answer token (12 URL-safe characters: unguessable, short in callback data)."""
    return secrets.token_urlsafe(9)


def feedback_keyboard(
    token: str, t: Translator, chosen: int | None = None
) -> InlineKeyboardMarkup:
    """The two vote buttons; the chosen one carries a check mark."""
    buttons = []
    for code, label in (("u", HELPFUL), ("d", NOT_HELPFUL)):
        text = t.gettext(label)
        if chosen == VOTES[code]:
            text = "✓ " + text
        buttons.append(InlineKeyboardButton(text, callback_data=encode(FEEDBACK, token, code)))
    return InlineKeyboardMarkup([buttons])


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


async def send_answer_with_feedback(
    update: Update, context: BotContext, reply: Reply, question: str
) -> None:
    """Send a reply as HTML with the vote buttons under its last message, and count it."""
    services = context.services
    keep = services.settings.store_questions and update.effective_user is not None
    token = await record_answer(
        services.store,
        reply,
        services.assistant.kb,
        question if keep else None,
        update.effective_user.id if keep and update.effective_user else None,
    )
    keyboard = feedback_keyboard(token, translator(reply.lang)) if token else None
    await send_html(update, context, reply_to_html(reply, kb=services.assistant.kb), keyboard)


async def feedback_button(update: Update, context: BotContext) -> None:
    """Store (or change) a vote and show which one counts."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, FEEDBACK)
    t = await user_translator(update, context)
    store = context.services.store
    if not fields or len(fields) != 2 or fields[1] not in VOTES:
        await query.answer(t.gettext(NO_LONGER_ACTIVE))
        return
    token, value = fields[0], VOTES[fields[1]]
    state = await store.answer_state(token)
    if state is None or not await store.vote(token, value):
        await query.answer(t.gettext(NO_LONGER_ACTIVE))
        return
    lang, before = state
    async with answering(query, t.gettext(THANKS)):
        if before != value and query.message is not None:
            # The buttons keep the language of the answer they sit under, not the voter's.
            try:
                await query.edit_message_reply_markup(
                    feedback_keyboard(token, translator(lang), value)
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
