"""Call and topic references, and the call's title."""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.extraction.patterns import DIARY_REF, EU_REF, LABELLED_REF, VN_REF, context
from knowledge.extraction.spans import Found, Passage, unique


def find_references(
    lang: str, passages: Sequence[Passage]
) -> tuple[list[Found[str]], list[Found[str]]]:
    """Call references and topic references (a topic also names its call), first mention first."""
    labelled_ref = re.compile(context(lang, "reference").pattern + LABELLED_REF, re.I)
    calls: list[Found[str]] = []
    topics: list[Found[str]] = []
    for p in passages:
        for match in EU_REF.finditer(p.text):
            ref = match.group(0)
            parent = topic_parent(ref)
            if parent is None:
                calls.append(Found(ref, p.id, match.start(), match.end(), ref))
            else:
                topics.append(Found(ref, p.id, match.start(), match.end(), ref))
                end = match.start() + len(parent)
                calls.append(Found(parent, p.id, match.start(), end, parent))
        labelled = [*labelled_ref.finditer(p.text), *DIARY_REF.finditer(p.text)]
        found = [(m.start("ref"), m["ref"].rstrip("./-")) for m in labelled]
        found += [(m.start(), m.group(0)) for m in VN_REF.finditer(p.text)]
        for start, ref in sorted(found):
            if EU_REF.fullmatch(ref) or len(ref) < 4:
                continue
            calls.append(Found(ref, p.id, start, start + len(ref), ref))
    return unique(calls), unique(topics)


def find_title(lang: str, passages: Sequence[Passage], refs: Sequence[str]) -> Found[str] | None:
    """The title on a labelled line, else on the line that opens with a reference."""
    label = re.compile(
        r"^[ \t]*" + context(lang, "title").pattern + r"[ \t]*:[ \t]*(?P<t>\S[^\n]{3,200})$",
        re.I | re.M,
    )
    for p in passages:
        match = label.search(p.text)
        if match:
            title = match["t"].strip()
            return Found(title, p.id, match.start("t"), match.start("t") + len(title), title)
    # "AMIF-2025-TF2-AG-INTE-02-HEALTH: Title" or "... – Title" on a line of its own.
    for p in passages:
        for ref in refs:
            line = re.compile(
                r"^[ \t#]*(?:Topic|Call|Aihe|Haku|Ämne|Utlysning)?[ \t:]*"
                + re.escape(ref)
                + r"(?:[ \t]*:|[ \t]+(?:–|—|-))[ \t]*(?P<t>[^\n]{4,200})$",
                re.M,
            )
            match = line.search(p.text)
            if match:
                title = match["t"].strip()
                start = match.start("t")
                return Found(title, p.id, start, start + len(title), title)
    return None


def topic_parent(ref: str) -> str | None:
    """The call a topic reference belongs to: the part before its two-digit topic number."""
    parts = ref.split("-")
    # AMIF, year, then at least two parts of the call before the topic number.
    for i in range(4, len(parts)):
        if re.fullmatch(r"\d{2}", parts[i]):
            return "-".join(parts[:i])
    return None
