"""/calls lists the known calls; /call and its buttons show one call's key facts.

The list and a call's page are one message that its buttons edit in place: a call from the list,
'Back to calls' from a call, 'Menu' back to the start menu when the list was opened from there.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.overview import CallOverview
from bot.services import UserContext
from handlers.callbacks import CallbackDataError, decode, encode
from handlers.common import BotContext, answering, edit_html, private_link, send_html
from handlers.eligibility import CHOOSE
from handlers.menus import menu_button
from handlers.render import (
    MAX_MESSAGE,
    cited,
    inline_html,
    pack,
    reply_to_html,
    source_lines_html,
    text_to_html,
    utf16_len,
)
from handlers.subscriptions import ask_zone_once, subscribe
from i18n import N_, Translator
from knowledge.facts import CallFacts, CallStatus

CALL = "call"
CALLS = "calls"
REMIND = "csub"
FROM_MENU = "m"
CHECK_BUTTON = N_("Check eligibility")
REMIND_BUTTON = N_("Remind me")
PAGE_BUTTON = N_("Official page")
BACK_BUTTON = N_("« Back to calls")


def calls_keyboard(
    context: BotContext, lang: str, t: Translator | None = None, from_menu: bool = False
) -> InlineKeyboardMarkup:
    """One button per call; from the menu, a way back to it."""
    rows = [
        [InlineKeyboardButton(c.title.get(lang), callback_data=encode(CALL, c.id))]
        for c in context.services.assistant.kb.calls
        if c.kind == "call"
    ]
    if from_menu and t is not None:
        rows.append([menu_button(t)])
    return InlineKeyboardMarkup(rows)


def calls_html(context: BotContext, lang: str) -> list[str]:
    """The list of calls as HTML messages."""
    assistant = context.services.assistant
    return reply_to_html(assistant.list_calls(lang), kb=assistant.kb)


async def calls_command(update: Update, context: BotContext, user: UserContext) -> None:
    """List every call with status and deadline, in the user's locale."""
    lang = user.lang
    await send_html(update, context, calls_html(context, lang), calls_keyboard(context, lang))
    shown = context.services.assistant.list_calls(lang).text
    await ask_zone_once(update, context, user, lang, shown)


async def show_calls_in_place(
    update: Update, context: BotContext, user: UserContext, from_menu: bool
) -> None:
    """Turn the pressed message into the list of calls (a new message when it does not fit)."""
    t = user.t
    keyboard = calls_keyboard(context, t.lang, t, from_menu)
    messages = calls_html(context, t.lang)
    if len(messages) > 1 or not await edit_html(update, messages[0], keyboard):
        await send_html(update, context, messages, keyboard)
    shown = context.services.assistant.list_calls(t.lang).text
    await ask_zone_once(update, context, user, t.lang, shown)


async def calls_button(update: Update, context: BotContext, user: UserContext) -> None:
    """'Back to calls' under a call: the list again, in the same message."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, CALLS) or []
    async with answering(query):
        await show_calls_in_place(update, context, user, from_menu=FROM_MENU in fields)


async def call_command(update: Update, context: BotContext, user: UserContext) -> None:
    """/call REFERENCE shows one call; without a reference, buttons to choose one."""
    if context.args:
        await send_call(update, context, user, " ".join(context.args))
        return
    t = user.t
    await send_html(
        update, context, text_to_html(t.gettext("Which call?")), calls_keyboard(context, t.lang)
    )


async def call_button(update: Update, context: BotContext, user: UserContext) -> None:
    """A call chosen with a button: the message becomes the call's page."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, CALL)
    async with answering(query):
        if fields:
            await send_call(update, context, user, fields[0], in_place=True)


async def remind_button(update: Update, context: BotContext, user: UserContext) -> None:
    """'Remind me' under a call: subscribe, and confirm in a message of its own."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, REMIND)
    call = context.services.assistant.kb.call(fields[0]) if fields else None
    if call is None or user.group:
        await query.answer(user.t.gettext("This button is no longer active."))
        return
    async with answering(query):
        text = await subscribe(context, user, call.id)
        await send_html(update, context, text_to_html(text))


async def send_call(
    update: Update, context: BotContext, user: UserContext, ident: str, in_place: bool = False
) -> None:
    """Show the key facts of one call, or say that the reference is unknown."""
    t = user.t
    assistant = context.services.assistant
    call = assistant.kb.call(ident)
    if call is None:
        await send_html(
            update,
            context,
            text_to_html(
                t.gettext(
                    "I don't know a call with the reference {ref}. These are the ones I know:"
                ).format(ref=ident[:64])
            ),
            calls_keyboard(context, t.lang),
        )
        return
    overview = assistant.call_sections(call, t.lang)
    messages = overview_html(overview, context)
    keyboard = call_keyboard(context, user, call, overview)
    if not (in_place and len(messages) == 1 and await edit_html(update, messages[0], keyboard)):
        await send_html(update, context, messages, keyboard)
    await ask_zone_once(update, context, user, t.lang, overview.reply().text)


def overview_html(overview: CallOverview, context: BotContext) -> list[str]:
    """A call's page: bold title and headings, the reference as code, linked sources."""
    head = f"<b>{html.escape(overview.title, quote=False)}</b>"
    if overview.reference:
        head += f"\n<code>{html.escape(overview.reference, quote=False)}</code>"
    blocks = [head, inline_html(overview.summary)]
    for section in overview.sections:
        lines = [inline_html(line) for line in section.lines]
        blocks.append(f"<b>{html.escape(section.heading, quote=False)}</b>\n" + "\n".join(lines))
    reply = cited(overview.reply(), context.services.assistant.kb)
    blocks.append("\n".join(source_lines_html(reply)))
    if any(utf16_len(b) > MAX_MESSAGE for b in blocks):
        return reply_to_html(reply)
    return pack(blocks)


def call_keyboard(
    context: BotContext, user: UserContext, call: CallFacts, overview: CallOverview
) -> InlineKeyboardMarkup:
    """What one can do from a call's page: check, be reminded, open the page, go back."""
    t = user.t
    rows: list[list[InlineKeyboardButton]] = []
    spec = context.services.sessions.find_check(call.id)
    if spec is not None:
        check: InlineKeyboardButton | None
        if user.group:
            # Checks are personal: in a group the button opens the private chat.
            check = InlineKeyboardButton(
                t.gettext(CHECK_BUTTON), url=private_link(context, f"elig_{spec.id}")
            )
        else:
            check = _callback_button(t.gettext(CHECK_BUTTON), CHOOSE, spec.id)
        rows.append([check] if check else [])
    now = context.services.assistant.clock()
    if not user.group and call.status(now) is not CallStatus.CLOSED:
        remind = _callback_button(t.gettext(REMIND_BUTTON), REMIND, call.id)
        rows.append([remind] if remind else [])
    if overview.page:
        rows.append([InlineKeyboardButton(t.gettext(PAGE_BUTTON), url=overview.page)])
    rows.append([InlineKeyboardButton(t.gettext(BACK_BUTTON), callback_data=encode(CALLS))])
    return InlineKeyboardMarkup([row for row in rows if row])


def _callback_button(text: str, prefix: str, value: str) -> InlineKeyboardButton | None:
    try:
        return InlineKeyboardButton(text, callback_data=encode(prefix, value))
    except CallbackDataError:
        return None  # an ingested call with a very long id: the command still works
