"""Plain-text rendering of questions and verdicts (the Telegram layer escapes it for HTML)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from bot.eligibility.events import Ask, Invalid, Progress
from bot.eligibility.messages import (
    MSG_ANSWERS_HEADING,
    MSG_CRITERIA_HEADING,
    MSG_DATE_TIME,
    MSG_DETAIL_ANSWER,
    MSG_FOOTER,
    MSG_HELP_MISSING,
    MSG_MARK,
    MSG_NO,
    MSG_NONE,
    MSG_NOTES_HEADING,
    MSG_PROGRESS,
    MSG_RESULT,
    MSG_SHORT_FOOTER,
    MSG_SHORT_SOURCE,
    MSG_SOURCES,
    MSG_STATUS,
    MSG_WHAT_TO_DO,
    MSG_WINDOW,
    MSG_YES,
    Count,
    CountryNames,
    Labels,
    Message,
    Money,
    ParamValue,
    Percent,
    Text,
    When,
)
from bot.eligibility.parsing import (
    country_name,
)
from bot.eligibility.spec import CheckSpec, Option, Result
from bot.eligibility.verdict import Criterion, Eligibility, Verdict
from i18n import Translator
from knowledge.facts import CallStatus, L10n


def render_text(text: Text, t: Translator) -> str:
    """A message id translated, or an L10n text in the translator's language."""
    return text.get(t.lang) if isinstance(text, L10n) else t.gettext(text)


def render_when(value: When, t: Translator) -> str:
    """A date from the facts, with its time and zone when the call gives a time.

    The one place a check renders a call's opening or deadline; the answer path's sentences
    (bot/answering/render.py deadline_line) and reminders (bot/reminders.py deadline_text) say
    more around the date and convert to the reader's zone, so they keep their own wording.
    """
    if value.time is None:
        return t.format_date(value.date)
    # The time as the call states it, in the call's own zone (named next to it).
    clock = t.format_time(datetime.combine(value.date, value.time))
    return t.gettext(MSG_DATE_TIME).format(
        date=t.format_date(value.date), time=clock, zone=value.tz.key
    )


def render_param(value: ParamValue, t: Translator) -> str:
    if isinstance(value, Message):
        return render_message(value, t)
    if isinstance(value, Money):
        return t.format_money(value.amount, value.currency)
    if isinstance(value, Percent):
        return t.format_percent(value.rate)
    if isinstance(value, CountryNames):
        if not value.codes:
            return t.gettext(MSG_NONE)
        return ", ".join(country_name(code, t.lang) for code in value.codes)
    if isinstance(value, Labels):
        texts = [render_text(text, t) for text in value.texts]
        # Labels from the facts are sentences; in a list their full stops read as noise.
        return "; ".join(text.rstrip(".") for text in texts) if len(texts) > 1 else texts[0]
    if isinstance(value, Count):
        return t.ngettext(value.forms[0], value.forms[1], value.n).format(
            n=t.format_number(value.n)
        )
    if isinstance(value, When):
        return render_when(value, t)
    if isinstance(value, bool):
        return t.gettext(MSG_YES if value else MSG_NO)
    if isinstance(value, int | Decimal):
        return t.format_number(value)
    if isinstance(value, date):
        return t.format_date(value)
    return value


def render_message(message: Message, t: Translator) -> str:
    """Translate first, then fill in the parameters formatted for the reader's locale."""
    if message.plural is not None:
        template = t.ngettext(message.msgid, message.plural, message.n)
    else:
        template = t.gettext(message.msgid)
    values = {name: render_param(value, t) for name, value in message.params}
    return template.format(**values) if values else template


# --- questions and verdicts (plain text; the Telegram layer escapes it for HTML) ------------

_MARKS = {Result.PASS: "✓", Result.FAIL: "✗", Result.UNKNOWN: "?"}


def progress_text(progress: Progress, t: Translator) -> str:
    """'Step 3 of 8' in the reader's language."""
    return t.gettext(MSG_PROGRESS).format(
        n=t.format_number(progress.n), total=t.format_number(progress.total)
    )


def option_label(option: Option, t: Translator) -> str:
    """An option's label in the reader's language."""
    return render_text(option.label, t)


