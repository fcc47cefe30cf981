"""Parsing of typed answers to eligibility questions, written in any registered language.

Every parser is pure and accepts all the languages at once (their words come from the packs):
people answer in the language they think in, not the one they picked in the settings. A parser
returns `Parsed(value)` when the text fits and `Rejected(hint)` otherwise; the hint is a message
id the dialog shows when it asks again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any, Generic, TypeVar

from babel import Locale

from i18n import LANGUAGES
from i18n.languages import AnswerWords

T = TypeVar("T")


def E_(message: str) -> str:
    """Mark a message id of the eligibility domain (i18n/locales/*/LC_MESSAGES/eligibility.po).

    Not N_: the main catalog's extraction must not copy these into messages.po.
    """
    return message


HINT_YES_NO = E_("Please answer yes or no.")
HINT_YES_NO_UNSURE = E_("Please answer yes, no or “I don't know”.")
HINT_MONEY = E_("Please give an amount in euro, for example 800 000, 800k or 0.8 million.")
HINT_CURRENCY = E_("Please give the amount in euro (EUR).")
HINT_WHOLE_NUMBER = E_("Please give a whole number, for example 24.")
HINT_MONTHS = E_("Please give a number of months, for example 24 (or 2 years).")
HINT_COUNTRY = E_(
    "I don't recognise “{text}” as a country. Write the country's name or its two-letter code,"
    " for example Sweden or SE."
)
HINT_ONE_COUNTRY = E_("Please name just one country here.")
HINT_CHOICE = E_("Please choose one of the options: press a button or type its number.")
HINT_MULTI = E_(
    "Please choose one or more options: press the buttons or type their numbers, for example 1, 3."
)
HINT_EXCLUSIVE = E_("“None of these” cannot be combined with other options.")

HINTS: tuple[str, ...] = (
    HINT_YES_NO,
    HINT_YES_NO_UNSURE,
    HINT_MONEY,
    HINT_CURRENCY,
    HINT_WHOLE_NUMBER,
    HINT_MONTHS,
    HINT_COUNTRY,
    HINT_ONE_COUNTRY,
    HINT_CHOICE,
    HINT_MULTI,
    HINT_EXCLUSIVE,
)


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A typed answer that fits the question, converted to its value."""

    value: T


@dataclass(frozen=True)
class Rejected:
    """A typed answer that does not fit; `hint` is the message id that says what would."""

    hint: str
    params: tuple[tuple[str, str], ...] = ()


class Command(StrEnum):
    """Words that steer the dialog instead of answering the question."""

    BACK = "back"
    RESTART = "restart"
    CANCEL = "cancel"
    HELP = "help"
    DONE = "done"


# Words that mean the same in every language; each language's own words are in its pack.
_NEUTRAL = AnswerWords(
    yes=frozenset(),
    no=frozenset(),
    unsure=(),
    none=frozenset({"0"}),
    also=frozenset(),
    commands={Command.HELP.value: frozenset({"?"})},
    euro=frozenset({"eur", "e", "€"}),
    other_currencies=frozenset({"sek", "usd", "$", "£", "gbp", "nok", "dkk", "chf"}),
    thousand=frozenset({"k"}),
    million=frozenset({"m", "mn", "mio", "meur"}),
    approximately=frozenset({"ca", "c", "circa"}),
    months=frozenset({"m"}),
    years=frozenset(),
    units={},
    tens={},
    halves={},
)


@dataclass(frozen=True)
class _Words:
    """The answer words of every registered language, merged (people answer in any of them)."""

    commands: dict[Command, frozenset[str]]
    yes: frozenset[str]
    no: frozenset[str]
    unsure: tuple[str, ...]
    none: frozenset[str]
    also: frozenset[str]
    euro: frozenset[str]
    other_currencies: frozenset[str]
    thousand: frozenset[str]
    million: frozenset[str]
    approximately: frozenset[str]
    months: frozenset[str]
    years: frozenset[str]
    units: dict[str, int]
    tens: dict[str, int]
    halves: dict[str, Decimal]
    number_words: tuple[Callable[[str], int | None], ...]
    country_fillers: frozenset[str]
    country_aliases: dict[str, str]


def _union(tables: Sequence[AnswerWords], name: str) -> frozenset[str]:
    return frozenset().union(*(getattr(table, name) for table in tables))


def _merged(tables: Sequence[AnswerWords], name: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for table in tables:
        merged.update(getattr(table, name))
    return merged


def words_for(command: str) -> frozenset[str]:
    """Every registered language's words for a typed dialog command ("resume", "back")."""
    return frozenset().union(*(p.answers.commands.get(command, ()) for p in LANGUAGES.packs))


@cache
def _words() -> _Words:
    tables = (*(pack.answers for pack in LANGUAGES.packs), _NEUTRAL)
    sets = (
        "yes no none also euro other_currencies thousand million approximately months years"
        " country_fillers"
    )
    return _Words(
        commands={
            command: frozenset().union(*(t.commands.get(command.value, ()) for t in tables))
            for command in Command
        },
        unsure=tuple(phrase for table in tables for phrase in table.unsure),
        units=_merged(tables, "units"),
        tens=_merged(tables, "tens"),
        halves=_merged(tables, "halves"),
        country_aliases=_merged(tables, "country_aliases"),
        number_words=tuple(t.number_word for t in tables if t.number_word is not None),
        **{name: _union(tables, name) for name in sets.split()},
    )


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Normalise text for matching: Unicode NFKC, case-folded, single spaces, no edge spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).casefold().strip()


def strip_accents(text: str) -> str:
    """Drop diacritics ('Österrike' -> 'Osterrike'), for users typing without them."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _phrase(text: str) -> str:
    """Folded text with edge punctuation removed: ' Yes! ' -> 'yes'."""
    return fold(text).strip(" .!,;:")


def parse_command(text: str) -> Command | None:
    """The dialog command a typed text stands for ('tillbaka' -> BACK), or None for an answer."""
    phrase = _phrase(text).lstrip("/")
    for command, words in _words().commands.items():
        if phrase in words:
            return command
    return None


def parse_yes_no(text: str, *, allow_unsure: bool = False) -> Parsed[bool | None] | Rejected:
    """Read yes/no in en/sv/fi ('ja', 'kyllä', 'joo', 'nej', 'ei'); None means "don't know"."""
    hint = HINT_YES_NO_UNSURE if allow_unsure else HINT_YES_NO
    phrase = _phrase(text)
    known = _words()
    if any(phrase.startswith(unsure) for unsure in known.unsure):
        return Parsed(None) if allow_unsure else Rejected(hint)
    words = _WORD.findall(phrase)
    if not words:
        return Rejected(hint)
    if words[0] in known.yes:
        return Parsed(True)
    if words[0] in known.no:
        return Parsed(False)
    return Rejected(hint)


# --- amounts of money -------------------------------------------------------------------------

_MONEY_TOKEN = re.compile(r"[^\W\d_]+\.?|[€$£]")
_GROUPED = re.compile(r"^\d{1,3}(?:[ '’]\d{3})+(?:[.,]\d+)?$")
_PLAIN = re.compile(r"^\d+(?:[.,]\d+)*$")
_CENT = Decimal("0.01")


def _number_from_digits(raw: str, *, has_multiplier: bool) -> Decimal | None:
    """Decide which of '.', ',' and spaces are thousands separators and which is the decimal."""
    raw = raw.strip()
    if _GROUPED.match(raw):
        return Decimal(re.sub(r"[ '’]", "", raw).replace(",", "."))
    if not _PLAIN.match(raw):
        return None
    seps = [c for c in raw if c in ".,"]
    if not seps:
        return Decimal(raw)
    if len(set(seps)) == 2:
        decimal_sep = seps[-1]
        thousands = raw[: raw.rindex(decimal_sep)]
        groups = re.split(r"[.,]", thousands)
        if any(len(g) != 3 for g in groups[1:]) or not groups[0]:
            return None
        whole = "".join(groups)
        return Decimal(f"{whole}.{raw[raw.rindex(decimal_sep) + 1 :]}")
    groups = re.split(r"[.,]", raw)
    if len(seps) > 1:
        if any(len(g) != 3 for g in groups[1:]):
            return None
        return Decimal("".join(groups))
    # One separator: "800,000" and "800.000" are thousands; "0,8", "1.5" and "1,2 milj." are not.
    whole, fraction = groups
    if len(fraction) == 3 and whole != "0" and not has_multiplier:
        return Decimal(whole + fraction)
    return Decimal(f"{whole}.{fraction}")


def parse_money(text: str) -> Parsed[Decimal] | Rejected:
    """Read an amount in euro as people write it: '800 000', '800k', '0,8 milj.', 'EUR 800,000'."""
    spaced = fold(text).replace("€", " € ")
    spaced = re.sub(r"(\d)([^\W\d_]|[$£])", r"\1 \2", spaced)
    spaced = re.sub(r"([^\W\d_]|[$£])(\d)", r"\1 \2", spaced)
    multiplier = Decimal(1)
    multipliers_seen = 0
    known = _words()
    for token in _MONEY_TOKEN.findall(spaced):
        word = token.rstrip(".")
        if word in known.other_currencies:
            return Rejected(HINT_CURRENCY)
        if word in known.thousand:
            multiplier, multipliers_seen = Decimal(1000), multipliers_seen + 1
        elif word in known.million:
            multiplier, multipliers_seen = Decimal(1_000_000), multipliers_seen + 1
        elif word not in known.euro and word not in known.approximately:
            return Rejected(HINT_MONEY)
    if multipliers_seen > 1:
        return Rejected(HINT_MONEY)
    digits = _MONEY_TOKEN.sub(" ", spaced)
    digits = _SPACES.sub(" ", digits).strip(" .,")
    if not digits or not digits[0].isdigit():
        return Rejected(HINT_MONEY)
    try:
        number = _number_from_digits(digits, has_multiplier=multipliers_seen == 1)
    except InvalidOperation:
        number = None
    if number is None:
        return Rejected(HINT_MONEY)
    amount = (number * multiplier).quantize(_CENT, rounding=ROUND_HALF_UP)
    if amount <= 0:
        return Rejected(HINT_MONEY)
    whole = amount.to_integral_value()
    return Parsed(whole.quantize(Decimal(1)) if amount == whole else amount)


# --- whole numbers ----------------------------------------------------------------------------

_NUMBER_WITH_UNIT = re.compile(r"^(\d+(?:[.,]\d+)?)\s*([^\W\d_]+)?\.?$")


def _number_word(word: str) -> int | None:
    """One written number up to 99: 'four', 'twenty-four', 'tjugofyra', 'kaksikymmentäneljä'.

    Units and tens combine as most languages write them; a pack whose language builds numbers
    otherwise reads them with its own number_word.
    """
    word = word.replace("-", "")
    known = _words()
    if word in known.units:
        return known.units[word]
    for tens_word, tens in known.tens.items():
        if word.startswith(tens_word):
            rest = word.removeprefix(tens_word)
            if not rest:
                return tens
            unit = known.units.get(rest)
            return tens + unit if unit is not None and 1 <= unit <= 9 else None
    for read in known.number_words:
        value = read(word)
        if value is not None:
            return value
    return None


def written_number(text: str) -> Decimal | None:
    """A small number written in words in any registered language, or None."""
    phrase = _SPACES.sub(" ", text.replace("-", " ")).strip()
    known = _words()
    if phrase in known.halves:
        return known.halves[phrase]
    words = phrase.split(" ")
    if len(words) == 2 and words[0] in known.tens and words[1] in known.units:
        unit = known.units[words[1]]  # "twenty four"
        return Decimal(known.tens[words[0]] + unit) if 1 <= unit <= 9 else None
    if len(words) != 1:
        return None
    value = _number_word(words[0])
    return Decimal(value) if value is not None else None


def _number_and_unit(phrase: str) -> tuple[Decimal, str | None] | None:
    """'24 kk' -> (24, 'kk'); 'två år' -> (2, 'år'); 'twenty-four' -> (24, None)."""
    match = _NUMBER_WITH_UNIT.match(phrase)
    if match:
        return Decimal(match.group(1).replace(",", ".")), match.group(2)
    words = phrase.split(" ")
    last = words[-1].rstrip(".")
    if len(words) > 1 and (last in _words().months or last in _words().years):
        amount = " ".join(words[:-1])
        number = Decimal(1) if amount in ("a", "an") else written_number(amount)
        return (number, last) if number is not None else None
    number = written_number(phrase)
    return (number, None) if number is not None else None


def parse_whole_number(text: str, *, unit: str | None = None) -> Parsed[int] | Rejected:
    """Read a whole number; with unit='months' also '24 kk', '24 månader' and '2 years' (= 24).

    Small numbers may be written as words: 'two years', 'två år', 'kaksi vuotta'.
    """
    hint = HINT_MONTHS if unit == "months" else HINT_WHOLE_NUMBER
    found = _number_and_unit(_phrase(text))
    if found is None:
        return Rejected(hint)
    number, word = found
    if word is not None:
        if unit != "months":
            return Rejected(hint)
        if word in _words().years:
            number *= 12
        elif word not in _words().months:
            return Rejected(hint)
    if number != number.to_integral_value():
        return Rejected(hint)
    return Parsed(int(number))


# --- countries --------------------------------------------------------------------------------

# CLDR regions that are not countries someone's organisation can be established in.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})
# Codes in EU usage ("EL" for Greece); the names people write are in the packs.
_CODE_ALIASES: dict[str, str] = {"EL": "GR", "UK": "GB"}
_MAX_NAME_WORDS = 6


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166 alpha-2 code Babel names (countries and territories)."""
    names = [str(code) for code in Locale.parse(LANGUAGES.default).territories]
    return frozenset(c for c in names if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES)


def _name_tokens(text: str) -> tuple[str, ...]:
    also = _words().also
    return tuple(w for w in _WORD.findall(fold(text)) if w not in also)


@cache
def _country_names() -> dict[tuple[str, ...], str]:
    """Tokenised country names in every language (also without diacritics) -> ISO code."""
    index: dict[tuple[str, ...], str] = {}
    codes = country_codes()
    for lang in LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if code in codes:
                index.setdefault(_name_tokens(name), code)
                index.setdefault(_name_tokens(strip_accents(name)), code)
    for alias, code in _words().country_aliases.items():
        index.setdefault(_name_tokens(alias), code)
    return index


def country_name(code: str, lang: str) -> str:
    """The country's name in the language, from Babel ('SE', 'fi' -> 'Ruotsi')."""
    return Locale.parse(lang).territories.get(code, code)


@cache
def _names_by_stem() -> dict[tuple[tuple[str, ...], str], list[tuple[str, str]]]:
    """Country names by their leading words and the first 3 letters of the last one.

    Every inflected match starts with at least those 3 letters (see _inflected_match), so one
    lookup replaces a scan over every name in three languages.
    """
    index: dict[tuple[tuple[str, ...], str], list[tuple[str, str]]] = {}
    for key, code in _country_names().items():
        if key:
            index.setdefault((key[:-1], key[-1][:3]), []).append((key[-1], code))
    return index


def _inflected_match(head: tuple[str, ...], last: str) -> str | None:
    """Match a Finnish/Swedish inflected last word: 'ruotsista' -> Ruotsi, 'sveriges' -> Sverige.

    A word matches a name when it starts with the whole name, or with the name minus its last
    letter ('Suomi' -> 'Suomesta') or, for longer names, its last two ('Itävalta' ->
    'Itävallasta', 'Färsaaret' -> 'Färsaarilta'). The closest unambiguous name wins.
    """
    best: list[tuple[int, str]] = []
    for name, code in _names_by_stem().get((head, last[:3]), ()):
        if len(name) < 4 or len(last) <= len(name) - 1 or len(last) > len(name) + 5:
            continue
        if last.startswith(name):
            best.append((len(name) + 1, code))
        elif last.startswith(name[:-1]):
            best.append((len(name), code))
        elif len(name) >= 7 and last.startswith(name[:-2]):
            best.append((len(name) - 1, code))
    if not best:
        return None
    best.sort(reverse=True)
    top = [code for score, code in best if score == best[0][0]]
    return top[0] if len(set(top)) == 1 else None


def _code_token(original: str, *, all_codes: bool) -> str | None:
    """An ISO code written as such: upper case ('SE'), or any case when every word is a code."""
    if len(original) != 2 or not original.isalpha():
        return None
    if not (original.isupper() or all_codes):
        return None
    code = _CODE_ALIASES.get(original.upper(), original.upper())
    return code if code in country_codes() else None


def _scan_countries(text: str) -> tuple[list[str], list[str]]:
    """Split text into recognised country codes (in order) and the words not recognised."""
    originals = _WORD.findall(unicodedata.normalize("NFKC", text))
    pairs = [(w, fold(w)) for w in originals if fold(w) not in _words().also]
    all_codes = bool(pairs) and all(len(o) == 2 for o, _ in pairs)
    names = _country_names()
    found: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(pairs):
        matched = 0
        for length in range(min(_MAX_NAME_WORDS, len(pairs) - i), 0, -1):
            words = tuple(f for _, f in pairs[i : i + length])
            code = names.get(words) or names.get(tuple(strip_accents(w) for w in words))
            if code is None:
                code = _inflected_match(words[:-1], words[-1])
            if code is not None:
                found.append(code)
                matched = length
                break
        if matched:
            i += matched
            continue
        original, folded = pairs[i]
        code = _code_token(original, all_codes=all_codes)
        if code is not None:
            found.append(code)
        elif folded not in _words().country_fillers:
            unknown.append(original)
        i += 1
    return found, unknown


def parse_country(text: str) -> Parsed[str] | Rejected:
    """Read one country by name in en/sv/fi or ISO code ('Danmark', 'Tanska', 'DK' -> 'DK')."""
    found, unknown = _scan_countries(text)
    if unknown:
        return Rejected(HINT_COUNTRY, (("text", " ".join(unknown)),))
    if len(found) != 1:
        return Rejected(HINT_ONE_COUNTRY if found else HINT_COUNTRY, (("text", text.strip()),))
    return Parsed(found[0])


def parse_countries(text: str) -> Parsed[tuple[str, ...]] | Rejected:
    """Read a list of countries ('Sverige, Finland och Estland', 'SE FI EE'); 'none' is empty.

    Repeats are kept: each entry stands for one organisation, and two partners may share a country.
    """
    if _phrase(text) in _words().none:
        return Parsed(())
    found, unknown = _scan_countries(text)
    if unknown or not found:
        return Rejected(HINT_COUNTRY, (("text", " ".join(unknown) or text.strip()),))
    return Parsed(tuple(found))


# --- choices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceOption:
    """One option as the parser sees it: its id and the labels a user may type for it."""

    id: str
    labels: tuple[str, ...]
    exclusive: bool = False


def _match_option(phrase: str, options: Sequence[ChoiceOption]) -> ChoiceOption | None:
    """The option a phrase names: its number, id, full label, or an unambiguous label start."""
    if phrase.isdigit():
        number = int(phrase)
        return options[number - 1] if 1 <= number <= len(options) else None
    for option in options:
        if phrase == option.id.casefold() or phrase in (_phrase(label) for label in option.labels):
            return option
    if len(phrase) >= 3:
        starts = [o for o in options if any(_phrase(lb).startswith(phrase) for lb in o.labels)]
        if len(starts) == 1:
            return starts[0]
        # "immigrant women" for "Removing barriers to immigrant women's employment ...".
        words = [w for w in _WORD.findall(phrase) if len(w) >= 3]
        if words:
            within = [
                o for o in options if any(all(w in fold(lb) for w in words) for lb in o.labels)
            ]
            if len(within) == 1:
                return within[0]
    return None


def parse_choice(text: str, options: Sequence[ChoiceOption]) -> Parsed[str] | Rejected:
    """Read one option by its number (as listed), its id or its label."""
    option = _match_option(_phrase(text), options)
    if option is None:
        return Rejected(HINT_CHOICE)
    return Parsed(option.id)


def parse_multi_choice(
    text: str, options: Sequence[ChoiceOption]
) -> Parsed[tuple[str, ...]] | Rejected:
    """Read several options ('1, 3', '2 och 4') or one label; 'none' picks the exclusive option."""
    phrase = _phrase(text)
    exclusive = [o for o in options if o.exclusive]
    if phrase in _words().none and exclusive:
        return Parsed((exclusive[0].id,))
    also = _words().also
    parts = [p for p in re.split(r"[,;/&+\s]+", phrase) if p and p not in also]
    if parts and all(p.isdigit() for p in parts):
        chosen = [_match_option(p, options) for p in parts]
    else:
        chosen = [_match_option(phrase, options)]
    if not chosen or any(o is None for o in chosen):
        return Rejected(HINT_MULTI)
    picked = {o.id for o in chosen if o is not None}
    if len(picked) > 1 and any(o.exclusive and o.id in picked for o in options):
        return Rejected(HINT_EXCLUSIVE)
    return Parsed(tuple(o.id for o in options if o.id in picked))


@LANGUAGES.on_change
def _forget_words() -> None:
    """A language registered or removed: its words and country names are read again."""
    for cached in (_words, _country_names, _names_by_stem):
        cached.cache_clear()
