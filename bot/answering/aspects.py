"""What a question asks about, as evidence: every aspect whose words occur, strongest first.

The words are data, one file per language (`i18n/aspects/<lang>.yaml`, syntax at the top of
en.yaml), and `i18n/aspects/priority.yaml` orders the aspects for ties. Each entry adds its weight
to its aspect when it occurs; nothing here routes a question by the first word that matches.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from i18n import LANGUAGES

ASPECTS_DIR = Path(__file__).resolve().parents[2] / "i18n" / "aspects"
DEFAULT_WEIGHT = 1.0
MAX_WEIGHT = 3.0
# Curly apostrophes as phones type them ("doesn’t"): same length, so spans stay valid.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})
_WORDS = re.compile(r"\w+")


# The C parser when PyYAML has it: the three files load in a quarter of the time.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> object:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)


class AspectDataError(ValueError):
    """An aspect file that cannot be used: the message names the file, aspect and entry."""


@dataclass(frozen=True)
class AspectEntry:
    """One entry of an aspect file, compiled to a regex source."""

    aspect: str
    lang: str
    text: str
    weight: float
    pattern: str
    example: str
    # The terms a contiguous entry (a term, or `near` with within 0) stands for; they take part
    # in longest-match-first. A gapped `near` has none and is searched on its own.
    spellings: tuple[str, ...]
    # A gapped entry is searched only when one of these words occurs (its first part's words).
    first_words: frozenset[str] = frozenset()

    @property
    def contiguous(self) -> bool:
        """Whether the entry is one stretch of words (and so can hide a shorter one inside)."""
        return bool(self.spellings)


@dataclass(frozen=True)
class AspectTable:
    """One language's aspect words, in file order."""

    lang: str
    entries: tuple[AspectEntry, ...]

    def of(self, aspect: str) -> tuple[AspectEntry, ...]:
        """The entries of one aspect."""
        return tuple(e for e in self.entries if e.aspect == aspect)


@dataclass(frozen=True)
class AspectMatch:
    """One aspect a question names: how strongly, where its strongest term is, and which terms."""

    aspect: str
    weight: float
    span: tuple[int, int]
    terms: tuple[str, ...] = ()


@cache
def _priority_file() -> tuple[tuple[str, ...], dict[str, str]]:
    path = ASPECTS_DIR / "priority.yaml"
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise AspectDataError(f"{path}: expected `order:` and `counts_for:`")
    order = data.get("order")
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise AspectDataError(f"{path}: expected `order:` with a list of aspect names")
    if len(set(order)) != len(order):
        raise AspectDataError(f"{path}: an aspect is named twice")
    counts_for = data.get("counts_for") or {}
    if not isinstance(counts_for, Mapping) or not all(
        k in order and v in order and k != v for k, v in counts_for.items()
    ):
        raise AspectDataError(f"{path}: `counts_for:` maps an aspect to another aspect")
    return tuple(order), {str(k): str(v) for k, v in counts_for.items()}


def aspect_priority() -> tuple[str, ...]:
    """Every aspect name, in the order that breaks ties (priority.yaml)."""
    return _priority_file()[0]


def aspect_counts_for() -> Mapping[str, str]:
    """Aspects whose evidence also counts for another one (timing for the deadline)."""
    return _priority_file()[1]


@cache
def load_aspects(lang: str) -> AspectTable:
    """The parsed, validated aspect words of one language (none when its pack has no file)."""
    pack = LANGUAGES.get(lang)
    path = pack.aspects if pack is not None else None
    if path is None:
        return AspectTable(lang, ())
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise AspectDataError(f"{path}: expected a mapping of aspect name to entries")
    known = aspect_priority()
    unknown = sorted(set(map(str, data)) - set(known))
    missing = [name for name in known if name not in data]
    if unknown or missing:
        raise AspectDataError(f"{path}: unknown aspects {unknown}, missing aspects {missing}")
    entries: list[AspectEntry] = []
    for aspect in known:
        raw = data[aspect] or []
        if not isinstance(raw, list):
            raise AspectDataError(f"{path}: {aspect}: expected a list of entries")
        for item in raw:
            try:
                entries.append(parse_entry(aspect, lang, item))
            except AspectDataError as error:
                raise AspectDataError(f"{path}: {aspect}: {error}") from None
    return AspectTable(lang, tuple(entries))


def parse_entry(aspect: str, lang: str, item: object) -> AspectEntry:
    """One entry as written in a file: a term string, {w: term, weight}, or {near: [...]}."""
    if isinstance(item, str | int):
        return _term_entry(aspect, lang, str(item), DEFAULT_WEIGHT)
    if not isinstance(item, Mapping):
        raise AspectDataError(f"{item!r}: expected a term or a mapping")
    weight = _weight(item)
    if set(item) <= {"w", "weight"} and "w" in item:
        return _term_entry(aspect, lang, str(item["w"]), weight)
    if set(item) <= {"near", "within", "weight"} and "near" in item:
        return _near_entry(aspect, lang, item, weight)
    raise AspectDataError(f"{dict(item)!r}: expected keys w/weight or near/within/weight")


