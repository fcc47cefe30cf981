"""Guided eligibility checks on Telegram: one question a message, buttons or typed answers."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, replace

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.eligibility import (
    OPTION_BACK,
    OPTION_CANCEL,
    OPTION_FINISH,
    OPTION_HELP,
    OPTION_RESTART,
    OPTION_STOP,
    VERDICT_STEP,
    Ask,
    Back,
    Cancel,
    Cancelled,
    CheckSpec,
    Done,
    Invalid,
    Stale,
    Step,
    flow,
    option_label,
    render_ask,
    render_invalid,
    render_text,
    render_verdict,
    render_verdict_summary,
)
from bot.eligibility.flow import FULL, SHOW
from bot.services import UserContext
from bot.storage import StorageKey
from handlers.callbacks import decode, decode_callback, encode, encode_callback, without_owner
from handlers.common import BotContext, answering, owned_keyboard, send_html, send_to_private_chat
from handlers.render import MAX_MESSAGE, pack, text_to_html, utf16_len
from i18n import N_, Translator

CHOOSE = "echk"
FULL_LABEL = N_("Full details")
LONG_LABEL = 64
SHORT_LABEL = 40
BACK_LABEL = N_("« Back")
RESTART_LABEL = N_("Start over")
CANCEL_LABEL = N_("Cancel")
HELP_LABEL = N_("Help")
DONE_LABEL = N_("Done")
STOP_LABEL = N_("Stop here: see the result")
CHOOSING = "choosing_check"
# A typed call name counts as the choice for this long after "Which call do you want to check?".
CHOOSE_SECONDS = 15 * 60
CHOOSE_HINT = N_("Press a button, or type the call's number or name.")
CHOOSE_UNKNOWN = N_("I did not recognise that call.")
NOT_TAKEN = N_("I did not take that as an answer, because you asked a question in between.")
PRIVATE_CHECK = N_("Eligibility checks are personal, so let us do this in a private chat.")


def _user_data(context: BotContext) -> dict[object, object]:
    """PTB's per-user memory: whether the user was just asked which call to check."""
    data = context.user_data
    return data if data is not None else {}


def _source_names(context: BotContext) -> dict[str, str]:
    return {k: s.title for k, s in context.services.assistant.kb.sources.items()}


