"""What a language pack holds, and the registry every other module asks about languages.

A language is data: one frozen `LanguagePack` per language (i18n/languages/<code>.py) with its
locale, stemmer, stop words, the detector's word lists and spelling cues, the words the
eligibility parser and the small-talk classifier read, its default time zone and the paths of
its aspect and glossary files. Code asks `i18n.LANGUAGES` and never names a language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

_EMPTY: frozenset[str] = frozenset()

# The detector's tier weights. Function words carry a message's grammar, so they outweigh
# content words; a pack states its shared words' weights in these units.
FUNCTION_WEIGHT = 3.0
COMMON_WEIGHT = 1.5
WEAK_WEIGHT = 1.0
EVERYDAY_WEIGHT = 1.0


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a block of text, as a set."""
    return frozenset(text.split())


def _no_cue(word: str) -> float:
    return 0.0


@dataclass(frozen=True)
class DetectorFeatures:
    """What the language detector knows of one language.

    The word blocks are whitespace-separated lower-case words. Function words and greetings
    identify a language best; common words are what applicants about funding calls type; weak
    words are loans that turn up in other languages' chat too; everyday words and word forms
    (inflections and compounds) widen the lists and teach the character model the endings.
    """

    function_words: str
    common_words: str
    weak_words: str
    everyday_words: str
    word_forms: str
    # Weight of a common word; a language whose domain terms are quoted inside other languages'
    # questions ("lump sum" in a Swedish question) gives them less.
    common_weight: float = COMMON_WEIGHT
    # Words at home in several languages: for a word any pack lists here, each language's
    # weight is the one its own pack gives (0 when its pack gives none), replacing the tiers.
    shared_words: Mapping[str, float] = field(default_factory=dict)
    # Words that mark the language when written with a capital inside a sentence (English "I").
    capitalised_words: Mapping[str, float] = field(default_factory=dict)
    # Evidence from the spelling of a word the lists lack (letters, endings): added to the score.
    spelling_cue: Callable[[str], float] = _no_cue
    # Letters written without their marks on an English keyboard ("vad ar" for "vad är"): the
    # detector also knows each listed word so folded, at a lower weight.
    keyboard_folds: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerWords:
    """The words the eligibility parser reads in this language (all lower case)."""

    yes: frozenset[str]
    no: frozenset[str]
    # Checked before yes/no as prefixes, so that "no idea" is not read as "no".
    unsure: tuple[str, ...]
    none: frozenset[str]
    also: frozenset[str]  # "and" in lists of options
    # Dialog commands typed as words: back, restart, cancel, help, done, and resume (a paused
    # check, like its "Continue the check" button).
    commands: Mapping[str, frozenset[str]]
    euro: frozenset[str]
    other_currencies: frozenset[str]
    thousand: frozenset[str]
    million: frozenset[str]
    approximately: frozenset[str]
    months: frozenset[str]
    years: frozenset[str]
    # Numbers as words: units 0-19 and tens, combined tens+unit ("twentyfour", "tjugofyra").
    units: Mapping[str, int]
    tens: Mapping[str, int]
    halves: Mapping[str, Decimal]
    # A language that builds numbers otherwise reads them here ("kaksikymmentäneljä").
    number_word: Callable[[str], int | None] | None = None
    # Words between country names in a list ("in", "from").
    country_fillers: frozenset[str] = _EMPTY
    # Names people commonly write that CLDR spells differently ("holland" -> NL).
    country_aliases: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatWords:
    """Short messages that are not questions: thanks, acknowledgements, asking for help."""

    thanks: frozenset[str]
    ack: frozenset[str]
    filler: frozenset[str]
    help: frozenset[str]


@dataclass(frozen=True)
class QuestionWords:
    """How questions in this language name calls, timing, comparisons and follow-ups.

    Each text field is a regular-expression alternation (`a|b\\w*`), matched case-folded; the
    answer path joins every pack's with the others'.
    """

    call_words: str  # "call", "utlysning": a year beside them is a call's year
    national_call_words: str  # the call word after a country's name ("Finland's call")
    timing: str  # "still open", "how many days": the reply says where the call stands now
    comparison: str  # "compare", "higher": a question about two calls' facts
    follow_up: str  # how a follow-up opens: "and", "what about"
    seasons: str  # "autumn", "höst\\w*": may qualify a national call
    before_call: str  # other words between a country and the call word ("national", "the")
    after_call: str  # words after the call word that further name it ("of", "from")
    # Other EU funds and programmes by their names in this language ("europeiska socialfonden"):
    # a question about them is answered by saying what this assistant covers.
    other_funds: str = ""
    future_calls: str = ""  # "next call", "nästa": calls not yet published
    what_is: str = ""  # "what is", "vad betyder": a question asking what something is
    listing: str = ""  # "which calls are open": a question asking for the list of calls
    # Words before an objective's number ("objective 2", "mål 2"), and after it ("2nd objective").
    objective_before: str = ""
    objective_after: str = ""
    # Words that name the fund or a call in general, not a particular one ("fund", "haku").
    name_words: str = ""
    # A message made only of these is a greeting, not a question ("hej", "moi").
    small_talk: str = ""
    # Adjectives that name a country's call ("finnish", "finsk"), by ISO code.
    country_adjectives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentWords:
    """The words of call documents in this language, from which ingest extracts call facts.

    Context words say what a number or date means: one tuple per class ("deadline", "grant",
    ...), an entry ending in "*" matching as a word start. The other tables map written forms to
    values; knowledge/extraction/words.py merges every pack's with the language-neutral ones.
    """

    context: Mapping[str, tuple[str, ...]]
    months: Mapping[str, int]  # month names and their written forms -> 1..12
    number_words: Mapping[str, int]  # counts and multipliers written as words
    scales: Mapping[str, int]  # "thousand", "miljoner" -> 10**3, 10**6
    currencies: Mapping[str, str]  # currency words -> ISO code
    units: Mapping[str, int]  # duration units -> months
    zones: Mapping[str, str]  # "finsk tid" -> Europe/Helsinki
    countries: Mapping[str, tuple[str, ...]]  # ISO code -> names ("*" ends a stem)
    report_labels: Mapping[str, str]  # field labels of the operator's ingest report
    # Words that join the countries of a list ("and") and that may stand between an "except"
    # word and the list ("the").
    list_and: tuple[str, ...] = ()
    before_list: tuple[str, ...] = ()
    # Page chrome that is not the document's text: skip links (a regular-expression alternation
    # matched as a whole line), the word for "page" and the "of" of "page 3 of 12".
    skip_links: str = ""
    page: str = ""
    page_of: str = ""
    # Words of call titles that name no call in particular ("call", "national", "autumn").
    generic_title_words: str = ""