def _weight(item: Mapping[Any, Any]) -> float:
    weight = item.get("weight", DEFAULT_WEIGHT)
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise AspectDataError(f"{dict(item)!r}: weight must be a number")
    if not 0 < weight <= MAX_WEIGHT:
        raise AspectDataError(f"{dict(item)!r}: weight must be in (0, {MAX_WEIGHT:g}]")
    return float(weight)


def _term_entry(aspect: str, lang: str, text: str, weight: float) -> AspectEntry:
    pattern = _term_pattern(text)
    return AspectEntry(aspect, lang, text, weight, pattern, text.replace("*", ""), (text,))


def _near_entry(aspect: str, lang: str, item: Mapping[Any, Any], weight: float) -> AspectEntry:
    parts = item["near"]
    if not isinstance(parts, list) or len(parts) < 2:
        raise AspectDataError(f"{dict(item)!r}: near needs a list of at least two parts")
    within = item.get("within")
    if within is not None and (isinstance(within, bool) or not isinstance(within, int)):
        raise AspectDataError(f"{dict(item)!r}: within must be a whole number of words")
    if within is not None and within < 0:
        raise AspectDataError(f"{dict(item)!r}: within must not be negative")
    choices: list[list[str]] = []
    for part in parts:
        options = part if isinstance(part, list) else [part]
        if not options or not all(isinstance(o, str | int) for o in options):
            raise AspectDataError(f"{dict(item)!r}: a part must be a term or a list of terms")
        choices.append([str(o) for o in options])
    if within is None:
        gap = ".*"  # anywhere later, as far as the last occurrence (greedy, like the old tables)
    elif within == 0:
        gap = r"\s+"
    else:
        gap = rf"(?:\W+\w+){{0,{within}}}\W+"
    pattern = gap.join(
        "(?:" + "|".join(_term_pattern(o) for o in _longest_first(options)) + ")"
        for options in choices
    )
    joiner = " " if within == 0 else " … "
    text = joiner.join("|".join(options) for options in choices)
    example = " ".join(options[0].replace("*", "") for options in choices)
    if within == 0:
        spellings = tuple(" ".join(words) for words in itertools.product(*choices))
        return AspectEntry(aspect, lang, text, weight, pattern, example, spellings)
    first = {option.split(" ")[0] for option in choices[0]}
    if any("*" in word for word in first):
        raise AspectDataError(f"{dict(item)!r}: the first part of a gapped near is whole words")
    return AspectEntry(aspect, lang, text, weight, pattern, example, (), frozenset(first))


def _longest_first(options: Sequence[str]) -> list[str]:
    return sorted(options, key=lambda o: -len(o.replace("*", "")))


def _term_pattern(text: str) -> str:
    r"""The regex of a term: words in order, `*` ending a word, a leading `*` for compounds."""
    if not text or text != text.strip() or "  " in text:
        raise AspectDataError(f"{text!r}: a term is words separated by single spaces")
    if text != unicodedata.normalize("NFKC", text).casefold():
        raise AspectDataError(f"{text!r}: write entries in lower case")
    words = text.split(" ")
    inside = words[0].startswith("*")
    if inside:
        words[0] = words[0][1:]
    parts: list[str] = []
    for word in words:
        core = word.removesuffix("*")
        if not core or "*" in core:
            raise AspectDataError(f"{text!r}: * may only end a word or start the first one")
        parts.append(re.escape(core) + (r"\w*" if word.endswith("*") else ""))
    pattern = r"\s+".join(parts)
    # A word boundary only next to a word character: "%" follows a digit ("90%").
    if not inside and _is_word_char(words[0][0]):
        pattern = r"(?<!\w)" + pattern
    if not words[-1].endswith("*") and _is_word_char(words[-1][-1]):
        pattern += r"(?!\w)"
    return pattern


def _is_word_char(char: str) -> bool:
    return re.match(r"\w", char) is not None


_SPACE, _STAR, _END = "\\s+", "\\w*", "(?!\\w)"
# At one node of the trie: longer matches first, so the regex takes the longest entry there.
_LAST = {_SPACE: 1, _STAR: 2, _END: 3}


class _Trie:
    """Entries' tokens as a character trie, turned into one regex with an empty group per end."""

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.end: int | None = None

    def add(self, tokens: Sequence[str], index: int) -> None:
        """Add one spelling's tokens, ending in entry `index` (the first one added keeps it)."""
        node = self
        for token in tokens:
            node = node.children.setdefault(token, _Trie())
        if node.end is None:
            node.end = index

    def regex(self, groups: list[int]) -> str:
        """The trie as a regex; groups receives the entry index of each capturing group."""
        options = [
            token + child.regex(groups)
            for token, child in sorted(self.children.items(), key=lambda i: _LAST.get(i[0], 0))
        ]
        if self.end is not None:
            groups.append(self.end)
            options.append("()")
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"