def render_step(
    step: Step, t: Translator, context: BotContext, *, repeat: bool = False
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """HTML messages and keyboard for an engine outcome.

    `repeat` shows the current question again (a resumed check) without the introduction and
    without the feedback on the answer before, which the user has seen already.
    """
    outcome = step.outcome
    spec = step.spec
    if isinstance(outcome, Stale):
        return render_step(Step(spec, outcome.current), t, context, repeat=True)
    if isinstance(outcome, Cancelled):
        return text_to_html(t.gettext(flow.CANCELLED)), None
    if isinstance(outcome, Done):
        # The summary fits a phone screen; the full detail is one press away.
        text = render_verdict_summary(outcome.verdict, t, source_names=_source_names(context))
        keyboard = InlineKeyboardMarkup(
            [
                [_button(t.gettext(FULL_LABEL), spec.id, VERDICT_STEP, FULL)],
                [
                    _button(t.gettext(BACK_LABEL), spec.id, VERDICT_STEP, OPTION_BACK),
                    _button(t.gettext(RESTART_LABEL), spec.id, VERDICT_STEP, OPTION_RESTART),
                ],
            ]
        )
        return _plain_messages(text), keyboard
    ask = outcome.ask if isinstance(outcome, Invalid) else outcome
    assert isinstance(ask, Ask)
    if repeat:
        ask = replace(ask, feedback=())
    # Long option labels (the call's priorities) are listed in full in the text and the
    # buttons carry their numbers; short ones are the buttons themselves.
    numbered = any(len(option_label(o, t)) > LONG_LABEL for o in ask.options)
    text = (
        render_invalid(outcome, t, numbered_options=numbered)
        if isinstance(outcome, Invalid)
        else render_ask(ask, t, numbered_options=numbered)
    )
    fresh = isinstance(outcome, Ask) and not repeat
    if fresh and ask.progress.n == 1 and not ask.state.log and spec.intro:
        text = t.gettext(spec.intro) + "\n\n" + text
    rows: list[list[InlineKeyboardButton]] = []
    for number, option in enumerate(ask.options, 1):
        mark = "✓ " if option.id in ask.selected else ""
        label = option_label(option, t)
        if numbered:
            label = f"{number}. {_shorten(label, SHORT_LABEL)}"
        rows.append([_button(mark + label, spec.id, ask.step, option.id)])
    if len(rows) in (2, 3) and all(len(o.id) <= 2 for o in ask.options):
        rows = [[r[0] for r in rows]]  # yes / no / don't know side by side
    if ask.can_finish:
        rows.append([_button(t.gettext(DONE_LABEL), spec.id, ask.step, OPTION_FINISH)])
    if ask.can_stop:
        # A knock-out criterion just failed: the verdict is known, the rest is optional.
        rows.append([_button(t.gettext(STOP_LABEL), spec.id, ask.step, OPTION_STOP)])
    controls = []
    if not ask.at_start:
        controls.append(_button(t.gettext(BACK_LABEL), spec.id, ask.step, OPTION_BACK))
    if ask.help is not None and not ask.show_help:
        controls.append(_button(t.gettext(HELP_LABEL), spec.id, ask.step, OPTION_HELP))
    controls.append(_button(t.gettext(CANCEL_LABEL), spec.id, ask.step, OPTION_CANCEL))
    rows.append(controls)
    return _plain_messages(text), InlineKeyboardMarkup(rows)


def _shorten(label: str, limit: int) -> str:
    if len(label) <= limit:
        return label
    cut = label[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _plain_messages(text: str) -> list[str]:
    blocks = [html.escape(part, quote=False) for part in text.split("\n\n") if part.strip()]
    return (
        pack(blocks, MAX_MESSAGE)
        if all(utf16_len(b) <= MAX_MESSAGE for b in blocks)
        else (text_to_html(text))
    )


def _button(label: str, check: str, step: str, option: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        _shorten(label, 60), callback_data=encode_callback(check, step, option)
    )


def _choose_prompt(context: BotContext, t: Translator, hint: str | None = None) -> list[str]:
    """Which call: the checks numbered, so that a number or a name can be typed too."""
    lines = [t.gettext(hint)] if hint else []
    lines.append(t.gettext(flow.WHICH_CALL))
    specs = context.services.sessions.checks.values()
    lines += [f"{n}. {render_text(spec.title, t)}" for n, spec in enumerate(specs, 1)]
    lines.append(t.gettext(CHOOSE_HINT))
    return text_to_html("\n".join(lines))


def _typed_check(context: BotContext, text: str) -> CheckSpec | None:
    """The check a typed call name, reference, check id or list number points to."""
    kb = context.services.assistant.kb
    return flow.choose(
        context.services.sessions,
        text,
        lambda wanted: [(call.id, call.reference) for call in kb.find_calls(wanted)],
    )


def _choose_keyboard(context: BotContext, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    render_text(spec.title, t), callback_data=encode(CHOOSE, spec.id)
                )
            ]
            for spec in context.services.sessions.checks.values()
        ]
    )


async def _send_step(
    update: Update, context: BotContext, step: Step, t: Translator, *, repeat: bool = False
) -> None:
    messages, keyboard = render_step(step, t, context, repeat=repeat)
    await send_html(update, context, messages, keyboard)


