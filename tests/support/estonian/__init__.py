"""Estonian, a fourth language registered by tests: a pack written the way a translator would.

It lives in tests/ on purpose: the shipped registry knows English, Swedish and Finnish only,
and tests/test_fourth_language.py proves that a pack (and, later, its catalogs) is all a new
language needs. Estonian has no catalogs here, so every text falls back to English.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from i18n.languages import AnswerWords, ChatWords, DetectorFeatures, LanguagePack, words
from i18n.languages.base import FUNCTION_WEIGHT

_HERE = Path(__file__).resolve().parent
_F = FUNCTION_WEIGHT

_FUNCTION = """
ja ning või aga kuid et kui kas mis mida mille kes keda kus kust kuhu millal miks kuidas
mitu milline millised palju väga ka veel juba nüüd siis täna homme eile pärast enne ilma
koos kuni olen oled oleme olete oli olid olla pole ei ega mina ma sina sa tema ta meie
me teie te nemad nad see seda selle need neid kõik mõni iga oma minu sinu meil teil neil
saab saan saame saate võib võin võime peab peame tuleb jah tere aitäh tänan palun
vabandust head
"""
_COMMON = """
taotlus taotluse taotlused taotlusi taotleja taotlejad taotlema taotleda tähtaeg tähtaja
rahastus rahastuse rahastamine rahastamise rahastamismäär toetus toetuse toetused projekt
projekti projektid partner partnerid partnerite organisatsioon organisatsiooni
organisatsioonid ühing ühingu omavalitsus omavalitsuse riik riigi riigid liikmesriik
liikmesriigid kolmanda kodanik kodanikud ohver ohvrid inimkaubandus inimkaubanduse
lõimumine ränne varjupaik fond fondi eelarve eelarvest kulud kulu summa eurot protsent
määr abikõlblik abikõlblikud tingimused nõuded kontakt otsus leping aruanne hindamine
taotlusvoor kuupäev kestus kuud kuu aasta aastat konsortsium
"""
_EVERYDAY = """
üks kaks kolm neli viis kuus seitse kaheksa üheksa kümme inimene inimesed laps lapsed
naine naised töö kool linn maa keel eesti soome rootsi inglise küsimus vastus aeg päev
nädal
"""
_FORMS = """
taotlusega taotlusele taotlusest projektiga projektile projektist partneritega
organisatsioonile organisatsioonist riikides riikidest liikmesriikides toetusega
rahastamisega eelarvega tähtajaks tähtajal kuupäevaks aastaks kuuks ohvritele ohvritega
"""
# Words Estonian shares with the shipped languages: "on" (is), "ja" (and), "ei" (not).
_SHARED = {"on": _F, "ja": _F, "ei": _F / 2, "see": _F / 2, "me": _F / 2}
_ENDINGS = ("mine", "mise", "tud", "nud", "sse", "ga", "gi", "des")


def _spelling(word: str) -> float:
    """Estonian spelling: õ is its own letter, ü and the -mine/-tud endings are common."""
    cue = 2.5 if "õ" in word else 0.0
    if "ü" in word:
        cue += 1.0
    if len(word) >= 5 and word.endswith(_ENDINGS):
        cue += 0.5
    return cue


_UNITS = "null üks kaks kolm neli viis kuus seitse kaheksa üheksa kümme"

PACK = LanguagePack(
    code="et",
    name="Eesti",
    locale="et_EE",
    stemmer="estonian",
    stop_words=words("ja ning või aga et kui kas mis kes on ei see need mina ma sina sa meie me"),
    detector=DetectorFeatures(
        function_words=_FUNCTION,
        common_words=_COMMON,
        weak_words="projekt partner info",
        everyday_words=_EVERYDAY,
        word_forms=_FORMS,
        shared_words=_SHARED,
        spelling_cue=_spelling,
    ),
    answers=AnswerWords(
        yes=words("jah jaa jep"),
        no=words("ei"),
        unsure=("ei tea", "pole kindel"),
        none=frozenset({"mitte ükski", "ei ühtegi"}),
        also=words("ja ning"),
        commands={
            "back": words("tagasi"),
            "restart": frozenset({"alusta uuesti"}),
            "cancel": words("katkesta lõpeta"),
            "help": words("abi"),
            "done": words("valmis tehtud"),
            "resume": words("jätka"),
        },
        euro=words("eurot euro"),
        other_currencies=words("krooni"),
        thousand=words("tuhat tuhande"),
        million=words("miljon miljonit"),
        approximately=words("umbes ligikaudu"),
        months=words("kuu kuud kuuks"),
        years=words("aasta aastat aastaks"),
        units={word: value for value, word in enumerate(_UNITS.split())},
        tens={},
        halves={"pool": Decimal("0.5"), "poolteist": Decimal("1.5")},
        country_fillers=words("ja"),
    ),
    chat=ChatWords(
        thanks=words("aitäh tänan tänud"),
        ack=words("ok okei hea selge super"),
        filler=words("väga palju teile sulle"),
        help=frozenset({"abi", "mida sa oskad"}),
    ),
    time_zone="Europe/Tallinn",
    typed_names=words("eesti estonian estniska viro"),
    compound_ngrams=True,
    aspects=_HERE / "aspects.yaml",
    glossary=_HERE / "glossary.yaml",
)
