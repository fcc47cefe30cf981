"""PDF: page by page within the limits, paragraphs rebuilt from the layout lines."""

from __future__ import annotations

import warnings
from typing import Any

from knowledge.passages import LIST_MARKER, PAGE_NUMBER
from knowledge.readers.base import (
    MAX_PAGE_CONTENT_BYTES,
    MAX_PDF_PAGES,
    Budget,
    Extracted,
    IngestError,
    check_chars,
)


def read_pdf(data: bytes, budget: Budget) -> Extracted:
    """The text of a PDF, page by page, within the page, content and time limits."""
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
                check_chars(chars)
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
    return Extracted(text, title, None)


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
    while lines and (not lines[0] or PAGE_NUMBER.match(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1] or PAGE_NUMBER.match(lines[-1])):
        lines.pop()
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            paragraphs.append(current)
            current = ""
        elif LIST_MARKER.match(line) or _looks_like_pdf_heading(line, current):
            paragraphs.append(current)
            current = line
            if not LIST_MARKER.match(line):
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
