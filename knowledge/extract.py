"""Call facts pulled out of one document's text: references, dates, money, rates and contacts."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from knowledge.facts import Money, When

T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# Types. Money and When come from knowledge.facts (one facts model, issue 15). Two small types
# are added here: Cited, because every extracted value must say where it was read, and Moment,
# because a page may give a date without a time zone, or a zone as a UTC offset, which When
# (always an IANA zone) cannot hold without inventing one.


@dataclass(frozen=True)
class Cited(Generic[T]):
    """An extracted value with the passage it was read from and the exact text that says it."""

    value: T
    passage: str
    span: str
    start: int


@dataclass(frozen=True)
class Moment:
    """A date as the page gives it: time and zone (IANA name or UTC offset) only when stated."""

    date: date
    time: time | None = None
    zone: str | None = None

    def tz(self) -> tzinfo | None:
        """The stated zone as a tzinfo, or None when the page gives none."""
        if self.zone is None:
            return None
        offset = _OFFSET.fullmatch(self.zone)
        if offset is None:
            return ZoneInfo(self.zone)
        sign = -1 if offset["sign"] == "-" else 1
        return timezone(sign * timedelta(hours=int(offset["h"]), minutes=int(offset["m"])))

    def when(self, default_zone: str) -> When:
        """This moment as a facts.When, in default_zone when the page states no IANA zone."""
        zone = self.zone if self.zone and not _OFFSET.fullmatch(self.zone) else None
        if zone is None and self.zone is not None:
            offset = _OFFSET.fullmatch(self.zone)
            assert offset is not None
            if offset["m"] == "00":
                # Etc/GMT zones count the other way round: UTC+02:00 is Etc/GMT-2.
                zone = f"Etc/GMT{'-' if offset['sign'] == '+' else '+'}{int(offset['h'])}"
        return When(self.date, self.time, ZoneInfo(zone or default_zone))


@dataclass(frozen=True)
class Extraction:
    """What one document says about its call; every value cites its passage."""

    lang: str
    references: tuple[Cited[str], ...]
    topics: tuple[Cited[str], ...]
    title: Cited[str] | None
    published: Cited[date] | None
    opens: Cited[Moment] | None
    deadline: Cited[Moment] | None
    budget: Cited[Money] | None
    topic_budgets: tuple[tuple[str, Cited[Money]], ...]
    grant_min: Cited[Money] | None
    grant_max: Cited[Money] | None
    funding_rate: Cited[Decimal] | None
    duration_months: Cited[tuple[int, int]] | None
    emails: tuple[Cited[str], ...]
    min_entities: Cited[int] | None
    min_countries: Cited[int] | None
    excluded_countries: tuple[Cited[str], ...]

    def topic_budget(self, topic: str) -> Cited[Money] | None:
        """The budget given for one topic reference, if any."""
        return next((money for ref, money in self.topic_budgets if ref == topic), None)

    def is_empty(self) -> bool:
        """True when nothing at all was found."""
        return not any(value for name, value in vars(self).items() if name != "lang")


# ---------------------------------------------------------------------------------------------
# Words. What a number means is decided by the words around it; those words are data, one table
# per language. An entry ending in "*" matches as a word start (for inflected sv/fi forms);
# other entries match whole words. "before" words precede the value in its clause, "after" words
# follow it closely.

CONTEXT: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {
        "deadline": (
            "deadline*",
            "closing date",
            "closes",
            "close on",
            "closing",
            "submitted by",
            "submit by",
            "submitted no later than",
            "no later than",
            "apply by",
            "applications by",
            "last day",
            "until",
            "due date",
            "cut-off",
            "cutoff",
            "ends on",
        ),
        "deadline_after": ("at the latest",),
        "opens": (
            "opening date",
            "opening",
            "opens",
            "open on",
            "opens on",
            "submission opens",
            "start of submission",
            "starts accepting",
        ),
        "opens_after": (),
        "period": (
            "open between",
            "between",
            "application period",
            "submission period",
            "open from",
            "from",
            "open",
            "runs from",
        ),
        "published": (
            "published",
            "publication date",
            "publication",
            "date of publication",
            "posted",
            "updated",
            "last update",
            "last updated",
        ),
        "published_after": ("was published", "published"),
        "event": (
            "webinar*",
            "info day*",
            "information day*",
            "info session*",
            "training*",
            "workshop*",
            "event*",
            "conference*",
            "meeting*",
            "signature",
            "signing",
            "evaluation",
            "results",
            "notification",
            "take place",
            "takes place",
        ),
        "budget_total": (
            "total budget",
            "overall budget",
            "budget of the call",
            "call budget",
            "total amount",
            "total funding",
            "in total",
            "total of",
            "total",
        ),
        "budget": ("budget*", "available", "allocated", "earmarked", "indicative budget"),
        "budget_after": (
            "is available",
            "are available",
            "available",
            "is allocated",
            "has been allocated",
            "is earmarked",
        ),
        "grant": (
            "grant*",
            "eu contribution",
            "contribution",
            "project size",
            "requested",
            "amount per project",
        ),
        "grant_after": ("per project", "per grant", "per application", "per proposal"),
        "grant_max": (
            "up to",
            "maximum",
            "max",
            "at most",
            "not exceed",
            "no more than",
            "ceiling",
        ),
        "grant_min": ("at least", "minimum", "min", "no less than", "lowest"),
        "rate": (
            "funding rate",
            "co-financing rate",
            "cofinancing rate",
            "co-funding rate",
            "reimbursement rate",
            "cover",
            "covers",
            "covering",
            "coverage",
            "funding of",
            "co-financing of",
        ),
        "rate_after": (
            "of the eligible costs",
            "of eligible costs",
            "of the total eligible costs",
            "of total eligible costs",
            "of the project costs",
            "of total project costs",
            "of the total project costs",
            "of the costs",
            "of costs",
        ),
        "rate_not": (
            "remaining",
            "the rest",
            "own contribution",
            "co-finance",
            "own funds",
            "shared management",
        ),
        "duration": (
            "duration",
            "last",
            "lasts",
            "project length",
            "implementation period",
            "run for",
            "runs for",
            "running for",
        ),
        "consortium": (
            "consortium",
            "consortia",
            "at least",
            "minimum",
            "minimum of",
            "min",
            "composed of",
            "partnership",
        ),
        "entities": (
            "entities",
            "entity",
            "applicants",
            "applicant",
            "partners",
            "partner",
            "organisations",
            "organizations",
            "beneficiaries",
            "legal entities",
            "participants",
        ),
        "countries": ("countries", "country", "member states", "member state", "eu countries"),
        "exclude_before": (
            "excluding",
            "except",
            "except for",
            "with the exception of",
            "other than",
            "apart from",
            "but not",
        ),
        "exclude_after": (
            "does not take part",
            "does not participate",
            "is not taking part",
            "is not participating",
            "is not bound",
            "not participating",
            "is excluded",
            "excluded",
            "is not eligible",
        ),
        "count_label": ("number of", "minimum number of", "min. number of"),
        "title": ("call title", "topic title", "title", "call name", "topic name"),
        "reference": (
            "call reference",
            "call id",
            "call identifier",
            "call number",
            "topic id",
            "reference number",
            "reference",
        ),
    },
    "sv": {
        "deadline": (
            "sista ansökningsdag*",
            "sista dag*",
            "senast",
            "deadline*",
            "ansökningstiden går ut",
            "ansökningstiden löper ut",
            "ansökningstiden slutar",
            "stänger",
            "stängs",
            "sista datum*",
            "till och med",
        ),
        "deadline_after": ("senast",),
        "opens": ("öppnar", "öppnas", "ansökningstiden börjar", "från och med", "öppningsdatum*"),
        "opens_after": (),
        "period": (
            "öppen",
            "ansökningstid*",
            "ansökningsperiod*",
            "mellan",
            "från",
            "pågår",
            "söka",
            "ansöka",
            "kan sökas",
        ),
        "published": (
            "utgivningsdatum",
            "publicerad*",
            "publiceringsdatum",
            "uppdaterad*",
            "publicerat",
        ),
        "published_after": ("publicerade", "publicerades"),
        "event": (
            "utbildning*",
            "webbinari*",
            "seminari*",
            "informationstillfälle*",
            "evenemang*",
            "möte*",
            "beslut*",
            "äger rum",
        ),
        "budget_total": (
            "total budget*",
            "totala budget*",
            "totalbudget*",
            "sammanlagt",
            "totalt",
            "sammanlagda",
        ),
        # Swedish often names the purpose after the sum: "det finns 9 miljoner euro att söka".
        "budget_after": (
            "att söka",
            "att fördela",
            "att dela ut",
            "kan sökas",
            "kan beviljas",
            "finns att söka",
        ),
        "budget": (
            "budget*",
            "att söka",
            "kan sökas",
            "avsatt*",
            "reserverat*",
            "finns att söka",
            "att fördela",
        ),
        "grant": ("bidrag*", "stöd per", "projektstöd*", "understöd*", "beviljas"),
        "grant_after": ("per projekt", "per ansökan"),
        "grant_max": ("högst", "max", "upp till", "maximalt", "som mest"),
        "grant_min": ("minst", "lägst", "minimum"),
        "rate": (
            "finansieringsgrad*",
            "stödandel*",
            "medfinansieringsgrad*",
            "täcker",
            "stödnivå*",
            "bidragsnivå*",
        ),
        "rate_after": (
            "av de stödberättigande kostnaderna",
            "av stödberättigande kostnader",
            "av kostnaderna",
            "av projektets kostnader",
            "av de totala*",
        ),
        "rate_not": (
            "återstående",
            "resten",
            "egen insats",
            "egen finansiering",
            "medfinansieringen av",
        ),
        "duration": (
            "projekttid*",
            "löptid*",
            "varaktighet*",
            "pågå",
            "projektperiod*",
            "genomförandetid*",
            "projektet får pågå",
        ),
        "consortium": ("konsorti*", "minst", "minsta", "samarbete*"),
        "entities": (
            "aktörer",
            "sökande",
            "parter",
            "organisationer",
            "partner*",
            "juridiska personer",
        ),
        "countries": ("länder", "land", "medlemsstater", "medlemsländer", "eu-länder"),
        "exclude_before": ("utom", "med undantag av", "med undantag för", "förutom", "undantaget"),
        "exclude_after": ("deltar inte", "deltar ej", "omfattas inte", "undantaget"),
        "count_label": ("antal", "minsta antal", "antalet"),
        "title": ("titel", "rubrik", "utlysningens namn"),
        "reference": ("diarienummer", "dnr", "referens*", "utlysningens id"),
    },
    "fi": {
        "deadline": (
            "määräai*",
            "viimeinen hakupäivä*",
            "hakuaika päättyy",
            "hakuaika päättyi",
            "päättyy",
            "päättyi",
            "viimeistään",
            "sulkeutuu",
        ),
        "deadline_after": ("mennessä",),
        "opens": ("hakuaika alkaa", "haku avautuu", "avautuu", "avataan", "haku alkaa"),
        "opens_after": ("alkaen",),
        "period": ("hakuaika*", "avoinna", "haettavissa", "auki", "haku on", "hakea", "voi hakea"),
        "published": ("julkaistu", "julkaisi", "julkaisupäivä*", "päivitetty", "julkaisuaika"),
        "published_after": ("julkaistiin", "julkaistu"),
        "event": (
            "koulutu*",
            "webinaari*",
            "tilaisuu*",
            "infotilaisuu*",
            "seminaari*",
            "päätökset",
            "järjestetään",
        ),
        "budget_total": ("kokonaisbudjetti*", "yhteensä", "kokonaismäärä*", "kokonaisuudessaan"),
        "budget_after": (
            "on haettavana",
            "haettavana",
            "on jaossa",
            "jaossa",
            "on käytettävissä",
            "käytettävissä",
            "jaetaan",
        ),
        "budget": (
            "budjetti*",
            "haettavana",
            "jaossa",
            "määräraha*",
            "käytettävissä",
            "jaettavana",
        ),
        "grant": ("avustu*", "hankekohtai*", "hankkeelle", "tuki", "tukea"),
        "grant_after": ("per hanke", "hanketta kohden", "hankkeelle"),
        "grant_max": ("enintään", "korkeintaan", "maksimi*", "jopa"),
        "grant_min": ("vähintään", "minimi*"),
        "rate": (
            "rahoitusosuu*",
            "tukiprosentti*",
            "tukitaso*",
            "rahoitusaste*",
            "kattaa",
            "tuen osuus",
            "avustuksen osuus",
            "tukiosuu*",
        ),
        "rate_after": (
            "hyväksyttävistä kustannuksista",
            "kustannuksista",
            "tukikelpoisista kustannuksista",
        ),
        "rate_not": ("loput", "loppuosa*", "omarahoitu*", "omavastuu*"),
        "duration": (
            "kesto*",
            "kestää",
            "toteutusaika*",
            "hankeaika*",
            "kestoltaan",
            "hankkeen kesto",
        ),
        "consortium": ("yhteenliittymä*", "konsorti*", "vähintään", "vähimmäis*"),
        "entities": (
            "organisaatio*",
            "toimija*",
            "hakija*",
            "kumppan*",
            "oikeushenkilö*",
            "yhteisö*",
        ),
        "countries": ("maasta", "maata", "maan", "maista", "jäsenvaltio*", "eu-maa*"),
        "exclude_before": ("paitsi", "lukuun ottamatta", "pois lukien", "ei kuitenkaan"),
        "exclude_after": ("ei osallistu", "ei ole mukana", "lukuun ottamatta"),
        "count_label": ("vähimmäismäärä*", "lukumäärä*", "määrä"),
        "title": ("otsikko", "haun nimi", "nimi"),
        "reference": ("diaarinumero", "dnro", "hakutunnus", "viite", "tunnus"),
    },
}

# Month names (every language at once: a Finnish page may quote an English date).
_EN_MONTHS = (
    "january february march april may june july august september october november december"
)
_SV_MONTHS = (
    "januari februari mars april maj juni juli augusti september oktober november december"
)
_FI_MONTHS = (
    "tammikuu helmikuu maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu lokakuu "
    "marraskuu joulukuu"
)
MONTHS: Mapping[str, int] = {
    **{m: i for i, m in enumerate(_EN_MONTHS.split(), 1)},
    **{m[:3]: i for i, m in enumerate(_EN_MONTHS.split(), 1)},
    "sept": 9,
    **{m: i for i, m in enumerate(_SV_MONTHS.split(), 1)},
    # Finnish dates take the partitive ("16. syyskuuta"); the bare name is accepted too.
    **{m + "ta": i for i, m in enumerate(_FI_MONTHS.split(), 1)},
    **{m: i for i, m in enumerate(_FI_MONTHS.split(), 1)},
}

# What pages write for a time zone, and the zone it means.
ZONES: Mapping[str, str] = {
    "cet": "Europe/Brussels",
    "cest": "Europe/Brussels",
    "brussels time": "Europe/Brussels",
    "brussels local time": "Europe/Brussels",
    "central european time": "Europe/Brussels",
    "central european summer time": "Europe/Brussels",
    "bryssel-tid": "Europe/Brussels",
    "brysseltid": "Europe/Brussels",
    "brysselin aikaa": "Europe/Brussels",
    "keski-euroopan aikaa": "Europe/Brussels",
    "finnish time": "Europe/Helsinki",
    "finland time": "Europe/Helsinki",
    "helsinki time": "Europe/Helsinki",
    "eet": "Europe/Helsinki",
    "eest": "Europe/Helsinki",
    "suomen aikaa": "Europe/Helsinki",
    "finsk tid": "Europe/Helsinki",
    "finländsk tid": "Europe/Helsinki",
    "swedish time": "Europe/Stockholm",
    "stockholm time": "Europe/Stockholm",
    "svensk tid": "Europe/Stockholm",
    "ruotsin aikaa": "Europe/Stockholm",
    "utc": "UTC",
    "gmt": "UTC",
}

# Number words that stand for a count or a multiplier ("en miljon euro", "three entities").
NUMBER_WORDS: Mapping[str, int] = {
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "en": 1,
    "ett": 1,
    "två": 2,
    "tre": 3,
    "fyra": 4,
    "fem": 5,
    "sex": 6,
    "sju": 7,
    "åtta": 8,
    "nio": 9,
    "tio": 10,
    "yksi": 1,
    "yhden": 1,
    "yhdestä": 1,
    "kaksi": 2,
    "kahden": 2,
    "kahdesta": 2,
    "kolme": 3,
    "kolmen": 3,
    "kolmesta": 3,
    "neljä": 4,
    "neljän": 4,
    "neljästä": 4,
    "viisi": 5,
    "viiden": 5,
    "viidestä": 5,
    "kuusi": 6,
    "kuuden": 6,
    "kuudesta": 6,
    "kahteen": 2,
    "kolmeen": 3,
    "neljään": 4,
    "viiteen": 5,
    "kuuteen": 6,
}

# Multipliers after a number.
SCALES: Mapping[str, int] = {
    "thousand": 10**3,
    "tusen": 10**3,
    "tuhatta": 10**3,
    "million": 10**6,
    "millions": 10**6,
    "mio": 10**6,
    "mln": 10**6,
    "m": 10**6,
    "miljon": 10**6,
    "miljoner": 10**6,
    "milj.": 10**6,
    "milj": 10**6,
    "miljoonaa": 10**6,
    "miljoona": 10**6,
    "miljoonaan": 10**6,
    "miljoonasta": 10**6,
    "miljoonan": 10**6,
    "meur": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "miljard": 10**9,
    "miljarder": 10**9,
    "miljardia": 10**9,
    "miljardi": 10**9,
    "md": 10**9,
}

# Currency signs and words, and the ISO code each stands for.
CURRENCIES: Mapping[str, str] = {
    "eur": "EUR",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "euroa": "EUR",
    "eurosta": "EUR",
    "euroon": "EUR",
    "euron": "EUR",
    "sek": "SEK",
    "kronor": "SEK",
    "kr": "SEK",
    "svenska kronor": "SEK",
    "kruunua": "SEK",
    "dkk": "DKK",
    "nok": "NOK",
    "chf": "CHF",
    "usd": "USD",
    "$": "USD",
    "gbp": "GBP",
    "£": "GBP",
}

UNITS: Mapping[str, int] = {
    "months": 1,
    "month": 1,
    "månader": 1,
    "månad": 1,
    "kuukautta": 1,
    "kuukauden": 1,
    "kuukausi": 1,
    "kk": 1,
    "years": 12,
    "year": 12,
    "år": 12,
    "vuotta": 12,
    "vuoden": 12,
    "vuosi": 12,
}

# Countries by ISO code: English, Swedish and Finnish names (Finnish as stems: it inflects).
COUNTRIES: Mapping[str, tuple[str, ...]] = {
    "AT": ("Austria", "Österrike", "Itäval*"),
    "BE": ("Belgium", "Belgien", "Belgia*"),
    "BG": ("Bulgaria", "Bulgarien", "Bulgaria*"),
    "HR": ("Croatia", "Kroatien", "Kroatia*"),
    "CY": ("Cyprus", "Cypern", "Kypro*"),
    "CZ": ("Czechia", "Czech Republic", "Tjeckien", "Tšek*", "Tsek*"),
    "DK": ("Denmark", "Danmark", "Tansk*"),
    "EE": ("Estonia", "Estland", "Viro*", "Viron"),
    "FI": ("Finland", "Suome*", "Suomi"),
    "FR": ("France", "Frankrike", "Ransk*"),
    "DE": ("Germany", "Tyskland", "Saksa*"),
    "GR": ("Greece", "Grekland", "Kreik*"),
    "HU": ("Hungary", "Ungern", "Unkar*"),
    "IE": ("Ireland", "Irland", "Irla*"),
    "IT": ("Italy", "Italien", "Itali*"),
    "LV": ("Latvia", "Lettland", "Latvi*"),
    "LT": ("Lithuania", "Litauen", "Liettu*"),
    "LU": ("Luxembourg", "Luxemburg*"),
    "MT": ("Malta*",),
    "NL": ("Netherlands", "the Netherlands", "Nederländerna", "Alankom*"),
    "PL": ("Poland", "Polen", "Puola*"),
    "PT": ("Portugal", "Portugali*"),
    "RO": ("Romania", "Rumänien", "Romania*"),
    "SK": ("Slovakia", "Slovakien", "Slovakia*"),
    "SI": ("Slovenia", "Slovenien", "Slovenia*"),
    "ES": ("Spain", "Spanien", "Espanj*"),
    "SE": ("Sweden", "Sverige", "Ruotsi*", "Ruotsin"),
}

# ---------------------------------------------------------------------------------------------
# Patterns built once from the tables.


def _alternation(words: Sequence[str]) -> str:
    """A regex alternation for table entries: whole words, or word starts for 'stem*'."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word) + r"(?!\w)")
    return r"(?<!\w)(?:" + "|".join(parts) + ")"


