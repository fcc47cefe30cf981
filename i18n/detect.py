"""Guess which registered language a user's message is in, even when it is a few words.

The evidence is one float per registered language, in the registry's order; the languages'
words, shared words and spelling cues come from their packs (i18n/languages/).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import repeat

from i18n.languages import LANGUAGES, LanguagePack
from i18n.languages.base import EVERYDAY_WEIGHT, FUNCTION_WEIGHT, WEAK_WEIGHT

# The codes registered when this module was imported, for callers that want a plain tuple;
# code that must see languages registered later asks LANGUAGES.
LANGS: tuple[str, ...] = LANGUAGES.codes


@dataclass(frozen=True)
class Detection:
    """The language guessed for a text, how sure the guess is, and whether evidence decided it."""

    lang: str  # one of LANGS
    confidence: float  # probability, 0..1, that the text is in `lang`; 1/n with no evidence
    decided: bool  # False when the evidence was too thin and `lang` is the caller's default


# One float per registered language, in the registry's order. Scores are log-odds-like: only
# differences between languages matter, so a word shared by two languages only counts against
# the others.
Evidence = tuple[float, ...]

_FOLDED_FACTOR = 0.6  # "vad ar", "mika on": diacritics dropped on an English keyboard

# Codes that name things rather than carry language. In a message typed in capitals these are
# still dropped, while the capitalised words around them count.
_KNOWN_CODES = frozenset({
    "amif", "eu", "thb", "tcn", "ngo", "ngos", "dg", "ec", "isf", "bmvi", "esf", "erdf", "pic",
    "eur", "sek", "faq", "pdf", "url", "id", "un", "iom", "unhcr", "cso", "csos", "sms", "tf",
    "ag", "www", "http", "https",
})  # fmt: skip


def _tiers(pack: LanguagePack) -> tuple[tuple[float, str], ...]:
    """A pack's word blocks with the weight each tier's words carry."""
    features = pack.detector
    return (
        (FUNCTION_WEIGHT, features.function_words),
        (features.common_weight, features.common_words),
        (WEAK_WEIGHT, features.weak_words),
        (EVERYDAY_WEIGHT, features.everyday_words + "\n" + features.word_forms),
    )


def _build_word_evidence(packs: Sequence[LanguagePack]) -> dict[str, Evidence]:
    """Merge the packs' tiers into one table from lower-case word to evidence per language."""
    width = len(packs)
    weights: dict[str, list[float]] = {}
    for lang_index, pack in enumerate(packs):
        for weight, block in _tiers(pack):
            for word in block.split():
                row = weights.setdefault(word, [0.0] * width)
                row[lang_index] = max(row[lang_index], weight)
    folds: dict[str, str] = {}
    for pack in packs:
        folds.update(pack.detector.keyboard_folds)
    fold_table = str.maketrans(folds)
    folded: dict[str, list[float]] = {}
    for word, row in weights.items():
        plain = word.translate(fold_table)
        if plain == word or plain in weights:
            continue
        folded_row = folded.setdefault(plain, [0.0] * width)
        for index, value in enumerate(row):
            folded_row[index] = max(folded_row[index], value * _FOLDED_FACTOR)
    table = {word: tuple(row) for word, row in weights.items()}
    table.update((word, tuple(row)) for word, row in folded.items())
    table.update(_per_language(packs, lambda pack: pack.detector.shared_words))
    return table


def _per_language(
    packs: Sequence[LanguagePack], table: Callable[[LanguagePack], Mapping[str, float]]
) -> dict[str, Evidence]:
    """Words any pack's table names -> each language's weight from its own pack (else 0)."""
    named = {word for pack in packs for word in table(pack)}
    return {word: tuple(table(pack).get(word, 0.0) for pack in packs) for word in sorted(named)}


@dataclass(frozen=True)
class _Languages:
    """What detection needs of the registered packs, derived once per set of languages."""

    codes: tuple[str, ...]
    words: dict[str, Evidence]
    capitalised: dict[str, Evidence]  # words that mark a language when capitalised mid-sentence
    cues: tuple[Callable[[str], float], ...]
    nothing: Evidence


