"""/subscribe, /unsubscribe and /timezone, and the Telegram side of sending reminders."""

from __future__ import annotations

import html
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.lists import format_list
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.reminders import (
    O_,
    REMINDER_DAYS,
    ZONE_CHOICES,
    Delivery,
    DeliveryResult,
    deadline_text,
    find_zone,
    parse_zone,
    zone_label,
)
from bot.services import UserContext
from bot.storage import ALL_CALLS
from handlers.callbacks import MAX_CALLBACK_BYTES, decode, encode
from handlers.common import BotContext, answer_and_edit, send_html, send_to_private_chat
from handlers.render import text_to_html
from i18n import N_, Translator, translator
from knowledge.facts import CallFacts, CallStatus

log = logging.getLogger("amif.subscriptions")

SUB, UNSUB, TZ = "sub", "unsub", "tz"
# Words users type for "every call" after /subscribe or /unsubscribe.
ALL_WORDS = frozenset({"*", "all", "alla", "allt", "kaikki"})

SUBSCRIBE_DESCRIPTION = O_("Reminders before deadlines")
UNSUBSCRIBE_DESCRIPTION = O_("Stop reminders")
TIMEZONE_DESCRIPTION = O_("Time zone for deadlines")
PRIVATE_ONLY = O_("Reminders are personal: please send this to me in a private chat.")
TIMEZONE_PRIVATE = N_("Your time zone is a personal setting: let us set it in a private chat.")
CHOOSE_CALL = O_("Which call should I remind you about?")
ALL_CALLS_BUTTON = O_("All calls")
NO_CURRENT_CALLS = O_(
    "None of the calls I know is open or about to open, so there is no deadline to remind you "
    "of. Choose \u201cAll calls\u201d to hear about every call added later."
)
UNKNOWN_CALL = O_("I don't know a call called {ref}. Choose one of these:")
SUBSCRIBED_OPEN = O_(
    "Subscribed to {call}. It closes {countdown}: {deadline}. I will remind you {days} days "
    "before the deadline and tell you when its facts change."
)
SUBSCRIBED_CLOSED = O_(
    "Subscribed to {call}. It has closed, so no reminders will come, but I will tell you "
    "when its facts change."
)
SUBSCRIBED_NO_DEADLINE = O_(
    "Subscribed to {call}. Our sources give no deadline for it yet; I will tell you when its "
    "facts change, for example when a deadline is published."
)
SUBSCRIBED_ALL = O_(
    "Subscribed to all calls. I will remind you {days} days before each deadline and tell you "
    "when facts change or a new call appears."
)
ALREADY = O_("You were already subscribed.")
STOP_HINT = O_("/unsubscribe stops it; /timezone changes the time zone of the times I show.")
NO_SUBSCRIPTIONS = O_("You have no subscriptions. /subscribe starts one.")
CHOOSE_UNSUBSCRIBE = O_("Which subscription should I end?")
STOP_ALL_BUTTON = O_("Stop all")
UNSUBSCRIBED = O_("Done: no more reminders about {call}.")
UNSUBSCRIBED_ALL = O_("Done: all your subscriptions have ended.")
NOT_SUBSCRIBED = O_("You were not subscribed to {call}.")
ALL_CALLS_NAME = O_("all calls")
TIMEZONE_NOW = O_(
    "I show times in {zone}. Choose another zone, or send /timezone with a zone name such as "
    "Europe/Berlin."
)
TIMEZONE_SET = O_("From now on I show times in {zone}.")
TIMEZONE_UNKNOWN = O_(
    "I don't know the time zone {name}. Use a name like Europe/Helsinki or Europe/Brussels."
)
NO_LONGER_ACTIVE = O_("This button is no longer active.")


# --- sending reminders through Telegram ------------------------------------------------------


