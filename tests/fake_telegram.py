"""The strict fake of the Telegram Bot API, under the name tests have always imported.

The fake itself lives in tests/support/telegram/, one concern a module (see that package's
docstring); this module re-exports its public names.
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
