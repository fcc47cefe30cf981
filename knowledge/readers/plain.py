"""Plain text: decoding bytes, and refusing what only looks like text."""

from __future__ import annotations

import re
import unicodedata

from knowledge.readers.base import IngestError, check_chars

# Real text has almost no control characters; random bytes decoded as latin-1 have about 25 %.
MAX_CONTROL_CHAR_RATIO = 0.10


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


def decode_text(data: bytes, declared: str | None = None, *, limit: bool = False) -> str:
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
            check_chars(len(text))
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
