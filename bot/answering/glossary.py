"""Each language's names of the domain's things in English, kept as data.

A question in one language finds passages of a document in another through these entries:
the glossary file of a language's pack (`i18n/glossary/<lang>.yaml`) maps words of that language
(a trailing `*` matches any ending) to the English words call documents use; English is the
registry's default language, the one every glossary maps into. English questions reach other
languages' passages through the same entries read backwards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache

import yaml

from i18n import LANGUAGES


@cache
def _entries(lang: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(English words, key as written) per entry of lang's glossary, in file order."""
    pack = LANGUAGES.get(lang)
    path = pack.glossary if pack is not None else None
    if path is None or not path.is_file():
        return ()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(
        (tuple(str(e).casefold() for e in english), str(key)) for key, english in data.items()
    )


@cache
def _matcher(lang: str) -> re.Pattern[str] | None:
    """One pattern for the whole glossary: group i+1 matches entry i (one scan per question)."""
    parts = []
    for _, key in _entries(lang):
        words = key.casefold().split()
        parts.append(
            r"\s+".join(
                re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) + r"(?!\w)"
                for w in words
            )
        )
    return re.compile(r"(?<!\w)(?:" + "|".join(f"({p})" for p in parts) + ")") if parts else None


@lru_cache(maxsize=8192)
def to_english(folded: str, lang: str) -> tuple[str, ...]:
    """The English words for the domain terms in a folded question of lang, in order found."""
    matcher = _matcher(lang)
    if matcher is None:
        return ()
    entries = _entries(lang)
    found: list[str] = []
    for match in matcher.finditer(folded):
        assert match.lastindex is not None
        found.extend(entries[match.lastindex - 1][0])
    return tuple(dict.fromkeys(found))


def from_english(folded: str, lang: str) -> list[str]:
    """The words of lang for the English domain terms in a folded English question."""
    asked = set(re.findall(r"[\w-]+", folded))
    words = []
    for english, key in _entries(lang):
        if asked.intersection(english):
            words.append(key.replace("*", ""))
    return list(dict.fromkeys(words))


def translate_query(folded: str, source: str, target: str) -> str:
    """A query in target's words for a question in source's, keeping references and numbers."""
    kept = re.findall(r"[a-z]{2,10}-\d{4}(?:-[a-z0-9]+)+|\d[\d.,]*", folded)
    if source == target:
        return folded
    words: Sequence[str]
    if target == LANGUAGES.default:
        words = to_english(folded, source)
    elif source == LANGUAGES.default:
        words = from_english(folded, target)
    else:
        words = from_english(" ".join(to_english(folded, source)), target)
    return " ".join([*words, *kept])


@LANGUAGES.on_change
def _forget_glossaries() -> None:
    """A language registered or removed: glossaries are read again on demand."""
    for cached in (_entries, _matcher, to_english):
        cached.cache_clear()
