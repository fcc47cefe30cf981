"""Guided eligibility checks: YAML specs validated at start-up, one pure engine, and the verdict.

A check (knowledge/checks/*.yaml) declares questions, `when:` branches and rules that cite the
clause and source they come from; its numbers come from the call's typed facts
(knowledge.facts). `next_step(spec, state, event, now=...)` walks any check: it takes an
immutable DialogState (a log of answers, which is also the history Back undoes) and returns what
to show next. Nothing here knows Telegram or SQL; rendering takes a Translator.

One concern a module: spec (the model), loader (YAML -> spec), state, events, replay (log ->
answers), engine, verdict, countries, messages, render, parsing (typed answers), sessions (state
in storage) and flow (what Telegram and the terminal both call).
"""

from bot.eligibility import events, flow
from bot.eligibility.engine import longest_path, next_step

# Every event and outcome is API: events.__all__ names them once (asyncio re-exports so).
from bot.eligibility.events import *  # noqa: F403
from bot.eligibility.loader import (
    CHECKS_DIR,
    FACTS_DIR,
    builtin_facts,
    facts_by_file,
    load_catalogs,
    load_check,
    load_checks,
)
from bot.eligibility.messages import ENGINE_MESSAGES, MSG_LOG_FULL, MSG_NEED_SELECTION, Message
from bot.eligibility.parsing import fold, written_number
from bot.eligibility.render import (
    iter_message_ids,
    option_label,
    progress_text,
    render_ask,
    render_invalid,
    render_text,
    render_verdict,
    render_verdict_summary,
)
from bot.eligibility.sessions import EligibilitySessions, Step
from bot.eligibility.spec import (
    CALLBACK_MAX_BYTES,
    CALLBACK_PREFIX,
    CONTROL_OPTIONS,
    OPTION_BACK,
    OPTION_CANCEL,
    OPTION_FINISH,
    OPTION_HELP,
    OPTION_RESTART,
    OPTION_STOP,
    VERDICT_STEP,
    CheckSpec,
    ConsortiumTest,
    RangeTest,
    Result,
    SpecError,
)
from bot.eligibility.state import MAX_LOG_ENTRIES, DialogState, start
from bot.eligibility.verdict import Eligibility, Verdict
from knowledge.facts import CallStatus

__all__ = [
    "CALLBACK_MAX_BYTES",
    "CALLBACK_PREFIX",
    "CHECKS_DIR",
    "CONTROL_OPTIONS",
    "ENGINE_MESSAGES",
    "FACTS_DIR",
    "MAX_LOG_ENTRIES",
    "MSG_LOG_FULL",
    "MSG_NEED_SELECTION",
    "OPTION_BACK",
    "OPTION_CANCEL",
    "OPTION_FINISH",
    "OPTION_HELP",
    "OPTION_RESTART",
    "OPTION_STOP",
    "VERDICT_STEP",
    "CallStatus",
    "CheckSpec",
    "ConsortiumTest",
    "DialogState",
    "Eligibility",
    "EligibilitySessions",
    "Message",
    "RangeTest",
    "Result",
    "SpecError",
    "Step",
    "Verdict",
    "builtin_facts",
    "facts_by_file",
    "flow",
    "fold",
    "iter_message_ids",
    "load_catalogs",
    "load_check",
    "load_checks",
    "longest_path",
    "next_step",
    "option_label",
    "progress_text",
    "render_ask",
    "render_invalid",
    "render_text",
    "render_verdict",
    "render_verdict_summary",
    "start",
    "written_number",
]
__all__ += events.__all__
