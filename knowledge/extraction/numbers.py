"""Numbers as pages write them, in figures or in words."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from knowledge.extraction.words import NUMBER_WORDS


def parse_number(raw: str, scaled: bool = False) -> Decimal | None:
    """A number as pages write it: '9 000 000', '9,000,000', '9.88', '4 710 915,27', '9,5'."""
    raw = raw.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if raw.lower() in NUMBER_WORDS:
        return Decimal(NUMBER_WORDS[raw.lower()])
    raw = raw.replace(" ", "")
    if "," in raw and "." in raw:
        decimal_mark = "," if raw.rfind(",") > raw.rfind(".") else "."
        group = "." if decimal_mark == "," else ","
        raw = raw.replace(group, "").replace(decimal_mark, ".")
    elif raw.count(",") > 1 or raw.count(".") > 1:
        raw = raw.replace(",", "").replace(".", "")
    elif "," in raw or "." in raw:
        mark = "," if "," in raw else "."
        whole, frac = raw.split(mark)
        # "9,000" and "9.000" group thousands; "9,5", "9.88" and "1.250 million" are decimals.
        grouped = len(frac) == 3 and whole != "0" and not scaled
        raw = whole + frac if grouped else f"{whole}.{frac}"
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def count_of(word: str) -> int | None:
    """A count in figures or words ("3", "three", "kolme"), or None."""
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word.lower())