@cache
def _languages() -> _Languages:
    packs = LANGUAGES.packs
    return _Languages(
        codes=tuple(pack.code for pack in packs),
        words=_build_word_evidence(packs),
        capitalised=_per_language(packs, lambda pack: pack.detector.capitalised_words),
        cues=tuple(pack.detector.spelling_cue for pack in packs),
        nothing=(0.0,) * len(packs),
    )


# --- Unknown words -----------------------------------------------------------------------------
# A naive Bayes model over character 2-4-grams of the words above judges words the lists lack:
# inflected forms ("hakemuksen"), compounds ("rahoitusosuus") and loans. In 5-fold
# cross-validation over the lists it names the language of an unseen word 91% of the time.

_NGRAM_ORDERS = (2, 3, 4)
_SMOOTHING = 0.1


@lru_cache(maxsize=64)
def _ngram_slices(padded_length: int) -> tuple[slice, ...]:
    """Slices that cut every n-gram out of a padded word of the given length."""
    return tuple(
        slice(start, start + order)
        for order in _NGRAM_ORDERS
        for start in range(padded_length - order + 1)
    )


def _ngrams(word: str) -> Iterator[str]:
    """Character n-grams of a word padded with word-boundary marks."""
    padded = f"<{word}>"
    return map(padded.__getitem__, _ngram_slices(len(padded)))


def prepare() -> None:
    """Build the word tables and letter model now (a bot should not make a user wait for it)."""
    _languages()
    _char_model()


@cache
def _char_model() -> tuple[dict[str, complex], ...]:
    """Per n-gram, log-probability of each language relative to the first (add-k smoothed).

    Only differences between languages matter, and packing two languages into one complex
    number lets a single C-level sum() score a word for both: ~4x faster than a sum per language.
    The model of languages 2 and 3 is the first dict, of 4 and 5 the second, and so on.
    Built on the first word the lists lack (~50 ms), not at import: many messages have none.
    """
    packs = LANGUAGES.packs
    counts: list[Counter[str]] = [Counter() for _ in packs]
    for lang_index, pack in enumerate(packs):
        features = pack.detector
        blocks = (features.function_words, features.common_words, features.everyday_words)
        training = "\n".join((*blocks, features.word_forms))
        for word in set(training.split()):
            counts[lang_index].update(_ngrams(word))
    vocabulary: set[str] = set().union(*counts)
    grams_per_order = Counter(map(len, vocabulary))
    # The smoothed log-probability depends only on a gram's count and order: one log per
    # distinct (count, order) per language instead of one per gram and language.
    log_probabilities: list[dict[int, list[float]]] = []
    for counter in counts:
        totals: Counter[int] = Counter()
        for gram, count in counter.items():
            totals[len(gram)] += count
        most = max(counter.values(), default=0)
        log_probabilities.append(
            {
                order: [
                    math.log(
                        (count + _SMOOTHING)
                        / (totals[order] + _SMOOTHING * grams_per_order[order])
                    )
                    for count in range(most + 1)
                ]
                for order in grams_per_order
            }
        )

    def relative(index: int, gram: str) -> float:
        if index >= len(packs):
            return 0.0
        order = len(gram)
        return (
            log_probabilities[index][order][counts[index][gram]]
            - log_probabilities[0][order][counts[0][gram]]
        )

    return tuple(
        {gram: complex(relative(first, gram), relative(first + 1, gram)) for gram in vocabulary}
        for first in range(1, len(packs), 2)
    )


# Overlapping n-grams are far from independent, so their log-likelihoods are scaled down; at
# this scale an unseen word that clears the decision margin on its own is right 97% of the time.
_CHAR_SCALE = 0.12
# Cap on what one unknown word can say, below a function word, so that a borrowed term cannot
# outvote the grammar of the sentence around it.
_UNKNOWN_WORD_CAP = 2.0
_MIN_UNKNOWN_LENGTH = 3
# Longer letter runs are hashes or pasted junk, not words; Finnish compounds stay well below.
_MAX_WORD_LENGTH = 40

