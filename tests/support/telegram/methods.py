"""The Bot API methods that act on chats: sending, editing and deleting messages, answering
button presses and inline queries, chat actions, command menus, files, the bot's session."""

from __future__ import annotations

import re
import time
from dataclasses import replace

from tests.support.telegram.api import (
    MAX_BOT_COMMANDS,
    MAX_CALLBACK_ANSWER_CHARS,
    MAX_CAPTION_UTF16,
    MAX_INLINE_RESULTS,
    MAX_UPLOAD_BYTES,
    ApiError,
    BotMessage,
    CallbackAnswer,
    ChatActionRecord,
    InlineAnswer,
    JsonDict,
    SentDocument,
    UploadedFile,
    bad_request,
)
from tests.support.telegram.html import FormattedText, format_message_text, utf16_len
from tests.support.telegram.markup import check_reply_markup, same_markup
from tests.support.telegram.state import ChatState, TelegramState, scope_key

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class MessageMethods(TelegramState):
    """The methods that change what people see; each takes decoded params, returns a result."""

    def _get_me(self, params: JsonDict) -> object:
        return self.get_me()

    def _send_message(self, params: JsonDict) -> object:
        state = self._writable_chat(params)
        formatted = format_message_text(
            params, too_long="message is too long", strict_ampersand=self.strict_html_ampersand
        )
        markup = params.get("reply_markup")
        if markup is not None:
            check_reply_markup(markup)
        reply_to = self._reply_target(state, params)
        link_preview = self._link_preview(params)
        self._admit("sendmessage", state)
        message = BotMessage(
            chat_id=state.chat.id,
            message_id=state.next_message_id,
            text=formatted.text,
            raw_text=str(params["text"]),
            parse_mode=params.get("parse_mode") or None,
            entities=formatted.entities,
            reply_markup=markup,
            link_preview_options=link_preview,
            reply_to_message_id=reply_to,
            date=int(time.time()),
        )
        return self._store_sent(state, message)

    def _send_document(self, params: JsonDict) -> object:
        state = self._writable_chat(params)
        document = params.get("document")
        if document is None or document == "":
            raise bad_request("there is no document in the request")
        if isinstance(document, UploadedFile):
            if not document.content:
                raise bad_request("file must be non-empty")
            if len(document.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            name, mime, content = document.file_name, document.mime_type, document.content
        elif isinstance(document, str) and document in self._files:
            path, content = self._files[document]
            name, mime = path.rsplit("/", 1)[-1], "application/octet-stream"
        else:
            raise bad_request("wrong remote file identifier specified: can't unserialize it")
        caption = params.get("caption")
        formatted = FormattedText("", ())
        if caption not in (None, ""):
            caption_params: JsonDict = {"text": caption, "parse_mode": params.get("parse_mode")}
            if "caption_entities" in params:
                caption_params["entities"] = params["caption_entities"]
            formatted = format_message_text(
                caption_params,
                too_long="message caption is too long",
                strict_ampersand=self.strict_html_ampersand,
            )
            if utf16_len(formatted.text) > MAX_CAPTION_UTF16:
                raise bad_request("message caption is too long")
        markup = params.get("reply_markup")
        if markup is not None:
            check_reply_markup(markup)
        reply_to = self._reply_target(state, params)
        self._admit("senddocument", state)
        file_id = f"FAKEDOC{next(self._file_ids):06d}"
        self._files[file_id] = (f"documents/{name}", content)
        message = BotMessage(
            chat_id=state.chat.id,
            message_id=state.next_message_id,
            text=formatted.text,
            raw_text=str(caption or ""),
            parse_mode=params.get("parse_mode") or None,
            entities=formatted.entities,
            reply_markup=markup,
            link_preview_options=None,
            reply_to_message_id=reply_to,
            date=int(time.time()),
            document=SentDocument(file_id, name, mime, content),
        )
        return self._store_sent(state, message)

    def _store_sent(self, state: ChatState, message: BotMessage) -> object:
        state.next_message_id += 1
        state.bot_messages[message.message_id] = message
        self._sent.append(message)
        self._activity[state.chat.id] += 1
        return self.message_dict(message)

    def _reply_target(self, state: ChatState, params: JsonDict) -> int | None:
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if reply is None:
            return None
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise bad_request('can\'t find field "message_id"')
        message_id = reply["message_id"]
        if message_id in state.user_messages or message_id in state.bot_messages:
            return int(message_id)
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")

    def _message_to_edit(self, params: JsonDict) -> tuple[ChatState, BotMessage]:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")
        state = self._writable_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        if message_id in state.user_messages:
            raise bad_request("message can't be edited")
        message = state.bot_messages.get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        return state, message

    def _store_edit(self, state: ChatState, edited: BotMessage) -> object:
        state.bot_messages[edited.message_id] = edited
        self._edits.append(edited)
        self._activity[state.chat.id] += 1
        return self.message_dict(edited)

    def _edit_message_text(self, params: JsonDict) -> object:
        state, message = self._message_to_edit(params)
        if message.document is not None:
            raise bad_request("there is no text in the message to edit")
        formatted = format_message_text(
            params, too_long="MESSAGE_TOO_LONG", strict_ampersand=self.strict_html_ampersand
        )
        # Telegram drops the keyboard of an edited message unless the edit sends it again.
        markup = params.get("reply_markup")
        if markup is not None:
            check_reply_markup(markup, inline_only=True)
        if (
            formatted.text == message.text
            and list(formatted.entities) == list(message.entities)
            and same_markup(markup, message.reply_markup)
        ):
            raise bad_request(_NOT_MODIFIED)
        self._admit("editmessagetext", state)
        link_preview = self._link_preview(params)
        edited = replace(
            message,
            text=formatted.text,
            raw_text=str(params["text"]),
            parse_mode=params.get("parse_mode") or None,
            entities=formatted.entities,
            reply_markup=markup,
            link_preview_options=link_preview
            if link_preview is not None
            else message.link_preview_options,
            edit_date=int(time.time()),
            edit_count=message.edit_count + 1,
        )
        return self._store_edit(state, edited)

    def _edit_message_reply_markup(self, params: JsonDict) -> object:
        state, message = self._message_to_edit(params)
        markup = params.get("reply_markup")
        if markup is not None:
            check_reply_markup(markup, inline_only=True)
        if same_markup(markup, message.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        self._admit("editmessagereplymarkup", state)
        edited = replace(
            message,
            reply_markup=markup,
            edit_date=int(time.time()),
            edit_count=message.edit_count + 1,
        )
        return self._store_edit(state, edited)

    def _delete_message(self, params: JsonDict) -> object:
        state = self._writable_chat(params)
        message_id = params.get("message_id")
        if message_id in state.bot_messages:
            del state.bot_messages[message_id]
        elif message_id in state.user_messages:
            if state.chat.is_group:
                raise bad_request("message can't be deleted")
            del state.user_messages[message_id]
        else:
            raise bad_request("message to delete not found")
        self._activity[state.chat.id] += 1
        return True

    def _answer_callback_query(self, params: JsonDict) -> object:
        query_id = str(params.get("callback_query_id", ""))
        pending = self._pending_queries.get(query_id)
        if pending is None:
            raise bad_request(_QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_CHARS:
            raise bad_request("MESSAGE_TOO_LONG")
        del self._pending_queries[query_id]
        self._callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                chat_id=pending.chat_id,
                message_id=pending.message_id,
                text=str(text) if text is not None else None,
                show_alert=bool(params.get("show_alert", False)),
                url=params.get("url"),
                cache_time=params.get("cache_time"),
            )
        )
        self._activity[pending.key] += 1
        return True

    def _send_chat_action(self, params: JsonDict) -> object:
        state = self._writable_chat(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._chat_actions.append(ChatActionRecord(state.chat.id, str(action)))
        return True

    def _answer_inline_query(self, params: JsonDict) -> object:
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self._pending_inline:
            raise bad_request(_QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise bad_request('field "results" must be of type Array (fake)')
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results if isinstance(result, dict)]
        if len(ids) != len(results) or any(not i or len(i.encode()) > 64 for i in ids):
            raise bad_request("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        key = self._pending_inline.pop(query_id)
        self._inline_answers.append(
            InlineAnswer(
                inline_query_id=query_id,
                results=tuple(results),
                cache_time=params.get("cache_time"),
                is_personal=bool(params.get("is_personal", False)),
            )
        )
        self._activity[key] += 1
        return True

    # -- commands ---------------------------------------------------------------------------

    def _command_key(self, params: JsonDict) -> tuple[str, str]:
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise bad_request("invalid language code specified")
        scope = params.get("scope")
        if scope is not None and (not isinstance(scope, dict) or "type" not in scope):
            raise bad_request("can't parse BotCommandScope JSON object (fake)")
        return scope_key(scope), str(language)

    def _set_my_commands(self, params: JsonDict) -> object:
        key = self._command_key(params)
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request('field "commands" must be of type Array (fake)')
        if len(commands) > MAX_BOT_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("command must be non-empty")
            name = str(command.get("command", "")).strip().removeprefix("/")
            description = str(command.get("description", "")).strip()
            if not name:
                raise bad_request("command must be non-empty")
            if len(name) > 32:
                raise bad_request("command length must not exceed 32")
            if not description:
                raise bad_request("command description must be non-empty")
            if len(description) > 256:
                raise bad_request("command description length must not exceed 256")
            if not re.fullmatch(r"[a-z0-9_]+", name):
                raise bad_request("BOT_COMMAND_INVALID")
            cleaned.append({"command": name, "description": description})
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JsonDict) -> object:
        return list(self._commands.get(self._command_key(params), []))

    def _delete_my_commands(self, params: JsonDict) -> object:
        self._commands.pop(self._command_key(params), None)
        return True

    # -- files and the bot's own session ----------------------------------------------------

    def _get_file(self, params: JsonDict) -> object:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise bad_request("invalid file_id")
        path, content = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"U{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    def _close(self, params: JsonDict) -> object:
        self.closed = True
        return True

    def _log_out(self, params: JsonDict) -> object:
        self._logged_out = True
        return True