def _compile_context() -> dict[str, dict[str, re.Pattern[str]]]:
    compiled: dict[str, dict[str, re.Pattern[str]]] = {}
    for lang, table in CONTEXT.items():
        compiled[lang] = {}
        for name in table:
            words = list(table[name])
            if lang != "en":
                # National pages quote English terms ("deadline", "budget"); never the reverse.
                words += CONTEXT["en"].get(name, ())
            compiled[lang][name] = re.compile(_alternation(words) if words else r"(?!)", re.I)
    return compiled


_CONTEXT = _compile_context()
_OFFSET = re.compile(r"(?P<sign>[+-])(?P<h>\d{2}):(?P<m>\d{2})")
_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_TEXT_DATE = re.compile(
    rf"(?<![\w.])(?:den\s+)?(?P<d>[0-3]?\d)(?:\.|st|nd|rd|th|:e)?\s+(?:of\s+)?"
    rf"(?P<mon>{_MONTH})\.?,?\s+(?P<y>(?:19|20)\d\d)(?!\d)",
    re.I,
)
_US_DATE = re.compile(
    rf"(?<!\w)(?P<mon>{_MONTH})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)"
    r"(?!\d)",
    re.I,
)
_NUM_DATE = re.compile(
    r"(?<![\w.])(?P<d>[0-3]?\d)\.\s?(?P<m>[01]?\d)\.\s?(?P<y>(?:19|20)\d\d)(?![\d])"
    r"|(?<![\w.])(?P<y2>(?:19|20)\d\d)-(?P<m2>[01]\d)-(?P<d2>[0-3]\d)(?!\d)"
    r"|(?<![\w./])(?P<d3>[0-3]?\d)/(?P<m3>[01]?\d)/(?P<y3>(?:19|20)\d\d)(?!\d)"
)
# The start of an application period whose year (and month) comes from its end date.
_PARTIAL_START = re.compile(
    rf"(?<![\w.])(?:den\s+)?(?P<d>[0-3]?\d)(?:\.(?P<m>[01]?\d))?\.?(?:\s+(?P<mon>{_MONTH}))?"
    r"(?:,?\s*(?P<y>(?:19|20)\d\d))?"
    r"\s*(?:–|-|—|\bto\b|\btill\b|\buntil\b|\band\b|\boch\b|\bja\b|\bthrough\b)\s*$",
    re.I,
)
_ZONE_WORDS = "|".join(sorted((re.escape(z) for z in ZONES), key=len, reverse=True))
_TIME_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:\([ \t]*)?"
    r"(?:at[ \t]+|kl\.?[ \t]*|klockan[ \t]+|klo[ \t]+|kello[ \t]+|@[ \t]*|[-–][ \t]*)?"
    # Not the start of another date: "1.6.2026 – 15.10.2026" holds no time 15:10.
    r"(?P<h>[0-2]?\d)[:.](?P<mi>[0-5]\d)(?:[:.](?P<s>[0-5]\d))?(?!\d|%|[.,:]\d)"
    r"(?:[ \t]*(?:h|hrs|uhr)(?!\w))?",
    re.I,
)
_ZONE_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:\([ \t]*)?(?:(?P<utc>UTC|GMT)\s*(?P<sign>[-+−])\s*(?P<oh>\d{1,2})"
    rf"(?::?(?P<om>\d{{2}}))?|(?P<word>{_ZONE_WORDS})(?!\w))"
    r"(?:[ \t]*\((?:CET|CEST|EET|EEST)\))?(?:[ \t]*\))?",
    re.I,
)
_NUMBER = (
    r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?(?!\d)"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)"
    r"|\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d)"
    r"|\d+(?:[.,]\d+)?"
)
_NUMBER_WORD = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
_SCALE = "|".join(sorted((re.escape(s) for s in SCALES), key=len, reverse=True))
_CUR_PRE = r"EUR|€|SEK|DKK|NOK|CHF|USD|GBP|\$|£"
_CUR_POST = "|".join(sorted((re.escape(c) for c in CURRENCIES), key=len, reverse=True))
_AMOUNT_CORE = (
    rf"(?:(?P<pre>{_CUR_PRE})\s?(?P<n1>{_NUMBER})(?:\s?(?P<s1>{_SCALE})(?!\w))?"
    rf"|(?P<n2>{_NUMBER}|(?<!\w)(?:{_NUMBER_WORD}))(?:\s?(?P<s2>{_SCALE})(?!\w))?\s?"
    rf"(?P<post>{_CUR_POST})(?!\w)(?!\s?\d))"
)
_AMOUNT = re.compile(rf"(?<![\w.,]){_AMOUNT_CORE}", re.I)
# A range whose first figure may lack its currency or multiplier: "between 500 000 and 1
# million euro", "100 000–600 000 euroa", "EUR 500 000 - EUR 1 000 000".
_RANGE = re.compile(
    rf"(?<![\w.,])(?:(?P<lpre>{_CUR_PRE})\s?)?(?P<low>{_NUMBER})(?:\s?(?P<lscale>{_SCALE}))?"
    rf"(?:\s?(?P<lpost>{_CUR_POST}))?(?!\w)"
    # Finnish needs no separator: "500 000 eurosta 1 miljoonaan euroon" (from ... to ...).
    r"(?:\s*(?:–|-|—|\band\b|\bup to\b|\bto\b|\boch\b|\btill\b|\bja\b)\s*|(?<=sta)\s+)"
    rf"(?P<high>{_AMOUNT_CORE.replace('?P<', '?P<h_')})",
    re.I,
)
_PERCENT = re.compile(
    r"(?<![\w.,])(?P<n>\d{1,3}(?:[.,]\d+)?)\s?(?:%|per\s?cent(?!\w)|percent(?!\w)"
    r"|procent(?!\w)|prosenttia(?!\w))",
    re.I,
)
_UNIT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_DURATION = re.compile(
    rf"(?<![\w.,])(?P<a>\d{{1,3}}|{_NUMBER_WORD})(?:\s*(?:–|-|—|\bto\b|\btill\b|\band\b|\boch\b|\bja\b)\s*"
    rf"(?P<b>\d{{1,3}}|{_NUMBER_WORD}))?\s*(?P<unit>{_UNIT})(?!\w)",
    re.I,
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_EU_REF = re.compile(r"(?<![\w-])AMIF-(?:19|20)\d\d(?:-[A-Z0-9]+)+(?![\w-])")
# Finnish Government diary numbers are distinctive enough to stand without a label.
_VN_REF = re.compile(r"(?<![\w/])VN/\d{1,6}/(?:19|20)\d\d(?![\w/])")
_REF_TOKEN = r"(?P<ref>(?=[^\s]*[A-Za-z/-])[A-Z0-9][A-Za-z0-9/._-]*\d[A-Za-z0-9/._-]*)"
_LABELLED_REF = r"\s*(?:[:#]|no\.?(?!\w)|nr\.?(?!\w))\s*" + _REF_TOKEN
_DIARY_REF = re.compile(r"(?<!\w)(?:dnr|dnro|d\.nro)\.?\s*:?\s*" + _REF_TOKEN, re.I)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-ZÅÄÖ])|[;•|]|\n")
# Counts of two or more only: "a consortium of partners" must not read as one partner.
_COUNT_WORD = "|".join(
    sorted((re.escape(w) for w, n in NUMBER_WORDS.items() if n >= 2), key=len, reverse=True)
)
_COUNT = rf"(?<![\w.,])(?P<n>\d{{1,2}}|{_COUNT_WORD})(?!\w)"


