"""Turning a Reply into Telegram HTML messages: escaped, linked sources, split under 4096."""

from __future__ import annotations

import html
import re

from bot.assistant import Reply
from i18n import translator

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


def source_lines_html(reply: Reply) -> list[str]:
    """Citation lines with the title linked where the source has a URL."""
    t = translator(reply.lang)
    lines = []
    for src in reply.sources:
        title = html.escape(src.title, quote=False)
        if src.url:
            title = f'<a href="{html.escape(src.url, quote=True)}">{title}</a>'
        lines.append(
            "📄 "
            + t.gettext("Source: {title} ({publisher})").format(
                title=title, publisher=html.escape(src.publisher, quote=False)
            )
        )
    return lines


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


def reply_to_html(reply: Reply, limit: int = MAX_MESSAGE) -> list[str]:
    """The reply as one or more HTML messages, split at paragraph boundaries."""
    blocks: list[str] = []
    for paragraph in reply.body:
        for piece in _split_plain(paragraph, limit):
            blocks.append(html.escape(piece, quote=False))
    if reply.sources:
        blocks.append("\n".join(source_lines_html(reply)))
    return pack(blocks, limit)


def text_to_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text (paragraphs separated by blank lines) as escaped HTML messages."""
    blocks = [
        html.escape(piece, quote=False)
        for paragraph in text.split("\n\n")
        if paragraph.strip()
        for piece in _split_plain(paragraph, limit)
    ]
    return pack(blocks, limit) or [html.escape(text or "…", quote=False)]
