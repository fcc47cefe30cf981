"""Writes call-document.pdf: a one-page invented call document with a table of topics."""

from __future__ import annotations

import sys
from pathlib import Path

# Each entry: (x, y, font size, text). Table cells share a y so a text extractor reads a row as
# one line, as it does for real call documents.
LINES: list[tuple[int, int, int, str]] = [
    (56, 790, 15, "Call for proposals AMIF-2026-TF2-AG-RETURN"),
    (56, 768, 12, "Reintegration support after voluntary return"),
    (56, 740, 10, "Asylum, Migration and Integration Fund - Union actions"),
    (56, 716, 10, "Opening date: 1 June 2026"),
    (56, 702, 10, "Deadline for submission: 15 October 2026, 17:00 CET"),
    (56, 674, 12, "Table 1 - Topics and budgets"),
    (56, 656, 10, "Topic"),
    (290, 656, 10, "Title"),
    (460, 656, 10, "Budget"),
    (56, 640, 10, "AMIF-2026-TF2-AG-RETURN-01-COUNSEL"),
    (290, 640, 10, "Return counselling networks"),
    (460, 640, 10, "EUR 3 000 000"),
    (56, 626, 10, "AMIF-2026-TF2-AG-RETURN-02-JOBS"),
    (290, 626, 10, "Jobs after return"),
    (460, 626, 10, "EUR 2 750 000"),
    (56, 612, 10, "AMIF-2026-TF2-AG-RETURN-03-CHILD"),
    (290, 612, 10, "Child-sensitive reintegration"),
    (460, 612, 10, "EUR 1 250 000"),
    (56, 584, 10, "Total budget of the call: EUR 7 000 000."),
    (56, 562, 10, "Grants: between EUR 400 000 and EUR 1 500 000 per project."),
    (56, 548, 10, "The EU funding covers up to 80 % of the eligible costs."),
    (56, 534, 10, "Projects should last between 18 and 36 months."),
    (56, 512, 10, "Applicants: a consortium of at least two organisations from two different"),
    (56, 498, 10, "participating countries. Denmark does not take part in AMIF."),
    (56, 476, 10, "Questions: return-call@example.org"),
]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build() -> bytes:
    """The PDF file's bytes (PDF 1.4, Helvetica, one page)."""
    stream = "\n".join(
        f"BT /F1 {size} Tf {x} {y} Td ({_escape(text)}) Tj ET" for x, y, size, text in LINES
    ).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name(
        "call-document.pdf"
    )
    target.write_bytes(build())