def _words(lang: str, name: str) -> list[str]:
    return list(CONTEXT[lang][name]) + (list(CONTEXT["en"][name]) if lang != "en" else [])


def _noun_patterns(lang: str, name: str) -> tuple[re.Pattern[str], ...]:
    """'3 different Member States', 'number of partners: 3', 'kumppanien vähimmäismäärä: 3'."""
    noun = _alternation(_words(lang, name))
    label = _alternation(_words(lang, "count_label"))
    figure = r"\s*:?\s*(?P<n>\d{1,2})(?![\d.,])"
    return (
        re.compile(_COUNT + r"\s+(?:[\w-]+\s+){0,3}?" + noun, re.I),
        re.compile(label + r"\s+(?:[\w.-]+\s+){0,2}?" + noun + figure, re.I),
        re.compile(noun + r"\s+" + label + figure, re.I),
    )


_COUNT_PATTERNS = {
    lang: {name: _noun_patterns(lang, name) for name in ("entities", "countries")}
    for lang in CONTEXT
}


def _country_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for code, spelled in COUNTRIES.items():
        for name in spelled:
            names[name] = code
    return re.compile("(?P<c>" + _alternation(list(names)) + ")"), names


_COUNTRY, _COUNTRY_NAMES = _country_pattern()

# ---------------------------------------------------------------------------------------------
# Finding things in one passage.


