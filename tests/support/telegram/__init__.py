"""A strict fake of the Telegram Bot API servers, for tests.

Only the Telegram servers are faked, at the HTTP seam: the bot under test runs the real
python-telegram-bot (PTB) code, either in-process through `FakeRequest` or over real HTTP
against `FakeTelegramServer` (also from another process). Both share one `FakeTelegram` core,
which answers like Telegram does, with Telegram's error shapes, and records everything.

In-process, through PTB's own Application::

    core = FakeTelegram()
    app = (ApplicationBuilder().token(core.token)
           .request(FakeRequest(core)).get_updates_request(FakeRequest(core)).build())
    async with app:
        chat = ChatDriver(core, lambda u: app.process_update(Update.de_json(u, app.bot)))
        await chat.send("/start")
        await chat.click("Svenska")
        assert "Välkommen" in chat.last_text

End to end, with the bot polling over HTTP (in-process or as a subprocess)::

    async with FakeTelegramServer(core) as server:   # server.base_url == "http://127.0.0.1:P/bot"
        ... start the bot with base_url=server.base_url, base_file_url=server.base_file_url ...
        chat = ChatDriver(core, PollingFeed(core))   # pushes to getUpdates, waits for the answer

Differences from Telegram, on purpose:
- stricter: parse_mode HTML rejects a bare "&" that starts no entity (Telegram shows it as
  text); an inline button with more than one action field is rejected (Telegram takes one).
- not modelled: Markdown/MarkdownV2 parsing (such text is stored and counted as sent), file
  uploads over the loopback HTTP server (in-process, sendDocument takes an uploaded file),
  callback queries expiring with time, delivery of updates to a set webhook.
Error descriptions are Telegram's where known; the few the fake words itself end in "(fake)".
Under filterwarnings=error set PTB_TIMEDELTA=true: PTB 22 warns while building RetryAfter.

Modules, one concern each:
- api: the values (errors, replies, users, chats, messages) and Telegram's limits;
- html: UTF-16 lengths, the HTML parse mode and entities; markup: keyboard checks;
- params: decoding parameters by name; faults: injected failures and flood control;
- state, methods, updates, core: what Telegram holds, the methods that change it, the updates
  people cause, and FakeTelegram, which routes each call through a dispatch table;
- transport: FakeRequest (in-process) and FakeTelegramServer (loopback HTTP);
- drivers: ChatDriver and PollingFeed.
"""

from tests.support.telegram.api import (
    DEFAULT_TOKEN,
    MAX_BOT_COMMANDS,
    MAX_CALLBACK_ANSWER_CHARS,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_UTF16,
    MAX_INLINE_KEYBOARD_BUTTONS,
    MAX_INLINE_RESULTS,
    MAX_MESSAGE_UTF16,
    MAX_UPLOAD_BYTES,
    ApiCall,
    ApiError,
    ApiReply,
    BotMessage,
    CallbackAnswer,
    ChatActionRecord,
    FakeChat,
    FakeUser,
    InlineAnswer,
    InlineButton,
    JsonDict,
    SentDocument,
    UpdateFeed,
    UploadedFile,
    WebhookState,
)
from tests.support.telegram.core import (
    FakeTelegram,
)
from tests.support.telegram.drivers import (
    ButtonNotFound,
    ChatDriver,
    PollingFeed,
)
from tests.support.telegram.faults import (
    Fault,
    FloodControl,
)
from tests.support.telegram.html import (
    FormattedText,
    detect_entities,
    format_message_text,
    parse_html,
    utf16_len,
)
from tests.support.telegram.markup import (
    check_reply_markup,
)
from tests.support.telegram.params import (
    decode_params,
)
from tests.support.telegram.transport import (
    FakeRequest,
    FakeTelegramServer,
)
from tests.support.telegram.updates import (
    update_chat_key,
)

__all__ = [
    "DEFAULT_TOKEN",
    "MAX_BOT_COMMANDS",
    "MAX_CALLBACK_ANSWER_CHARS",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_UTF16",
    "MAX_INLINE_KEYBOARD_BUTTONS",
    "MAX_INLINE_RESULTS",
    "MAX_MESSAGE_UTF16",
    "MAX_UPLOAD_BYTES",
    "ApiCall",
    "ApiError",
    "ApiReply",
    "BotMessage",
    "ButtonNotFound",
    "CallbackAnswer",
    "ChatActionRecord",
    "ChatDriver",
    "FakeChat",
    "FakeRequest",
    "FakeTelegram",
    "FakeTelegramServer",
    "FakeUser",
    "Fault",
    "FloodControl",
    "FormattedText",
    "InlineAnswer",
    "InlineButton",
    "JsonDict",
    "PollingFeed",
    "SentDocument",
    "UpdateFeed",
    "UploadedFile",
    "WebhookState",
    "check_reply_markup",
    "decode_params",
    "detect_entities",
    "format_message_text",
    "parse_html",
    "update_chat_key",
    "utf16_len",
]
