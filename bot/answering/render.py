"""Facts of a call rendered for one reader: their language, their time zone, their moment."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale

from bot.answering.reply import Reply, SourceRef
from bot.answering.topics import has_measures, has_topic, topic_facts
from i18n import N_, Translator
from knowledge.base import KnowledgeBase
from knowledge.documents import Source
from knowledge.facts import CallFacts, CallStatus, Objective, official_page

_ZONE_NAMES = {
    "Europe/Brussels": N_("Brussels time"),
    "Europe/Helsinki": N_("Helsinki time"),
    "Europe/Stockholm": N_("Stockholm time"),
    "UTC": N_("UTC"),
}
_STATUS_TEXT = {
    CallStatus.OPEN: N_("open"),
    CallStatus.UPCOMING: N_("upcoming"),
    CallStatus.CLOSED: N_("closed"),
    CallStatus.UNKNOWN: N_("status unknown: our sources give no deadline"),
}


@dataclass(frozen=True)
class View:
    """Who reads a reply: their translator, their time zone (if known) and the moment now."""

    t: Translator
    zone: ZoneInfo | None
    now: datetime


def bullets(items: Sequence[str]) -> str:
    """Items as a list of "• " lines."""
    return "\n".join(f"• {item}" for item in items)


class FactRenderer:
    """Renders the structured facts of the knowledge base's calls as reply lines."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        # The lines of each topic a question can ask about, by topic.
        self._topic_lines: dict[str, Callable[[View, CallFacts], list[str]]] = {
            "budget": self._budget_lines,
            "grant": self._grant_lines,
            "funding_rate": self._funding_rate_lines,
            "deadline": self._deadline_lines,
            "duration": self._duration_lines,
            "contact": self._contact_lines,
            "applicants": self._applicants_lines,
            "countries": self._countries_lines,
            "consortium": self._consortium_lines,
            "target_group": self._target_group_lines,
            "priorities": self._priorities_lines,
            "actions": self._actions_lines,
            "objectives": self._objectives_lines,
            "not_funded": self._not_funded_lines,
            "how_to_apply": self._how_to_apply_lines,
            "history": self._history_lines,
            "network": self._network_lines,
            "management": self._management_lines,
        }

    def topic(self, v: View, call: CallFacts, topic: str) -> list[str]:
        """The lines that state one topic of a call; none when its facts do not say it."""
        render = self._topic_lines.get(topic)
        return render(v, call) if render is not None else []

    # ----- one method a topic, each returning [] when the call's facts lack it -------------------

    def _budget_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        lines: list[str] = []
        if call.budget is not None:
            lines.append(
                t.gettext("{call}: the total budget is {amount}.").format(
                    call=call.title.get(t.lang),
                    amount=t.format_money(call.budget.amount, call.budget.currency),
                )
            )
        lines.extend(self._objective_amounts(v, call))
        return lines

    def _grant_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not (call.grant_min and call.grant_max):
            return []
        lines = [
            t.gettext("{call}: a grant is between {low} and {high}.").format(
                call=call.title.get(t.lang),
                low=t.format_money(call.grant_min.amount, call.grant_min.currency),
                high=t.format_money(call.grant_max.amount, call.grant_max.currency),
            )
        ]
        if call.funding_rate:
            lines.append(self._funding_rate(v, call))
        return lines

    def _funding_rate_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        lines: list[str] = []
        if call.funding_rate:
            lines.append(self._funding_rate(v, call))
        if call.co_financing:
            co = call.co_financing
            lines.append(
                t.gettext(
                    "{call}: the EU grant usually covers at most {usual} of a project's total "
                    "costs; it can be raised to {raised} ({condition})."
                ).format(
                    call=call.title.get(t.lang),
                    usual=t.format_percent(co.usual_max),
                    raised=t.format_percent(co.raised_max),
                    condition=co.raised_when.get(t.lang),
                )
            )
        return lines

    def _deadline_lines(self, v: View, call: CallFacts) -> list[str]:
        lines = [self.deadline_line(v, call)]
        if call.kind == "call":
            lines.append(self.status_line(v, call, short=True))
        return lines

    def _duration_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not call.duration_months:
            return []
        return [
            t.ngettext(
                "{call}: projects initially run for {n} month.",
                "{call}: projects initially run for {n} months.",
                call.duration_months,
            ).format(call=call.title.get(t.lang), n=call.duration_months)
        ]

    def _contact_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not call.contact:
            return []
        lines = [
            t.gettext("{call}: {contact}").format(
                call=call.title.get(t.lang), contact=call.contact.text.get(t.lang)
            )
        ]
        if call.contact.email:
            lines.append(t.gettext("E-mail: {email}").format(email=call.contact.email))
        return lines

    def _applicants_lines(self, v: View, call: CallFacts) -> list[str]:
        return self._applicants(v, call) if call.applicants else []

    def _countries_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not call.countries:
            return []
        lines = [
            t.gettext("{call}: {rule}").format(
                call=call.title.get(t.lang), rule=call.countries.text.get(t.lang)
            )
        ]
        if call.countries.excluded:
            names = [
                Locale.parse(_babel_lang(t.lang)).territories.get(c, c)
                for c in call.countries.excluded
            ]
            lines.append(
                t.gettext("Organisations established in {countries} cannot take part.").format(
                    countries=", ".join(names)
                )
            )
        return lines

    def _consortium_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not call.consortium:
            return []
        return [
            t.gettext(
                "{call}: you need a consortium of at least {entities} entities from at least "
                "{countries} different eligible countries."
            ).format(
                call=call.title.get(t.lang),
                entities=call.consortium.min_entities,
                countries=call.consortium.min_countries,
            )
        ]

    def _target_group_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not call.target_group:
            return []
        return [
            t.gettext("{call}: {text}").format(
                call=call.title.get(t.lang), text=call.target_group.get(t.lang)
            )
        ]

    def _priorities_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not call.priorities:
            return []
        return [
            t.gettext("{call} funds actions with these priorities:").format(
                call=call.title.get(t.lang)
            ),
            bullets([p.text.get(t.lang) for p in call.priorities]),
        ]

    def _actions_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if call.actions:
            return [
                t.gettext("Examples of what {call} funds:").format(call=call.title.get(t.lang)),
                bullets([a.text.get(t.lang) for a in call.actions]),
            ]
        # Without examples of actions, the objectives' measures say what is funded.
        return self._objectives(v, call) if has_measures(call) else []

    def _objectives_lines(self, v: View, call: CallFacts) -> list[str]:
        return self._objectives(v, call) if call.objectives else []

    def _not_funded_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not call.not_funded:
            return []
        return [
            t.gettext("{call} does not fund:").format(call=call.title.get(t.lang)),
            bullets([x.get(t.lang) for x in call.not_funded]),
        ]

    def _how_to_apply_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        if not call.how_to_apply:
            return []
        return [
            t.gettext("How to apply ({call}):").format(call=call.title.get(t.lang)),
            "\n".join(f"{i}. {s.get(t.lang)}" for i, s in enumerate(call.how_to_apply, 1)),
        ]

    def _history_lines(self, v: View, call: CallFacts) -> list[str]:
        return [call.history.get(v.t.lang)] if call.history else []

    def _network_lines(self, v: View, call: CallFacts) -> list[str]:
        return [call.network.get(v.t.lang)] if call.network else []

    def _management_lines(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        m = call.management
        if not m:
            return []
        return [
            t.gettext("{call}: {share} of the budget is in shared management.").format(
                call=call.title.get(t.lang), share=t.format_percent(m.shared)
            ),
            f"{m.shared_text.get(t.lang)} {m.direct_text.get(t.lang)}",
        ]

    def _funding_rate(self, v: View, call: CallFacts) -> str:
        t = v.t
        assert call.funding_rate is not None
        return t.gettext("{call}: the grant covers {rate} {basis}.").format(
            call=call.title.get(t.lang),
            rate=t.format_percent(call.funding_rate.rate),
            basis=call.funding_rate.basis.get(t.lang),
        )

    def _objective_amounts(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        lines = []
        for obj in call.objectives:
            if obj.amount is not None:
                lines.append(
                    t.gettext("Specific objective {number} ({title}): {amount} available.").format(
                        number=obj.number,
                        title=obj.title.get(t.lang),
                        amount=t.format_money(obj.amount.amount, obj.amount.currency),
                    )
                )
        if len(lines) > 1:
            total = sum(o.amount.amount for o in call.objectives if o.amount is not None)
            lines.append(t.gettext("In all: {amount}.").format(amount=t.format_money(total)))
        if lines:
            lines.insert(0, t.gettext("{call}:").format(call=call.title.get(t.lang)))
        return ["\n".join(lines)] if lines else []

    def _objectives(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        out = [t.gettext("Specific objectives of {call}:").format(call=call.title.get(t.lang))]
        return out + self._objective_blocks(v, call, list(call.objectives))

    def _objective_blocks(
        self, v: View, call: CallFacts, objectives: list[Objective]
    ) -> list[str]:
        t = v.t
        out = []
        for obj in objectives:
            head = f"{obj.number}. {obj.title.get(t.lang)}"
            if obj.amount is not None:
                head += " – " + t.gettext("{amount} available").format(
                    amount=t.format_money(obj.amount.amount, obj.amount.currency)
                )
            parts = [head, *(f"   • {m.text.get(t.lang)}" for m in obj.measures)]
            if obj.note is not None:
                parts.append(f"   {obj.note.get(t.lang)}")
            out.append("\n".join(parts))
        return out

    def _applicants(self, v: View, call: CallFacts) -> list[str]:
        t = v.t
        a = call.applicants
        assert a is not None
        name = call.title.get(t.lang)
        rules = []
        if a.legal_person:
            rules.append(t.gettext("be a legal person"))
        if a.public_or_private:
            rules.append(t.gettext("be a public or a private body"))
        if a.non_profit:
            rules.append(t.gettext("be non-profit"))
        lines = []
        if rules:
            lines.append(
                t.gettext("{call}: an applicant must {rules}.").format(
                    call=name, rules=", ".join(rules)
                )
            )
        if a.types:
            lines.append(
                t.gettext("{call}: eligible organisations include:").format(call=name)
                + "\n"
                + bullets([x.get(t.lang) for x in a.types])
            )
        return lines

    def deadline_line(self, v: View, call: CallFacts) -> str:
        t = v.t
        name = call.title.get(t.lang)
        d = call.deadline
        if d is None:
            return t.gettext("{call}: our sources give no deadline.").format(call=name)
        zone = t.gettext(_ZONE_NAMES.get(d.tz.key, d.tz.key))
        if call.opens is not None and d.time is None:
            return t.gettext("{call}: application period from {start} to {end}.").format(
                call=name, start=t.format_date(call.opens.date), end=t.format_date(d.date)
            )
        if d.time is not None:
            line = t.gettext("{call}: the deadline is {date} at {time} ({zone}).").format(
                call=name,
                date=t.format_date(d.date),
                time=t.format_time(d.moment(), d.tz),
                zone=zone,
            )
            viewer = v.zone
            if viewer is not None and viewer.key != d.tz.key:
                local = d.moment().astimezone(viewer)
                line += " " + t.gettext("That is {date} at {time} {zone}.").format(
                    date=t.format_date(local.date()),
                    time=t.format_time(local, viewer),
                    zone=t.gettext(_ZONE_NAMES.get(viewer.key, viewer.key)),
                )
            return line
        return t.gettext("{call}: the deadline is {date}.").format(
            call=name, date=t.format_date(d.date)
        )

    def status_line(self, v: View, call: CallFacts, short: bool = False) -> str:
        """Whether the call is open, upcoming or closed now; short when the call was just named."""
        t = v.t
        now = v.now
        status = call.status(now)
        name = call.title.get(t.lang)
        if status is CallStatus.OPEN:
            left = call.time_left(now)
            if left is not None:
                return t.gettext("{call} is open; it closes {when}.").format(
                    call=name, when=t.format_timedelta(left)
                )
        if status is CallStatus.UPCOMING and call.opens is not None:
            return t.gettext("{call} has not opened yet; it opens {when}.").format(
                call=name, when=t.format_timedelta(call.opens.start() - now)
            )
        if status is CallStatus.UNKNOWN:
            where = call.url or (
                call.contact.email if call.contact and call.contact.email else None
            )
            text = t.gettext(
                "{call}: our sources give no deadline, so I cannot say whether it is open."
            ).format(call=name)
            if where:
                text += " " + t.gettext("Check {where}.").format(where=where)
            return text
        if short:
            return t.gettext("Status: {status}.").format(status=t.gettext(_STATUS_TEXT[status]))
        return t.gettext("Status of {call}: {status}.").format(
            call=name, status=t.gettext(_STATUS_TEXT[status])
        )

    def ref(self, doc_id: str, score: float | None) -> SourceRef:
        src: Source = self.kb.sources[doc_id]
        return SourceRef(
            src.id, src.title, src.publisher, src.url, None if score is None else round(score, 3)
        )

    def overview(self, v: View, call: CallFacts) -> Reply:
        """The key facts of one call: what it funds, money, dates, who may apply, contact."""
        t = v.t
        ref = f" [{call.reference}]" if call.reference else ""
        body = [f"{call.title.get(t.lang)}{ref}", call.summary.get(t.lang)]
        page = official_page(call)
        if page:
            body.append(t.gettext("Official call page: {url}").format(url=page))
        topics = (
            "deadline",
            "budget",
            "grant",
            "duration",
            "applicants",
            "countries",
            "consortium",
            "contact",
        )
        used: list[str] = []
        prefix = f"{call.title.get(t.lang)}: "
        for topic in topics:
            if has_topic(call, topic):
                # The title heads the overview, so each line drops its "<call>: " lead-in.
                body.extend(
                    _capitalize(line.removeprefix(prefix)) for line in self.topic(v, call, topic)
                )
                used.extend(topic_facts(call, topic))
        if call.kind == "call" and call.deadline is None:
            body.append(self.status_line(v, call))
        sources = tuple(dict.fromkeys(self.ref(call.source_of(f), None) for f in used)) or (
            self.ref(call.source, None),
        )
        return Reply(t.lang, True, tuple(body), sources, kind="call", calls=(call.id,))

    # ----- listings ----------------------------------------------------------------------------

    def listing(self, v: View, only_current: bool = False) -> Reply:
        """Every known call with its status and deadline; open and upcoming ones first.

        only_current answers "which calls are open?": the open and upcoming calls, or, when
        there are none, that none is and the calls that closed.
        """
        t = v.t
        calls = sorted(
            (c for c in self.kb.calls if c.kind == "call"),
            key=lambda c: c.status(v.now) not in (CallStatus.OPEN, CallStatus.UPCOMING),
        )
        current = [c for c in calls if c.status(v.now) in (CallStatus.OPEN, CallStatus.UPCOMING)]
        if only_current and current:
            body, calls = [t.gettext("Calls open now or opening soon:")], current
        elif only_current:
            body = [
                t.gettext("None of the calls I know is open now or about to open."),
                t.gettext("Calls I know about:"),
            ]
        else:
            body = [t.gettext("Calls I know about:")]
        for call in calls:
            ref = f" [{call.reference}]" if call.reference else ""
            prefix = f"{call.title.get(t.lang)}: "
            deadline = _capitalize(self.deadline_line(v, call).removeprefix(prefix))
            status = self.status_line(v, call, short=call.deadline is not None)
            lines = [deadline] if call.deadline is not None else []
            lines.append(_capitalize(status.removeprefix(prefix)))
            body.append(f"• {call.title.get(t.lang)}{ref}\n  " + "\n  ".join(lines))
        refs = tuple(dict.fromkeys(self.ref(c.source, None) for c in calls))
        return Reply(
            t.lang, True, tuple(body), refs, kind="calls", calls=tuple(c.id for c in calls)
        )


def _babel_lang(lang: str) -> str:
    return {"en": "en_GB", "sv": "sv_FI", "fi": "fi_FI"}.get(lang, "en_GB")


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