@dataclass(frozen=True)
class _Found(Generic[T]):
    """A candidate value: where it is and how strongly its context supports it."""

    value: T
    passage: str
    start: int
    end: int
    span: str
    strength: int = 1

    def cited(self) -> Cited[T]:
        return Cited(self.value, self.passage, self.span, self.start)


@dataclass(frozen=True)
class _Passage:
    id: str
    text: str


def _clause_start(text: str, pos: int, limit: int = 160) -> int:
    """Where the clause holding pos begins (line, sentence, list item or table cell)."""
    floor = max(0, pos - limit)
    start = floor
    for match in _SENTENCE_END.finditer(text, floor, pos):
        start = match.end()
    return start


def _before(text: str, pos: int) -> str:
    """The clause before pos; a value that opens its line reads the short line above it."""
    start = _clause_start(text, pos)
    head = text[start:pos]
    if head.strip(" \t:–-") or start == 0:
        return head
    if text[start - 1] == "|":
        # A table cell: its label is the cell before ("| Deadline | 16 September 2025 |").
        cell_start = text.rfind("|", 0, start - 1) + 1
        return text[cell_start : start - 1]
    # A label on its own line ("Deadline date" then "16 September 2025") names the value.
    line_end = text.rfind("\n", 0, pos)
    prev_start = text.rfind("\n", 0, max(line_end, 0)) + 1
    above = text[prev_start:line_end] if line_end > 0 else ""
    return above if 0 < len(above.strip()) <= 60 else head