async def eligibility_command(update: Update, context: BotContext, user: UserContext) -> None:
    """/eligibility [call]: continue a check in progress, start one, or offer the calls."""
    key = user.key
    ident = " ".join(context.args or []) if update.message else ""
    sessions = context.services.sessions
    spec = sessions.find_check(ident) if ident else None
    # In a group, point to a private chat: an eligibility check is personal.
    payload = f"elig_{spec.id}" if spec else "elig"
    if await send_to_private_chat(update, context, user, PRIVATE_CHECK, payload):
        return
    if key is None:
        return
    t = user.t
    opened = await flow.open_check(
        sessions, key, spec.id if spec else "", t, update_id=update.update_id
    )
    if isinstance(opened, flow.Resumed):
        await send_html(
            update,
            context,
            text_to_html(t.gettext(flow.RESUMING)),
        )
        await _send_step(update, context, opened.step, t, repeat=True)
        return
    if isinstance(opened, flow.Choose):
        _user_data(context)[CHOOSING] = (key.chat_id, time.monotonic())
        await send_html(update, context, _choose_prompt(context, t), _choose_keyboard(context, t))
        return
    _user_data(context).pop(CHOOSING, None)
    await _send_step(update, context, opened.step, t)


async def _begin(
    update: Update, context: BotContext, key: StorageKey, spec: CheckSpec, t: Translator
) -> None:
    _user_data(context).pop(CHOOSING, None)
    begun = await flow.begin(context.services.sessions, key, spec, update.update_id)
    await _send_step(update, context, begun.step, t)


async def start_from_payload(
    update: Update, context: BotContext, user: UserContext, payload: str
) -> None:
    """Deep link t.me/<bot>?start=elig_<check>."""
    check = payload.removeprefix("elig").lstrip("_")
    context.args = [check] if check else []
    await eligibility_command(update, context, user)


async def choose_check_button(update: Update, context: BotContext, user: UserContext) -> None:
    """A call chosen for a new check."""
    query = update.callback_query
    key = user.key
    if query is None or key is None:
        return
    fields = decode(query.data, CHOOSE)
    sessions = context.services.sessions
    t = user.t
    if not fields or fields[0] not in sessions.checks:
        await query.answer(t.gettext("This button is no longer active."))
        return
    async with answering(query):
        await _begin(update, context, key, sessions.checks[fields[0]], t)


async def eligibility_button(update: Update, context: BotContext, user: UserContext) -> None:
    """A button under a question or verdict: the engine decides; stale presses change nothing."""
    query = update.callback_query
    key = user.key
    if query is None or key is None:
        return
    t = user.t
    decoded = decode_callback(without_owner(query.data or ""))
    if decoded is None:
        await query.answer(t.gettext("This button is no longer active."))
        return
    check, step_id, option = decoded
    pressed = await flow.press(
        context.services.sessions, key, check, step_id, option, t, update_id=update.update_id
    )
    if isinstance(pressed, flow.Ended):
        await query.answer(
            t.gettext("This check has ended. Send /eligibility to start a new one.")
        )
        return
    if isinstance(pressed, flow.Detail):
        await _send_full_verdict(update, context, pressed.step, query, t)
        return
    step = pressed.step
    if isinstance(step.outcome, Stale):
        await query.answer(
            t.gettext("This check has moved on; please answer the latest question.")
        )
        return
    async with answering(query):
        messages, keyboard = render_step(
            step, t, context, repeat=isinstance(pressed, flow.Resumed)
        )
        # Edit the question in place instead of adding a message per step.
        if len(messages) == 1 and query.message is not None:
            try:
                await query.edit_message_text(
                    messages[0],
                    parse_mode=ParseMode.HTML,
                    reply_markup=owned_keyboard(update, keyboard),
                )
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
        await send_html(update, context, messages, keyboard)


async def _send_full_verdict(
    update: Update, context: BotContext, step: Step, query: CallbackQuery, t: Translator
) -> None:
    if not isinstance(step.outcome, Done):
        await query.answer(
            t.gettext("This check has moved on; please answer the latest question.")
        )
        return
    text = render_verdict(step.outcome.verdict, t, source_names=_source_names(context))
    async with answering(query):
        await send_html(update, context, _plain_messages(text))


async def unknown_button(update: Update, context: BotContext, user: UserContext) -> None:
    """Any other button: forged or from a retired version of the bot."""
    query = update.callback_query
    if query is None:
        return
    await query.answer(user.t.gettext("This button is no longer active."))


