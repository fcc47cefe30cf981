"""Conversations with the bot under test: ChatDriver (a person in one chat) and PollingFeed
(how a driver's updates reach a bot that polls the fake over HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tests.support.telegram.api import (
    BotMessage,
    FakeChat,
    FakeUser,
    JsonDict,
    SentDocument,
    UpdateFeed,
)
from tests.support.telegram.core import FakeTelegram
from tests.support.telegram.updates import update_chat_key, update_type


class PollingFeed:
    """Feed for ChatDriver when the bot polls: queue the update, wait until the bot answered.

    The bot counts as having answered once it fetched the update, did something visible in
    the chat (a message, an edit, a callback answer) and then stayed quiet for `settle`.
    """

    def __init__(
        self, core: FakeTelegram, *, answer_timeout: float = 10.0, settle: float = 0.3
    ) -> None:
        self.core = core
        self.answer_timeout = answer_timeout
        self.settle = settle

    async def __call__(self, update: JsonDict) -> None:
        """Deliver one update through getUpdates and wait for the bot's answer."""
        core = self.core
        key = update_chat_key(update)
        before = core.activity(key)
        update_id = update["update_id"]
        if not core.push_update(update):
            return
        if not await core.wait_until(lambda: core.was_delivered(update_id), self.answer_timeout):
            raise AssertionError(
                f"the bot did not fetch update {update_id} within {self.answer_timeout}s: "
                "is it polling this fake server?"
            )
        if not await core.wait_until(lambda: core.activity(key) > before, self.answer_timeout):
            raise AssertionError(
                f"the bot fetched update {update_id} but did nothing visible in chat {key} "
                f"within {self.answer_timeout}s"
            )
        while True:
            if not await core.wait_until(_activity_moved(core, key), self.settle):
                return


def _activity_moved(core: FakeTelegram, key: int) -> Callable[[], bool]:
    since = core.activity(key)
    return lambda: core.activity(key) != since


class ButtonNotFound(AssertionError):
    """ChatDriver.click found no button with that label; the message lists the ones there are."""


class ChatDriver:
    """A person in one chat: tests read like their conversation with the bot.

    `feed` takes an update dict and returns once the bot has handled it: in-process
    `lambda u: app.process_update(Update.de_json(u, app.bot))`, end to end `PollingFeed(core)`.
    """

    def __init__(
        self,
        core: FakeTelegram,
        feed: UpdateFeed,
        *,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
        require_callback_answer: bool = True,
    ) -> None:
        self.core = core
        self.feed = feed
        if user is None:
            user = core.user("Member") if chat is not None and chat.is_group else core.default_user
        self.user = user
        self.chat = chat or core.private_chat(user)
        self.require_callback_answer = require_callback_answer

    async def _deliver(self, update: JsonDict) -> JsonDict:
        if self.core.is_visible_to_bot(update):
            await self.feed(update)
        kind = update_type(update)
        return dict(update[kind])

    async def send(
        self, text: str, *, reply_to: BotMessage | Mapping[str, Any] | int | None = None
    ) -> JsonDict:
        """Send a text message (a /command too); returns the message as the bot got it."""
        update = self.core.text_update(text, user=self.user, chat=self.chat, reply_to=reply_to)
        return await self._deliver(update)

    async def click(self, button_text: str, *, message: BotMessage | None = None) -> None:
        """Press the button with this label on the last bot message that has a keyboard.

        Pass `message` to press a button on an older message still on screen (a stale one).
        """
        if message is not None:
            message = self.core.message(self.chat, message.message_id)
        else:
            message = self.last_keyboard_message
        if message is None:
            raise ButtonNotFound(
                f"no message from the bot in chat {self.chat.id} has an inline keyboard; "
                f"last texts: {self.texts[-3:]}"
            )
        matches = [b for b in message.buttons if b.text == button_text]
        if not matches:
            raise ButtonNotFound(
                f"no button {button_text!r} on message {message.message_id} "
                f"({message.text[:60]!r}); its buttons: {message.button_texts}"
            )
        if matches[0].callback_data is None:
            raise ButtonNotFound(
                f"button {button_text!r} is a {matches[0].action} button: pressing it sends "
                "the bot nothing"
            )
        update = self.core.callback_update(message, button=button_text, user=self.user)
        await self.feed(update)
        query_id = update["callback_query"]["id"]
        if self.require_callback_answer and not self.core.is_answered(query_id):
            raise AssertionError(
                f"the bot did not answer the press on {button_text!r} (answerCallbackQuery): "
                "the user's client keeps showing a spinner"
            )

    async def edit(self, message: Mapping[str, Any], new_text: str) -> JsonDict:
        """Edit one of this person's earlier messages."""
        return await self._deliver(self.core.edited_text_update(message, new_text))

    async def send_sticker(self, emoji: str = "👍") -> JsonDict:
        """Send a sticker."""
        return await self._deliver(
            self.core.sticker_update(emoji=emoji, user=self.user, chat=self.chat)
        )

    async def send_photo(self, caption: str | None = None) -> JsonDict:
        """Send a photo."""
        return await self._deliver(
            self.core.photo_update(caption=caption, user=self.user, chat=self.chat)
        )

    async def send_voice(self) -> JsonDict:
        """Send a voice message."""
        return await self._deliver(self.core.voice_update(user=self.user, chat=self.chat))

    async def send_location(
        self, latitude: float = 60.1699, longitude: float = 24.9384
    ) -> JsonDict:
        """Share a location."""
        return await self._deliver(
            self.core.location_update(latitude, longitude, user=self.user, chat=self.chat)
        )

    async def send_document(
        self, file_name: str = "application.pdf", content: bytes = b"%PDF-1.4\n%fake\n"
    ) -> JsonDict:
        """Send a document."""
        return await self._deliver(
            self.core.document_update(file_name, content, user=self.user, chat=self.chat)
        )

    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat as they stand (edits applied)."""
        return self.core.bot_messages(self.chat)

    @property
    def texts(self) -> list[str]:
        """The texts of the bot's messages in this chat, oldest first (edits applied)."""
        return [message.text for message in self.messages]

    @property
    def last_message(self) -> BotMessage:
        """The bot's latest message in this chat."""
        messages = self.messages
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {self.chat.id}")
        return messages[-1]

    @property
    def last_text(self) -> str:
        """What the user sees in the bot's latest message."""
        return self.last_message.text

    @property
    def documents(self) -> list[SentDocument]:
        """The documents the bot sent to this chat, oldest first."""
        return [m.document for m in self.messages if m.document is not None]

    @property
    def last_keyboard_message(self) -> BotMessage | None:
        """The bot's latest message that carries an inline keyboard (what a user can press)."""
        return next((m for m in reversed(self.messages) if m.buttons), None)

    @property
    def last_buttons(self) -> list[str]:
        """The labels on the latest message with an inline keyboard (what click() can press)."""
        message = self.last_keyboard_message
        return message.button_texts if message else []