def _nearest(lang: str, before: str, names: Sequence[str]) -> tuple[str | None, int]:
    """Which of the named context classes has a word nearest the end of before, and where."""
    best: tuple[str | None, int] = (None, -1)
    for name in names:
        for match in _CONTEXT[lang][name].finditer(before):
            if match.end() > best[1]:
                best = (name, match.end())
    return best


def _after_has(lang: str, text: str, end: int, name: str, width: int = 40) -> bool:
    tail = text[end : end + width]
    match = _CONTEXT[lang][name].match(tail.lstrip(" ,)(:"))
    return match is not None


def _parse_number(raw: str, scaled: bool = False) -> Decimal | None:
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


def _money(number: str | None, scale: str | None, currency: str | None) -> Money | None:
    if number is None or currency is None:
        return None
    value = _parse_number(number, scaled=bool(scale))
    if value is None:
        return None
    if scale:
        value *= SCALES[scale.lower()]
    elif number.lower() in NUMBER_WORDS:
        return None  # "en euro" is no amount worth citing; a word needs a multiplier
    code = CURRENCIES.get(currency.lower())
    if code is None or value <= 0:
        return None
    return _normal(Money(value, code))


def _normal(amount: Money) -> Money:
    value = amount.amount
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return Money(value, amount.currency)


@dataclass(frozen=True)
class _Date:
    start: int
    end: int
    value: date


def _dates(text: str) -> list[_Date]:
    found: list[_Date] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_TEXT_DATE, _US_DATE, _NUM_DATE):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            groups = {k: v for k, v in match.groupdict().items() if v}
            try:
                year = int(groups.get("y") or groups.get("y2") or groups.get("y3") or "")
                day = int(groups.get("d") or groups.get("d2") or groups.get("d3") or "")
                mon = groups.get("mon")
                month = (
                    MONTHS[mon.lower()]
                    if mon
                    else int(groups.get("m") or groups.get("m2") or groups.get("m3") or "")
                )
                value = date(year, month, day)
            except (ValueError, KeyError):
                continue
            found.append(_Date(match.start(), match.end(), value))
            taken.append((match.start(), match.end()))
    return sorted(found, key=lambda d: d.start)


def _time_and_zone(text: str, end: int) -> tuple[time | None, str | None, int]:
    """The time and zone written right after a date, and where they end."""
    at: time | None = None
    match = _TIME_AFTER.match(text, end)
    if match and int(match["h"]) <= 23:
        at = time(int(match["h"]), int(match["mi"]), int(match["s"] or 0))
        end = match.end()
    zone: str | None = None
    zmatch = _ZONE_AFTER.match(text, end) if at is not None else None
    if zmatch:
        if zmatch["word"]:
            zone = ZONES[zmatch["word"].lower()]
        else:
            sign = "-" if zmatch["sign"] in "-−" else "+"
            zone = f"{sign}{int(zmatch['oh']):02d}:{zmatch['om'] or '00'}"
            if zone in ("+00:00", "-00:00"):
                zone = "UTC"
        end = zmatch.end()
    if match and "(" in text[match.start() : end] and ")" not in text[match.start() : end]:
        # "(at 17:00)": take the closing bracket too, so the span reads as a whole.
        close = re.compile(r"[ \t]*\)").match(text, end)
        end = close.end() if close else end
    return at, zone, end


def _moment_span(text: str, d: _Date) -> tuple[Moment, int]:
    at, zone, end = _time_and_zone(text, d.end)
    return Moment(d.value, at, zone), end


# ---------------------------------------------------------------------------------------------
# Extraction.


