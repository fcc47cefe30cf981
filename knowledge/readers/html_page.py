"""HTML pages: the visible text in reading order, the title and the page's own URL."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from knowledge.readers.base import Extracted, http_url
from knowledge.readers.plain import decode_text

_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


_HTML_SKIPPED = frozenset(
    {"script", "style", "nav", "header", "footer", "noscript", "template", "svg"}
)
_HTML_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog"}
    | {"div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "hr", "li", "main", "ol"}
    | {"p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul"}
    | {"h1", "h2", "h3", "h4", "h5", "h6"}
)
_HTML_CELLS = frozenset({"td", "th"})


class _HtmlText(HTMLParser):
    """Collects visible text with paragraph breaks, the <title>, first <h1> and canonical URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.canonical: str | None = None
        self.og_url: str | None = None
        self._skip_depth = 0
        self._in_title = False
        self._in_pre = 0
        self._h1_state = "before"  # before -> inside -> done

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track skipped regions and turn block elements into paragraph breaks."""
        if tag in _HTML_SKIPPED:
            self._skip_depth += 1
        elif tag == "title" and not self.title_parts:
            self._in_title = True
        elif tag == "link":
            self._note_canonical(dict(attrs))
        elif tag == "meta":
            found = dict(attrs)
            if (found.get("property") or "").lower() == "og:url":
                self.og_url = self.og_url or http_url(found.get("content"))
        if tag == "h1" and self._h1_state == "before":
            self._h1_state = "inside"
        if tag == "pre":
            self._in_pre += 1
        if tag in _HTML_BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _HTML_CELLS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        """Close skipped regions and end block elements with a paragraph break."""
        if tag in _HTML_SKIPPED and self._skip_depth:
            self._skip_depth -= 1
        elif tag == "title":
            self._in_title = False
        if tag == "h1" and self._h1_state == "inside":
            self._h1_state = "done"
        if tag == "pre" and self._in_pre:
            self._in_pre -= 1
        if tag in _HTML_BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        """Keep text outside skipped regions; whitespace collapses as a browser would show it."""
        if self._in_title:
            self.title_parts.append(data)
            return
        if self._h1_state == "inside":
            # The page title is wanted even when the <h1> sits inside a dropped <header>.
            self.h1_parts.append(data)
        if self._skip_depth:
            return
        if self._in_pre:
            self.parts.append(data)
        else:
            self.parts.append(re.sub(r"\s+", " ", data))

    def _note_canonical(self, attrs: dict[str, str | None]) -> None:
        rel = (attrs.get("rel") or "").lower().split()
        href = (attrs.get("href") or "").strip()
        if (
            self.canonical is None
            and "canonical" in rel
            and href.startswith(("http://", "https://"))
        ):
            self.canonical = href


def read_html(data: bytes) -> Extracted:
    """The visible text of an HTML page, its title and its canonical URL."""
    declared = _HTML_CHARSET.search(data[:4096])
    charset = declared.group(1).decode("ascii") if declared else None
    parser = _HtmlText()
    parser.feed(decode_text(data, charset))
    parser.close()
    text = "".join(parser.parts)
    title = " ".join("".join(parser.title_parts).split()) or None
    h1 = " ".join("".join(parser.h1_parts).split()) or None
    return Extracted(text, title or h1, parser.canonical or parser.og_url)
