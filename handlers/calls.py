"""/calls lists the known calls; /call and its buttons show one call's key facts."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.callbacks import decode, encode
from handlers.common import BotContext, answering, send_html, user_translator
from handlers.render import reply_to_html, text_to_html

CALL = "call"


def calls_keyboard(context: BotContext, lang: str) -> InlineKeyboardMarkup:
    """One button per call."""
    rows = [
        [InlineKeyboardButton(c.title.get(lang), callback_data=encode(CALL, c.id))]
        for c in context.services.assistant.kb.calls
        if c.kind == "call"
    ]
    return InlineKeyboardMarkup(rows)


async def calls_command(update: Update, context: BotContext) -> None:
    """List every call with status and deadline, in the user's locale."""
    t = await user_translator(update, context)
    reply = context.services.assistant.list_calls(t.lang)
    await send_html(update, context, reply_to_html(reply), calls_keyboard(context, t.lang))


async def call_command(update: Update, context: BotContext) -> None:
    """/call REFERENCE shows one call; without a reference, buttons to choose one."""
    if context.args:
        await send_call(update, context, " ".join(context.args))
        return
    t = await user_translator(update, context)
    await send_html(
        update, context, text_to_html(t.gettext("Which call?")), calls_keyboard(context, t.lang)
    )


async def call_button(update: Update, context: BotContext) -> None:
    """A call chosen with a button."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, CALL)
    async with answering(query):
        if fields:
            await send_call(update, context, fields[0])


async def send_call(update: Update, context: BotContext, ident: str) -> None:
    """Send the key facts of one call, or say that the reference is unknown."""
    t = await user_translator(update, context)
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
    await send_html(update, context, reply_to_html(assistant.call_overview(call, t.lang)))