class _Collector:
    """Candidates found in the passages, then the choice among them."""

    def __init__(self, lang: str, passages: Sequence[_Passage]) -> None:
        self.lang = lang if lang in CONTEXT else "en"
        self.passages = passages
        self._labelled = re.compile(self.words("reference").pattern + _LABELLED_REF, re.I)

    def words(self, name: str) -> re.Pattern[str]:
        return _CONTEXT[self.lang][name]

    # -- references --------------------------------------------------------------------------

    def references(self) -> tuple[list[_Found[str]], list[_Found[str]]]:
        calls: list[_Found[str]] = []
        topics: list[_Found[str]] = []
        for p in self.passages:
            for match in _EU_REF.finditer(p.text):
                ref = match.group(0)
                parent = _topic_parent(ref)
                if parent is None:
                    calls.append(_Found(ref, p.id, match.start(), match.end(), ref))
                else:
                    topics.append(_Found(ref, p.id, match.start(), match.end(), ref))
                    end = match.start() + len(parent)
                    calls.append(_Found(parent, p.id, match.start(), end, parent))
            labelled = [*self._labelled.finditer(p.text), *_DIARY_REF.finditer(p.text)]
            found = [(m.start("ref"), m["ref"].rstrip("./-")) for m in labelled]
            found += [(m.start(), m.group(0)) for m in _VN_REF.finditer(p.text)]
            for start, ref in sorted(found):
                if _EU_REF.fullmatch(ref) or len(ref) < 4:
                    continue
                calls.append(_Found(ref, p.id, start, start + len(ref), ref))
        return _unique(calls), _unique(topics)

    def title(self, refs: Sequence[str]) -> _Found[str] | None:
        label = re.compile(
            r"^[ \t]*" + self.words("title").pattern + r"[ \t]*:[ \t]*(?P<t>\S[^\n]{3,200})$",
            re.I | re.M,
        )
        for p in self.passages:
            match = label.search(p.text)
            if match:
                title = match["t"].strip()
                return _Found(title, p.id, match.start("t"), match.start("t") + len(title), title)
        # "AMIF-2025-TF2-AG-INTE-02-HEALTH: Title" or "... – Title" on a line of its own.
        for p in self.passages:
            for ref in refs:
                line = re.compile(
                    r"^[ \t#]*(?:Topic|Call|Aihe|Haku|Ämne|Utlysning)?[ \t:]*"
                    + re.escape(ref)
                    + r"(?:[ \t]*:|[ \t]+(?:–|—|-))[ \t]*(?P<t>[^\n]{4,200})$",
                    re.M,
                )
                match = line.search(p.text)
                if match:
                    title = match["t"].strip()
                    start = match.start("t")
                    return _Found(title, p.id, start, start + len(title), title)
        return None

    # -- dates -------------------------------------------------------------------------------

    def dates(self) -> dict[str, list[_Found[Moment]]]:
        kinds: dict[str, list[_Found[Moment]]] = {"deadline": [], "opens": [], "published": []}
        for p in self.passages:
            text = p.text
            found = _dates(text)
            in_range: set[int] = set()
            for d in found:
                head = text[max(0, d.start - 40) : d.start]
                partial = _PARTIAL_START.search(head)
                if partial is None:
                    continue
                first = self._range_start(partial, d.value)
                start = d.start - len(head) + partial.start()
                before = _before(text, start)
                kind, _ = _nearest(
                    self.lang, before, ("period", "event", "published", "deadline", "opens")
                )
                if first is None or first > d.value or kind not in ("period", "opens"):
                    continue
                moment, end = _moment_span(text, d)
                span = text[start:end]
                kinds["opens"].append(_Found(Moment(first), p.id, start, end, span))
                kinds["deadline"].append(_Found(moment, p.id, start, end, span))
                in_range.add(d.start)
                in_range.update(o.start for o in found if start <= o.start < d.start)
            for d in found:
                if d.start in in_range:
                    continue
                moment, end = _moment_span(text, d)
                span = text[d.start : end]
                kind = self._date_kind(text, d.start, end)
                if kind is None:
                    continue
                value = Moment(d.value) if kind == "published" else moment
                kinds[kind].append(_Found(value, p.id, d.start, end, span))
        return kinds

    def _range_start(self, partial: re.Match[str], end: date) -> date | None:
        try:
            month = (
                MONTHS[partial["mon"].lower()]
                if partial["mon"]
                else int(partial["m"])
                if partial["m"]
                else end.month
            )
            year = int(partial["y"]) if partial["y"] else end.year
            return date(year, month, int(partial["d"]))
        except (ValueError, KeyError):
            return None

    def _date_kind(self, text: str, start: int, end: int) -> str | None:
        if _after_has(self.lang, text, end, "deadline_after"):
            return "deadline"
        if _after_has(self.lang, text, end, "opens_after"):
            return "opens"
        if _after_has(self.lang, text, end, "published_after", 25):
            return "published"
        before = _before(text, start)
        kind, _ = _nearest(self.lang, before, ("deadline", "opens", "published", "event"))
        return kind if kind in ("deadline", "opens", "published") else None

    # -- money -------------------------------------------------------------------------------

    def money(
        self, topics: Sequence[str]
    ) -> tuple[
        list[_Found[Money]],
        list[_Found[tuple[str, Money]]],
        list[_Found[Money]],
        list[_Found[Money]],
    ]:
        budgets: list[_Found[Money]] = []
        per_topic: list[_Found[tuple[str, Money]]] = []
        lows: list[_Found[Money]] = []
        highs: list[_Found[Money]] = []
        section: str | None = None
        for p in self.passages:
            text = p.text
            entering = section
            ranges = list(_RANGE.finditer(text))
            covered: list[tuple[int, int]] = []
            for match in ranges:
                pair = _range_money(match)
                if pair is None:
                    continue
                low, high = pair
                before = _before(text, match.start())
                kind, _ = _nearest(self.lang, before, ("grant", "budget", "budget_total"))
                if kind == "grant" or _after_has(self.lang, text, match.end(), "grant_after"):
                    span = text[match.start() : match.end()]
                    lows.append(_Found(low, p.id, match.start(), match.end(), span))
                    highs.append(_Found(high, p.id, match.start(), match.end(), span))
                    covered.append((match.start(), match.end()))
            line_topic = _line_topics(text, topics)
            section_at = _sections(text, topics, entering)
            for match in _AMOUNT.finditer(text):
                if any(s <= match.start() < e for s, e in covered):
                    continue
                amount = _match_money(match)
                if amount is None:
                    continue
                start, end = match.start(), match.end()
                span = text[start:end]
                before = _before(text, start)
                kind, _ = _nearest(self.lang, before, ("budget_total", "budget", "grant"))
                if _after_has(self.lang, text, end, "grant_after"):
                    kind = "grant"
                elif kind is None and _after_has(self.lang, text, end, "budget_after"):
                    kind = "budget"
                if kind == "grant":
                    mod, _ = _nearest(self.lang, before, ("grant_max", "grant_min"))
                    if mod is None:
                        continue  # a single grant figure with no "up to"/"at least": unsure
                    target = highs if mod == "grant_max" else lows
                    target.append(_Found(amount, p.id, start, end, span))
                    continue
                in_section = section_at(start)
                topic = line_topic(start) or (in_section if kind == "budget" else None)
                if topic is not None and kind != "budget_total":
                    per_topic.append(_Found((topic, amount), p.id, start, end, span))
                elif kind in ("budget", "budget_total"):
                    strength = 2 if kind == "budget_total" else 1
                    budgets.append(_Found(amount, p.id, start, end, span, strength))
            section = section_at(len(text))
        return budgets, per_topic, lows, highs

    # -- rates, durations, contacts, consortium, countries -----------------------------------

    def rates(self) -> list[_Found[Decimal]]:
        found: list[_Found[Decimal]] = []
        for p in self.passages:
            for match in _PERCENT.finditer(p.text):
                value = Decimal(match["n"].replace(",", "."))
                if not 0 < value <= 100:
                    continue
                before = _before(p.text, match.start())
                kind, _ = _nearest(self.lang, before, ("rate", "rate_not"))
                if kind == "rate_not":
                    continue  # "the partners pay the remaining 10 %" is not the rate
                if kind is None and not _after_has(
                    self.lang, p.text, match.end(), "rate_after", 60
                ):
                    continue
                span = p.text[match.start() : match.end()]
                found.append(_Found(value / 100, p.id, match.start(), match.end(), span))
        return found

    def durations(self) -> list[_Found[tuple[int, int]]]:
        found: list[_Found[tuple[int, int]]] = []
        for p in self.passages:
            for match in _DURATION.finditer(p.text):
                before = _before(p.text, match.start())
                if not self.words("duration").search(before):
                    continue
                factor = UNITS[match["unit"].lower()]
                a = _count(match["a"])
                b = _count(match["b"]) if match["b"] else a
                if a is None or b is None or a > b or a == 0:
                    continue
                span = p.text[match.start() : match.end()]
                value = (a * factor, b * factor)
                found.append(_Found(value, p.id, match.start(), match.end(), span))
        return found

    def emails(self) -> list[_Found[str]]:
        found: list[_Found[str]] = []
        for p in self.passages:
            for match in _EMAIL.finditer(p.text):
                address = match.group(0).rstrip(".")
                found.append(
                    _Found(
                        address.lower(), p.id, match.start(), match.start() + len(address), address
                    )
                )
        return _unique(found)

    def consortium(self) -> tuple[list[_Found[int]], list[_Found[int]]]:
        entities: list[_Found[int]] = []
        countries: list[_Found[int]] = []
        for p in self.passages:
            for sentence_start, sentence in _sentences(p.text):
                if not self.words("consortium").search(sentence):
                    continue
                for name, target in (("entities", entities), ("countries", countries)):
                    matches = [
                        m
                        for pattern in _COUNT_PATTERNS[self.lang][name]
                        for m in pattern.finditer(sentence)
                    ]
                    for match in sorted(matches, key=lambda m: m.start()):
                        n = _count(match["n"])
                        # One applicant is no consortium; a big figure is something else.
                        if n is None or not 2 <= n <= 30:
                            continue
                        start = sentence_start + match.start()
                        span = sentence[match.start() : match.end()]
                        target.append(_Found(n, p.id, start, start + len(span), span))
                        break
        return entities, countries

    def excluded(self) -> list[_Found[str]]:
        found: list[_Found[str]] = []
        country = _COUNTRY.pattern
        before = re.compile(
            self.words("exclude_before").pattern
            + r"\s+(?:for\s+|of\s+|the\s+)?"
            + "(?P<list>"
            + country
            + r"(?:\s*(?:,|\band\b|\boch\b|\bja\b|\bsekä\b)\s*"
            + country.replace("?P<c>", "")
            + ")*)",
            re.I,
        )
        after = re.compile(country + r"\s+" + self.words("exclude_after").pattern, re.I)
        for p in self.passages:
            for match in before.finditer(p.text):
                for name in re.finditer(_COUNTRY.pattern, match["list"]):
                    start = match.start("list") + name.start()
                    found.append(
                        _Found(_code(name["c"]), p.id, start, start + len(name[0]), name[0])
                    )
            for match in after.finditer(p.text):
                found.append(
                    _Found(
                        _code(match["c"]),
                        p.id,
                        match.start(),
                        match.end(),
                        p.text[match.start() : match.end()],
                    )
                )
        return _unique(found)