@dataclass(frozen=True)
class LanguagePack:
    """Everything specific to one language the assistant speaks."""

    code: str  # ISO 639-1, the catalog folder under i18n/locales/
    name: str  # the language's name in itself, shown in the language menu
    locale: str  # Babel locale for numbers, money and dates
    stemmer: str  # Snowball stemmer name (PyStemmer)
    stop_words: frozenset[str]
    detector: DetectorFeatures
    answers: AnswerWords
    chat: ChatWords
    time_zone: str  # the zone times are shown in until the user chooses one
    # When speakers of the language live in several zones, ask once which one to use.
    asked_zones: tuple[str, ...] = ()
    # The language's name as typed in any language ("swedish", "ruotsi"), for the terminal.
    typed_names: frozenset[str] = _EMPTY
    # Compounding languages get within-word character n-grams in the search index.
    compound_ngrams: bool = False
    # How questions name calls, timing and comparisons; None: only the other packs' words.
    questions: QuestionWords | None = None
    # Words of call documents for extracting facts at ingest; None: ingest reads the language's
    # documents with the default language's words.
    documents: DocumentWords | None = None
    aspects: Path | None = None  # i18n/aspects/<code>.yaml: words for what a question asks
    glossary: Path | None = None  # i18n/glossary/<code>.yaml: domain terms -> English


def check_pack(pack: LanguagePack) -> None:
    """Fail fast on a pack that names what does not exist: ValueError saying what and where."""
    # Imported here: the packs themselves are plain data and need neither library.
    import Stemmer
    from babel import Locale, UnknownLocaleError

    where = f"language pack {pack.code!r}"
    if not (len(pack.code) in (2, 3) and pack.code.isascii() and pack.code.isalpha()):
        raise ValueError(f"{where}: the code must be 2 or 3 letters (ISO 639)")
    if not pack.code.islower():
        raise ValueError(f"{where}: the code must be lower-case letters")
    try:
        Locale.parse(pack.locale)
    except (UnknownLocaleError, ValueError) as error:
        raise ValueError(f"{where}: Babel knows no locale {pack.locale!r}") from error
    if pack.stemmer not in Stemmer.algorithms():
        raise ValueError(f"{where}: PyStemmer has no stemmer {pack.stemmer!r}")
    for name, path in (("aspects", pack.aspects), ("glossary", pack.glossary)):
        if path is not None and not path.is_file():
            raise ValueError(f"{where}: its {name} file {path} does not exist")


class LanguageRegistry:
    """The registered languages in order; iterating gives their codes (the first is the default).

    `register` and `unregister` are for tests and plugins; modules that derive tables from the
    packs subscribe with `on_change` and drop them when the set of languages changes. Register
    before the knowledge is loaded (it builds one search index per language) and before the
    modules that compile patterns from the packs at import (answering, extraction) are imported.
    """

    def __init__(self, packs: tuple[LanguagePack, ...] = ()) -> None:
        self._packs: dict[str, LanguagePack] = {}
        self._listeners: list[Callable[[], None]] = []
        for pack in packs:
            check_pack(pack)
            self._packs[pack.code] = pack

    @property
    def codes(self) -> tuple[str, ...]:
        """The language codes in registration order."""
        return tuple(self._packs)

    @property
    def packs(self) -> tuple[LanguagePack, ...]:
        """The packs in registration order."""
        return tuple(self._packs.values())

    @property
    def default(self) -> str:
        """The code of the default language (the first registered): its texts are the msgids."""
        return next(iter(self._packs))

    def get(self, code: str | None) -> LanguagePack | None:
        """The pack of a code, or None."""
        return self._packs.get(code) if code else None

    def __getitem__(self, code: str) -> LanguagePack:
        return self._packs[code]

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._packs))

    def __len__(self) -> int:
        return len(self._packs)

    def __contains__(self, code: object) -> bool:
        return code in self._packs

    def __repr__(self) -> str:
        return f"LanguageRegistry({', '.join(self._packs)})"

    def register(self, pack: LanguagePack) -> None:
        """Add a language after the others (a code already registered is an error)."""
        if pack.code in self._packs:
            raise ValueError(f"language {pack.code!r} is already registered")
        check_pack(pack)
        self._packs[pack.code] = pack
        self._changed()

    def unregister(self, code: str) -> None:
        """Remove a language; the default language cannot be removed."""
        if code == self.default:
            raise ValueError("the default language cannot be unregistered")
        del self._packs[code]
        self._changed()

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener whenever a language is registered or removed; returns it (decorator)."""
        self._listeners.append(listener)
        return listener

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()
