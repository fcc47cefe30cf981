"""Ingest operator documents (.txt, .md, .html, .pdf) into the local store of cited passages.

Each source file becomes one Markdown file `<data_dir>/documents/<id>.md` in the format that
knowledge.documents.load_document reads: YAML front matter, then passages under headings
`## <lang>: p<NNN>`. Passage text is the source's own wording with whitespace normalised; a body
line that would itself start with `## ` is written as `\\## ` (one leading backslash), which the
loader strips again, so source text can never pose as a passage heading.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from i18n.detect import detect_language
from knowledge.analysis import STOP_WORDS
from knowledge.extracted_facts import facts_from_extraction, write_extracted
from knowledge.extraction.model import Extraction
from knowledge.extraction.pipeline import extract_call_facts
from knowledge.facts import EXTRACTED_SUBDIR
from knowledge.tempfiles import create_temp

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".htm", ".html", ".md", ".pdf", ".txt")
MAX_FILE_BYTES = 50 * 1024 * 1024
# Limits on what one document expands to. MAX_FILE_BYTES bounds only the file as stored: a PDF's
# compressed streams let a 100 KB file inflate to 64,815 passages (33 s, 1.18 GB), and a 400 KB
# one to a 284 MB document that every later start rebuilt into a 5.66 GB index (issue 13).
# The seed call documents are 2-8 KB of text; a full AMIF call document or guide for applicants
# is tens of pages. A dense A4 page of 10-point text holds about 3,500 characters.
# Pages: the longest official document an operator would ingest whole is a few hundred pages.
MAX_PDF_PAGES = 1_000
# The decoded content of one page (its own streams and the forms it draws): a page of text is
# 5-50 KB. pypdf's text extraction is worse than linear in one page's content (measured: one
# page of 0.5 / 1 / 2 / 4 MB took 0.4 / 1.2 / 5.7 / 29 s), and no other limit can be checked
# inside one page, so a page's content is measured before it is parsed.
MAX_PAGE_CONTENT_BYTES = 1024 * 1024
# 1,000 full pages of about 3,000 characters each.
MAX_EXTRACTED_CHARS = 3_000_000
# Measured: 1,000 pages of 2,950 characters made 3,001 passages. Short words make more per
# character; this bounds the index a document adds whatever its words. With one document at
# these limits a fresh `ask` peaked at 46 MB with the saved index and 81 MB when it rebuilt the
# index (48 MB with no ingested document): start-up stays under 150 MB per such document.
MAX_PASSAGES_PER_DOCUMENT = 5_000
# That 1,000-page document was ingested (extracted, split, tagged, index built) in 4.7 s on the
# 2-core development machine; about six times that is the wall-time limit per document.
MAX_INGEST_SECONDS = 30.0
DOCUMENTS_FOLDER = "documents"
ID_PREFIX = "op-"
PUBLISHER = "operator upload"
NO_URL = "no public URL known"
LANGS = ("en", "sv", "fi")
TITLE_MAX_CHARS = 120
# Passages are retrieval units: long enough to carry one answer with its context, short enough
# that BM25 length normalisation does not bury a precise match and a citation stays readable.
TARGET_WORDS = 120
MAX_WORDS = 180
# A passage this short carries too little context for an answer, so it joins a neighbour.
MIN_WORDS = 40
# A document's language shows in its first pages; scanning all of a 50 MB file would be slow.
LANGUAGE_SAMPLE_CHARS = 50_000
# A document in another language is refused (see _readable_language): below MIN_FUNCTION_WORD_SHARE
# of its words in every stop-word list, once it has MIN_WORDS_FOR_LANGUAGE_CHECK words.
MIN_FUNCTION_WORD_SHARE = 0.06
MIN_WORDS_FOR_LANGUAGE_CHECK = 40
# Per-passage language detection is unreliable below this many words.
MIN_WORDS_FOR_PASSAGE_LANG = 8
# A paragraph this short without closing punctuation reads as a heading of what follows.
HEADING_MAX_WORDS = 12
# Real text has almost no control characters; random bytes decoded as latin-1 have about 25 %.
MAX_CONTROL_CHAR_RATIO = 0.10

# An id an operator sets in front matter: what a stored file name and a facts file can name.
_OPERATOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
CALL_REFERENCE = re.compile(r"\bAMIF-\d{4}-[A-Z0-9]+(?:-[A-Z0-9]+)*")
_SLUG_MAX_CHARS = 60
_HEX_DIGITS = 8

_SKIP_LINK = re.compile(
    r"^(skip to (the )?(main )?content|skip to navigation|back to top|hoppa till (huvud)?innehåll"
    r"|siirry (suoraan )?(sisältöön|pääsisältöön))$",
    re.IGNORECASE,
)
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:(?:page|sida|sivu)\s+)?\d{1,4}(?:\s*(?:/|of|av)\s*\d{1,4})?(?:\s*[-–—])?$",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(
    r"^(?:[•·▪◦‣∙●○■□–—*+-]\s|\d{1,3}[.)]\s|[a-zA-Z][.)]\s|\([a-z0-9]{1,4}\)\s)"
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")
# Words ending in a full stop that do not end a sentence (en, sv, fi).
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "art", "no", "nr", "vs", "cf", "approx", "incl", "ca", "bl.a", "t.ex"}
    | {"m.m", "s.k", "o.s.v", "esim", "ym", "jne", "mm", "ks", "n"}
)
_SENTENCE_START_EXTRA = "\"'“‘(•–—-"
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# Text that decodes without error can still be junk: high bytes read as cp1252 or latin-1 turn
# into accented letters and signs (mojibake). For these 8-bit encodings two measures, both 0 or
# low in every seed, shipped document and catalog (re-encoded to cp1252 and latin-1):
# - non-ASCII characters other than the letters and signs of European text: 0 % in all of
#   them, 20 % in random bytes 0xA0-0xFF;
# - the share of letters that are not ASCII: at most 5.9 % of a document and 6.6 % of any
#   2,000 characters (Swedish seed 004: å, ä, ö), 16-25 % when a fifth to a third of the bytes
#   of ASCII text are random high bytes, 100 % in pure high-byte junk.
_LIKELY_NON_ASCII = frozenset(
    "åäöÅÄÖéÉèÈëËêÊüÜûÛúÚùÙõÕóÓòÒôÔøØœŒáÁàÀâÂãÃæÆíÍìÌîÎïÏçÇñÑšŠžŽßÿ"
    "–—‘’‚“”„…•·€£§°±×÷«»¡¿©®™¹²³¼½¾\u00a0\u00ad"
)
_EIGHT_BIT_ENCODINGS = frozenset({"cp1252", "latin-1", "iso-8859-1", "windows-1252", "latin1"})
MAX_UNLIKELY_CHAR_RATIO = 0.05
MAX_ACCENTED_LETTER_SHARE = 0.20
# Fewer letters than this say too little about a text's letters (a one-line note).
MIN_LETTERS_TO_JUDGE = 200
# Unicode category Cc without the whitespace controls.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


class IngestError(Exception):
    """A source file cannot be ingested; the message is user-facing English."""


class _Budget:
    """The wall time one document may take, checked between the steps of its ingest."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = MAX_INGEST_SECONDS if seconds is None else seconds
        self.deadline = time.monotonic() + self.seconds

    def check(self) -> None:
        """Refuse the document once its time is up."""
        if time.monotonic() > self.deadline:
            raise IngestError(
                f"Ingesting this document took longer than the limit of {self.seconds:.0f} s "
                "per document; split it into smaller files."
            )