async def back_command(update: Update, context: BotContext, user: UserContext) -> None:
    """/back: undo the last answer."""
    await _typed_event(update, context, user, Back())


async def cancel_command(update: Update, context: BotContext, user: UserContext) -> None:
    """/cancel: leave the check."""
    await _typed_event(update, context, user, Cancel())


async def _typed_event(
    update: Update, context: BotContext, user: UserContext, event: Back | Cancel
) -> None:
    key = user.key
    if key is None:
        return
    t = user.t
    step = await flow.control(context.services.sessions, key, event, t, update_id=update.update_id)
    if step is None:
        await send_html(update, context, text_to_html(t.gettext(flow.NO_CHECK)))
        return
    await _send_step(update, context, step, t)


@dataclass(frozen=True)
class Aside:
    """A question asked in the middle of a check, which is now paused at ask."""

    check: str
    ask: Ask


async def continue_by_text(
    update: Update, context: BotContext, user: UserContext, text: str
) -> bool | Aside:
    """Use a typed message as the answer to the current question; False when it is not one.

    A question asked in the middle of a check pauses it (Aside: the caller answers it like any
    question): until the user resumes (the button, /eligibility or a word like "continue"),
    typed text is a question, not an answer.
    """
    key = user.key
    if key is None or user.group:
        return False
    sessions = context.services.sessions
    active = await sessions.load(key)
    if active is None:
        return await _choose_by_text(update, context, user, key, text)
    # Short typed answers ("Tanska", "ja") say little about the user's language; keep the UI
    # language of the check (stored choice, else Telegram's) for the whole dialog.
    t = user.t
    reply = await flow.answer(sessions, key, text, t, update_id=update.update_id, found=active)
    if reply is None:
        return False
    if isinstance(reply, flow.Held):
        await say_paused(update, context, user, active[0].id, reply.ask, not_taken=True)
        return True
    if isinstance(reply, flow.Aside):
        await sessions.pause(key)
        outcome = reply.step.outcome
        assert isinstance(outcome, Invalid)
        return Aside(reply.step.spec.id, outcome.ask)
    await _send_step(update, context, reply.step, t, repeat=isinstance(reply, flow.Resumed))
    return True


async def say_paused(
    update: Update,
    context: BotContext,
    user: UserContext,
    check: str,
    ask: Ask,
    *,
    not_taken: bool = False,
) -> None:
    """'Your eligibility check is paused at step n of N', with a button to continue it."""
    t = user.t
    keyboard = InlineKeyboardMarkup(
        [[_button(t.gettext("Continue the check"), check, ask.step, SHOW)]]
    )
    text = t.gettext("Your eligibility check is paused at {progress}.").format(
        progress=t.gettext("step {n} of {total}").format(
            n=ask.progress.n, total=ask.progress.total
        )
    )
    if not_taken:
        text = t.gettext(NOT_TAKEN) + " " + text
    await send_html(update, context, text_to_html(text), keyboard)


async def _choose_by_text(
    update: Update, context: BotContext, user: UserContext, key: StorageKey, text: str
) -> bool:
    """At "Which call do you want to check?": a typed call name, reference or number."""
    asked = _user_data(context).get(CHOOSING)
    if not isinstance(asked, tuple) or asked[0] != key.chat_id:
        return False
    if time.monotonic() - asked[1] > CHOOSE_SECONDS:
        _user_data(context).pop(CHOOSING, None)
        return False
    if flow.looks_like_question(text):
        _user_data(context).pop(CHOOSING, None)
        return False  # "what is the rate of the 2024 call?" is a question, not a choice
    t = user.t
    spec = _typed_check(context, text)
    if spec is not None:
        await _begin(update, context, key, spec, t)
        return True
    prompt = _choose_prompt(context, t, CHOOSE_UNKNOWN)
    await send_html(update, context, prompt, _choose_keyboard(context, t))
    return True
