"""What every reader shares: the error it raises, the limits and time budget, what it returns."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

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


class IngestError(Exception):
    """A source file cannot be ingested; the message is user-facing English."""


class Budget:
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


def check_chars(count: int) -> None:
    """Refuse a document whose text is over MAX_EXTRACTED_CHARS."""
    if count > MAX_EXTRACTED_CHARS:
        raise IngestError(
            f"The document expands to more than the limit of {MAX_EXTRACTED_CHARS:,} characters "
            "of text; split it into smaller files."
        )


@dataclass(frozen=True)
class Extracted:
    """What a reader made of a file: its text, title and URL, and what it says of itself."""

    text: str
    title: str | None
    url: str | None
    # Set by the source itself (Markdown front matter), else None.
    doc_id: str | None = None
    publisher: str | None = None


def http_url(value: object) -> str | None:
    """An http(s) URL without white space, or None."""
    if isinstance(value, str) and re.fullmatch(r"https?://\S+", value.strip()):
        return value.strip()
    return None
