"""Reading one source file within the limits, by its format, into text and a title."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from knowledge.readers.base import (
    MAX_FILE_BYTES,
    SUPPORTED_SUFFIXES,
    Budget,
    Extracted,
    IngestError,
    check_chars,
)
from knowledge.readers.html_page import read_html
from knowledge.readers.markdown import read_markdown
from knowledge.readers.pdf import read_pdf
from knowledge.readers.plain import decode_text
from knowledge.readers.titles import clean_title, first_line_title, truncate_title


def extract_text(path: Path) -> tuple[str, str | None]:
    """Return the plain text and title of a supported file; raise IngestError when impossible."""
    extracted = read_source(path, read_limited(path), Budget())
    return extracted.text, extracted.title


def read_limited(path: Path) -> bytes:
    """The file's bytes, refused when missing, unsupported, not a file or too big."""
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


def read_source(path: Path, data: bytes, budget: Budget) -> Extracted:
    """The file's text and title, read by the reader its suffix names."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        extracted = read_pdf(data, budget)
    elif suffix in (".html", ".htm"):
        extracted = read_html(data)
    elif suffix == ".md":
        extracted = read_markdown(decode_text(data, limit=True))
    else:
        text = decode_text(data, limit=True)
        extracted = Extracted(text, None, None)
    check_chars(len(extracted.text))
    budget.check()
    if not any(ch.isalnum() for ch in extracted.text):
        raise IngestError("The file contains no text to ingest.")
    title = clean_title(extracted.title) or first_line_title(extracted.text) or path.name
    return replace(extracted, title=truncate_title(title))