def _code(name: str) -> str:
    for spelled, code in _COUNTRY_NAMES.items():
        stem = spelled.rstrip("*")
        if spelled.endswith("*") and name.lower().startswith(stem.lower()):
            return code
        if name.lower() == stem.lower():
            return code
    raise KeyError(name)


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word.lower())


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    for match in re.finditer(r"[.!?](?=\s+[A-ZÅÄÖ])|\n", text):
        yield start, text[start : match.end()]
        start = match.end()
    yield start, text[start:]


def _topic_parent(ref: str) -> str | None:
    """The call a topic reference belongs to: the part before its two-digit topic number."""
    parts = ref.split("-")
    # AMIF, year, then at least two parts of the call before the topic number.
    for i in range(4, len(parts)):
        if re.fullmatch(r"\d{2}", parts[i]):
            return "-".join(parts[:i])
    return None


def _line_topics(text: str, topics: Sequence[str]) -> Callable[[int], str | None]:
    """The single topic named on the line (table row) holding a position, if exactly one."""

    def topic_at(pos: int) -> str | None:
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        named = {t for t in topics if t in line}
        return named.pop() if len(named) == 1 else None

    return topic_at


def _sections(
    text: str, topics: Sequence[str], entering: str | None
) -> Callable[[int], str | None]:
    """The topic whose heading a position falls under; a heading naming none ends the section."""
    ends: list[int] = []
    named_by: list[str | None] = []
    for line_match in re.finditer(r"[^\n]+", text):
        line = line_match.group(0).strip()
        if _is_heading(line):
            named = [t for t in topics if t in line]
            ends.append(line_match.end())
            named_by.append(named[0] if len(named) == 1 else None)

    def topic_at(pos: int) -> str | None:
        i = bisect_right(ends, pos)
        return named_by[i - 1] if i else entering

    return topic_at


def _is_heading(line: str) -> bool:
    words = line.lstrip("#* ").split()
    return (
        0 < len(words) <= 14
        and not line.rstrip().endswith((".", ":", ",", ";"))
        and (line.startswith("#") or line[:1].isupper() or line[:1].isdigit())
        and not _AMOUNT.search(line)
    )


def _match_money(match: re.Match[str]) -> Money | None:
    if match["pre"]:
        return _money(match["n1"], match["s1"], match["pre"])
    return _money(match["n2"], match["s2"], match["post"])


def _range_money(match: re.Match[str]) -> tuple[Money, Money] | None:
    if match["h_pre"]:
        high = _money(match["h_n1"], match["h_s1"], match["h_pre"])
        high_scale = match["h_s1"]
    else:
        high = _money(match["h_n2"], match["h_s2"], match["h_post"])
        high_scale = match["h_s2"]
    if high is None:
        return None
    currency = match["lpre"] or match["lpost"]
    low_value = _parse_number(match["low"], scaled=bool(match["lscale"]))
    if low_value is None:
        return None
    if match["lscale"]:
        low_value *= SCALES[match["lscale"].lower()]
    elif high_scale and low_value < 1000:
        low_value *= SCALES[high_scale.lower()]  # "1 and 2 million": both in millions
    low_currency = CURRENCIES.get(currency.lower()) if currency else high.currency
    if low_currency != high.currency or low_value <= 0 or low_value >= high.amount:
        return None
    return _normal(Money(low_value, high.currency)), _normal(high)


def _unique(found: Sequence[_Found[T]]) -> list[_Found[T]]:
    seen: set[Any] = set()
    out: list[_Found[T]] = []
    for item in found:
        if item.value not in seen:
            seen.add(item.value)
            out.append(item)
    return out


def _choose(
    found: Sequence[_Found[T]],
    same: Callable[[T, T], bool] | None = None,
    better: Callable[[T], int] | None = None,
) -> Cited[T] | None:
    """The value the strongest candidates agree on; none when they disagree (precision first)."""
    if not found:
        return None
    top = max(f.strength for f in found)
    best = [f for f in found if f.strength == top]
    equal = same or (lambda a, b: a == b)
    if not all(equal(best[0].value, f.value) for f in best[1:]):
        return None
    if better is not None:
        return max(best, key=lambda f: better(f.value)).cited()
    return best[0].cited()


def _same_day(a: Moment, b: Moment) -> bool:
    return a.date == b.date and (a.time is None or b.time is None or a.time == b.time)


def _detail(m: Moment) -> int:
    return (m.time is not None) + (m.zone is not None)


def _split(text: str) -> list[_Passage]:
    chunks = [c.strip("\n") for c in re.split(r"\n[ \t]*\n", text)]
    return [_Passage(str(i), c) for i, c in enumerate(c for c in chunks if c.strip())]


def extract_call_facts(
    text: str, *, lang: str, passages: Sequence[tuple[str, str]] | None = None
) -> Extraction:
    """Extract call facts from a document (its passages when given, else its blank-line blocks)."""
    units = (
        [_Passage(pid, ptext) for pid, ptext in passages] if passages is not None else _split(text)
    )
    c = _Collector(lang, units)
    calls, topics = c.references()
    topic_refs = [t.value for t in topics]
    kinds = c.dates()
    budgets, per_topic, lows, highs = c.money(topic_refs)
    entities, countries = c.consortium()
    grant_min = _choose(lows)
    grant_max = _choose(highs)
    if (
        grant_min
        and grant_max
        and (
            grant_min.value.currency != grant_max.value.currency
            or grant_min.value.amount > grant_max.value.amount
        )
    ):
        grant_min = grant_max = None
    topic_budgets: list[tuple[str, Cited[Money]]] = []
    for ref in topic_refs:
        chosen = _choose([f for f in per_topic if f.value[0] == ref])
        if chosen is not None:
            money = chosen.value[1]
            topic_budgets.append((ref, Cited(money, chosen.passage, chosen.span, chosen.start)))
    published = _choose(kinds["published"], _same_day)
    return Extraction(
        lang=c.lang,
        references=tuple(f.cited() for f in calls),
        topics=tuple(f.cited() for f in topics),
        title=(
            found.cited() if (found := c.title([*topic_refs, *[x.value for x in calls]])) else None
        ),
        published=(
            Cited(published.value.date, published.passage, published.span, published.start)
            if published
            else None
        ),
        opens=_choose(kinds["opens"], _same_day, _detail),
        deadline=_choose(kinds["deadline"], _same_day, _detail),
        budget=_choose(budgets),
        topic_budgets=tuple(topic_budgets),
        grant_min=grant_min,
        grant_max=grant_max,
        funding_rate=_choose(c.rates()),
        duration_months=_choose(c.durations()),
        emails=tuple(f.cited() for f in c.emails()),
        min_entities=_choose(entities),
        min_countries=_choose(countries),
        excluded_countries=tuple(f.cited() for f in c.excluded()),
    )