class TelegramDelivery:
    """Sends one reminder or notice and says how it went, in terms the scheduler acts on."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def __call__(self, chat_id: int, text: str) -> DeliveryResult:
        """Send plain text to a chat (escaped for the HTML parse mode the bot defaults to)."""
        try:
            await self.bot.send_message(
                chat_id, html.escape(text, quote=False), parse_mode=ParseMode.HTML
            )
        except Forbidden:
            return DeliveryResult(Delivery.GONE)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            return DeliveryResult(Delivery.RETRY, max(seconds, 1.0))
        except BadRequest as exc:
            gone = "chat not found" in str(exc).lower() or "user is deactivated" in str(exc)
            if not gone:
                log.error("a reminder was refused: %s", exc)
            return DeliveryResult(Delivery.GONE if gone else Delivery.FAILED)
        except NetworkError:
            # Includes TimedOut: the bot's rate limiter already retried; try again next round.
            return DeliveryResult(Delivery.RETRY)
        except TelegramError as exc:
            log.error("a reminder failed: %s", type(exc).__name__)
            return DeliveryResult(Delivery.FAILED)
        return DeliveryResult(Delivery.SENT)


# --- /subscribe ------------------------------------------------------------------------------


def _calls(context: BotContext) -> list[CallFacts]:
    return [c for c in context.services.assistant.kb.calls if c.kind == "call"]


def _button(text: str, prefix: str, value: str) -> InlineKeyboardButton | None:
    data = f"{prefix}:{value}"
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None  # an ingested call with a very long id can still be named in the command
    return InlineKeyboardButton(text, callback_data=encode(prefix, value))


def _keyboard(buttons: list[InlineKeyboardButton | None]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[b] for b in buttons if b is not None])


def _current_calls(context: BotContext) -> list[CallFacts]:
    """The calls a reminder can still help with: open now, or opening later."""
    now = context.services.assistant.clock()
    return [c for c in _calls(context) if c.status(now) in (CallStatus.OPEN, CallStatus.UPCOMING)]


def subscribe_prompt(context: BotContext, t: Translator) -> str:
    """What /subscribe asks: which call, or, with none open or upcoming, to hear of new ones."""
    if _current_calls(context):
        return t.gettext(CHOOSE_CALL)
    return t.gettext(NO_CURRENT_CALLS)


def subscribe_keyboard(context: BotContext, t: Translator) -> InlineKeyboardMarkup:
    """A button per open or upcoming call (closed ones have nothing to remind of), then all."""
    buttons = [_button(c.title.get(t.lang), SUB, c.id) for c in _current_calls(context)]
    buttons.append(_button(t.gettext(ALL_CALLS_BUTTON), SUB, ALL_CALLS))
    return _keyboard(buttons)


def find_call(context: BotContext, text: str) -> CallFacts | None:
    """A call by id, reference or a name the knowledge base recognises."""
    kb = context.services.assistant.kb
    found = kb.call(text)
    if found is None:
        named = [c for c in kb.find_calls(text) if c.kind == "call"]
        found = named[0] if named else None
    return found if found is not None and found.kind == "call" else None


async def _refuse_in_groups(
    update: Update, context: BotContext, user: UserContext, payload: str
) -> bool:
    """In a group, reminders and time zones are set in the private chat (a deep-link button)."""
    return await send_to_private_chat(update, context, user, PRIVATE_ONLY, payload)


async def subscribe_command(update: Update, context: BotContext, user: UserContext) -> None:
    """/subscribe [call | all]: subscribe at once, or offer the calls as buttons."""
    wanted = " ".join(context.args or []).strip()
    if user.group:
        call = find_call(context, wanted) if wanted else None
        payload = f"subscribe_{call.id}" if call else "subscribe"
        await _refuse_in_groups(update, context, user, payload)
        return
    t = user.t
    if not wanted:
        await send_html(
            update,
            context,
            text_to_html(subscribe_prompt(context, t)),
            subscribe_keyboard(context, t),
        )
        return
    if wanted.casefold() in ALL_WORDS:
        call_id = ALL_CALLS
    else:
        call = find_call(context, wanted)
        if call is None:
            text = t.gettext(UNKNOWN_CALL).format(ref=wanted[:64])
            await send_html(update, context, text_to_html(text), subscribe_keyboard(context, t))
            return
        call_id = call.id
    text = await subscribe(context, user, call_id)
    await send_html(update, context, text_to_html(text))


async def subscribe_button(update: Update, context: BotContext, user: UserContext) -> None:
    """A call (or all calls) chosen with a button."""
    query = update.callback_query
    if query is None:
        return
    fields = decode(query.data, SUB)
    known = {c.id for c in _calls(context)} | {ALL_CALLS}
    if not fields or fields[0] not in known or user.group:
        await query.answer(user.t.gettext(NO_LONGER_ACTIVE))
        return
    text = await subscribe(context, user, fields[0])
    await answer_and_edit(query, None, html.escape(text, quote=False))


async def subscribe(context: BotContext, user: UserContext, call_id: str) -> str:
    """Store the subscription; the confirmation names the deadline in the user's zone."""
    if user.user_id is None or user.chat_id is None:
        return ""
    t = user.t
    store = context.services.store
    fresh = await store.subscribe(user.user_id, user.chat_id, call_id, t.lang)
    zone = user.zone
    days = format_list([t.format_number(d) for d in REMINDER_DAYS], locale=t.locale)
    if call_id == ALL_CALLS:
        text = t.gettext(SUBSCRIBED_ALL).format(days=days)
    else:
        call = context.services.assistant.kb.call(call_id)
        assert call is not None
        text = subscription_text(call, t, zone, context.services.assistant.clock(), days)
    if not fresh:
        text = t.gettext(ALREADY) + " " + text
    return text + "\n" + t.gettext(STOP_HINT)