def _check_chars(count: int) -> None:
    if count > MAX_EXTRACTED_CHARS:
        raise IngestError(
            f"The document expands to more than the limit of {MAX_EXTRACTED_CHARS:,} characters "
            "of text; split it into smaller files."
        )


@dataclass(frozen=True)
class IngestResult:
    """What happened to one source file: the stored document id and passage count, or an error.

    status is "added", "changed", "unchanged" (the stored version already says the same: nothing
    was rewritten), "duplicate" (the same text is stored under another id) or "failed".
    """

    path: Path
    doc_id: str | None
    passages: int
    error: str | None
    status: str = "added"
    # What the document says about its call (None when it failed), and the calls it became.
    extraction: Extraction | None = None
    calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Extracted:
    text: str
    title: str | None
    url: str | None
    # Set by the source itself (Markdown front matter), else None.
    doc_id: str | None = None
    publisher: str | None = None


# ---------------------------------------------------------------------------------------------
# Extraction


def extract_text(path: Path) -> tuple[str, str | None]:
    """Return the plain text and title of a supported file; raise IngestError when impossible."""
    extracted = _extract(path, _read_limited(path), _Budget())
    return extracted.text, extracted.title


def _read_limited(path: Path) -> bytes:
    try:
        if not path.exists():
            raise IngestError("File not found.")
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            shown = f"'{path.suffix}'" if path.suffix else "(no extension)"
            raise IngestError(
                f"Unsupported file type {shown}. Supported types: {', '.join(SUPPORTED_SUFFIXES)}."
            )
        if not path.is_file():
            raise IngestError("This is not a regular file, so it cannot be read.")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(
                f"The file is {size / 1024 / 1024:.1f} MB; files over "
                f"{MAX_FILE_BYTES // 1024 // 1024} MB are refused."
            )
        with path.open("rb") as handle:
            # Read one byte past the limit so a file that grew after stat() is still refused.
            data = handle.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        raise IngestError("The file cannot be read: permission denied.") from None
    except OSError as exc:
        raise IngestError(f"The file cannot be read: {exc.strerror or exc}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"Files over {MAX_FILE_BYTES // 1024 // 1024} MB are refused.")
    return data


def _extract(path: Path, data: bytes, budget: _Budget) -> _Extracted:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        extracted = _extract_pdf(data, budget)
    elif suffix in (".html", ".htm"):
        extracted = _extract_html(data)
    elif suffix == ".md":
        extracted = _extract_markdown(_decode_text(data, limit=True))
    else:
        text = _decode_text(data, limit=True)
        extracted = _Extracted(text, None, None)
    _check_chars(len(extracted.text))
    budget.check()
    if not any(ch.isalnum() for ch in extracted.text):
        raise IngestError("The file contains no text to ingest.")
    title = _clean_title(extracted.title) or _first_line_title(extracted.text) or path.name
    return replace(extracted, title=_truncate_title(title))


def _decode_text(data: bytes, declared: str | None = None, *, limit: bool = False) -> str:
    """Decoded text, refused when it looks binary (or, with limit, is over the size limit)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 (Windows "Unicode" text) is full of NUL bytes but is not junk.
        try:
            return _check_printable(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise IngestError("The file looks like UTF-16 text but cannot be decoded.") from None
    if b"\x00" in data:
        raise IngestError("The file looks binary (it contains NUL bytes), not like text.")
    candidates = [declared] if declared else []
    candidates += ["utf-8-sig", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if limit:
            _check_chars(len(text))
        return _check_likely(_check_printable(text), encoding)
    raise IngestError("The file's text encoding cannot be read.")  # pragma: no cover (latin-1)


def _check_likely(text: str, encoding: str) -> str:
    """Refuse text whose characters are unlikely for its encoding (junk decoded as text)."""
    if encoding.lower().replace("_", "-") in _EIGHT_BIT_ENCODINGS:
        unlikely = sum(1 for ch in text if ord(ch) > 127 and ch not in _LIKELY_NON_ASCII)
        letters = [ch for ch in text if ch.isalpha()]
        accented = sum(1 for ch in letters if ord(ch) > 127)
        if len(letters) >= MIN_LETTERS_TO_JUDGE and accented / len(letters) > (
            MAX_ACCENTED_LETTER_SHARE
        ):
            unlikely = len(text)
    else:
        # UTF-8 decodes only well-formed text; junk shows as private-use or unassigned code
        # points, surrogates and replacement characters.
        unlikely = sum(
            1
            for ch in text
            if ord(ch) > 127 and (ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cn", "Cs"))
        )
    if text and unlikely / len(text) > MAX_UNLIKELY_CHAR_RATIO:
        raise IngestError(
            "The file looks binary (its text decodes to unlikely characters), not like text."
        )
    return text


def _check_printable(text: str) -> str:
    controls = len(_CONTROL_CHARS.findall(text))
    if text and controls / len(text) > MAX_CONTROL_CHAR_RATIO:
        raise IngestError(
            "The file looks binary (mostly non-printable characters), not like text."
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Markdown ------------------------------------------------------------------------------------

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


def _extract_markdown(text: str) -> _Extracted:
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
            url = _http_url(meta.get("url"))
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
    return _Extracted("\n".join(lines), title, url, doc_id, publisher)


def _http_url(value: object) -> str | None:
    """An http(s) URL without white space, or None."""
    if isinstance(value, str) and re.fullmatch(r"https?://\S+", value.strip()):
        return value.strip()
    return None


def _strip_markdown_inline(line: str) -> str:
    for pattern, replacement in _MD_INLINE:
        line = pattern.sub(replacement, line)
    return line


# HTML ----------------------------------------------------------------------------------------

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
                self.og_url = self.og_url or _http_url(found.get("content"))
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


def _extract_html(data: bytes) -> _Extracted:
    declared = _HTML_CHARSET.search(data[:4096])
    charset = declared.group(1).decode("ascii") if declared else None
    parser = _HtmlText()
    parser.feed(_decode_text(data, charset))
    parser.close()
    text = "".join(parser.parts)
    title = " ".join("".join(parser.title_parts).split()) or None
    h1 = " ".join("".join(parser.h1_parts).split()) or None
    return _Extracted(text, title or h1, parser.canonical or parser.og_url)


# PDF -----------------------------------------------------------------------------------------


def _extract_pdf(data: bytes, budget: _Budget) -> _Extracted:
    # pypdf is imported here so the text formats work even where it is missing.
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    with warnings.catch_warnings():
        # Damaged-but-readable PDFs make pypdf warn; that must not abort an ingest run.
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                # Many official PDFs are encrypted only against editing, with an empty password.
                try:
                    opened = reader.decrypt("")
                except (DependencyError, NotImplementedError):
                    raise IngestError(
                        "The PDF is encrypted with a method that needs the optional "
                        "'cryptography' package (not installed); save an unencrypted copy "
                        "and ingest that."
                    ) from None
                if not opened:
                    raise IngestError(
                        "The PDF is password-protected (encrypted); save an unprotected copy "
                        "and ingest that."
                    )
            count = len(reader.pages)
            if count > MAX_PDF_PAGES:
                raise IngestError(
                    f"The PDF has {count:,} pages, over the limit of {MAX_PDF_PAGES:,} pages "
                    "per document; split it into smaller files."
                )
            pages: list[str] = []
            chars = 0
            for number, page in enumerate(reader.pages, start=1):
                # Measured before pypdf parses it: a page whose streams inflate to hundreds of
                # MB would take minutes and gigabytes inside one extract_text call.
                content = _page_content_bytes(page)
                if content is None or content > MAX_PAGE_CONTENT_BYTES:
                    size = "tens of MB" if content is None else f"{content / 1024 / 1024:.1f} MB"
                    raise IngestError(
                        f"Page {number} of the PDF expands to {size} of content, over the "
                        f"limit of {MAX_PAGE_CONTENT_BYTES // 1024 // 1024} MB per page "
                        "(a compressed-data bomb or a damaged file)."
                    )
                pages.append(page.extract_text() or "")
                chars += len(pages[-1])
                _check_chars(chars)
                budget.check()
            meta_title = reader.metadata.title if reader.metadata else None
        except IngestError:
            raise
        except FileNotDecryptedError:
            raise IngestError("The PDF is password-protected (encrypted).") from None
        except PdfReadError as exc:
            raise IngestError(f"The file cannot be read as a PDF ({exc}).") from None
        except Exception as exc:  # pypdf raises many other kinds on damaged files
            raise IngestError(
                f"The file cannot be read as a PDF ({type(exc).__name__}: {exc})."
            ) from None
    text = "\n\n".join(_pdf_page_paragraphs(page) for page in pages)
    if not any(ch.isalnum() for ch in text):
        raise IngestError(
            "The PDF contains no extractable text (it may be scanned images; it needs OCR first)."
        )
    title = meta_title if isinstance(meta_title, str) else None
    return _Extracted(text, title, None)


def _page_content_bytes(page: Any) -> int | None:
    """The decoded size of a page's content streams and the forms (XObjects) it uses.

    None when pypdf stopped decoding at its own limit (tens of MB per stream).
    """
    from pypdf.errors import LimitReachedError

    try:
        return _decoded_size(page)
    except LimitReachedError:
        return None


def _decoded_size(page: Any) -> int:
    contents = page.get_contents()
    total = len(contents.get_data()) if contents is not None else 0
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else {}
    xobjects = resources.get("/XObject") if isinstance(resources, dict) else None
    xobjects = xobjects.get_object() if xobjects is not None else {}
    for reference in xobjects.values() if isinstance(xobjects, dict) else ():
        xobject = reference.get_object()
        if xobject.get("/Subtype") == "/Form" and hasattr(xobject, "get_data"):
            total += len(xobject.get_data())
        if total > MAX_PAGE_CONTENT_BYTES:
            break
    return total


def _pdf_page_paragraphs(page_text: str) -> str:
    """Rebuild paragraphs from PDF layout lines: blank lines, headings and list items end them."""
    lines = [line.strip() for line in page_text.replace("\r", "\n").split("\n")]
    while lines and (not lines[0] or _PAGE_NUMBER.match(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1] or _PAGE_NUMBER.match(lines[-1])):
        lines.pop()
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            paragraphs.append(current)
            current = ""
        elif _LIST_MARKER.match(line) or _looks_like_pdf_heading(line, current):
            paragraphs.append(current)
            current = line
            if not _LIST_MARKER.match(line):
                paragraphs.append(current)
                current = ""
        elif current.endswith("-") and current[-2:-1].isalpha() and line[:1].islower():
            # Keep the hyphen: "third-\ncountry" must stay "third-country".
            current += line
        else:
            current = f"{current} {line}" if current else line
    paragraphs.append(current)
    return "\n\n".join(p for p in paragraphs if p)


def _looks_like_pdf_heading(line: str, current: str) -> bool:
    starts_paragraph = not current or current.rstrip().endswith((".", "!", "?"))
    words = line.split()
    return (
        starts_paragraph
        and len(words) <= 10
        and (line[0].isupper() or line[0].isdigit())
        and not line.endswith((".", ",", ";", ":"))
        and any(ch.isalpha() for ch in line)
    )


# Titles --------------------------------------------------------------------------------------


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    title = " ".join(title.translate(_INVISIBLE).split())
    title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title)
    if title.lower() in {"", "untitled", "title", "document"}:
        return None
    return title


def _first_line_title(text: str) -> str | None:
    for line in text.split("\n"):
        line = " ".join(line.translate(_INVISIBLE).split())
        if line and not _SKIP_LINK.match(line) and sum(ch.isalpha() for ch in line) >= 2:
            return line
    return None


def _truncate_title(title: str) -> str:
    if len(title) <= TITLE_MAX_CHARS:
        return title
    cut = title[: TITLE_MAX_CHARS - 1]
    if " " in cut[TITLE_MAX_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–") + "…"


# ---------------------------------------------------------------------------------------------
# Passages


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
        words = sum(_word_count(p) for p in unit)
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
        previous_words = sum(_word_count(p) for p in passages[-1]) if passages else 0
        if passages and last_words < MIN_WORDS and previous_words + last_words <= MAX_WORDS:
            passages[-1].extend(buffer)
        else:
            passages.append(buffer)
    return ["\n".join(paragraphs) for paragraphs in passages]


def _word_count(text: str) -> int:
    return len(text.split())


def _normalise_space(text: str) -> str:
    return " ".join(text.translate(_INVISIBLE).split())


def _paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        current: list[str] = []
        block_paragraphs: list[str] = []
        for raw_line in block.split("\n"):
            line = _normalise_space(raw_line)
            if not line or _SKIP_LINK.match(line):
                continue
            if _LIST_MARKER.match(line) and current:
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
        or bool(_PAGE_NUMBER.match(paragraph))
        or bool(_SKIP_LINK.match(paragraph))
    )


def _is_heading(paragraph: str) -> bool:
    return (
        _word_count(paragraph) <= HEADING_MAX_WORDS
        and not paragraph.endswith((".", ",", ";", "!", "…"))
        and not _LIST_MARKER.match(paragraph)
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
                segments.append(_Segment(piece, _word_count(piece), first))
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


# ---------------------------------------------------------------------------------------------
# Store


def ingest_paths(
    paths: Sequence[Path],
    data_dir: Path,
    now: datetime | None = None,
    verify: Callable[[], object] | None = None,
) -> list[IngestResult]:
    """Ingest files and folders into `<data_dir>/documents`; one result per source file.

    With verify (e.g. loading the knowledge), every file this run wrote is put back as it was
    when verify raises, and the error is raised again: what loaded before an ingest still does.
    """
    documents_dir = data_dir / DOCUMENTS_FOLDER
    if now is None:
        moment = datetime.now(UTC)
    elif now.tzinfo is None:
        moment = now.replace(tzinfo=UTC)  # a naive time is taken to be UTC already
    else:
        moment = now.astimezone(UTC)
    results: list[IngestResult] = []
    digest_by_name: dict[str, str] = {}
    journal: dict[Path, bytes | None] = {}
    stored = _StoredTexts(documents_dir)
    for path, problem in _expand(paths, documents_dir):
        if problem is not None:
            results.append(IngestResult(path, None, 0, problem))
            continue
        try:
            doc_id, count, digest, status, extraction, calls = _ingest_one(
                path, documents_dir, moment, digest_by_name, journal, stored
            )
        except IngestError as exc:
            logger.warning("not ingested: %s: %s", path, exc)
            results.append(IngestResult(path, None, 0, str(exc), "failed"))
            continue
        except Exception as exc:  # one bad file never stops the others
            logger.exception("ingest failed: %s", path)
            results.append(IngestResult(path, None, 0, f"Ingest failed: {exc}", "failed"))
            continue
        digest_by_name[path.name] = digest
        results.append(IngestResult(path, doc_id, count, None, status, extraction, calls))
    if verify is not None and journal:
        try:
            verify()
        except Exception:
            _restore(journal)
            raise
    return results


def _remember(journal: dict[Path, bytes | None], *paths: Path) -> None:
    """Note what files held before this run first changes them."""
    for path in paths:
        if path not in journal:
            journal[path] = path.read_bytes() if path.is_file() else None


def _restore(journal: dict[Path, bytes | None]) -> None:
    """Put every file this run changed back as it was."""
    for path, content in journal.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            _write_atomically(path, content.decode("utf-8"))
    logger.warning("ingest undone: %d files restored", len(journal))


def _resolved(path: Path) -> tuple[Path | None, str | None]:
    """The real path, or why there is none (Python 3.11 raises RuntimeError on a link loop)."""
    try:
        return path.resolve(), None
    except RuntimeError:
        return None, "The path cannot be read: it is a symbolic link loop."
    except OSError as exc:
        return None, f"The path cannot be read: {exc.strerror or exc}."


def _unreadable(error: OSError, where: str | Path) -> tuple[Path, str]:
    return Path(error.filename or where), f"The folder cannot be read: {error.strerror or error}."


def _expand(paths: Sequence[Path], documents_dir: Path) -> Iterator[tuple[Path, str | None]]:
    seen: set[Path] = set()
    store = documents_dir.resolve()
    for path in paths:
        if not path.is_dir():
            real, problem = _resolved(path)
            if real is None:
                yield path, problem
            elif real not in seen:
                seen.add(real)
                yield path, None
            continue
        found = False
        unreadable: list[OSError] = []
        # os.walk does not follow links to folders, so a loop of folder links cannot recur;
        # a folder it cannot list is reported through onerror instead of silently skipped.
        for root, dirs, files in os.walk(path, onerror=unreadable.append):
            yield from (_unreadable(error, root) for error in unreadable)
            unreadable.clear()
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            root_path = Path(root)
            root_real, problem = _resolved(root_path)
            if root_real is None or root_real == store or store in root_real.parents:
                # Never feed the store its own output back.
                dirs[:] = []
                continue
            for name in sorted(files):
                file_path = root_path / name
                if name.startswith(".") or file_path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                found = True
                real, problem = _resolved(file_path)
                if real is None:
                    yield file_path, problem
                elif real not in seen:
                    seen.add(real)
                    yield file_path, None
        found = found or bool(unreadable)  # reported: not also "no supported documents"
        yield from (_unreadable(error, path) for error in unreadable)
        if not found:
            supported = ", ".join(SUPPORTED_SUFFIXES)
            yield path, f"The folder contains no supported documents ({supported})."


def _ingest_one(
    path: Path,
    documents_dir: Path,
    moment: datetime,
    digest_by_name: dict[str, str],
    journal: dict[Path, bytes | None],
    stored: _StoredTexts,
) -> tuple[str, int, str, str, Extraction | None, tuple[str, ...]]:
    data = _read_limited(path)
    digest = hashlib.sha256(data).hexdigest()
    earlier = digest_by_name.get(path.name)
    if earlier is not None and earlier != digest:
        raise IngestError(
            f"Another file named {path.name} with different content was ingested in this run; "
            "rename one of them, or it would replace the other."
        )
    budget = _Budget()
    extracted = _extract(path, data, budget)
    passages = split_passages(extracted.text)
    if not passages:
        raise IngestError("The file contains no text to ingest (only boilerplate).")
    if len(passages) > MAX_PASSAGES_PER_DOCUMENT:
        raise IngestError(
            f"The document splits into {len(passages):,} passages, over the limit of "
            f"{MAX_PASSAGES_PER_DOCUMENT:,} passages per document; split it into smaller files."
        )
    budget.check()
    slug = _slugify(path.stem)
    documents_dir.mkdir(parents=True, exist_ok=True)
    text_digest = _text_digest(passages)
    same_text = stored.find(text_digest)
    doc_id = extracted.doc_id or _stable_id(documents_dir, slug, path.name)
    if same_text is not None and same_text != doc_id:
        # The same page saved as .txt and as .html: one document, cited once.
        logger.info("%s has the text of %s, already stored", path, same_text)
        return same_text, len(passages), digest, "duplicate", None, ()
    language = _readable_language(extracted.text[:LANGUAGE_SAMPLE_CHARS])
    extraction = extract_call_facts(
        extracted.text,
        lang=language,
        passages=[(f"p{n:03d}", text) for n, text in enumerate(passages, start=1)],
    )
    budget.check()  # reading the call's facts counts towards the document's time too
    calls = facts_from_extraction(
        extraction, doc_id=doc_id, title=extracted.title or path.name, url=extracted.url
    )
    # Written before the document, so that a stored document always has its facts beside it.
    extracted_dir = documents_dir.parent / EXTRACTED_SUBDIR
    _remember(journal, *extracted_dir.glob(f"{doc_id}.yaml"), *extracted_dir.glob(f"{doc_id}--*"))
    for written in write_extracted(documents_dir.parent, doc_id, calls):
        journal.setdefault(written, None)  # a file that is new to this run
    call_ids = tuple(str(c["id"]) for c in calls)
    call = CALL_REFERENCE.search(f"{extracted.title}\n{extracted.text}")
    front_matter = {
        "id": doc_id,
        "title": extracted.title,
        "publisher": extracted.publisher or PUBLISHER,
        "published": None,
        "language": language,
        "url": extracted.url or NO_URL,
        "call": call.group(0) if call else None,
        "source_file": path.name,
        "text_sha256": text_digest,
        "ingested": moment.isoformat(timespec="seconds"),
    }
    content = _render(front_matter, passages, language, budget)
    target = documents_dir / f"{doc_id}.md"
    if target.exists() and _without_ingest_time(target.read_text("utf-8")) == (
        _without_ingest_time(content)
    ):
        logger.info("%s is unchanged (%s)", path, doc_id)
        return doc_id, len(passages), digest, "unchanged", extraction, call_ids
    status = "changed" if target.exists() else "added"
    _remember(journal, target)
    _write_atomically(target, content)
    stored.add(text_digest, doc_id)
    _remove_earlier_versions(documents_dir, slug, path.name, keep=target)
    logger.info("ingested %s as %s (%d passages, %s)", path, doc_id, len(passages), status)
    return doc_id, len(passages), digest, status, extraction, call_ids


def _readable_language(sample: str) -> str:
    """The document's language, one the assistant reads; IngestError for any other language.

    Running text has many function words: our English, Swedish and Finnish call pages have
    12-39 % of their words in that language's stop-word list; Italian and German call texts
    made for the test score 2-3 % against every list.
    """
    words = re.findall(r"[^\W\d_]+", sample.casefold())
    language = detect_language(sample, default="en").lang
    if len(words) >= MIN_WORDS_FOR_LANGUAGE_CHECK:
        share = max(sum(w in stop for w in words) / len(words) for stop in STOP_WORDS.values())
        if share < MIN_FUNCTION_WORD_SHARE:
            raise IngestError(
                "The document is not in English, Swedish or Finnish, which are the languages "
                "the assistant reads and answers in; nothing of it was stored."
            )
    return language


def _stable_id(documents_dir: Path, slug: str, source_file: str) -> str:
    """The id of a source file: from its name, so a new version keeps it (and facts naming it).

    Two different source files with one slug ("Call 2024.pdf", "call-2024.txt") are told apart
    by a short hash of the file name, never of the content.
    """
    plain = f"{ID_PREFIX}{slug}"
    stored = _stored_source_file(documents_dir / f"{plain}.md")
    if stored is None or stored == source_file:
        return plain
    return f"{plain}-{hashlib.sha256(source_file.encode()).hexdigest()[:6]}"


def _text_digest(passages: list[str]) -> str:
    return hashlib.sha256("\n\n".join(passages).encode("utf-8")).hexdigest()


class _StoredTexts:
    """The stored documents by the digest of their passages, read once per ingest run."""

    def __init__(self, documents_dir: Path) -> None:
        self._documents_dir = documents_dir
        self._ids: dict[str, str] | None = None

    def find(self, digest: str) -> str | None:
        """The id of a stored document whose passages have this digest, if any."""
        if self._ids is None:
            self._ids = {}
            for candidate in sorted(self._documents_dir.glob(f"{ID_PREFIX}*.md")):
                try:
                    with candidate.open(encoding="utf-8") as handle:
                        head = handle.read(4096)
                except (OSError, UnicodeDecodeError):
                    continue
                found = re.search(r"(?m)^text_sha256: ([0-9a-f]{64})$", head)
                if found:
                    self._ids.setdefault(found.group(1), candidate.stem)
        return self._ids.get(digest)

    def add(self, digest: str, doc_id: str) -> None:
        """Note a document this run stored (a new version's text replaces the old one's)."""
        if self._ids is not None:
            self._ids = {d: i for d, i in self._ids.items() if i != doc_id}
            self._ids.setdefault(digest, doc_id)


def _without_ingest_time(content: str) -> str:
    return re.sub(r"(?m)^ingested: .*$", "", content, count=1)


def _slugify(stem: str) -> str:
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    return slug[:_SLUG_MAX_CHARS].rstrip("-") or "document"


def _passage_language(passage: str, document_language: str) -> str:
    if _word_count(passage) < MIN_WORDS_FOR_PASSAGE_LANG:
        return document_language
    detection = detect_language(passage, default=document_language)
    if detection.decided and detection.lang in LANGS:
        return detection.lang
    return document_language


def _render(
    front_matter: dict[str, Any], passages: list[str], language: str, budget: _Budget
) -> str:
    head = yaml.safe_dump(
        front_matter, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096
    )
    parts = [f"---\n{head}---\n"]
    for number, passage in enumerate(passages, start=1):
        if number % 100 == 0:
            budget.check()
        lang = _passage_language(passage, language)
        body = "\n".join(_escape_line(line) for line in passage.split("\n"))
        parts.append(f"\n## {lang}: p{number:03d}\n{body}\n")
    return "".join(parts)


def _escape_line(line: str) -> str:
    return "\\" + line if line.startswith("## ") else line


def _write_atomically(target: Path, content: str) -> None:
    # The temporary name is hidden and not *.md, so a loader never picks up a half-written file.
    fd, temp = create_temp(target.parent, ".ingest-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some platforms and file systems cannot fsync a directory
    finally:
        os.close(fd)


def _remove_earlier_versions(documents_dir: Path, slug: str, source_file: str, keep: Path) -> None:
    # Before ids were stable, each version had the content hash in its name: op-<slug>-<hex8>.
    pattern = re.compile(rf"{re.escape(ID_PREFIX + slug)}-[0-9a-f]{{{_HEX_DIGITS}}}\.md")
    for candidate in documents_dir.iterdir():
        if candidate == keep or not pattern.fullmatch(candidate.name):
            continue
        # Slugs can collide ("Call 2024.pdf", "call-2024.txt"): only the same file name replaces.
        if _stored_source_file(candidate) == source_file:
            candidate.unlink(missing_ok=True)
            logger.info("replaced earlier version %s", candidate.name)


def _stored_source_file(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not match:
        return None
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    value = meta.get("source_file") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None
