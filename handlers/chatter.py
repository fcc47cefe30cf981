"""Short replies to what is not a question: thanks, "ok", other languages."""

from __future__ import annotations

from babel import Locale
from telegram import Update

from bot.incoming import Chatter, Kind
from bot.services import UserContext
from handlers.common import BotContext, send_html
from handlers.render import text_to_html
from i18n import LANGUAGE_NAMES, N_, translator

THANKS_REPLY = N_("You're welcome! Ask me anything else about AMIF calls whenever you like.")
ACK_REPLY = N_("👍 Just ask if anything else about AMIF calls comes up.")
LANGUAGES_REPLY = N_(
    "I speak English, Swedish and Finnish ({names}), not {language}. Please ask in one of them, "
    "or choose one with /language."
)


async def reply_to_chatter(
    update: Update, context: BotContext, user: UserContext, chatter: Chatter
) -> None:
    """Answer small talk or a message in a language the assistant does not speak."""
    if chatter.kind is Kind.FOREIGN:
        await send_languages(update, context, chatter.lang or "")
        return
    # A one-line reply in the message's own language (else the user's).
    t = translator(chatter.lang or user.lang)
    reply = THANKS_REPLY if chatter.kind is Kind.THANKS else ACK_REPLY
    await send_html(update, context, text_to_html(t.gettext(reply)))


async def send_languages(update: Update, context: BotContext, code: str) -> None:
    """Say which languages the assistant speaks (in English: the asker chose none of ours)."""
    t = translator("en")
    language = Locale.parse("en").languages.get(code, code) if code.isalpha() else code
    names = ", ".join(LANGUAGE_NAMES.values())
    text = t.gettext(LANGUAGES_REPLY).format(names=names, language=language)
    await send_html(update, context, text_to_html(text))
