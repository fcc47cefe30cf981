"""Who may apply: contact e-mails, consortium sizes and excluded countries."""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.extraction.numbers import count_of
from knowledge.extraction.patterns import COUNT_PATTERNS, COUNTRY, COUNTRY_NAMES, EMAIL, context
from knowledge.extraction.spans import Found, Passage, sentences, unique


def find_emails(passages: Sequence[Passage]) -> list[Found[str]]:
    """Every e-mail address, once, lower-cased."""
    found: list[Found[str]] = []
    for p in passages:
        for match in EMAIL.finditer(p.text):
            address = match.group(0).rstrip(".")
            found.append(
                Found(address.lower(), p.id, match.start(), match.start() + len(address), address)
            )
    return unique(found)


def find_consortium(
    lang: str, passages: Sequence[Passage]
) -> tuple[list[Found[int]], list[Found[int]]]:
    """Candidate consortium minimums: (entities, countries), from sentences on consortia."""
    entities: list[Found[int]] = []
    countries: list[Found[int]] = []
    for p in passages:
        for sentence_start, sentence in sentences(p.text):
            if not context(lang, "consortium").search(sentence):
                continue
            for name, target in (("entities", entities), ("countries", countries)):
                matches = [
                    m for pattern in COUNT_PATTERNS[lang][name] for m in pattern.finditer(sentence)
                ]
                for match in sorted(matches, key=lambda m: m.start()):
                    n = count_of(match["n"])
                    # One applicant is no consortium; a big figure is something else.
                    if n is None or not 2 <= n <= 30:
                        continue
                    start = sentence_start + match.start()
                    span = sentence[match.start() : match.end()]
                    target.append(Found(n, p.id, start, start + len(span), span))
                    break
    return entities, countries


def find_excluded(lang: str, passages: Sequence[Passage]) -> list[Found[str]]:
    """Countries the text excludes ("except Denmark", "Tanska ei osallistu"), once each."""
    found: list[Found[str]] = []
    country = COUNTRY.pattern
    before = re.compile(
        context(lang, "exclude_before").pattern
        + r"\s+(?:for\s+|of\s+|the\s+)?"
        + "(?P<list>"
        + country
        + r"(?:\s*(?:,|\band\b|\boch\b|\bja\b|\bsekä\b)\s*"
        + country.replace("?P<c>", "")
        + ")*)",
        re.I,
    )
    after = re.compile(country + r"\s+" + context(lang, "exclude_after").pattern, re.I)
    for p in passages:
        for match in before.finditer(p.text):
            for name in re.finditer(COUNTRY.pattern, match["list"]):
                start = match.start("list") + name.start()
                found.append(
                    Found(country_code(name["c"]), p.id, start, start + len(name[0]), name[0])
                )
        for match in after.finditer(p.text):
            found.append(
                Found(
                    country_code(match["c"]),
                    p.id,
                    match.start(),
                    match.end(),
                    p.text[match.start() : match.end()],
                )
            )
    return unique(found)


def country_code(name: str) -> str:
    """The ISO code of a country name as the text writes it (Finnish stems inflect)."""
    for spelled, code in COUNTRY_NAMES.items():
        stem = spelled.rstrip("*")
        if spelled.endswith("*") and name.lower().startswith(stem.lower()):
            return code
        if name.lower() == stem.lower():
            return code
    raise KeyError(name)