def _tokens(spelling: str) -> tuple[bool, list[str]]:
    """Whether a spelling starts at a word boundary, and its regex tokens."""
    words = spelling.split(" ")
    bounded = not words[0].startswith("*") and _is_word_char(words[0][0])
    words[0] = words[0].removeprefix("*")
    tokens: list[str] = []
    for at, word in enumerate(words):
        if at:
            tokens.append(_SPACE)
        core = word.removesuffix("*")
        tokens.extend(re.escape(char) for char in core)
        if word.endswith("*"):
            tokens.append(_STAR)
    if not words[-1].endswith("*") and _is_word_char(words[-1][-1]):
        tokens.append(_END)
    return bounded, tokens


class _Matcher:
    """The entries of some languages compiled once: one trie regex of every contiguous entry."""

    def __init__(self, entries: Iterable[AspectEntry]) -> None:
        unique: dict[tuple[str, str], AspectEntry] = {}
        for entry in entries:
            # A language-neutral entry ("%", "2014") is in every file: count it once.
            unique.setdefault((entry.aspect, entry.pattern), entry)
        self.entries = tuple(unique.values())
        # Sharing prefixes in a trie makes the regex try a few first letters at each word
        # start instead of every entry: about 30x faster than one alternative per entry.
        bounded, inside = _Trie(), _Trie()
        for index, entry in enumerate(self.entries):
            for spelling in entry.spellings:
                at_boundary, tokens = _tokens(spelling)
                (bounded if at_boundary else inside).add(tokens, index)
        groups: list[int] = []
        parts = []
        if bounded.children:
            parts.append("(?<!\\w)" + bounded.regex(groups))
        if inside.children:
            parts.append(inside.regex(groups))
        self.groups = tuple(groups)
        self.regex = re.compile("|".join(parts) or "(?!)")
        self.gapped = tuple((e, re.compile(e.pattern)) for e in self.entries if not e.contiguous)
        self.rank = {name: at for at, name in enumerate(aspect_priority())}
        also = aspect_counts_for()
        self.counts = {
            name: (name, also[name]) if name in also else (name,) for name in aspect_priority()
        }

    def evidence(self, folded: str) -> tuple[AspectMatch, ...]:
        """Every aspect of the text with its summed weight, strongest first."""
        text = folded.translate(_APOSTROPHES)
        hits: list[tuple[AspectEntry, tuple[int, int]]] = []
        for match in self.regex.finditer(text):
            if match.lastindex is not None:
                hits.append((self.entries[self.groups[match.lastindex - 1]], match.span()))
        words: set[str] | None = None
        for entry, regex in self.gapped:
            if words is None:
                words = set(_WORDS.findall(text))
            if entry.first_words.isdisjoint(words):
                continue  # cheap: most questions have none of a gapped entry's first words
            found = regex.search(text)
            if found is not None:
                hits.append((entry, found.span()))
        if not hits:
            return ()
        weight: dict[str, float] = {}
        strongest: dict[str, tuple[float, int, tuple[int, int]]] = {}
        terms: dict[str, list[str]] = {}
        counted: set[int] = set()
        for entry, span in hits:
            if id(entry) in counted:
                continue  # an entry counts once, however often it occurs
            counted.add(id(entry))
            for aspect in self.counts[entry.aspect]:
                weight[aspect] = weight.get(aspect, 0.0) + entry.weight
                terms.setdefault(aspect, []).append(entry.text)
                best = strongest.get(aspect)
                if best is None or (entry.weight, -span[0]) > (best[0], -best[1]):
                    strongest[aspect] = (entry.weight, span[0], span)
        found_aspects = [
            AspectMatch(a, round(w, 6), strongest[a][2], tuple(terms[a]))
            for a, w in weight.items()
        ]
        found_aspects.sort(key=lambda m: (-m.weight, self.rank[m.aspect]))
        return tuple(found_aspects)


@cache
def _matcher(langs: tuple[str, ...]) -> _Matcher:
    return _Matcher(entry for lang in langs for entry in load_aspects(lang).entries)


def aspect_evidence(folded: str, langs: Sequence[str] | None = None) -> tuple[AspectMatch, ...]:
    """Every aspect whose words occur in the folded text, strongest (then by priority) first.

    langs defaults to every registered language.
    """
    return _matcher(LANGUAGES.codes if langs is None else tuple(langs)).evidence(folded)


@LANGUAGES.on_change
def _forget_aspects() -> None:
    """A language registered or removed: its words are read again on demand."""
    load_aspects.cache_clear()
    _matcher.cache_clear()
