"""Text analyzers per language: tokenize, drop stop words, Snowball-stem, add compound n-grams."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import Stemmer

TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Within-word character 4-grams let "integrationsfonden" meet "fonden" and "rahoituksen" meet
# "rahoitus" (measured: 15/16 compound-mismatch passages found at rank 1 vs 11/16 sv, 9/16 fi
# with stems alone). English compounds are written apart, so English gets none.
NGRAM = 4
NGRAM_MIN_WORD = 6
NGRAM_LANGS = ("sv", "fi")
_NGRAM_MARK = "#"


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        """a about above after again against all am an and any are aren as at be because been
        before being below between both but by can cannot could did do does doing don down
        during each few for from further had has have having he her here hers herself him
        himself his how i if in into is isn it its itself just let me more most my myself no
        nor not now of off on once only or other ought our ours ourselves out over own please
        same shall she should so some such tell than that the their theirs them themselves
        then there these they this those through to too under until up very was we were what
        when where which while who whom whose why will with would you your yours yourself
        yourselves hi hello hey thanks thank know want wants need needs get got give us i'm
        much many also like may might must ok okay one"""
    ),
    "sv": _word_set(
        """alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig
        din dina ditt du där då efter ej eller en er era ert ett från för ha hade han hans har
        hej henne hennes hon honom hur här i icke ingen inom inte jag ju kan kunde man med
        mellan men mig min mina mitt mot mycket ni nu när någon något några och om oss på
        samma sedan sig sin sina sitt själv skulle som så sådan sådana till under upp ut utan
        vad var vara varför varit varje vars vart vem vi vid vilka vilken vilket vår våra vårt
        än är åt över tack snälla kanske få får fick vill ska skall bara också mer mest finns
        hos ens"""
    ),
    "fi": _word_set(
        """ja on ei se että oli ole olla ollut olen olet olemme olette ovat mikä mitä miksi mihin
        missä mistä milloin miten kuinka kuka ketkä kenen keneltä kenelle minä sinä hän me te
        he tämä tuo nämä nuo joka jotka jonka joita jos kun kuin mutta tai vai eli myös vain
        sekä niin nyt vielä jo siis sen sitä siitä siihen sille siinä niitä niiden näitä
        näiden noita minun sinun hänen meidän teidän heidän minulle sinulle meille teille
        minua sinua meitä teitä voi voiko voin voimme voivat pitää pitäisi täytyy kanssa ennen
        jälkeen yli alle ilman kautta mukaan hei moi kiitos kiitti saa saako saada saadaan
        onko ovatko oliko olisi olisiko paljonko montako mikälie mm eikö mitkä millainen
        millaisia minkä mille"""
    ),
}
_STEMMER_NAMES = {"en": "english", "sv": "swedish", "fi": "finnish"}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass
class Analyzer:
    """Turns text into index terms for one language."""

    lang: str
    ngrams: bool
    stop_words: frozenset[str] = field(init=False)
    _stemmer: Stemmer.Stemmer = field(init=False, repr=False)
    _cache: dict[str, tuple[str, ...]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.stop_words = STOP_WORDS[self.lang]
        self._stemmer = Stemmer.Stemmer(_STEMMER_NAMES[self.lang])

    def words(self, text: str) -> list[str]:
        """Lower-cased word tokens without stop words."""
        return [w for w in TOKEN.findall(_fold(text)) if w not in self.stop_words]

    def word_terms(self, word: str) -> tuple[str, ...]:
        """Index terms of one word from words(): its stem, then its n-grams if it gets any."""
        terms = self._cache.get(word)
        if terms is None:
            stem = self._stemmer.stemWord(word)
            grams: list[str] = []
            if self.ngrams and len(word) >= NGRAM_MIN_WORD and not word.isdigit():
                grams = [_NGRAM_MARK + word[i : i + NGRAM] for i in range(len(word) - NGRAM + 1)]
            terms = (stem, *grams)
            if len(self._cache) < 200_000:
                self._cache[word] = terms
        return terms

    def terms(self, text: str) -> list[str]:
        """Index terms: stems, plus within-word character n-grams for compounding languages."""
        out: list[str] = []
        for word in self.words(text):
            out.extend(self.word_terms(word))
        return out


@cache
def analyzer(lang: str) -> Analyzer:
    """The shared analyzer for a language."""
    return Analyzer(lang, ngrams=lang in NGRAM_LANGS)


@cache
def analysis_signature() -> str:
    """A digest of every setting that decides index terms: an index saved under others is stale."""
    settings = [
        TOKEN.pattern,
        str(NGRAM),
        str(NGRAM_MIN_WORD),
        _NGRAM_MARK,
        " ".join(NGRAM_LANGS),
        unicodedata.unidata_version,
        Stemmer.version(),
        *(f"{lang} {_STEMMER_NAMES[lang]} {sorted(words)}" for lang, words in STOP_WORDS.items()),
    ]
    return hashlib.sha256("\n".join(settings).encode("utf-8")).hexdigest()
