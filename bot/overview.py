"""One call at a glance: a title, a summary and short sections (dates, money, who, contact)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering.render import FactRenderer, View
from bot.answering.reply import Reply, SourceRef
from bot.answering.topics import topic_facts
from i18n import N_
from knowledge.facts import CallFacts, official_page

# Each section lists the fact topics it shows, in order; a section with none is left out.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Dates"), ("deadline",)),
    (N_("Money"), ("budget", "grant", "funding_rate", "duration")),
    (N_("Who can apply"), ("applicants", "countries", "consortium")),
    (N_("Contact"), ("contact",)),
)
OFFICIAL_PAGE_LINE = N_("Official call page: {url}")


@dataclass(frozen=True)
class Section:
    """A heading and its lines (plain text)."""

    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class CallOverview:
    """What /call shows: the call's title, reference, summary, sections, sources and page."""

    lang: str
    call_id: str
    title: str
    reference: str | None
    summary: str
    sections: tuple[Section, ...]
    sources: tuple[SourceRef, ...]
    page: str | None
    page_line: str | None

    def reply(self) -> Reply:
        """The overview as a plain-text Reply (the terminal, `amif-bot ask`)."""
        head = f"{self.title} [{self.reference}]" if self.reference else self.title
        body = [head, self.summary]
        if self.page_line:
            body.append(self.page_line)
        body.extend(f"{s.heading}:\n" + "\n".join(s.lines) for s in self.sections)
        return Reply(
            self.lang, True, tuple(body), self.sources, kind="call", calls=(self.call_id,)
        )


def call_overview(render: FactRenderer, v: View, call: CallFacts) -> CallOverview:
    """The call's facts grouped under headings, each line without the '<call>: ' lead-in."""
    t = v.t
    title = call.title.get(t.lang)
    prefix = f"{title}: "
    sections: list[Section] = []
    used: list[str] = []
    for heading, topics in SECTIONS:
        lines: list[str] = []
        for topic in topics:
            if topic == "funding_rate" and "grant" in used:
                continue  # the grant line already gives the rate
            if topic == "deadline" and call.deadline is None:
                # No deadline: the status line says so, and where to ask.
                got = [render.status_line(v, call)] if call.kind == "call" else []
            else:
                got = render.topic(v, call, topic)
                if got:
                    used.append(topic)
            lines.extend(_capitalize(line.removeprefix(prefix)) for line in got)
        if lines:
            sections.append(Section(t.gettext(heading), tuple(lines)))
    fields = [f for topic in used for f in topic_facts(call, topic)]
    sources = tuple(dict.fromkeys(render.ref(call.source_of(f), None) for f in fields)) or (
        render.ref(call.source, None),
    )
    page = official_page(call)
    return CallOverview(
        lang=t.lang,
        call_id=call.id,
        title=title,
        reference=call.reference,
        summary=call.summary.get(t.lang),
        sections=tuple(sections),
        sources=sources,
        page=page,
        page_line=t.gettext(OFFICIAL_PAGE_LINE).format(url=page) if page else None,
    )


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
