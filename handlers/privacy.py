"""/privacy, /mydata and /forget: what is stored, showing it, deleting it after a confirmation.

/mydata and /forget are personal: in a group they only point to the private chat.
"""

from __future__ import annotations

import json
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.eligibility import Ask, DialogState, Show, next_step, progress_text, render_text
from bot.operator import ANSWER_RETENTION
from bot.reminders import zone_label
from bot.services import UserContext
from bot.storage import ALL_CALLS
from handlers.callbacks import decode, encode
from handlers.common import BotContext, answer_and_edit, answering, send_html, send_to_private_chat
from handlers.render import text_to_html
from i18n import LANGUAGE_NAMES, N_, Translator

FORGET = "forget"
MYDATA = "mydata"
JSON_WORDS = frozenset({"json", "file", "fil", "tiedosto"})
EXPORT_FILE_NAME = "amif-assistant-my-data.json"
PRIVACY_TEXT = N_(
    "What I store, and why:\n"
    "• Your language choice (/language) and time zone (/timezone), if you set them, so I answer "
    "in them.\n"
    "• The answers you give in an eligibility check, so you can continue after a break or a "
    "restart. Unfinished checks are deleted automatically after {hours} hours.\n"
    "• Your deadline reminders, if you subscribe with /subscribe, and which ones were sent.\n\n"
    "What I do not store: the questions you type, your name, your phone number or anything else "
    "about you. 👍/👎 votes on answers are kept without any link to you. Your Telegram user id is "
    "the key that keeps your data apart from others'.\n\n"
    "/mydata shows everything stored about you; /forget deletes it at once."
)
# The update inbox (bot/inbox.py) keeps a message, text and all, until it is handled.
INBOX_TEXT = N_(
    "About the messages you send: until one is handled (usually within a second, longer if the "
    "bot was stopped just then) it is kept as Telegram delivered it, so that a restart cannot "
    "lose it. It is deleted once handled, and /forget deletes it too."
)
# Under STORE_QUESTIONS the questions are kept with the asker's id (bot/storage.py, table
# questions), so that /mydata and /forget can find them; the notice must say so.
QUESTIONS_STORED_TEXT = N_(
    "Unlike what is said above, the operator of this bot has turned on keeping the questions "
    "you type, to improve the answers. Each question is kept with your Telegram user id for "
    "{days} days: /mydata shows it and /forget deletes it."
)
MYDATA_PRIVATE = N_("Your stored data is personal: I show it only in a private chat.")
FORGET_PRIVATE = N_("Deleting your data is personal: please confirm it in a private chat.")
MYDATA_HEADING = N_("This is what I have stored about you:")
MYDATA_LANGUAGE = N_("Language: {language}")
MYDATA_NO_LANGUAGE = N_("Language: not chosen (I follow the language of your messages)")
MYDATA_ZONE = N_("Time zone: {zone}")
MYDATA_NO_ZONE = N_("Time zone: not chosen (I use {zone})")
MYDATA_CHECK = N_("Eligibility check in progress: {check}, {progress}")
MYDATA_NO_CHECK = N_("Eligibility checks in progress: none")
MYDATA_SUBSCRIPTIONS = N_("Deadline reminders: {calls}")
MYDATA_NO_SUBSCRIPTIONS = N_("Deadline reminders: none")
MYDATA_ALL_CALLS = N_("every call")
MYDATA_QUESTIONS = N_("Questions you typed, kept to improve the answers: {n}")
# The readable list shows the latest few; `/mydata json` has all of them.
MYDATA_QUESTIONS_SHOWN = 5
MYDATA_FOOTER = N_("/mydata json sends all of it as a file; /forget deletes it.")
MYDATA_FILE_BUTTON = N_("Everything as a file (JSON)")
MYDATA_FILE_CAPTION = N_("Everything I have stored about you, as JSON.")


async def privacy_command(update: Update, context: BotContext, user: UserContext) -> None:
    """Explain what is stored, for how long and why."""
    t = user.t
    settings = context.services.settings
    text = t.gettext(PRIVACY_TEXT).format(hours=t.format_number(round(settings.dialog_ttl_hours)))
    text += "\n\n" + t.gettext(INBOX_TEXT)
    if settings.store_questions:
        days = t.format_number(ANSWER_RETENTION.days)
        text += "\n\n" + t.gettext(QUESTIONS_STORED_TEXT).format(days=days)
    await send_html(update, context, text_to_html(text))


async def mydata_command(update: Update, context: BotContext, user: UserContext) -> None:
    """A short readable list of what is stored; '/mydata json' sends the full export."""
    if await send_to_private_chat(update, context, user, MYDATA_PRIVATE, MYDATA):
        return
    if user.user_id is None:
        return
    t = user.t
    data = await context.services.store.export_user(user.user_id)
    if not _has_rows(data):
        await send_html(
            update, context, text_to_html(t.gettext("I have no data stored about you."))
        )
        return
    if (context.args or [""])[0].casefold() in JSON_WORDS:
        await send_export(update, context, data, t)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext(MYDATA_FILE_BUTTON), callback_data=encode(MYDATA, "json")
                )
            ]
        ]
    )
    summary = mydata_summary(context, user, data)
    await send_html(update, context, text_to_html(summary), keyboard)


