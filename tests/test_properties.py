"""Property-based abuse of the bot: random text, random update shapes, forged button data."""

import asyncio
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.storage import StorageKey
from knowledge.base import KnowledgeBase
from tests.support.bots import Harness, make_harness

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Bot:
    """A harness on a private event loop, so hypothesis can drive it from a sync test."""

    def __init__(
        self, tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self.harness, self.store = self.run(make_harness(tmp_path, kb, clock, checks))

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.run(self.harness.app.shutdown())
        self.run(self.store.close())
        self.loop.close()


@pytest.fixture
def bot(
    tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict
) -> Iterator[Bot]:
    instance = Bot(tmp_path, kb, clock, checks)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.WARNING)
    return lambda: [
        r.getMessage()
        for r in caplog.records
        if r.name == "amif.errors" and r.levelno >= logging.ERROR
    ]


def _bystander(bot: Bot) -> tuple[StorageKey, str]:
    """Another user with a check in progress and a language, whose data must never change."""
    h: Harness = bot.harness
    other = h.core.user("Bystander")
    chat = h.driver(other)
    bot.run(chat.send("/start sv"))
    bot.run(chat.send("/eligibility AMIF-2024-TF2-AG-THB"))
    key = StorageKey(chat.chat.id, other.id)
    stored = bot.run(h.store.load_dialog(key))
    assert stored is not None
    return key, stored.state


TEXT = st.one_of(
    st.text(min_size=0, max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50),
    st.builds(
        lambda s, n: (s or "x") * n, st.text(min_size=1, max_size=5), st.integers(1000, 20_000)
    ),
)


def test_random_text_always_gets_a_reply_and_touches_no_one_else(bot: Bot, errors) -> None:
    key, before = _bystander(bot)
    h = bot.harness

    @SETTINGS
    @given(text=TEXT)
    def check(text: str) -> None:
        user = h.core.user("Fuzz")
        chat = h.core.private_chat(user)
        sent_before = len(h.core.sent(chat))
        bot.run(h.feed(h.core.text_update(text, user=user, chat=chat)))
        assert len(h.core.sent(chat)) >= sent_before + 1, repr(text[:50])

    check()
    assert errors() == []
    assert bot.run(h.store.load_dialog(key)).state == before


def test_a_100_kb_message_is_answered(bot: Bot, errors) -> None:
    h = bot.harness
    chat = h.driver()
    bot.run(chat.send("AMIF deadline? " * 7000))
    assert "too long" in chat.last_text
    assert errors() == []


def test_forged_callback_data_is_answered_and_changes_nothing(bot: Bot, errors) -> None:
    key, before = _bystander(bot)
    h = bot.harness
    victim = h.driver()
    bot.run(victim.send("/eligibility AMIF-2024-TF2-AG-THB"))
    mine = StorageKey(victim.chat.id, victim.user.id)
    mine_before = bot.run(h.store.load_dialog(mine)).state

    prefixes = st.sampled_from(
        [
            "elig:",
            "elig:thb24:",
            "elig:thb24:legal:",
            "echk:",
            "lang:",
            "forget:",
            "menu:",
            "call:",
            "",
        ]
    )

    @SETTINGS
    @given(
        data=st.builds(
            lambda p, s: (p + s).encode()[:64].decode(errors="ignore") or "x",
            prefixes,
            st.text(max_size=60),
        )
    )
    def check(data: str) -> None:
        current = victim.last_keyboard_message
        if current is None:
            bot.run(victim.send("/eligibility AMIF-2024-TF2-AG-THB"))
            current = victim.last_keyboard_message
        # A modified client can attach any data to a real button of a real message.
        update = h.core.callback_update(current, button=current.button_texts[0])
        update["callback_query"]["data"] = data
        bot.run(h.feed(update))
        assert h.core.is_answered(update["callback_query"]["id"])

    check()
    assert errors() == []
    assert bot.run(h.store.load_dialog(key)).state == before
    # Forged data may only ever act as a real button would: the victim's check moved at most
    # by answering its own current question, never into another check.
    after = bot.run(h.store.load_dialog(mine))
    assert after is None or after.check_id == "thb24"
    del mine_before


UPDATE_KINDS = st.sampled_from(
    [
        "sticker",
        "photo",
        "voice",
        "location",
        "document",
        "edited",
        "group_text",
        "group_mention",
        "channel_post",
        "inline",
        "chat_member",
        "empty_message",
    ]
)


def test_random_update_shapes_never_raise(bot: Bot, errors) -> None:
    key, before = _bystander(bot)
    h = bot.harness
    core = h.core

    @SETTINGS
    @given(kind=UPDATE_KINDS, text=st.text(max_size=80))
    def check(kind: str, text: str) -> None:
        user = core.user("Shape")
        chat = core.private_chat(user)
        group = core.group()
        if kind == "sticker":
            update = core.sticker_update(user=user, chat=chat)
        elif kind == "photo":
            update = core.photo_update(user=user, chat=chat, caption=text or None)
        elif kind == "voice":
            update = core.voice_update(user=user, chat=chat)
        elif kind == "location":
            update = core.location_update(user=user, chat=chat)
        elif kind == "document":
            update = core.document_update(user=user, chat=chat)
        elif kind == "edited":
            sent = core.text_update(text or "hej", user=user, chat=chat)
            bot.run(h.feed(sent))
            update = core.edited_text_update(sent["message"], (text or "hej") + " AMIF?")
        elif kind == "group_text":
            update = core.text_update(text or "x", user=user, chat=group)
        elif kind == "group_mention":
            update = core.text_update(f"@{core.bot_username} {text}", user=user, chat=group)
        elif kind == "channel_post":
            update = {
                "update_id": core.text_update("x", user=user, chat=chat)["update_id"],
                "channel_post": {
                    "message_id": 1,
                    "date": 0,
                    "text": text or "x",
                    "chat": {"id": -100123, "type": "channel"},
                },
            }
        elif kind == "inline":
            update = {
                "update_id": core.text_update("x", user=user, chat=chat)["update_id"],
                "inline_query": {"id": "1", "from": user.to_api(), "query": text, "offset": ""},
            }
        elif kind == "chat_member":
            update = core.my_chat_member_update(chat, "kicked", user=user)
        else:
            update = core.text_update("x", user=user, chat=chat)
            update["message"].pop("text")
        bot.run(h.feed(update))

    check()
    assert errors() == []
    assert bot.run(h.store.load_dialog(key)).state == before