# ---------------------------------------------------------------------------------------------
# Showing what was found.


class Formatter(Protocol):
    """What describe needs from i18n.Translator: its language and Babel formatting."""

    @property
    def lang(self) -> str: ...

    def format_money(self, amount: int | float | Decimal, currency: str = "EUR") -> str: ...

    def format_percent(self, rate: float | Decimal) -> str: ...

    def format_date(self, value: date) -> str: ...

    def format_number(self, value: int | float | Decimal) -> str: ...


# Field labels for the operator's ingest report. Kept here rather than in the gettext catalogs
# while the answer path is rebuilt; the translator supplies Babel's dates and money.
LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "references": "call",
        "topics": "topic",
        "title": "title",
        "published": "published",
        "opens": "opens",
        "deadline": "deadline",
        "budget": "budget",
        "topic_budget": "topic budget",
        "grant": "grant",
        "grant_min": "grant at least",
        "grant_max": "grant up to",
        "funding_rate": "funding rate",
        "duration": "duration",
        "months": "months",
        "emails": "contact",
        "min_entities": "consortium: entities",
        "min_countries": "consortium: countries",
        "excluded": "excluded country",
        "nothing": "no call facts found",
        "passage": "passage",
    },
    "sv": {
        "references": "utlysning",
        "topics": "ämne",
        "title": "titel",
        "published": "publicerad",
        "opens": "öppnar",
        "deadline": "sista ansökningsdag",
        "budget": "budget",
        "topic_budget": "budget för ämne",
        "grant": "bidrag",
        "grant_min": "bidrag minst",
        "grant_max": "bidrag högst",
        "funding_rate": "finansieringsgrad",
        "duration": "projekttid",
        "months": "månader",
        "emails": "kontakt",
        "min_entities": "konsortium: aktörer",
        "min_countries": "konsortium: länder",
        "excluded": "utesluten stat",
        "nothing": "inga uppgifter om utlysningen hittades",
        "passage": "avsnitt",
    },
    "fi": {
        "references": "haku",
        "topics": "aihe",
        "title": "otsikko",
        "published": "julkaistu",
        "opens": "avautuu",
        "deadline": "määräaika",
        "budget": "budjetti",
        "topic_budget": "aiheen budjetti",
        "grant": "avustus",
        "grant_min": "avustus vähintään",
        "grant_max": "avustus enintään",
        "funding_rate": "rahoitusosuus",
        "duration": "kesto",
        "months": "kuukautta",
        "emails": "yhteystieto",
        "min_entities": "yhteenliittymä: toimijat",
        "min_countries": "yhteenliittymä: maat",
        "excluded": "poissuljettu maa",
        "nothing": "hakua koskevia tietoja ei löytynyt",
        "passage": "kohta",
    },
}


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _show_money(money: Money, t: Formatter) -> str:
    if money.currency == "EUR":
        return t.format_money(money.amount, "EUR")
    # format_money words billions as euro; other currencies keep their own code.
    return f"{t.format_number(money.amount)} {money.currency}"


def _show_moment(m: Moment, t: Formatter) -> str:
    parts = [t.format_date(m.date)]
    if m.time is not None:
        parts.append(m.time.strftime("%H:%M"))
    if m.zone is not None:
        parts.append(m.zone if _OFFSET.fullmatch(m.zone) is None else f"UTC{m.zone}")
    return " ".join(parts)


def describe(extraction: Extraction, translator: Formatter) -> list[str]:
    """Short lines telling the operator what was extracted, each naming its passage."""
    t = translator
    words = LABELS.get(t.lang, LABELS["en"])
    lines: list[str] = []

    def add(label: str, shown: str, cited: Cited[Any]) -> None:
        # The source words beside the reading let the operator spot a misread at a glance.
        span = " ".join(cited.span.split())
        quoted = "" if span == shown else f' \u2190 "{_shorten(span)}"'
        lines.append(f"{label}: {shown}{quoted}  [{words['passage']} {cited.passage}]")

    e = extraction
    for ref in e.references:
        add(words["references"], ref.value, ref)
    for ref in e.topics:
        add(words["topics"], ref.value, ref)
    if e.title:
        add(words["title"], e.title.value, e.title)
    if e.published:
        add(words["published"], t.format_date(e.published.value), e.published)
    if e.opens:
        add(words["opens"], _show_moment(e.opens.value, t), e.opens)
    if e.deadline:
        add(words["deadline"], _show_moment(e.deadline.value, t), e.deadline)
    if e.budget:
        add(words["budget"], _show_money(e.budget.value, t), e.budget)
    for topic, money in e.topic_budgets:
        add(f"{words['topic_budget']} {topic}", _show_money(money.value, t), money)
    if e.grant_min and e.grant_max:
        shown = f"{_show_money(e.grant_min.value, t)} – {_show_money(e.grant_max.value, t)}"
        add(words["grant"], shown, e.grant_max)
    elif e.grant_min:
        add(words["grant_min"], _show_money(e.grant_min.value, t), e.grant_min)
    elif e.grant_max:
        add(words["grant_max"], _show_money(e.grant_max.value, t), e.grant_max)
    if e.funding_rate:
        add(words["funding_rate"], t.format_percent(e.funding_rate.value), e.funding_rate)
    if e.duration_months:
        low, high = e.duration_months.value
        shown = str(low) if low == high else f"{low}–{high}"
        add(words["duration"], f"{shown} {words['months']}", e.duration_months)
    for email in e.emails:
        add(words["emails"], email.value, email)
    if e.min_entities:
        add(words["min_entities"], str(e.min_entities.value), e.min_entities)
    if e.min_countries:
        add(words["min_countries"], str(e.min_countries.value), e.min_countries)
    for country in e.excluded_countries:
        add(words["excluded"], country.value, country)
    return lines or [words["nothing"]]


def _plain(value: Any) -> Any:
    if isinstance(value, Cited):
        return {
            "value": _plain(value.value),
            "passage": value.passage,
            "span": value.span,
            "start": value.start,
        }
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Moment):
        return {
            "date": value.date.isoformat(),
            "time": value.time.strftime("%H:%M") if value.time else None,
            "zone": value.zone,
        }
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def as_dict(extraction: Extraction) -> dict[str, Any]:
    """The extraction as JSON-ready data (strings for decimals and dates) for `--json`."""
    out: dict[str, Any] = {}
    for name, value in vars(extraction).items():
        if name == "topic_budgets":
            out[name] = {ref: _plain(money) for ref, money in value}
        else:
            out[name] = _plain(value)
    return out
