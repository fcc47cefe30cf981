"""Every Telegram handler of the bot, in one table, in the order PTB tries them.

The composition root (bot/telegram_app.py) turns each row into a PTB handler, wrapped so that
it receives the update's UserContext (handlers/common.with_user). PTB runs the groups in
ascending order and, within a group, the first row that matches; so the rows below are read
top to bottom as the bot reads an update: the owner check on buttons, then commands, then
buttons by callback-data prefix, then what is left (unknown commands, other messages, free text).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from telegram.ext import filters

from handlers import (
    admin,
    calls,
    eligibility,
    errors,
    feedback,
    inline,
    language,
    media,
    privacy,
    questions,
    start,
    subscriptions,
)
from handlers.common import UserHandler, refuse_foreign_press

# The owner check runs before every other handler: a button acts only for the user it was shown
# to, and a refused press ends the update there (ApplicationHandlerStop).
OWNER_GROUP = -20
MAIN_GROUP = 0


class On(Enum):
    """What a row matches."""

    COMMAND = "command"  # pattern: the command's name
    BUTTON = "button"  # pattern: a regex over the callback data (None: any button)
    MESSAGE = "message"  # pattern: a PTB filter
    INLINE = "inline"  # an inline query ("@bot question" in any chat)


@dataclass(frozen=True)
class Route:
    """One row of the table: what it matches, which handler runs, in which group."""

    on: On
    pattern: str | filters.BaseFilter | None
    handler: UserHandler
    group: int = MAIN_GROUP


_PRIVATE = filters.ChatType.PRIVATE

ROUTES: tuple[Route, ...] = (
    # 0. Before anything else: a button acts only for the user it was shown to.
    Route(On.BUTTON, None, refuse_foreign_press, OWNER_GROUP),
    # 1. Commands. In groups PTB only sees commands addressed to us (or all, without privacy
    #    mode); the handlers themselves keep personal flows out of groups.
    Route(On.COMMAND, "start", start.start),
    Route(On.COMMAND, "help", start.help_command),
    Route(On.COMMAND, "calls", calls.calls_command),
    Route(On.COMMAND, "call", calls.call_command),
    Route(On.COMMAND, "language", language.language_command),
    Route(On.COMMAND, "privacy", privacy.privacy_command),
    Route(On.COMMAND, "mydata", privacy.mydata_command),
    Route(On.COMMAND, "forget", privacy.forget_command),
    Route(On.COMMAND, "eligibility", eligibility.eligibility_command),
    Route(On.COMMAND, "back", eligibility.back_command),
    Route(On.COMMAND, "cancel", eligibility.cancel_command),
    Route(On.COMMAND, "subscribe", subscriptions.subscribe_command),
    Route(On.COMMAND, "unsubscribe", subscriptions.unsubscribe_command),
    Route(On.COMMAND, "timezone", subscriptions.timezone_command),
    # Operators only (ADMIN_IDS); everyone else gets the same refusal as for an unknown thing.
    Route(On.COMMAND, "stats", admin.stats_command),
    Route(On.COMMAND, "reload", admin.reload_command),
    # 2. Buttons, by callback-data prefix; anything else is stale or forged.
    Route(On.BUTTON, r"^menu:", start.menu_pressed),
    Route(On.BUTTON, r"^call:", calls.call_button),
    Route(On.BUTTON, r"^calls(:|$|~)", calls.calls_button),
    Route(On.BUTTON, r"^csub:", calls.remind_button),
    Route(On.BUTTON, r"^lang:", language.language_button),
    Route(On.BUTTON, r"^forget:", privacy.forget_button),
    Route(On.BUTTON, r"^mydata:", privacy.mydata_button),
    Route(On.BUTTON, r"^elig:", eligibility.eligibility_button),
    Route(On.BUTTON, r"^echk:", eligibility.choose_check_button),
    Route(On.BUTTON, rf"^{subscriptions.SUB}:", subscriptions.subscribe_button),
    Route(On.BUTTON, rf"^{subscriptions.UNSUB}:", subscriptions.unsubscribe_button),
    Route(On.BUTTON, rf"^{subscriptions.TZ}:", subscriptions.timezone_button),
    Route(On.BUTTON, rf"^{feedback.FEEDBACK}:", feedback.feedback_button),
    Route(On.BUTTON, None, eligibility.unknown_button),
    # 3. Inline mode: "@bot question" typed in any chat.
    Route(On.INLINE, None, inline.inline_query),
    # 4. Unknown commands get help; non-text messages get a hint of what works.
    Route(On.MESSAGE, filters.COMMAND, media.unknown_command),
    Route(
        On.MESSAGE,
        ~filters.TEXT & ~filters.StatusUpdate.ALL & (_PRIVATE | filters.REPLY),
        media.unsupported_message,
    ),
    # 5. Free text (new or edited), last: questions, or typed answers of an eligibility check.
    Route(On.MESSAGE, filters.TEXT & ~filters.COMMAND, questions.answer_question),
)

# The one error handler: logs without personal data, apologises, ends the update.
ERROR_HANDLER = errors.on_error
