"""Markdown: front matter (title, url, id, publisher), then the text without its markup."""

from __future__ import annotations

import re

import yaml

from knowledge.readers.base import Extracted, http_url
from knowledge.readers.titles import TITLE_MAX_CHARS

# An id an operator sets in front matter: what a stored file name and a facts file can name.
_OPERATOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


_MD_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.S)
_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_MD_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_MD_RULE_OR_UNDERLINE = re.compile(r"^\s{0,3}(?:[=]+|[-]{2,}|(?:[-*_]\s*){3,})\s*$")
_MD_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])__(?=\S)(.+?)(?<=\S)__(?![\w_])"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),
)


def read_markdown(text: str) -> Extracted:
    """The text of a Markdown file, with what its front matter and first heading say."""
    title: str | None = None
    url = doc_id = publisher = None
    match = _MD_FRONT_MATTER.match(text)
    if match:
        try:
            meta = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            meta = None
        if isinstance(meta, dict):
            text = text[match.end() :]
            if isinstance(meta.get("title"), str):
                title = meta["title"]
            url = http_url(meta.get("url"))
            if isinstance(meta.get("publisher"), str) and meta["publisher"].strip():
                publisher = " ".join(meta["publisher"].split())[:TITLE_MAX_CHARS]
            if isinstance(meta.get("id"), str) and _OPERATOR_ID.fullmatch(meta["id"].strip()):
                doc_id = meta["id"].strip()
    lines: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            lines.append("")
            continue
        if in_fence:
            lines.append(line)
            continue
        heading = _MD_ATX.match(line)
        if heading:
            text_of_heading = _strip_markdown_inline(heading.group(2))
            if title is None and len(heading.group(1)) == 1 and text_of_heading.strip():
                title = text_of_heading
            # A heading always ends the paragraph before it and starts a new one.
            lines.extend(["", text_of_heading, ""])
            continue
        if _MD_RULE_OR_UNDERLINE.match(line) or _MD_TABLE_RULE.match(line):
            if line.strip().startswith("=") and title is None and lines and lines[-1].strip():
                title = lines[-1].strip()
            lines.append("")
            continue
        if _MD_LINK_DEFINITION.match(line):
            continue
        line = re.sub(r"^\s{0,3}(?:>\s?)+", "", line)
        lines.append(_strip_markdown_inline(line))
    return Extracted("\n".join(lines), title, url, doc_id, publisher)


def _strip_markdown_inline(line: str) -> str:
    for pattern, replacement in _MD_INLINE:
        line = pattern.sub(replacement, line)
    return line
