"""The people's side: users and chats registered with the fake, and the updates they cause
(messages, edits, button presses, inline queries, membership changes)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal

from tests.support.telegram.api import BotMessage, FakeChat, FakeUser, JsonDict
from tests.support.telegram.html import detect_entities
from tests.support.telegram.state import ChatState, PendingQuery, TelegramState


class UpdateBuilders(TelegramState):
    """Who talks to the bot and what they send: each builder returns one update dict."""

    # -- users and chats --------------------------------------------------------------------

    def user(
        self,
        first_name: str = "Test",
        *,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> FakeUser:
        """Register a person; they can talk to the bot once they have a private chat."""
        with self._lock:
            new_user = FakeUser(
                id=user_id if user_id is not None else next(self._user_ids),
                first_name=first_name,
                username=username,
                last_name=last_name,
                language_code=language_code,
            )
            self._users[new_user.id] = new_user
            return new_user

    @property
    def default_user(self) -> FakeUser:
        """The person tests talk as when they name nobody."""
        with self._lock:
            if self._default_user is None:
                self._default_user = self.user("Tester", username="tester")
            return self._default_user

    def private_chat(self, user: FakeUser | None = None) -> FakeChat:
        """The private chat with `user`, opened as if they had pressed Start."""
        person = user or self.default_user
        with self._lock:
            self._users.setdefault(person.id, person)
            state = self._chats.get(person.id)
            if state is None:
                chat = FakeChat(
                    id=person.id,
                    type="private",
                    first_name=person.first_name,
                    username=person.username,
                )
                state = self._chats[person.id] = ChatState(chat)
            return state.chat

    def group(
        self,
        title: str = "AMIF applicants",
        *,
        supergroup: bool = True,
        username: str | None = None,
    ) -> FakeChat:
        """A group the bot is a member of."""
        with self._lock:
            number = next(self._group_ids)
            chat_id = -1_001_000_000_000 - number if supergroup else -4_000_000_000 - number
            chat = FakeChat(
                id=chat_id,
                type="supergroup" if supergroup else "group",
                title=title,
                username=username,
            )
            self._chats[chat_id] = ChatState(chat)
            return chat

    # -- update builders --------------------------------------------------------------------

    def _new_update(self, kind: str, payload: JsonDict) -> JsonDict:
        return {"update_id": next(self._update_ids), kind: payload}

    def _speaker(self, user: FakeUser | None, chat: FakeChat | None) -> tuple[FakeUser, ChatState]:
        person = user or self.default_user
        self._users.setdefault(person.id, person)
        if chat is None:
            chat = self.private_chat(person)
        state = self._chats.get(chat.id)
        if state is None:
            raise KeyError(f"chat {chat.id} is not registered with the fake")
        return person, state

    def _user_message(
        self,
        user: FakeUser | None,
        chat: FakeChat | None,
        content: JsonDict,
        reply_to: BotMessage | Mapping[str, Any] | int | None = None,
    ) -> JsonDict:
        with self._lock:
            person, state = self._speaker(user, chat)
            message: JsonDict = {
                "message_id": state.next_message_id,
                "from": person.to_api(),
                "chat": state.chat.to_api(),
                "date": int(time.time()),
                **content,
            }
            if reply_to is not None:
                replied_id = _message_id(reply_to)
                replied = self._any_message(state.chat.id, replied_id)
                if replied is None:
                    raise KeyError(f"no message {replied_id} in chat {state.chat.id} to reply to")
                message["reply_to_message"] = replied
            state.next_message_id += 1
            state.user_messages[message["message_id"]] = message
            return message

    def text_update(
        self,
        text: str,
        *,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
        reply_to: BotMessage | Mapping[str, Any] | int | None = None,
    ) -> JsonDict:
        """A text message from a user (commands and @mentions get their entities)."""
        content: JsonDict = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        return self._message_update(user, chat, content, reply_to)

    def _message_update(
        self,
        user: FakeUser | None,
        chat: FakeChat | None,
        content: JsonDict,
        reply_to: BotMessage | Mapping[str, Any] | int | None = None,
    ) -> JsonDict:
        message = self._user_message(user, chat, content, reply_to)
        with self._lock:
            return self._new_update("message", message)

    def edited_text_update(self, message: Mapping[str, Any], new_text: str) -> JsonDict:
        """The user edited one of their text messages."""
        with self._lock:
            chat_id = message["chat"]["id"]
            state = self._chats[chat_id]
            stored = state.user_messages.get(message["message_id"])
            if stored is None:
                raise KeyError(f"the user has no message {message['message_id']} in {chat_id}")
            edited = {**stored, "text": new_text, "edit_date": int(time.time())}
            edited.pop("entities", None)
            entities = detect_entities(new_text)
            if entities:
                edited["entities"] = entities
            state.user_messages[edited["message_id"]] = edited
            return self._new_update("edited_message", edited)

    def callback_update(
        self,
        message: BotMessage,
        *,
        button: str | None = None,
        data: str | None = None,
        user: FakeUser | None = None,
    ) -> JsonDict:
        """A press on a button of a bot message, by its label or its callback_data.

        The button must be on the message as it stands now, as on a real screen.
        """
        with self._lock:
            current = self.message(message.chat_id, message.message_id)
            pressed = [
                b
                for b in current.buttons
                if b.callback_data is not None
                and (button is None or b.text == button)
                and (data is None or b.callback_data == data)
            ]
            if not pressed:
                raise KeyError(
                    f"message {current.message_id} has no callback button matching "
                    f"text={button!r} data={data!r}; it has {current.button_texts}"
                )
            owner = self._users.get(current.chat_id)  # the person of a private chat
            person = user or owner or self.default_user
            query_id = str(next(self._query_ids))
            self._pending_queries[query_id] = PendingQuery(
                current.chat_id, current.message_id, current.chat_id
            )
            return self._new_update(
                "callback_query",
                {
                    "id": query_id,
                    "from": person.to_api(),
                    "message": self.message_dict(current),
                    "chat_instance": str(abs(hash((self.bot_id, current.chat_id)))),
                    "data": pressed[0].callback_data,
                },
            )

    def sticker_update(
        self, *, emoji: str = "👍", user: FakeUser | None = None, chat: FakeChat | None = None
    ) -> JsonDict:
        """A sticker from a user."""
        sticker = {
            "file_id": "FAKESTICKER1",
            "file_unique_id": "UFAKESTICKER1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._message_update(user, chat, {"sticker": sticker})

    def photo_update(
        self,
        *,
        caption: str | None = None,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """A photo from a user, optionally captioned."""
        sizes = [
            {
                "file_id": f"FAKEPHOTO{w}",
                "file_unique_id": f"UFAKEPHOTO{w}",
                "width": w,
                "height": w * 3 // 4,
                "file_size": w * 100,
            }
            for w in (90, 320, 800)
        ]
        content: JsonDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._message_update(user, chat, content)

    def voice_update(
        self, *, duration: int = 3, user: FakeUser | None = None, chat: FakeChat | None = None
    ) -> JsonDict:
        """A voice message from a user."""
        voice = {
            "file_id": "FAKEVOICE1",
            "file_unique_id": "UFAKEVOICE1",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": duration * 4000,
        }
        return self._message_update(user, chat, {"voice": voice})

    def location_update(
        self,
        latitude: float = 60.1699,
        longitude: float = 24.9384,
        *,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """A shared location from a user."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._message_update(user, chat, {"location": location})

    def document_update(
        self,
        file_name: str = "application.pdf",
        content: bytes = b"%PDF-1.4\n%fake\n",
        *,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        user: FakeUser | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """A document from a user; its bytes can be fetched with getFile and downloaded."""
        file_id = self.add_file(content, f"documents/{file_name}")
        document = {
            "file_id": file_id,
            "file_unique_id": f"U{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        message: JsonDict = {"document": document}
        if caption is not None:
            message["caption"] = caption
        return self._message_update(user, chat, message)

    def inline_query_update(self, query: str, *, user: FakeUser | None = None) -> JsonDict:
        """An inline query (@bot query typed in any chat); needs inline_mode=True."""
        if not self.inline_mode:
            raise ValueError(
                "Telegram sends inline queries only to bots with inline mode: "
                "FakeTelegram(inline_mode=True)"
            )
        person = user or self.default_user
        with self._lock:
            query_id = str(next(self._query_ids))
            self._pending_inline[query_id] = person.id
            return self._new_update(
                "inline_query",
                {"id": query_id, "from": person.to_api(), "query": query, "offset": ""},
            )

    def my_chat_member_update(
        self,
        chat: FakeChat,
        new_status: Literal["member", "kicked", "left", "administrator"],
        *,
        user: FakeUser | None = None,
    ) -> JsonDict:
        """The bot's membership changed: a user blocked it (kicked) or a group removed it."""
        with self._lock:
            state = self._chats[chat.id]
            person = user or self._users.get(chat.id) or self.default_user
            old = "member" if state.bot_status == "member" else state.bot_status
            state.bot_status = "member" if new_status == "administrator" else new_status
            bot = {**self.bot_user(), "can_join_groups": True}
            return self._new_update(
                "my_chat_member",
                {
                    "chat": chat.to_api(),
                    "from": person.to_api(),
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, "user": bot},
                    "new_chat_member": _member_status(new_status, bot),
                },
            )

    def is_visible_to_bot(self, update: Mapping[str, Any]) -> bool:
        """False for group small talk a bot in privacy mode never receives."""
        message = update.get("message") or update.get("edited_message")
        if not message or self.can_read_all_group_messages:
            return True
        if message["chat"]["type"] == "private":
            return True
        text = message.get("text") or message.get("caption") or ""
        if text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.lower().endswith(f"@{self.bot_username.lower()}")
        if f"@{self.bot_username.lower()}" in text.lower():
            return True
        replied = message.get("reply_to_message")
        return bool(replied and replied.get("from", {}).get("id") == self.bot_id)


def _member_status(status: str, bot: JsonDict) -> JsonDict:
    member: JsonDict = {"status": status, "user": bot}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True)
    return member


def _message_id(message: BotMessage | Mapping[str, Any] | int) -> int:
    if isinstance(message, int):
        return message
    if isinstance(message, BotMessage):
        return message.message_id
    return int(message["message_id"])


def update_type(update: Mapping[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def update_chat_key(update: Mapping[str, Any]) -> int:
    """The chat an update belongs to (for an inline query: the user's private chat id)."""
    kind = update_type(update)
    payload = update[kind]
    if kind == "callback_query":
        return int(payload["message"]["chat"]["id"])
    if kind == "inline_query":
        return int(payload["from"]["id"])
    return int(payload["chat"]["id"])