def render_ask(ask: Ask, t: Translator, *, numbered_options: bool = True) -> str:
    """A question as plain text: feedback on the last answer, progress, prompt, notes, options."""
    lines = [render_message(m, t) for m in ask.feedback] + ([""] if ask.feedback else [])
    lines += [progress_text(ask.progress, t), "", render_message(ask.prompt, t)]
    if ask.show_help:
        lines += ["", render_message(ask.help, t) if ask.help else t.gettext(MSG_HELP_MISSING)]
    if ask.notes:
        lines += [""] + [render_message(note, t) for note in ask.notes]
    if numbered_options and ask.options:
        lines.append("")
        for number, option in enumerate(ask.options, start=1):
            mark = "[x] " if option.id in ask.selected else ("[ ] " if ask.can_finish else "")
            lines.append(f"{number}. {mark}{option_label(option, t)}")
    return "\n".join(lines)


def render_invalid(invalid: Invalid, t: Translator, *, numbered_options: bool = True) -> str:
    """The hint, then only the question again (not the feedback on the answer before it)."""
    return f"{render_message(invalid.hint, t)}\n\n" + render_ask(
        replace(invalid.ask, feedback=()), t, numbered_options=numbered_options
    )


def render_call_status(verdict: Verdict, t: Translator) -> str:
    """One or two lines on whether applications are accepted."""
    window = verdict.window
    if verdict.call_status is CallStatus.UNKNOWN:
        advice = verdict.status_advice
        return render_message(advice, t) if advice is not None else ""
    values = {
        "opens": render_when(window.opens, t) if window.opens else "",
        "closes": render_when(window.closes, t) if window.closes else "",
    }
    line = t.gettext(MSG_STATUS[verdict.call_status]).format(**values)
    if window.opens is not None and window.closes is not None:
        line += "\n" + t.gettext(MSG_WINDOW).format(**values)
    return line


def render_verdict(
    verdict: Verdict, t: Translator, *, source_names: Mapping[str, str] | None = None
) -> str:
    """The plain-text summary a user can forward to their consortium.

    Each criterion names its clause; the sources are named once, and each answer is listed
    once, under "Your answers".
    """
    names = source_names or {}
    lines = [render_text(verdict.title, t), "", _result_line(verdict, t)]
    lines += [render_call_status(verdict, t), "", t.gettext(MSG_CRITERIA_HEADING)]
    sources = list(dict.fromkeys(c.source for c in verdict.criteria))
    for c in verdict.criteria:
        lines.append(
            f"{_MARKS[c.result]} {render_message(c.requirement, t)}"
            f" ({t.gettext(MSG_MARK[c.result.value])})"
        )
        lines += [
            f"   {render_message(d, t)}"
            for d in c.details
            if not (verdict.answers and d.msgid == MSG_DETAIL_ANSWER)
        ]
        lines += _what_to_do(c, t)
        lines.append(_source_line(c, sources, t))
    lines += ["", _sources_line(sources, names, t)]
    if verdict.notes:
        lines += ["", t.gettext(MSG_NOTES_HEADING)]
        lines += [f"• {render_message(note, t)}" for note in verdict.notes]
    if verdict.answers:
        lines += ["", t.gettext(MSG_ANSWERS_HEADING)]
        lines += [
            f"• {render_message(a.label, t)}: {render_param(a.value, t)}" for a in verdict.answers
        ]
    lines += ["", t.gettext(MSG_FOOTER).format(date=t.format_date(verdict.checked_on))]
    return "\n".join(lines)


def _clause(c: Criterion, sources: list[str], t: Translator) -> str:
    """The criterion's clause, numbered by its source when there are several."""
    clause = t.gettext(c.clause)
    return f"{clause} [{sources.index(c.source) + 1}]" if len(sources) > 1 else clause


def _sources_line(sources: list[str], names: Mapping[str, str], t: Translator) -> str:
    numbered = len(sources) > 1
    titles = [
        (f"[{n}] " if numbered else "") + names.get(source, source)
        for n, source in enumerate(sources, 1)
    ]
    return t.gettext(MSG_SOURCES).format(sources="; ".join(titles))


# The verdict a phone shows on about two screens; the full detail is a button away.
SUMMARY_CHARS = 1_400