async def mydata_button(update: Update, context: BotContext, user: UserContext) -> None:
    """The button under /mydata: the full export as a file."""
    query = update.callback_query
    if query is None or user.user_id is None:
        return
    t = user.t
    if decode(query.data, MYDATA) != ["json"]:
        await query.answer(t.gettext("This button is no longer active."))
        return
    data = await context.services.store.export_user(user.user_id)
    async with answering(query):
        if _has_rows(data):
            await send_export(update, context, data, t)
        else:
            await send_html(
                update, context, text_to_html(t.gettext("I have no data stored about you."))
            )


async def send_export(
    update: Update, context: BotContext, data: dict[str, Any], t: Translator
) -> None:
    """Send the whole export as a JSON document."""
    chat = update.effective_chat
    if chat is None:
        return
    dump = json.dumps(data, ensure_ascii=False, indent=1, default=str).encode("utf-8")
    await context.bot.send_document(
        chat.id,
        InputFile(dump, filename=EXPORT_FILE_NAME),
        caption=t.gettext(MYDATA_FILE_CAPTION),
    )


def mydata_summary(context: BotContext, user: UserContext, data: dict[str, Any]) -> str:
    """Language, time zone, checks in progress with their step, reminders: one line each."""
    t = user.t
    lines = [t.gettext(MYDATA_HEADING)]
    chosen = user.chosen
    if chosen:
        lines.append("• " + t.gettext(MYDATA_LANGUAGE).format(language=LANGUAGE_NAMES[chosen]))
    else:
        lines.append("• " + t.gettext(MYDATA_NO_LANGUAGE))
    zone = user.zone
    if user.zone_name:
        lines.append(
            "• " + t.gettext(MYDATA_ZONE).format(zone=f"{zone_label(zone, t)} ({zone.key})")
        )
    else:
        lines.append("• " + t.gettext(MYDATA_NO_ZONE).format(zone=zone_label(zone, t)))
    checks = [_check_line(context, row, t) for row in data.get("dialogs", [])]
    lines += [f"• {line}" for line in checks if line] or ["• " + t.gettext(MYDATA_NO_CHECK)]
    names = [_call_name(context, row.get("call_id"), t) for row in data.get("subscriptions", [])]
    if names:
        lines.append("• " + t.gettext(MYDATA_SUBSCRIPTIONS).format(calls="; ".join(names)))
    else:
        lines.append("• " + t.gettext(MYDATA_NO_SUBSCRIPTIONS))
    kept = [str(row.get("question", "")) for row in data.get("questions", [])]
    if kept:
        # Only with STORE_QUESTIONS: the user sees every question kept, newest last.
        lines.append("• " + t.gettext(MYDATA_QUESTIONS).format(n=t.format_number(len(kept))))
        lines += [f"   “{question}”" for question in kept[-MYDATA_QUESTIONS_SHOWN:]]
    sent = len(data.get("reminders_sent", []))
    if sent:
        sent_line = t.ngettext("{n} reminder sent so far", "{n} reminders sent so far", sent)
        lines.append("• " + sent_line.format(n=t.format_number(sent)))
    return "\n".join(lines) + "\n\n" + t.gettext(MYDATA_FOOTER)


def _check_line(context: BotContext, row: dict[str, Any], t: Translator) -> str | None:
    sessions = context.services.sessions
    spec = sessions.checks.get(str(row.get("check_id")))
    if spec is None:
        return None
    try:
        state = DialogState.from_json(json.dumps(row.get("state")))
        outcome = next_step(spec, state, Show(), now=sessions.clock(), t=t)
    except (ValueError, TypeError, KeyError):
        return None
    title = render_text(spec.title, t)
    where = progress_text(outcome.progress, t) if isinstance(outcome, Ask) else ""
    return t.gettext(MYDATA_CHECK).format(check=title, progress=where).rstrip(", ")


def _call_name(context: BotContext, call_id: object, t: Translator) -> str:
    if call_id == ALL_CALLS:
        return t.gettext(MYDATA_ALL_CALLS)
    call = context.services.assistant.kb.call(str(call_id))
    return call.title.get(t.lang) if call is not None else str(call_id)


def _has_rows(data: object) -> bool:
    if isinstance(data, dict):
        return any(_has_rows(v) for k, v in data.items() if k != "user_id")
    if isinstance(data, list | tuple):
        return bool(data)
    return data is not None


async def forget_command(update: Update, context: BotContext, user: UserContext) -> None:
    """Ask for confirmation before deleting the user's data."""
    if await send_to_private_chat(update, context, user, FORGET_PRIVATE, FORGET):
        return
    t = user.t
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Delete my data"), callback_data=encode(FORGET, "yes")
                ),
                InlineKeyboardButton(t.gettext("Cancel"), callback_data=encode(FORGET, "no")),
            ]
        ]
    )
    await send_html(
        update,
        context,
        text_to_html(
            t.gettext(
                "This deletes everything I have stored about you: your language and time zone, "
                "your reminders and any eligibility check in progress. Delete it?"
            )
        ),
        keyboard,
    )


async def forget_button(update: Update, context: BotContext, user: UserContext) -> None:
    """Delete every row about the user after the confirmation button, and say so."""
    query = update.callback_query
    if query is None or user.user_id is None:
        return
    fields = decode(query.data, FORGET)
    t = user.t
    if fields != ["yes"]:
        await answer_and_edit(query, None, t.gettext("Nothing was deleted."))
        return
    await context.services.store.forget_user(user.user_id)
    context.services.recent_calls.forget(user.user_id)
    done = t.gettext("Done: I have deleted all data I had stored about you.")
    await answer_and_edit(query, None, done)
