"""Inline mode ("@bot question" in any chat) and the 👍/👎 votes under answers."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.assistant import Assistant, Reply, SourceRef
from bot.questions import ask, record_answer
from handlers.common import BotContext, user_context
from handlers.feedback import send_answer_with_feedback
from handlers.inline import single_message_html
from tests.support.bots import OperatorBot

NBSP = "\u00a0"
FUNDING_QUESTION = "What is the funding rate of the 2024 call?"


async def answer_with_feedback(update: Update, context: BotContext) -> None:
    """What handlers/questions.py does once integrated: answer, then vote buttons under it."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    user = await user_context(update, context)
    asked = await ask(context.services, user, message.text, user.chosen)
    await send_answer_with_feedback(update, context, asked)
    raise ApplicationHandlerStop


@pytest.fixture
def bot(bot: OperatorBot) -> OperatorBot:
    """The shared bot (inline mode on), whose free-text answers carry the vote buttons."""
    bot.harness.app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND, answer_with_feedback), group=-20
    )
    return bot


def _answers(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM answers ORDER BY created_at")]


def _database(bot: OperatorBot) -> Path:
    return bot.store.path


# --- votes -----------------------------------------------------------------------------------


async def test_a_vote_is_stored_without_the_user_and_a_second_press_changes_it(
    bot: OperatorBot,
) -> None:
    chat = bot.harness.driver()
    await chat.send("Can I book a meeting with SEM?")
    assert chat.last_buttons == ["👍 Helpful", "👎 Not helpful"]
    await chat.click("👍 Helpful")
    answer = bot.core.callback_answers[-1]
    assert answer.text == "Thank you! Your vote helps improve the answers."
    assert chat.last_buttons == ["✓ 👍 Helpful", "👎 Not helpful"]
    await chat.click("👎 Not helpful")
    assert chat.last_buttons == ["👍 Helpful", "✓ 👎 Not helpful"]
    (row,) = _answers(_database(bot))
    assert row["vote"] == -1 and row["question"] is None
    assert "user_id" not in row and str(chat.user.id) not in str(row)
    assert row["kind"] == "passage"
    assert row["passages"] == '["sem-amif-overview#sem-support-en"]'
    assert row["sources"] == '["sem-amif-overview"]'
    exported = await bot.store.export_user(chat.user.id)
    assert "answers" not in exported


async def test_buttons_speak_the_language_of_the_answer(bot: OperatorBot) -> None:
    chat = bot.harness.driver(bot.core.user("Sara", language_code="sv"))
    await chat.send("Kan en dansk organisation söka i utlysningen 2024?")
    assert chat.last_buttons == ["👍 Till hjälp", "👎 Inte till hjälp"]
    await chat.click("👎 Inte till hjälp")
    assert (
        bot.core.callback_answers[-1].text == "Tack! Din röst hjälper till att förbättra svaren."
    )


async def test_greetings_get_no_buttons_and_answers_are_counted(bot: OperatorBot) -> None:
    chat = bot.harness.driver()
    await chat.send("hello")
    assert chat.last_buttons == []
    await chat.send(FUNDING_QUESTION)
    await chat.send("What is the weather like in Paris tomorrow?")
    stats = await bot.store.usage_stats(bot.harness.services.sessions.ttl)
    assert stats.counts == {"answered": 1, "declined": 1}
    assert stats.answers_recorded == 2


async def test_forged_or_unknown_vote_buttons_change_nothing(bot: OperatorBot) -> None:
    chat = bot.harness.driver()
    await chat.send(FUNDING_QUESTION)
    message = chat.last_keyboard_message
    assert message is not None
    for forged in ("fb:doesnotexist:u", "fb:x", "fb:abc:z"):
        update = bot.core.callback_update(message, button="👍 Helpful")
        update["callback_query"]["data"] = forged
        await bot.harness.feed(update)
        assert bot.core.callback_answers[-1].text == "This button is no longer active."
    assert [row["vote"] for row in _answers(_database(bot))] == [None]


async def test_the_question_is_kept_only_when_the_operator_turned_that_on(
    bot: OperatorBot, assistant: Assistant
) -> None:
    # Called directly, not sent through the chat: the run's log guard tracks chat messages, and
    # aiosqlite logs statement parameters at DEBUG unless its logger is kept at INFO.
    question = "funding rate 2024?"
    reply = assistant.answer(question, "en")
    await record_answer(bot.store, reply, assistant.kb, question=question, asker=77)
    await record_answer(bot.store, reply, assistant.kb)
    # The answers (and their votes) stay unlinked to anyone; the kept question is its asker's.
    assert [row["question"] for row in _answers(_database(bot))] == [None, None]
    with sqlite3.connect(_database(bot)) as db:
        rows = db.execute("SELECT user_id, lang, question FROM questions").fetchall()
    assert rows == [(77, "en", question)]
    assert [q["question"] for q in (await bot.store.export_user(77))["questions"]] == [question]


# --- inline mode -----------------------------------------------------------------------------


async def _inline(bot: OperatorBot, query: str, language_code: str = "en") -> Any:
    user = bot.core.user("Inline", language_code=language_code)
    await bot.harness.feed(bot.core.inline_query_update(query, user=user))
    return bot.core.inline_answers[-1]


async def test_inline_query_offers_cited_answers(bot: OperatorBot) -> None:
    answer = await _inline(bot, FUNDING_QUESTION)
    results = answer.results
    assert 1 <= len(results) <= 3
    assert len({r["id"] for r in results}) == len(results)
    first = results[0]
    assert first["type"] == "article" and first["description"]
    content = first["input_message_content"]
    assert "90%" in content["message_text"] and "Source" in content["message_text"]
    assert content["parse_mode"] == "HTML"
    assert answer.cache_time == 30 and answer.is_personal
    stats = await bot.store.usage_stats(bot.harness.services.sessions.ttl)
    assert stats.counts == {"inline": 1}


async def test_inline_answers_follow_the_question_or_the_users_language(
    bot: OperatorBot,
) -> None:
    swedish = await _inline(bot, "Kan en dansk organisation söka i utlysningen 2024?")
    assert "Källa" in swedish.results[0]["input_message_content"]["message_text"]
    finnish_user = await _inline(bot, "AMIF 2024", language_code="fi")
    assert "Lähde" in finnish_user.results[0]["input_message_content"]["message_text"]


async def test_inline_deadlines_are_shown_in_the_users_time_zone(bot: OperatorBot) -> None:
    user = bot.core.user("Zone", language_code="en")
    await bot.harness.driver(user).send("/timezone Europe/Helsinki")
    await bot.harness.feed(
        bot.core.inline_query_update("When was the deadline of the 2020 call?", user=user)
    )
    text = bot.core.inline_answers[-1].results[0]["input_message_content"]["message_text"]
    assert "17:00 (Brussels time)" in text and "18:00 Helsinki time" in text


async def test_empty_and_unanswerable_inline_queries(bot: OperatorBot) -> None:
    hint = await _inline(bot, "   ")
    assert [r["id"] for r in hint.results] == ["hint"]
    assert "after my name" in hint.results[0]["description"]
    unknown = await _inline(bot, "What is the weather like in Paris tomorrow?")
    (only,) = unknown.results
    assert only["title"] == "No answer in my sources"


def test_a_long_answer_is_trimmed_to_one_message_and_keeps_its_source() -> None:
    source = SourceRef("doc", "A & B guide", "Publisher", "https://example.org/a?b=1&c=2", None)
    body = tuple(f"Paragraph {n}: " + "word " * 500 for n in range(4))
    html_text = single_message_html(Reply("en", True, body, (source,), kind="passage"))
    assert len(html_text.encode("utf-16-le")) // 2 <= 4096
    assert "Paragraph 0" in html_text and "Paragraph 3" not in html_text
    assert "…" in html_text and "A &amp; B guide" in html_text
