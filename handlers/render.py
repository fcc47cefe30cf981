"""Turning a Reply into Telegram HTML messages: escaped, linked sources, split under 4096.

Plain paragraphs become HTML here and nowhere else: headings (a short line ending in ':') in
bold, call references in <code>, URLs as links, everything else escaped.
"""

from __future__ import annotations

import dataclasses
import html
import re

from bot.assistant import Reply, SourceRef
from i18n import N_, translator
from knowledge.base import KnowledgeBase
from knowledge.facts import official_page

# Telegram counts message length in UTF-16 code units after entity parsing; measuring the HTML
# source instead is stricter (tags and escapes only add), so a chunk that fits here fits there.
MAX_MESSAGE = 4096


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _split_plain(text: str, limit: int) -> list[str]:
    """Split plain text so each escaped piece fits limit: at lines, then sentences, then words."""
    if utf16_len(html.escape(text, quote=False)) <= limit:
        return [text]
    for pattern in (r"(?<=\n)", r"(?<=[.!?])\s+", r"\s+"):
        parts = [p for p in re.split(pattern, text) if p]
        if len(parts) > 1:
            break
    else:
        # One enormous "word": cut it.
        middle = max(1, len(text) // 2)
        parts = [text[:middle], text[middle:]]
    chunks: list[str] = []
    current = ""
    for part in parts:
        candidate = (
            f"{current} {part}".strip()
            if current and not current.endswith("\n")
            else (current + part)
        )
        if utf16_len(html.escape(candidate, quote=False)) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if utf16_len(html.escape(part, quote=False)) > limit:
            chunks.extend(_split_plain(part, limit))
            current = ""
        else:
            current = part
    if current:
        chunks.append(current)
    return chunks


# A call reference as the EU writes them (AMIF-2024-TF2-AG-THB), in brackets or not.
_REFERENCE = re.compile(r"\[?\b([A-Z]{2,}(?:-[A-Z0-9]+){2,})\b\]?")
# A URL up to white space, without the sentence's closing punctuation.
_URL = re.compile(r"https?://[^\s<>\"]+?(?=[.,;:!?)\]]*(?:\s|$))")
_HEADING_CHARS = 80
OFFICIAL_PAGE = N_("official call page")


def link(url: str, label: str) -> str:
    """An HTML link; the label is escaped here."""
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label, quote=False)}</a>'


def inline_html(text: str) -> str:
    """One line of plain text as HTML: escaped, URLs linked, call references in <code>."""
    out: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        out.append(_references(text[position : match.start()]))
        out.append(link(match.group(0), match.group(0)))
        position = match.end()
    out.append(_references(text[position:]))
    return "".join(out)


def _references(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _REFERENCE.finditer(text):
        if not any(c.isdigit() for c in match.group(1)):
            continue
        out.append(html.escape(text[position : match.start()], quote=False))
        out.append(f"<code>{html.escape(match.group(1), quote=False)}</code>")
        position = match.end()
    out.append(html.escape(text[position:], quote=False))
    return "".join(out)


def paragraph_html(paragraph: str) -> str:
    """A paragraph as HTML: a first line that introduces what follows is a bold heading."""
    lines = paragraph.split("\n")
    rendered = [inline_html(line) for line in lines]
    first = lines[0].strip()
    if _is_heading(first):
        rendered[0] = f"<b>{rendered[0]}</b>"
    return "\n".join(rendered)


def _is_heading(line: str) -> bool:
    return (
        0 < len(line) <= _HEADING_CHARS
        and line.endswith(":")
        and not line.startswith(("•", "-", "📄"))
    )


def cited(reply: Reply, kb: KnowledgeBase) -> Reply:
    """The reply's sources in the reader's language, each once, with the page to open.

    The title comes from the document's title_<lang> when it has one; a source about a call
    without a URL of its own links the call's official page instead (page).
    """
    refs: list[SourceRef] = []
    seen: set[tuple[str, str]] = set()
    for ref in reply.sources:
        source = kb.sources.get(ref.id)
        title = source.title_in(reply.lang) if source is not None else ref.title
        key = (title.casefold(), ref.publisher.casefold())
        if key in seen:
            continue
        seen.add(key)
        page = ref.page
        if not ref.url and page is None and source is not None:
            page = _call_page(kb, ref.id, source.call)
        refs.append(dataclasses.replace(ref, title=title, page=page))
    return dataclasses.replace(reply, sources=tuple(refs))


def _call_page(kb: KnowledgeBase, source_id: str, call_id: str | None) -> str | None:
    for call in kb.calls:
        if call.id == call_id or call.source == source_id:
            page = official_page(call)
            if page:
                return page
    return None


def source_lines_html(reply: Reply) -> list[str]:
    """Citation lines, each once, with the title linked where the source has a URL."""
    t = translator(reply.lang)
    lines: list[str] = []
    for src in reply.sources:
        title = link(src.url, src.title) if src.url else html.escape(src.title, quote=False)
        line = "📄 " + t.gettext("Source: {title} ({publisher})").format(
            title=title, publisher=html.escape(src.publisher, quote=False)
        )
        if not src.url and src.page:
            line += " · " + link(src.page, t.gettext(OFFICIAL_PAGE))
        if line not in lines:
            lines.append(line)
    return lines


def _paragraph_blocks(paragraph: str, limit: int) -> list[str]:
    """A paragraph as HTML blocks that each fit limit, markup included."""
    blocks: list[str] = []
    for piece in _split_plain(paragraph, limit):
        rendered = paragraph_html(piece)
        if utf16_len(rendered) <= limit:
            blocks.append(rendered)
        else:
            # Links and <code> made it longer than the limit: split the piece further.
            blocks.extend(paragraph_html(p) for p in _split_plain(piece, limit // 3))
    return blocks


def pack(blocks: list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join HTML blocks with blank lines into as few messages as fit, never splitting a block."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if utf16_len(candidate) <= limit:
            current = candidate
        else:
            if current:
                messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages


def reply_to_html(
    reply: Reply, limit: int = MAX_MESSAGE, kb: KnowledgeBase | None = None
) -> list[str]:
    """The reply as one or more HTML messages, split at paragraph boundaries.

    With kb the citations are localized and linked (see cited).
    """
    if kb is not None:
        reply = cited(reply, kb)
    blocks = [block for paragraph in reply.body for block in _paragraph_blocks(paragraph, limit)]
    if reply.sources:
        blocks.append("\n".join(source_lines_html(reply)))
    return pack(blocks, limit)


def text_to_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text (paragraphs separated by blank lines) as escaped HTML messages."""
    blocks = [
        block
        for paragraph in text.split("\n\n")
        if paragraph.strip()
        for block in _paragraph_blocks(paragraph, limit)
    ]
    return pack(blocks, limit) or [html.escape(text or "…", quote=False)]