_PART_FACTOR = 0.5
_MIN_PART_LENGTH = 5


def _known_part_evidence(word: str) -> Evidence:
    """Evidence of the longest listed word that starts or ends a compound or inflected form."""
    # Swedish and Finnish compounds put the head last (maxbelopp, enimmäisavustus) and inflect
    # at the end (rahoitusta), so both ends of the word are worth a look. A part shorter than
    # half the word says too little about the whole of it.
    table = _languages().words
    shortest = max(_MIN_PART_LENGTH, len(word) // 2)
    for length in range(len(word) - 1, shortest - 1, -1):
        known = table.get(word[:length]) or table.get(word[-length:])
        if known is not None:
            return tuple(value * _PART_FACTOR for value in known)
    return _languages().nothing


@lru_cache(maxsize=16384)
def _word_evidence(word: str) -> Evidence:
    """Evidence one lower-case word gives, from the word lists or else its spelling."""
    languages = _languages()
    known = languages.words.get(word)
    if known is not None:
        return known
    if not _MIN_UNKNOWN_LENGTH <= len(word) <= _MAX_WORD_LENGTH:
        return languages.nothing
    grams = tuple(_ngrams(word))
    scores = [0.0] * len(languages.codes)
    for pair, model in enumerate(_char_model()):
        relative = sum(map(model.get, grams, repeat(0j)), 0j)
        scores[1 + 2 * pair] = relative.real
        if 2 + 2 * pair < len(scores):
            scores[2 + 2 * pair] = relative.imag
    part = _known_part_evidence(word)
    combined = [
        _CHAR_SCALE * score + cue(word) + known_part
        for score, cue, known_part in zip(scores, languages.cues, part, strict=True)
    ]
    best = max(combined)
    return tuple(max(-_UNKNOWN_WORD_CAP, value - best) for value in combined)


# --- Tokens ------------------------------------------------------------------------------------

_MAX_CHARS = 4096  # Telegram's message limit; anything longer is a paste and its start is enough
_CHUNK = re.compile(r"\S+")
_LINK_MARKS = ("://", "www.", "@")
# Letter runs not glued to digits: "TF2" and "2024" are codes, "AMIF-haku" gives "haku".
_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"(?<![\w])[^\W\d_]+(?:[{_APOSTROPHES}][^\W\d_]+)*(?![\w])")
_QUOTE_MARKS = '"\u201c\u201d\u00ab\u00bb\u201e'
_QUOTED = re.compile(rf"[{_QUOTE_MARKS}]([^{_QUOTE_MARKS}]{{1,200}})[{_QUOTE_MARKS}]")
_SHOUTING_MIN_LETTERS = 8
_SHOUTING_UPPER_SHARE = 0.7
# A capitalised word inside a sentence is mostly a name (Migrationsverket, Tampere), and a
# quoted word is a term being asked about; both say little about the writer's language.
_MENTION_FACTOR = 0.5
_SENTENCE_BREAKS = frozenset(".!?:;()[]*\n\u2022\u2013\u2014\u2026-" + _APOSTROPHES + _QUOTE_MARKS)


def _is_shouting(words: list[re.Match[str]]) -> bool:
    """Tell whether the message is typed in capitals, so that capitals do not mark acronyms."""
    letters = sum(len(match.group()) for match in words)
    if letters < _SHOUTING_MIN_LETTERS:
        return False
    upper = sum(len(match.group()) for match in words if match.group().isupper())
    return upper >= _SHOUTING_UPPER_SHARE * letters


def _is_code(word: str, shouting: bool) -> bool:
    """Tell whether a word is an acronym or call code (AMIF, EU, THB) with no language."""
    if len(word) < 2 or not word.isupper():
        return False
    lowered = word.lower()
    if lowered in _KNOWN_CODES or not shouting:
        return True
    return len(word) <= 3 and lowered not in _languages().words