def subscription_text(
    call: CallFacts, t: Translator, zone: ZoneInfo, now: datetime, days: str
) -> str:
    """What subscribing to one call promises, given where the call stands now."""
    name = call.title.get(t.lang)
    status = call.status(now)
    left = call.time_left(now)
    deadline = deadline_text(call, t, zone)
    if call.deadline is None or status is CallStatus.UNKNOWN:
        return t.gettext(SUBSCRIBED_NO_DEADLINE).format(call=name)
    if status is CallStatus.CLOSED or left is None or deadline is None:
        return t.gettext(SUBSCRIBED_CLOSED).format(call=name)
    return t.gettext(SUBSCRIBED_OPEN).format(
        call=name, countdown=t.format_timedelta(left), deadline=deadline, days=days
    )


# --- /unsubscribe ----------------------------------------------------------------------------


def _subscription_name(context: BotContext, call_id: str, t: Translator) -> str:
    if call_id == ALL_CALLS:
        return t.gettext(ALL_CALLS_NAME)
    call = context.services.assistant.kb.call(call_id)
    return call.title.get(t.lang) if call is not None else call_id


async def unsubscribe_command(update: Update, context: BotContext, user: UserContext) -> None:
    """/unsubscribe [call | all]: end subscriptions, or offer the user's ones as buttons."""
    user_id = user.user_id
    if user_id is None or await _refuse_in_groups(update, context, user, "unsubscribe"):
        return
    t = user.t
    store = context.services.store
    wanted = " ".join(context.args or []).strip()
    if wanted:
        if wanted.casefold() in ALL_WORDS:
            text = await unsubscribe(context, user_id, None, t)
        else:
            call = find_call(context, wanted)
            if call is None:
                text = t.gettext(NOT_SUBSCRIBED).format(call=wanted[:64])
            else:
                text = await unsubscribe(context, user_id, call.id, t)
        await send_html(update, context, text_to_html(text))
        return
    subscriptions = await store.subscriptions(user_id)
    if not subscriptions:
        await send_html(update, context, text_to_html(t.gettext(NO_SUBSCRIPTIONS)))
        return
    buttons = [
        _button(_subscription_name(context, s.call_id, t), UNSUB, s.call_id) for s in subscriptions
    ]
    if len(subscriptions) > 1:
        buttons.append(_button(t.gettext(STOP_ALL_BUTTON), UNSUB, "-"))
    await send_html(
        update, context, text_to_html(t.gettext(CHOOSE_UNSUBSCRIBE)), _keyboard(buttons)
    )


async def unsubscribe_button(update: Update, context: BotContext, user: UserContext) -> None:
    """A subscription (or all, '-') ended with a button."""
    query = update.callback_query
    if query is None or user.user_id is None:
        return
    fields = decode(query.data, UNSUB)
    t = user.t
    if not fields:
        await query.answer(t.gettext(NO_LONGER_ACTIVE))
        return
    call_id = None if fields[0] == "-" else fields[0]
    text = await unsubscribe(context, user.user_id, call_id, t)
    await answer_and_edit(query, None, html.escape(text, quote=False))


