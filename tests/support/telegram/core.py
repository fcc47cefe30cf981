"""FakeTelegram: the fake Bot API's one object, which every transport (in-process or HTTP)
hands calls to. A call goes through authorization, fault injection and parameter decoding,
then to the method's entry in a dispatch table; getUpdates and the webhook live here too."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from tests.support.telegram.api import (
    DEFAULT_TOKEN,
    DROPPED,
    ApiCall,
    ApiError,
    ApiReply,
    BotMessage,
    CallbackAnswer,
    ChatActionRecord,
    FakeChat,
    InlineAnswer,
    JsonDict,
    UploadedFile,
    WebhookState,
    bad_request,
    error_reply,
    ok_reply,
)
from tests.support.telegram.faults import Fault, FaultInjection, FloodControl
from tests.support.telegram.methods import MessageMethods
from tests.support.telegram.params import attach_uploads, decode_params
from tests.support.telegram.state import TelegramState, chat_id_of, scope_key
from tests.support.telegram.updates import UpdateBuilders, update_type

# Update types Telegram leaves out unless a bot asks for them in allowed_updates.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class _Described:
    """A result that Telegram accompanies with a description (setWebhook, deleteWebhook)."""

    def __init__(self, result: object, description: str) -> None:
        self.result = result
        self.description = description


class FakeTelegram(MessageMethods, UpdateBuilders, FaultInjection):
    """The fake Telegram servers' state and behaviour, shared by every transport."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "amif_test_bot",
        bot_first_name: str = "AMIF Assistant (test)",
        can_read_all_group_messages: bool = False,
        inline_mode: bool = False,
        strict_html_ampersand: bool = True,
        flood: FloodControl | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.can_read_all_group_messages = can_read_all_group_messages
        self.inline_mode = inline_mode
        self.strict_html_ampersand = strict_html_ampersand
        self.flood = flood
        TelegramState.__init__(self)
        FaultInjection.__init__(self)
        # The dispatch table: a method's lower-cased name -> what performs it.
        self._handlers: dict[str, Callable[[JsonDict], object]] = {
            "getme": self._get_me,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendchataction": self._send_chat_action,
            "answerinlinequery": self._answer_inline_query,
            "getfile": self._get_file,
            "close": self._close,
            "logout": self._log_out,
        }

    # -- inspection -------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every call the bot made, in the order the fake answered them."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls to one method (names compare case-insensitively, as in Telegram)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def bot_messages(self, chat: FakeChat | int) -> list[BotMessage]:
        """The bot's messages in a chat as they stand now (edits applied, deletions gone)."""
        with self._lock:
            state = self._chats.get(chat_id_of(chat))
            return list(state.bot_messages.values()) if state else []

    def sent(self, chat: FakeChat | int | None = None) -> list[BotMessage]:
        """Every message the bot sent, as it was sent (a retried send shows up twice)."""
        with self._lock:
            return [m for m in self._sent if chat is None or m.chat_id == chat_id_of(chat)]

    def edits(self, chat: FakeChat | int | None = None) -> list[BotMessage]:
        """Every successful edit, as the message stood right after it."""
        with self._lock:
            return [m for m in self._edits if chat is None or m.chat_id == chat_id_of(chat)]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answers to button presses."""
        with self._lock:
            return list(self._callback_answers)

    def is_answered(self, callback_query_id: str) -> bool:
        """True once the bot answered that callback query."""
        with self._lock:
            return any(a.callback_query_id == callback_query_id for a in self._callback_answers)

    @property
    def chat_actions(self) -> list[ChatActionRecord]:
        """The chat actions ("typing", ...) the bot showed."""
        with self._lock:
            return list(self._chat_actions)

    @property
    def inline_answers(self) -> list[InlineAnswer]:
        """The bot's answers to inline queries."""
        with self._lock:
            return list(self._inline_answers)

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JsonDict] | None:
        """The command menu set for a scope and language, or None when none was set."""
        with self._lock:
            stored = self._commands.get((scope_key(scope), language_code))
            return [dict(command) for command in stored] if stored is not None else None

    @property
    def webhook(self) -> WebhookState:
        """The webhook as Telegram holds it."""
        with self._lock:
            return self._webhook

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates waiting in the getUpdates queue, not yet confirmed by an offset."""
        with self._lock:
            return list(self._pending_updates)

    def was_delivered(self, update_id: int) -> bool:
        """True once getUpdates handed that update to the bot."""
        with self._lock:
            return update_id in self._delivered_ids

    def activity(self, key: int) -> int:
        """How many visible things the bot did in a chat (sends, edits, deletes, answers)."""
        with self._lock:
            return self._activity[key]

    # -- handling one call ------------------------------------------------------------------

    async def handle(
        self,
        token: str,
        method: str,
        raw_params: Mapping[str, object],
        uploads: Mapping[str, UploadedFile] | None = None,
    ) -> ApiReply:
        """Answer one Bot API call as Telegram would (faults and flood control included).

        `uploads` are the file parts of a multipart request, by part name; a parameter that
        names one as "attach://<part>" or a part named like the parameter gets the file.
        """
        name = method.lower()
        with self._lock:
            if token != self.token or self._logged_out:
                reply = error_reply(ApiError(401, "Unauthorized"))
                self._record(method, dict(raw_params), reply, performed=False)
                return reply
            fault = self.take_fault(name)
        try:
            params = decode_params(raw_params)
            if uploads:
                params = attach_uploads(params, uploads)
        except ApiError as error:
            reply = error_reply(error)
            with self._lock:
                self._record(method, dict(raw_params), reply, performed=False)
            return reply
        try:
            if fault is None:
                reply = await self._perform(name, params)
                with self._lock:
                    self._record(method, params, reply, performed=reply.status == 200)
                return reply
            done = await self._perform(name, params) if fault.after_success else None
            return await self._apply_fault(fault, name, method, params, done)
        finally:
            self._changed.notify()

    async def _perform(self, name: str, params: JsonDict) -> ApiReply:
        if name == "getupdates":
            return await self._get_updates(params)
        with self._lock:
            handler = self._handlers.get(name)
            if handler is None:
                return error_reply(ApiError(404, "Not Found"))
            try:
                result = handler(params)
            except ApiError as error:
                return error_reply(error)
        if isinstance(result, _Described):
            return ok_reply(result.result, result.description)
        return ok_reply(result)

    async def _apply_fault(
        self, fault: Fault, name: str, method: str, params: JsonDict, done: ApiReply | None
    ) -> ApiReply:
        """Fail a call; `done` is the real answer when the call was performed first."""
        performed = done is not None and done.status == 200
        if fault.kind == "error":
            if fault.raw_body is not None:
                reply = ApiReply(fault.status, fault.raw_body, content_type="text/html")
            else:
                parameters = {"retry_after": fault.retry_after} if fault.status == 429 else None
                reply = error_reply(ApiError(fault.status, fault.description or "", parameters))
            with self._lock:
                self._record(method, params, reply, performed=performed)
            return reply
        if fault.kind == "drop":
            with self._lock:
                self._record(method, params, DROPPED, performed=performed)
            return DROPPED
        if fault.seconds is None:
            with self._lock:
                self._record(method, params, DROPPED, performed=performed)
            self._changed.notify()
            await asyncio.Event().wait()  # until the client gives up or the server stops
        await asyncio.sleep(fault.seconds or 0)
        reply = done if done is not None else await self._perform(name, params)
        with self._lock:
            self._record(method, params, reply, performed=reply.status == 200)
        return reply

    def _record(self, method: str, params: JsonDict, reply: ApiReply, *, performed: bool) -> None:
        payload = reply.payload if not reply.dropped else None
        self._calls.append(
            ApiCall(
                method=method,
                params=params,
                status=None if reply.dropped else reply.status,
                description=payload.get("description") if payload else None,
                performed=performed,
            )
        )

    # -- waiting ----------------------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until predicate() holds (re-checked on every change); False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self._changed.version
            if predicate():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await self._changed.wait(seen, remaining)

    # -- getUpdates and the webhook ---------------------------------------------------------

    def push_update(self, update: JsonDict) -> bool:
        """Queue an update for getUpdates; False when Telegram would not deliver it."""
        with self._lock:
            if not self.is_visible_to_bot(update):
                return False
            kind = update_type(update)
            allowed = self._allowed_updates
            if allowed is None:
                if kind in _OPT_IN_UPDATE_TYPES:
                    return False
            elif kind not in allowed:
                return False
            self._pending_updates.append(update)
        self._changed.notify()
        return True

    async def _get_updates(self, params: JsonDict) -> ApiReply:
        with self._lock:
            if self._webhook.url:
                return error_reply(
                    ApiError(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; use "
                        "deleteWebhook to delete the webhook first",
                    )
                )
            limit = params.get("limit", 100)
            limit = 100 if not 1 <= limit <= 100 else limit
            timeout = max(0, params.get("timeout", 0))
            allowed = params.get("allowed_updates")
            if allowed is not None:
                if not isinstance(allowed, list):
                    return error_reply(bad_request('field "allowed_updates" must be an Array'))
                self._allowed_updates = frozenset(allowed) or None
            if "offset" in params:
                self._confirm(params["offset"])
            self._poll_generation += 1
            generation = self._poll_generation
        self._changed.notify()  # wakes an earlier long poll, which now loses to this one
        deadline = time.monotonic() + timeout
        while True:
            seen = self._changed.version
            with self._lock:
                if self._poll_generation != generation:
                    return error_reply(
                        ApiError(
                            409,
                            "Conflict: terminated by other getUpdates request; make sure that "
                            "only one bot instance is running",
                        )
                    )
                batch = self._pending_updates[:limit]
                if batch or time.monotonic() >= deadline:
                    self._delivered_ids.update(update["update_id"] for update in batch)
                    return ok_reply(batch)
            await self._changed.wait(seen, max(0.0, deadline - time.monotonic()))

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._pending_updates = self._pending_updates[offset:]
            return
        self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]

    def _drop_pending(self) -> None:
        self._pending_updates.clear()

    def _set_webhook(self, params: JsonDict) -> object:
        url = params.get("url", "")
        if not isinstance(url, str):
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https":
                raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
            if (parts.port or 443) not in (80, 88, 443, 8443):
                raise bad_request(
                    "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
                )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        allowed = params.get("allowed_updates")
        self._webhook = WebhookState(
            url=url,
            secret_token=secret,
            max_connections=params.get("max_connections", 40),
            allowed_updates=tuple(allowed) if allowed is not None else None,
        )
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or None
        if not url:
            return _Described(True, "Webhook was deleted")
        return _Described(True, "Webhook was set")

    def _delete_webhook(self, params: JsonDict) -> object:
        had_webhook = bool(self._webhook.url)
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self._webhook = WebhookState()
        return _Described(
            True, "Webhook was deleted" if had_webhook else "Webhook is already deleted"
        )

    def _get_webhook_info(self, params: JsonDict) -> object:
        info: JsonDict = {
            "url": self._webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        if self._webhook.url:
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.allowed_updates is not None:
                info["allowed_updates"] = list(self._webhook.allowed_updates)
        return info

    # -- files ------------------------------------------------------------------------------

    def download(self, token: str, file_path: str) -> ApiReply:
        """Answer a GET of /file/bot<token>/<file_path>."""
        with self._lock:
            if token != self.token:
                return error_reply(ApiError(401, "Unauthorized"))
            for path, content in self._files.values():
                if path == file_path:
                    return ApiReply(200, content, content_type="application/octet-stream")
        return error_reply(ApiError(404, "Not Found"))