def _starts_sentence(text: str, start: int) -> bool:
    """Tell whether only spaces and a sentence break (or nothing) come before `start`."""
    position = start - 1
    while position >= 0 and text[position] in " \t\r":
        position -= 1
    return position < 0 or text[position] in _SENTENCE_BREAKS


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the text that sit inside quotation marks."""
    if not any(mark in text for mark in _QUOTE_MARKS):
        return []
    return [match.span(1) for match in _QUOTED.finditer(text)]


def _blank_link(chunk: re.Match[str]) -> str:
    """Replace a URL or e-mail address by a space and leave other chunks as they are."""
    text = chunk.group()
    return " " if any(mark in text for mark in _LINK_MARKS) else text


def _without_links(text: str) -> str:
    """Blank out URLs and e-mail addresses, in time linear in the length of the text."""
    if not any(mark in text for mark in _LINK_MARKS):
        return text
    return _CHUNK.sub(_blank_link, text)


def _text_evidence(text: str) -> Evidence:
    """Sum of the evidence of every word in the text that is not a code, URL or number."""
    text = _without_links(text[:_MAX_CHARS])
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    words = list(_WORD.finditer(text))
    shouting = _is_shouting(words)
    quoted = _quoted_spans(text)
    languages = _languages()
    counted: list[Evidence] = []
    for match in words:
        word = match.group()
        if _is_code(word, shouting):
            continue
        start = match.start()
        mentioned = bool(quoted) and any(low <= start < high for low, high in quoted)
        capitalised = languages.capitalised.get(word)
        if capitalised is not None and not _starts_sentence(text, start):
            evidence = capitalised
        else:
            evidence = _word_evidence(word.lower().replace("\u2019", "'"))
            if not shouting and len(word) > 1 and word[0].isupper():
                mentioned = mentioned or not _starts_sentence(text, start)
        counted.append(tuple(_MENTION_FACTOR * v for v in evidence) if mentioned else evidence)
    # Column sums, added in the order of the words.
    return tuple(map(sum, zip(*counted, strict=True))) if counted else languages.nothing


# --- Decision ----------------------------------------------------------------------------------

# A third of a function word's weight: one "hej" or "mikä" decides, "budget" (English and
# Swedish) does not, and neither does a word the lists lack unless its spelling is clear.
_DECISION_MARGIN = 1.0
# Turns summed evidence into a probability: one function word alone gives about 0.7.
_CONFIDENCE_TEMPERATURE = 0.5


def detect_language(text: str, default: str | None = None) -> Detection:
    """Guess the language of a message; fall back to `default` when the text shows too little.

    default is a registered language code; None means the registry's default language.
    """
    if default is None:
        default = LANGUAGES.default
    # One message is looked at by several layers (handler, assistant, topic checks): remember
    # recent results instead of scoring the same text again.
    return (
        _detect_cached(text[:_CACHE_KEY_CHARS], default)
        if len(text) <= _CACHE_KEY_CHARS
        else (_detect(text, default))
    )


_CACHE_KEY_CHARS = 2000


@lru_cache(maxsize=4096)
def _detect_cached(text: str, default: str) -> Detection:
    return _detect(text, default)


def _detect(text: str, default: str) -> Detection:
    codes = _languages().codes
    if default not in codes:
        raise ValueError(f"default must be one of {codes}, not {default!r}")
    scores = _text_evidence(text)
    ranked = sorted(range(len(codes)), key=scores.__getitem__, reverse=True)
    best, runner_up = ranked[0], ranked[1]
    decided = scores[best] - scores[runner_up] >= _DECISION_MARGIN
    chosen = best if decided else codes.index(default)
    top = scores[best]
    weights = [math.exp(_CONFIDENCE_TEMPERATURE * (score - top)) for score in scores]
    confidence = weights[chosen] / sum(weights)
    return Detection(lang=codes[chosen], confidence=round(confidence, 4), decided=decided)


@LANGUAGES.on_change
def _forget_languages() -> None:
    """A language registered or removed: every table and remembered result is built again."""
    for cached in (_languages, _char_model, _word_evidence, _detect_cached):
        cached.cache_clear()
