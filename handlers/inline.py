"""Inline mode: "@bot question" in any chat offers the best answers, with sources, to insert."""

from __future__ import annotations

import dataclasses
import html

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode

from bot.answering.aspects import aspect_evidence
from bot.assistant import Reply, SourceRef
from bot.reminders import O_
from bot.services import UserContext
from handlers.common import BotContext
from handlers.render import reply_to_html
from i18n import N_, Translator, translator
from knowledge.base import KnowledgeBase, PassageHit, fold
from knowledge.documents import Passage
from knowledge.facts import CallFacts

MAX_RESULTS = 3
# Inline answers depend on the asker's language, and users type on: cache briefly, per user.
CACHE_SECONDS = 30
TITLE_CHARS = 64
DESCRIPTION_CHARS = 120
INLINE_METRIC = "inline"
INLINE_DECLINED_METRIC = "inline_declined"

HINT_TITLE = O_("Ask about AMIF calls")
HINT_DESCRIPTION = O_("Type a question after my name, for example: funding rate 2024 call")
HINT_TEXT = O_(
    "I answer questions about EU AMIF calls with sources, in English, Swedish and Finnish. "
    "Type a question after my name in any chat to share an answer."
)
NO_ANSWER_TITLE = O_("No answer in my sources")
TITLE = N_("{fact} – {call}")
# What a result is about, named for its title: the aspect a question or passage is about.
FACT_LABELS = {
    "budget": N_("Budget"),
    "grant": N_("Grant size"),
    "funding_rate": N_("Funding rate"),
    "deadline": N_("Deadline"),
    "duration": N_("Project duration"),
    "contact": N_("Contact"),
    "applicants": N_("Who may apply"),
    "countries": N_("Eligible countries"),
    "consortium": N_("Consortium"),
    "priorities": N_("Priorities"),
    "actions": N_("What is funded"),
    "objectives": N_("Specific objectives"),
    "not_funded": N_("What is not funded"),
    "how_to_apply": N_("How to apply"),
    "history": N_("History"),
    "network": N_("European Migration Network"),
    "management": N_("Management"),
    "target_group": N_("Target group"),
}
# Words in a passage's key (its heading in the document) that say which fact it gives.
_KEY_FACTS = (
    ("not-funded", "not_funded"),
    ("budget", "budget"),
    ("deadline", "deadline"),
    ("call-period", "deadline"),
    ("contact", "contact"),
    ("consortium", "consortium"),
    ("countries", "countries"),
    ("organisations", "applicants"),
    ("who-can-apply", "applicants"),
    ("beneficiaries", "applicants"),
    ("funding-rate", "funding_rate"),
    ("co-financing", "funding_rate"),
    ("grant-size", "grant"),
    ("duration", "duration"),
    ("how-to-apply", "how_to_apply"),
    ("priorities", "priorities"),
    ("objectives", "objectives"),
    ("so1", "objectives"),
    ("so2", "objectives"),
    ("so3", "objectives"),
    ("funded", "actions"),
    ("actions", "actions"),
    ("history", "history"),
    ("emn", "network"),
    ("management", "management"),
    ("target-group", "target_group"),
)
ABOUT_LABEL = N_("About")


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def single_message_html(reply: Reply, kb: KnowledgeBase | None = None) -> str:
    """The reply as one HTML message (an inline result carries one): trailing text trimmed."""
    body = list(reply.body)
    while True:
        messages = reply_to_html(dataclasses.replace(reply, body=tuple(body)), kb=kb)
        if len(messages) == 1:
            return messages[0]
        if len(body) > 1:
            body.pop()
            body[-1] = body[-1] + " …"
        else:
            body[0] = body[0][: len(body[0]) * 2 // 3].rstrip() + " …"


def _article(
    result_id: str, title: str, description: str, text_html: str
) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=result_id,
        title=_shorten(title, TITLE_CHARS),
        description=_shorten(description, DESCRIPTION_CHARS),
        input_message_content=InputTextMessageContent(
            text_html,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
    )


def _passage_reply(hit: PassageHit, lang: str) -> Reply:
    src = hit.passage.source
    ref = SourceRef(src.id, src.title, src.publisher, src.url, round(hit.score, 3))
    return Reply(lang, True, (hit.passage.text,), (ref,), kind="passage")


def _passage_call(kb: KnowledgeBase, passage: Passage) -> CallFacts | None:
    """The call a passage's document is about."""
    source = passage.source
    named = kb.call(source.call) if source.call else None
    return named or next((c for c in kb.calls if c.source == source.id), None)


def _passage_fact(passage: Passage) -> str | None:
    return next((fact for word, fact in _KEY_FACTS if word in passage.key), None)


def _title(t: Translator, fact: str | None, call: CallFacts | None, fallback: str) -> str:
    """'Funding rate – AMIF 2024 call …': the fact first, so a cut title still tells it apart.

    Without a call the fallback (the source's title) takes its place.
    """
    label = t.gettext(FACT_LABELS[fact]) if fact in FACT_LABELS else t.gettext(ABOUT_LABEL)
    what = call.title.get(t.lang) if call is not None else fallback
    return _shorten(t.gettext(TITLE).format(fact=label, call=what), TITLE_CHARS)


def _answer_text(reply: Reply, kb: KnowledgeBase) -> str:
    """The reply's words without the '<call>: ' lead-ins the title gives, nor links."""
    paragraphs = [p for p in reply.body if "://" not in p] or list(reply.body)
    text = " ".join(paragraphs)
    for ident in reply.calls:
        call = kb.call(ident)
        if call is not None:
            text = text.replace(f"{call.title.get(reply.lang)}: ", "")
    return text[:1].upper() + text[1:]


def inline_results(
    context: BotContext, text: str, lang: str, tz: str | None = None
) -> tuple[bool, list[InlineQueryResultArticle]]:
    """Whether the assistant knew, and its answer first, then further passages that match well.

    Each result's title names the fact and the call, and its description gives the answer.
    """
    assistant = context.services.assistant
    kb = assistant.kb
    reply = assistant.answer(text, lang, tz)
    t = translator(reply.lang)
    if not reply.answered:
        article = _article(
            "a0", t.gettext(NO_ANSWER_TITLE), reply.body[0], single_message_html(reply, kb)
        )
        return False, [article]
    aspects = aspect_evidence(fold(text))
    fact = aspects[0].aspect if aspects else None
    call = kb.call(reply.calls[0]) if len(reply.calls) == 1 else None
    description = _answer_text(reply, kb)
    title = _title(t, fact, call, reply.body[0])
    taken = {title}
    results = [_article("a0", title, description, single_message_html(reply, kb))]
    shown = set(reply.body)
    # The chat's own answer filter: no result a chat answer would decline to quote.
    for hit in assistant.good_passages(text, reply.lang, k=12):
        if len(results) >= MAX_RESULTS:
            break
        if hit.passage.text in shown:
            continue
        shown.add(hit.passage.text)
        passage = hit.passage
        source = passage.source.title_in(reply.lang)
        title = _title(t, _passage_fact(passage), _passage_call(kb, passage), source)
        if title in taken:
            continue  # the same fact of the same call: a result that looks like another
        taken.add(title)
        results.append(
            _article(
                f"p{len(results)}",
                title,
                passage.text,
                single_message_html(_passage_reply(hit, reply.lang), kb),
            )
        )
    return True, results


async def inline_query(update: Update, context: BotContext, user: UserContext) -> None:
    """Answer an inline query in the asker's language (an empty one gets a hint)."""
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()
    lang = user.text_language(text) if text else user.lang
    if not text:
        t = translator(lang)
        hint = _article(
            "hint",
            t.gettext(HINT_TITLE),
            t.gettext(HINT_DESCRIPTION),
            html.escape(t.gettext(HINT_TEXT), quote=False),
        )
        await query.answer([hint], cache_time=CACHE_SECONDS, is_personal=True)
        return
    answered, results = inline_results(context, text, lang, user.zone_in(lang).key)
    await context.services.store.count_event(INLINE_METRIC if answered else INLINE_DECLINED_METRIC)
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
