"""Retrieval passages: a document's text cut into units of about TARGET_WORDS words."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Passages are retrieval units: long enough to carry one answer with its context, short enough
# that BM25 length normalisation does not bury a precise match and a citation stays readable.
TARGET_WORDS = 120
MAX_WORDS = 180
# A passage this short carries too little context for an answer, so it joins a neighbour.
MIN_WORDS = 40


# A paragraph this short without closing punctuation reads as a heading of what follows.
HEADING_MAX_WORDS = 12


SKIP_LINK = re.compile(
    r"^(skip to (the )?(main )?content|skip to navigation|back to top|hoppa till (huvud)?innehåll"
    r"|siirry (suoraan )?(sisältöön|pääsisältöön))$",
    re.IGNORECASE,
)
PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:(?:page|sida|sivu)\s+)?\d{1,4}(?:\s*(?:/|of|av)\s*\d{1,4})?(?:\s*[-–—])?$",
    re.IGNORECASE,
)
LIST_MARKER = re.compile(
    r"^(?:[•·▪◦‣∙●○■□–—*+-]\s|\d{1,3}[.)]\s|[a-zA-Z][.)]\s|\([a-z0-9]{1,4}\)\s)"
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")
# Words ending in a full stop that do not end a sentence (en, sv, fi).
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "art", "no", "nr", "vs", "cf", "approx", "incl", "ca", "bl.a", "t.ex"}
    | {"m.m", "s.k", "o.s.v", "esim", "ym", "jne", "mm", "ks", "n"}
)
_SENTENCE_START_EXTRA = "\"'“‘(•–—-"
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def split_passages(text: str) -> list[str]:
    """Split text into passages of about TARGET_WORDS (at most MAX_WORDS) words each.

    Paragraphs come from blank lines and list items; short paragraphs merge, headings stay with
    the paragraph after them, long paragraphs split at sentence ends; boilerplate is dropped.
    Paragraphs inside one passage are separated by a newline.
    """
    units = _glue_headings(_paragraphs(text))
    passages: list[list[str]] = []
    buffer: list[str] = []
    buffer_words = 0
    for unit in units:
        words = sum(word_count(p) for p in unit)
        if words > MAX_WORDS:
            if buffer:
                passages.append(buffer)
                buffer, buffer_words = [], 0
            passages.extend(_split_long(unit))
            continue
        fits = buffer_words + words <= TARGET_WORDS or (
            buffer_words < MIN_WORDS and buffer_words + words <= MAX_WORDS
        )
        if buffer and not fits:
            passages.append(buffer)
            buffer, buffer_words = [], 0
        buffer.extend(unit)
        buffer_words += words
    if buffer:
        last_words = buffer_words
        previous_words = sum(word_count(p) for p in passages[-1]) if passages else 0
        if passages and last_words < MIN_WORDS and previous_words + last_words <= MAX_WORDS:
            passages[-1].extend(buffer)
        else:
            passages.append(buffer)
    return ["\n".join(paragraphs) for paragraphs in passages]


def word_count(text: str) -> int:
    """The number of words in a text, as passages count them."""
    return len(text.split())


def _normalise_space(text: str) -> str:
    return " ".join(text.translate(INVISIBLE).split())


def _paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        current: list[str] = []
        block_paragraphs: list[str] = []
        for raw_line in block.split("\n"):
            line = _normalise_space(raw_line)
            if not line or SKIP_LINK.match(line):
                continue
            if LIST_MARKER.match(line) and current:
                block_paragraphs.append(" ".join(current))
                current = []
            current.append(line)
        if current:
            block_paragraphs.append(" ".join(current))
        paragraphs.extend(p for p in block_paragraphs if not _is_boilerplate(p))
    return paragraphs


def _is_boilerplate(paragraph: str) -> bool:
    return (
        not any(ch.isalnum() for ch in paragraph)
        or bool(PAGE_NUMBER.match(paragraph))
        or bool(SKIP_LINK.match(paragraph))
    )


def _is_heading(paragraph: str) -> bool:
    return (
        word_count(paragraph) <= HEADING_MAX_WORDS
        and not paragraph.endswith((".", ",", ";", "!", "…"))
        and not LIST_MARKER.match(paragraph)
    )


def _glue_headings(paragraphs: list[str]) -> list[list[str]]:
    units: list[list[str]] = []
    pending: list[str] = []
    for paragraph in paragraphs:
        pending.append(paragraph)
        if not _is_heading(paragraph):
            units.append(pending)
            pending = []
    if pending:
        units.append(pending)
    return units


@dataclass(frozen=True)
class _Segment:
    text: str
    words: int
    starts_paragraph: bool


def _split_long(unit: list[str]) -> list[list[str]]:
    segments: list[_Segment] = []
    for paragraph in unit:
        first = True
        for sentence in _sentences(paragraph):
            for piece in _split_words(sentence):
                segments.append(_Segment(piece, word_count(piece), first))
                first = False
    total = sum(s.words for s in segments)
    goal = total / math.ceil(total / MAX_WORDS)
    chunks: list[list[_Segment]] = []
    current: list[_Segment] = []
    current_words = 0
    for segment in segments:
        if current and (current_words + segment.words > MAX_WORDS or current_words >= goal):
            chunks.append(current)
            current, current_words = [], 0
        current.append(segment)
        current_words += segment.words
    if current:
        chunks.append(current)
    return [_join_segments(chunk) for chunk in chunks]


def _join_segments(chunk: list[_Segment]) -> list[str]:
    paragraphs: list[str] = []
    for index, segment in enumerate(chunk):
        if index == 0 or segment.starts_paragraph:
            paragraphs.append(segment.text)
        else:
            paragraphs[-1] += " " + segment.text
    return paragraphs


def _sentences(paragraph: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        following = paragraph[match.end() : match.end() + 1]
        if not (following.isupper() or following.isdigit() or following in _SENTENCE_START_EXTRA):
            continue
        last_word = paragraph[start : match.start()].rsplit(None, 1)[-1:]
        token = last_word[0].lower().lstrip("(\"'") if last_word else ""
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            continue
        sentences.append(paragraph[start : match.end()].strip())
        start = match.end()
    sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


def _split_words(sentence: str) -> list[str]:
    words = sentence.split()
    if len(words) <= MAX_WORDS:
        return [sentence]
    pieces = math.ceil(len(words) / MAX_WORDS)
    size = math.ceil(len(words) / pieces)
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
