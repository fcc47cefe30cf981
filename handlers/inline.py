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

from bot.assistant import MIN_SCORE, MIN_STEM_SHARE, Reply, SourceRef
from bot.reminders import O_, user_zone
from handlers.common import BotContext, user_language
from handlers.render import reply_to_html
from i18n import translator
from knowledge.base import PassageHit

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


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def single_message_html(reply: Reply) -> str:
    """The reply as one HTML message (an inline result carries one): trailing text trimmed."""
    body = list(reply.body)
    while True:
        messages = reply_to_html(dataclasses.replace(reply, body=tuple(body)))
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


def _good(hit: PassageHit) -> bool:
    return (
        hit.score >= MIN_SCORE
        and hit.query_stems > 0
        and hit.matched_stems / hit.query_stems >= MIN_STEM_SHARE
    )


def _passage_reply(hit: PassageHit, lang: str) -> Reply:
    src = hit.passage.source
    ref = SourceRef(src.id, src.title, src.publisher, src.url, round(hit.score, 3))
    return Reply(lang, True, (hit.passage.text,), (ref,), kind="passage")


def inline_results(
    context: BotContext, text: str, lang: str, tz: str | None = None
) -> tuple[bool, list[InlineQueryResultArticle]]:
    """Whether the assistant knew, and its answer first, then further passages that match well."""
    assistant = context.services.assistant
    reply = assistant.answer(text, lang, tz)
    sources = ", ".join(s.title for s in reply.sources)
    if not reply.answered:
        t = translator(reply.lang)
        article = _article(
            "a0", t.gettext(NO_ANSWER_TITLE), reply.body[0], single_message_html(reply)
        )
        return False, [article]
    results = [
        _article(
            "a0",
            reply.body[0],
            sources or (reply.body[1] if len(reply.body) > 1 else ""),
            single_message_html(reply),
        )
    ]
    shown = set(reply.body)
    for hit in assistant.kb.search(text, reply.lang, k=8):
        if len(results) >= MAX_RESULTS:
            break
        if not _good(hit) or hit.passage.text in shown:
            continue
        shown.add(hit.passage.text)
        results.append(
            _article(
                f"p{len(results)}",
                hit.passage.source.title,
                hit.passage.text,
                single_message_html(_passage_reply(hit, reply.lang)),
            )
        )
    return True, results


async def inline_query(update: Update, context: BotContext) -> None:
    """Answer an inline query in the asker's language (an empty one gets a hint)."""
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()
    lang = await user_language(update, context, text or None)
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
    user = update.effective_user
    chosen = await context.services.store.get_timezone(user.id) if user else None
    answered, results = inline_results(context, text, lang, user_zone(lang, chosen).key)
    await context.services.store.count_event(INLINE_METRIC if answered else INLINE_DECLINED_METRIC)
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
