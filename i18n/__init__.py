"""Translations and locale-aware formatting for the languages the assistant speaks.

The languages are packs in ``i18n/languages/``; ``LANGUAGES`` is their registry.

Catalogs live in ``i18n/locales/<lang>/LC_MESSAGES/<domain>.po``. They are compiled with Babel at
start-up when the ``.mo`` is missing or older than the ``.po`` (and kept in memory when the package
folder is read-only), so a fresh clone and a plain ``pip install`` both just work.
"""

from __future__ import annotations

import gettext
import io
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.dates import format_timedelta as _babel_timedelta
from babel.numbers import format_compact_decimal, format_currency, format_decimal, format_percent

from i18n.languages import LANGUAGES, LanguagePack

DEFAULT_LANGUAGE = LANGUAGES.default


class _LanguageNames(Mapping[str, str]):
    """Each registered language's name in itself, by code (a live view of the registry)."""

    def __getitem__(self, code: str) -> str:
        return LANGUAGES[code].name

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


LANGUAGE_NAMES: Mapping[str, str] = _LanguageNames()
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# The first domain is searched first; features may ship their own domain file beside it.
PRIMARY_DOMAIN = "messages"
_BILLION = 1_000_000_000

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translated later, at render time)."""
    return message


def normalize_language(lang: str | None) -> str | None:
    """Map 'sv-FI', 'FI', 'en_GB' and the like to one of LANGUAGES, or None."""
    if not lang:
        return None
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def _po_files(lang: str) -> list[Path]:
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    files = sorted(folder.glob("*.po"), key=lambda p: (p.stem != PRIMARY_DOMAIN, p.stem))
    return files


def has_catalog(lang: str, domain: str = PRIMARY_DOMAIN) -> bool:
    """Whether lang ships a catalog of the domain (a language without one shows English)."""
    return (LOCALES_DIR / lang / "LC_MESSAGES" / f"{domain}.po").is_file()


def compile_catalog(po_path: Path, *, write: bool = True) -> bytes:
    """Compile one .po file with Babel; write the .mo beside it when possible; return its bytes."""
    # Imported here: a start-up whose .mo files are up to date never parses a .po.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    data = buf.getvalue()
    if write:
        mo_path = po_path.with_suffix(".mo")
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, mo_path)
        except OSError:
            # A read-only install (e.g. a container's site-packages) keeps the catalog in memory.
            tmp.unlink(missing_ok=True)
    return data


def _mo_bytes(po_path: Path) -> bytes:
    mo_path = po_path.with_suffix(".mo")
    try:
        if mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            return mo_path.read_bytes()
    except OSError:
        pass
    return compile_catalog(po_path)


def compile_all() -> list[Path]:
    """Compile every catalog to .mo files (the Dockerfile does); return the .po files."""
    done = []
    for lang in LANGUAGES:
        for po in _po_files(lang):
            compile_catalog(po)
            done.append(po)
    return done


def _load_translations(lang: str) -> gettext.NullTranslations:
    chain: gettext.NullTranslations | None = None
    for po in _po_files(lang):
        trans = gettext.GNUTranslations(io.BytesIO(_mo_bytes(po)))
        if chain is None:
            chain = trans
        else:
            chain.add_fallback(trans)
    if lang == DEFAULT_LANGUAGE:
        if chain is None:
            raise RuntimeError(f"no message catalogs found for {lang!r} in {LOCALES_DIR}")
        return chain
    # A language whose catalogs lack a message (or that has none yet) shows the default's text.
    fallback = _load_translations(DEFAULT_LANGUAGE)
    if chain is None:
        return fallback
    chain.add_fallback(fallback)
    return chain


@dataclass(frozen=True)
class Translator:
    """Gettext lookups and Babel formatting for one language."""

    lang: str
    locale: Locale
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        """Translate a message id (English text)."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate with plural forms chosen for n."""
        return self.translations.ngettext(singular, plural, n)

    def format_number(self, value: int | float | Decimal) -> str:
        """Format a number with the locale's separators."""
        return format_decimal(value, locale=self.locale, decimal_quantization=False)

    def format_money(self, amount: int | float | Decimal, currency: str = "EUR") -> str:
        """Money: whole amounts without decimals, billions in words ('9.88 billion euro')."""
        value = Decimal(str(amount))
        if abs(value) >= _BILLION and currency == "EUR":
            words = format_compact_decimal(
                value, format_type="long", locale=self.locale, fraction_digits=2
            )
            return self.gettext("{amount} euro").format(amount=words)
        if value == value.to_integral_value():
            pattern = self.locale.currency_formats["standard"].pattern.replace(".00", "")
            return format_currency(
                value, currency, format=pattern, locale=self.locale, currency_digits=False
            )
        return format_currency(value, currency, locale=self.locale)

    def format_percent(self, rate: float | Decimal) -> str:
        """Format a fraction as a percentage ('90 %' in sv/fi, '90%' in en, '63.5%')."""
        return format_percent(Decimal(str(rate)), locale=self.locale, decimal_quantization=False)

    def format_date(self, value: date) -> str:
        """Format a date in the long form of the locale ('16 februari 2021')."""
        return _babel_date(value, format="long", locale=self.locale)

    def format_time(self, value: datetime, tz: tzinfo | None = None) -> str:
        """Format a time of day ('17:00', '17.00', '17:00') in the given zone."""
        return _babel_time(value, format="short", tzinfo=tz, locale=self.locale)

    def format_datetime(self, value: datetime, tz: tzinfo | None = None) -> str:
        """Format date and time in the locale, converted to tz when given."""
        moment = value.astimezone(tz) if tz is not None and value.tzinfo else value
        return f"{self.format_date(moment.date())} {self.format_time(moment)}"

    def format_timedelta(self, delta: timedelta) -> str:
        """A human duration with direction ('in 12 days', 'om 12 dagar', '12 päivän päästä')."""
        return _babel_timedelta(
            delta, add_direction=True, threshold=2.0, granularity="day", locale=self.locale
        )


@cache
def translator(lang: str | None) -> Translator:
    """The translator for a registered language (the default one for None or any other code)."""
    code = normalize_language(lang) or DEFAULT_LANGUAGE
    return Translator(code, Locale.parse(LANGUAGES[code].locale), _load_translations(code))


@cache
def catalog(lang: str) -> dict[str, tuple[str, ...]]:
    """Every translated msgid of lang's catalogs -> its translation(s) (plural: all forms).

    Read from the same compiled catalogs gettext uses, so fuzzy and untranslated entries are
    absent exactly as they are at run time; the first domain wins, as in the gettext chain.
    """
    from babel.messages.mofile import read_mo

    entries: dict[str, tuple[str, ...]] = {}
    for po in _po_files(lang):
        for message in read_mo(io.BytesIO(_mo_bytes(po))):
            if not message.id:
                continue
            msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
            strings = (
                message.string if isinstance(message.string, tuple | list) else (message.string,)
            )
            entries.setdefault(str(msgid), tuple(str(s or "") for s in strings))
    return entries


@LANGUAGES.on_change
def _forget_catalogs() -> None:
    """A language registered or removed: translators and catalogs are built again on demand."""
    translator.cache_clear()
    catalog.cache_clear()


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALES_DIR",
    "N_",
    "PRIMARY_DOMAIN",
    "LanguagePack",
    "Translator",
    "catalog",
    "compile_all",
    "compile_catalog",
    "has_catalog",
    "normalize_language",
    "translator",
]
