"""A document's title: cleaned of tool noise, else its first line, cut to a readable length."""

from __future__ import annotations

import re

from knowledge.passages import INVISIBLE, SKIP_LINK

TITLE_MAX_CHARS = 120


def clean_title(title: str | None) -> str | None:
    """A title without invisible characters and tool prefixes; None when it says nothing."""
    if not title:
        return None
    title = " ".join(title.translate(INVISIBLE).split())
    title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title)
    if title.lower() in {"", "untitled", "title", "document"}:
        return None
    return title


def first_line_title(text: str) -> str | None:
    """The first line that reads as text (not a skip link), as a title."""
    for line in text.split("\n"):
        line = " ".join(line.translate(INVISIBLE).split())
        if line and not SKIP_LINK.match(line) and sum(ch.isalpha() for ch in line) >= 2:
            return line
    return None


def truncate_title(title: str) -> str:
    """The title cut at a word to at most TITLE_MAX_CHARS characters."""
    if len(title) <= TITLE_MAX_CHARS:
        return title
    cut = title[: TITLE_MAX_CHARS - 1]
    if " " in cut[TITLE_MAX_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–") + "…"
