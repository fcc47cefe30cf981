"""Passages, candidate values and the clause around a value: what the finders share."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic

from knowledge.extraction.model import Cited, T
from knowledge.extraction.patterns import SENTENCE_END, context


@dataclass(frozen=True)
class Found(Generic[T]):
    """A candidate value: where it is and how strongly its context supports it."""

    value: T
    passage: str
    start: int
    end: int
    span: str
    strength: int = 1

    def cited(self) -> Cited[T]:
        """The value with its citation, as extraction returns it."""
        return Cited(self.value, self.passage, self.span, self.start)


@dataclass(frozen=True)
class Passage:
    """One unit of the document: its id (as cited) and its text."""

    id: str
    text: str


def clause_start(text: str, pos: int, limit: int = 160) -> int:
    """Where the clause holding pos begins (line, sentence, list item or table cell)."""
    floor = max(0, pos - limit)
    start = floor
    for match in SENTENCE_END.finditer(text, floor, pos):
        start = match.end()
    return start


def clause_before(text: str, pos: int) -> str:
    """The clause before pos; a value that opens its line reads the short line above it."""
    start = clause_start(text, pos)
    head = text[start:pos]
    if head.strip(" \t:–-") or start == 0:
        return head
    if text[start - 1] == "|":
        # A table cell: its label is the cell before ("| Deadline | 16 September 2025 |").
        cell_start = text.rfind("|", 0, start - 1) + 1
        return text[cell_start : start - 1]
    # A label on its own line ("Deadline date" then "16 September 2025") names the value.
    line_end = text.rfind("\n", 0, pos)
    prev_start = text.rfind("\n", 0, max(line_end, 0)) + 1
    above = text[prev_start:line_end] if line_end > 0 else ""
    return above if 0 < len(above.strip()) <= 60 else head


def nearest(lang: str, before: str, names: Sequence[str]) -> tuple[str | None, int]:
    """Which of the named context classes has a word nearest the end of before, and where."""
    best: tuple[str | None, int] = (None, -1)
    for name in names:
        for match in context(lang, name).finditer(before):
            if match.end() > best[1]:
                best = (name, match.end())
    return best


def after_has(lang: str, text: str, end: int, name: str, width: int = 40) -> bool:
    """True when a word of the named class follows end closely."""
    tail = text[end : end + width]
    match = context(lang, name).match(tail.lstrip(" ,)(:"))
    return match is not None


def sentences(text: str) -> Iterator[tuple[int, str]]:
    """The sentences and lines of a text, each with where it starts."""
    start = 0
    for match in re.finditer(r"[.!?](?=\s+[A-ZÅÄÖ])|\n", text):
        yield start, text[start : match.end()]
        start = match.end()
    yield start, text[start:]


def unique(found: Sequence[Found[T]]) -> list[Found[T]]:
    """The candidates with the first of each value only."""
    seen: set[Any] = set()
    out: list[Found[T]] = []
    for item in found:
        if item.value not in seen:
            seen.add(item.value)
            out.append(item)
    return out


def choose(
    found: Sequence[Found[T]],
    same: Callable[[T, T], bool] | None = None,
    better: Callable[[T], int] | None = None,
) -> Cited[T] | None:
    """The value the strongest candidates agree on; none when they disagree (precision first)."""
    if not found:
        return None
    top = max(f.strength for f in found)
    best = [f for f in found if f.strength == top]
    equal = same or (lambda a, b: a == b)
    if not all(equal(best[0].value, f.value) for f in best[1:]):
        return None
    if better is not None:
        return max(best, key=lambda f: better(f.value)).cited()
    return best[0].cited()


def split_blocks(text: str) -> list[Passage]:
    """A text as passages, one per blank-line block, numbered from 0."""
    chunks = [c.strip("\n") for c in re.split(r"\n[ \t]*\n", text)]
    return [Passage(str(i), c) for i, c in enumerate(c for c in chunks if c.strip())]