async def unsubscribe(
    context: BotContext, user_id: int, call_id: str | None, t: Translator
) -> str:
    """End one subscription (or all with None) and say what happened."""
    removed = await context.services.store.unsubscribe(user_id, call_id)
    if call_id is None:
        return t.gettext(UNSUBSCRIBED_ALL if removed else NO_SUBSCRIPTIONS)
    name = _subscription_name(context, call_id, t)
    if not removed:
        return t.gettext(NOT_SUBSCRIBED).format(call=name)
    return t.gettext(UNSUBSCRIBED).format(call=name)


# --- /timezone -------------------------------------------------------------------------------


def timezone_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Buttons for the zones our users live in, and UTC."""
    zones = [parse_zone(name) for name in ZONE_CHOICES]
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(zone_label(z, t), callback_data=encode(TZ, z.key))
                for z in zones[i : i + 2]
                if z is not None
            ]
            for i in range(0, len(zones), 2)
        ]
    )


async def timezone_command(update: Update, context: BotContext, user: UserContext) -> None:
    """/timezone [IANA name]: set the zone, or show the current one with choices."""
    user_id = user.user_id
    if user_id is None or await send_to_private_chat(
        update, context, user, TIMEZONE_PRIVATE, "timezone"
    ):
        return
    t = user.t
    store = context.services.store
    wanted = " ".join(context.args or []).strip()
    if wanted:
        zone = find_zone(wanted)
        if zone is None:
            text = t.gettext(TIMEZONE_UNKNOWN).format(name=wanted[:64])
            await send_html(update, context, text_to_html(text), timezone_keyboard(t))
            return
        await store.set_timezone(user_id, zone.key)
        text = t.gettext(TIMEZONE_SET).format(zone=zone_label(zone, t))
        await send_html(update, context, text_to_html(text))
        return
    zone = user.zone
    text = t.gettext(TIMEZONE_NOW).format(zone=zone_label(zone, t))
    await send_html(update, context, text_to_html(text), timezone_keyboard(t))


async def timezone_button(update: Update, context: BotContext, user: UserContext) -> None:
    """A zone chosen with a button."""
    query = update.callback_query
    if query is None or user.user_id is None:
        return
    fields = decode(query.data, TZ)
    t = user.t
    zone = parse_zone(fields[0]) if fields and fields[0] in ZONE_CHOICES else None
    if zone is None:
        await query.answer(t.gettext(NO_LONGER_ACTIVE))
        return
    await context.services.store.set_timezone(user.user_id, zone.key)
    text = t.gettext(TIMEZONE_SET).format(zone=zone_label(zone, t))
    await answer_and_edit(query, text[:200], html.escape(text, quote=False))


# --- asking a Swedish speaker for their zone -------------------------------------------------

ASK_ZONE = N_(
    "Should I show times in Helsinki time or in Stockholm time? Until you choose I use "
    "Helsinki time; /timezone changes it later."
)
# Swedish is spoken on both sides of the Gulf of Bothnia: the language alone cannot say the zone.
ASKED_ZONES = {"sv": ("Europe/Helsinki", "Europe/Stockholm")}


async def ask_zone_once(
    update: Update, context: BotContext, user: UserContext, lang: str, shown: str
) -> None:
    """The first time a Swedish speaker without a zone sees a deadline, ask which zone to use.

    shown is the text just sent; the question comes only when it contains a deadline of a call.
    Once asked (in this run of the bot) the user is not asked again; a choice is stored with
    /timezone's own storage.
    """
    zones = ASKED_ZONES.get(lang)
    user_id = user.user_id
    services = context.services
    if zones is None or user_id is None or user.group or user_id in services.zone_asked:
        return
    if not _shows_a_deadline(context, translator(lang), shown):
        return
    if user.zone_name is not None:
        return
    services.zone_asked.add(user_id)
    t = translator(lang)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(zone_label(ZoneInfo(z), t), callback_data=encode(TZ, z))
                for z in zones
            ]
        ]
    )
    await send_html(update, context, text_to_html(t.gettext(ASK_ZONE)), keyboard)


def _shows_a_deadline(context: BotContext, t: Translator, shown: str) -> bool:
    """Whether the text gives the date of a call's deadline that has a time of day."""
    return any(
        c.deadline is not None
        and c.deadline.time is not None
        and t.format_date(c.deadline.date) in shown
        for c in _calls(context)
    )