def render_verdict_summary(
    verdict: Verdict, t: Translator, *, source_names: Mapping[str, str] | None = None
) -> str:
    """The verdict for a phone screen: what fails or is open first, with what to do; passes in
    one line each; every source named once.

    Answers are not repeated (the user just gave them); render_verdict has the full detail.
    """
    names = source_names or {}
    lines = [render_text(verdict.title, t), _result_line(verdict, t)]
    status = render_call_status(verdict, t).split("\n")[0]
    if status:
        lines.append(status)
    sources = list(dict.fromkeys(c.source for c in verdict.criteria))
    open_points = [c for c in verdict.criteria if c.result is not Result.PASS]
    open_points.sort(key=lambda c: c.result is not Result.FAIL)
    # Each point in full while the summary fits a phone screen; when it would not (many open
    # points, e.g. after stopping at a knock-out), open points shrink to one line, then
    # failures to what to do. The full detail is one button away.
    passes = [c for c in verdict.criteria if c.result is Result.PASS]
    passed = [""] + [f"{_MARKS[Result.PASS]} {t.gettext(c.clause)}" for c in passes]
    closing = [
        "",
        _sources_line(sources, names, t),
        t.gettext(MSG_SHORT_FOOTER).format(date=t.format_date(verdict.checked_on)),
    ]
    for compact in ((), (Result.UNKNOWN,), (Result.UNKNOWN, Result.FAIL)):
        points = [
            line
            for c in open_points
            for line in _point_lines(c, sources, t, short=c.result in compact)
        ]
        if len("\n".join([*lines, *points, *passed, *closing])) <= SUMMARY_CHARS:
            break
    lines += points
    if passes:
        lines += passed
    ending = closing
    # Notes (what the grant means in costs, whom to ask) go in while the summary stays short.
    notes: list[str] = []
    for note in verdict.notes:
        line = f"• {render_message(note, t)}"
        longer = "\n".join([*lines, "", *notes, line, *ending])
        if len(longer) <= SUMMARY_CHARS:
            notes.append(line)
    if notes:
        lines += ["", *notes]
    return "\n".join(lines + ending)


def _point_lines(c: Criterion, sources: list[str], t: Translator, *, short: bool) -> list[str]:
    """A failed or open point: in full (details, what to do, source) or in one line."""
    lines = [""] if not short or c.result is Result.FAIL else []
    lines.append(f"{_MARKS[c.result]} {render_message(c.requirement, t)}")
    if short and c.result is not Result.FAIL:
        return lines
    if not short:
        lines += [f"   {render_message(d, t)}" for d in c.details if d.msgid != MSG_DETAIL_ANSWER]
    lines += _what_to_do(c, t)
    if not short:
        lines.append(_source_line(c, sources, t))
    return lines


def _what_to_do(c: Criterion, t: Translator) -> list[str]:
    """The point's fix and advice, indented under it."""
    return [
        "   " + t.gettext(MSG_WHAT_TO_DO).format(text=render_message(extra, t))
        for extra in (c.fix, c.advice)
        if extra is not None
    ]


def _source_line(c: Criterion, sources: list[str], t: Translator) -> str:
    """The clause and numbered source a point comes from, indented under it."""
    return "   " + t.gettext(MSG_SHORT_SOURCE).format(clause=_clause(c, sources, t))


def _result_line(verdict: Verdict, t: Translator) -> str:
    if verdict.eligibility is Eligibility.ELIGIBLE:
        return t.gettext(str(MSG_RESULT["eligible"]))
    forms = MSG_RESULT[verdict.eligibility.value]
    assert isinstance(forms, tuple)
    wanted = Result.FAIL if verdict.eligibility is Eligibility.NOT_ELIGIBLE else Result.UNKNOWN
    n = len(verdict.with_result(wanted))
    return t.ngettext(forms[0], forms[1], n).format(n=t.format_number(n))


def iter_message_ids(spec: CheckSpec) -> Iterator[str]:
    """Every message id a check uses (a plural message by its singular id, as catalogs do)."""
    texts: list[str] = [spec.status_unknown, *([spec.intro] if spec.intro else [])]
    if isinstance(spec.title, str):
        texts.append(spec.title)
    for q in spec.questions:
        texts += [q.prompt, q.summary, *([q.help] if q.help else [])]
        texts += [o.label for o in q.options if isinstance(o.label, str)]
    for r in spec.rules:
        texts += [r.requirement, r.clause, *([r.unknown] if r.unknown else [])]
        texts += [fix.msgid for _, fix in r.fixes]
    texts += [n.text for n in spec.notes]
    return iter(dict.fromkeys(texts))
