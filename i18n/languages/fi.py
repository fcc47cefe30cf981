"""Finnish: everything the assistant knows that is specific to Finnish."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from i18n.languages.base import (
    COMMON_WEIGHT,
    FUNCTION_WEIGHT,
    AnswerWords,
    ChatWords,
    DetectorFeatures,
    DocumentWords,
    LanguagePack,
    QuestionWords,
    words,
)

_DATA = Path(__file__).resolve().parent.parent
_F = FUNCTION_WEIGHT

# --- the detector's word lists (see DetectorFeatures for the tiers) ----------------------------

_FUNCTION = """
ja tai sekä mutta vaan että kun jos koska vaikka kuin niin myös vain jo vielä ei en et
emme ette eivät on ovat oli olivat olla ole olen olet olemme olette ollut olleet olisi
olisivat minä mä sinä sä hän se me te he ne tämä tuo nämä nuo mikä mitä missä mistä mihin
millä mille miksi miten milloin kuka ketkä kenelle kenen kuinka paljonko montako kumpi
minkä minun sinun hänen meidän teidän heidän sen niiden tämän tässä tästä tähän siinä
siitä siihen täällä siellä nyt sitten aina usein joskus koskaan heti jälkeen ennen aikana
asti saakka kanssa ilman mukaan kautta varten vuoksi takia yli alle noin kaikki kaikkia
jokin joku mikään kukaan jokainen muu muut muita toinen sama oma oman omat paljon vähän
enemmän eniten hyvin hyvä kyllä kiitos kiitoksia kiitti hei moi moikka moro terve
huomenta päivää iltaa anteeksi voi voiko voin voimme voivat voisi voisin voisimme saa saako
saan saada saadaan pitää pitääkö täytyy tarvitsee onko oliko onks voiks mikäli eli siis
kuitenkin esim jne vai kuten joka jotka jonka joiden jossa josta johon mitkä jolla joilla
minulla meillä teillä sinulla hänellä heillä minulle meille teille minua meitä teitä
mitään mistään missään jotain jotakin joitain tosi ihan aika vielä enää juuri melkein
lähes ehkä varmaan tietysti tietenkin kyllä joo jees okei selvä nähdään hyvää kiva
tiedän tiedä tiedätkö haluan haluaisin haluamme haluaisimme tarvitsen tarvitsemme
ymmärrä ymmärrän kysyä kysymys kysyisin kertoa kerro kerrotteko voitteko voisitteko
tarkoittaa tarkoittaako tarkoitetaan toimii toimiiko anna näytä auta selitä lähetä etsi
kirjoita käännä listaa kuvaile tiivistä
"""

_COMMON = """
haku haun haussa hakuaika hakuajan hakemus hakemuksen hakemukset hakemuksia hakea haen
haemme hakija hakijat hakijan hakijana hakijoita määräaika määräpäivä päättyy päättyykö
päättyi alkaa alkaako avautuu aukeaa sulkeutuu auki rahoitus rahoitusta rahoituksen
rahoitusosuus omarahoitus omarahoitusosuus avustus avustusta avustuksen avustukset tuki
tukea tukia tuen raha rahaa rahat rahoja kustannus kustannukset kustannuksia kulut kuluja
budjetti budjetin budjettia hanke hankkeen hankkeet hankkeita hankkeessa projekti
projektin projektia kumppani kumppanit kumppaneita kumppania järjestö järjestöt järjestön
järjestöjä yhdistys yhdistyksen yhdistykset kunta kunnat kunnan kaupunki kaupungin
viranomainen viranomaiset valtio maa maat maan maista jäsenvaltio jäsenvaltiot
jäsenvaltioista kolmas kolmannen kolmansien kansalainen kansalaiset kansalaisten uhri uhrit
uhrien ihmiskauppa ihmiskaupan kotoutuminen kotoutumisen kotouttaminen maahanmuutto
maahanmuuton turvapaikka turvapaikan rahasto rahaston tavoite tavoitteet toimenpide
toimenpiteet toimenpiteitä toiminta toimintaa ehdot ehtoja vaatimukset vaatimuksia
kriteerit tukikelpoinen tukikelpoiset tukikelpoisia tukikelpoisuus kelpoinen tanskalainen
ruotsalainen suomalainen saksalainen virolainen yritys yritykset yksityinen julkinen
prosentti prosenttia osuus summa miljoonaa euroa vuosi vuotta kuukausi kuukautta viikko
päivä päivät yhteystiedot yhteyshenkilö päätös päätöksen myönnetään myönnetty myönnettiin
raportti raportointi maksatus ennakko ennakkomaksu sopimus sopimuksen lomake lomakkeen
liite liitteet asiakirjat vaaditaan tarvitaan koskee sallittu sallitaan mahdollista naiset
lapset lasten pakolaiset maahanmuuttajat vastaanotto uudelleensijoittaminen paluu kieli
kurssi koulutus asunto työ työpaikka terveys apua ohjeet ohjeita neuvoa tietoa lisätietoja
yhteyttä sähköposti puhelin soittaa lähettää lähetetään jättää täyttää hyväksytään
hyväksytty hylätty arvioidaan arviointi pisteet valinta valitaan seuraava edellinen
ensimmäinen viimeinen viimeistään syksyllä keväällä kesällä talvella tammikuu helmikuu
maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu lokakuu marraskuu joulukuu
sähköisesti verkossa palvelu palvelussa järjestelmä järjestelmässä suomeksi ruotsiksi
englanniksi sivu sivulta linkki löydän löytyy ymmärtää selittää ero tarkistaa aloittaa
alku loppu pitkä lyhyt pieni suuri suurin pienin maksaa maksetaan palkka palkat
henkilöstökulut matkakulut arvonlisävero vero tilintarkastus kirjanpito perheet ihmiset
henkilöt hyväksikäyttö ehkäisy tietoisuus tunnistaminen avustaminen yhteisvastuu hallinto
hallinnointi menettelyt valmiudet kehittäminen laillinen yhteinen eurooppalainen unioni
komissio temaattinen erityinen suora välillinen kirjautuminen tili ladata toimisto tulokset
julkaistaan yhdessä yksin vastuullinen tuensaaja yhteistyö työohjelma säännöt malli pohja
"""

_WEAK = """
info projekti budjetti portaali tiimi ok okei
"""

_EVERYDAY = """
tehdä teen tekee teki tehnyt tehty auttaa autan auttoi kysyn kysyi vastata vastaa vastasi
kirjoittaa kirjoitan kirjoitti lukea luen lukee luki sanoa sanon sanoi sanoo puhua puhun
puhuu puhui ymmärsi löytää löysin löytyi pidän piti istua seistä laittaa näyttää käyttää
käytän käytti aloitan aloitti lopettaa jatkaa jatkan jatkuu ajatella ajattelen ajatteli
tuntea tunnen tunsi luulla luulen luuli toivoa toivon toivottavasti yrittää yritän yritti
etsiä etsin etsii odottaa odotan odotti muuttaa muutan muutti avata avaan avasi sulkea
suljen tallentaa lähetin lähetti soitin soitti valita valitsen valitsi päätin päätti
tarkoittaa merkitsee ilmoittaa ilmoitin ilmoittautua rekisteröityä kirjautua päivittää
poistaa lisätä muutos muutokset virhe virheen väärin väärä oikein oikea tärkeä tärkeää
helppo helposti vaikea vaikeaa nopea nopeasti hidas uusi uuden uudet vanha vanhat nuori
parempi paras huono huonompi iso isompi suurempi pienempi pidempi korkea matala täynnä
tyhjä valmis mahdoton tarpeellinen saatavilla ajankohtainen ilmainen kallis halpa koko
puoli toinen neljäs viides yksi kaksi kolme neljä viisi kuusi seitsemän kahdeksan yhdeksän
kymmenen sata tuhat sana lause teksti tiedosto kansio kuva lista taulukko painike ikkuna
valikko asetukset suomi ruotsi englanti saksa ranska venäjä arabia ihminen henkilö lapsi
aikuinen perhe ystävä ystävät naapuri kollega esihenkilö pomo jäsen jäsenet puheenjohtaja
sihteeri rahastonhoitaja vapaaehtoinen vapaaehtoiset henkilöstö työntekijä työntekijät
työsuhde koulu opettaja oppilas opiskelija opinnot yliopisto ammattikorkeakoulu sairaala
lääkäri hoito koti kotona talo kylä katu matka matkat bussi juna lento hinta ostaa ostin
myydä myi tunti tuntia minuutti sekunti eilen tänään huomenna aamu aamupäivä iltapäivä
ilta yö maanantai tiistai keskiviikko torstai perjantai lauantai sunnuntai kevät kesä
syksy talvi sää aurinko sade lumi kylmä lämmin asia asiat asiaa tapa tavalla osa paikka
esimerkki syy idea suunnitelma vaihtoehto pyyntö kirje viesti viestit nimi sukunimi
toimisto tiimi johtaja laki lait oikeus tuomioistuin poliisi palvelu sosiaalinen
valtuusto valtioneuvosto ministeriö ministeri virasto maailma eurooppa ruotsi suomi
tanska norja viro saksa ranska bryssel helsinki tukholma selittää tapahtuu tapahtui saapuu
saapui sallia sallii pystyy riittää riittävästi kaikki tavallisesti yksinkertainen
selvästi tarkalleen ongelma ongelmia kysymykseen vastaukseen
"""

_FORMS = """
hankkeessa hankkeen hankkeelle hankkeesta hankkeisiin hakemuksessa hakemukseen
rahoituksesta rahoitukseen kustannuksista kustannuksiin järjestöille järjestöiltä
kunnille kaupungeille kaupungissa yhdistyksille yhdistyksessä jäsenvaltioiden
kolmansista maiden kansalaisille kotoutumista kotoutumiseen turvapaikanhakijoiden
turvapaikanhakijat pakolaisten naisten uhreille auttaminen auttamiseen tukeminen
ehkäiseminen tiedottaminen koulutuksen koulutukseen työllisyyden asumisen
terveydenhuollon palvelut palveluja palveluiden päätöksestä allekirjoittaminen
allekirjoitetaan maksatushakemus loppuraportti väliraportti henkilöstökulut matkakulut
välilliset välittömät kertakorvaus kiinteämääräinen yhteisrahoitus osarahoitus
enimmäismäärä vähimmäismäärä kesto vuoden vuodessa lokakuussa syyskuussa joulukuussa
tammikuussa lomakkeella liitteenä kysyttävää vastaus vastauksen lähetetty toimitetaan
hakukierros hakuilmoitus määräajassa haettavissa haettava myönnettävä myöntää
myöntämisen toteuttaminen toteutetaan toteutuksen kohderyhmä kohderyhmät kohderyhmään
yhteistyössä yhteistyökumppani yhteistyökumppanit kansainvälinen kansallinen alueellinen
paikallinen paikallisesti kunnallinen valtakunnallinen ministeriö ministeriön
sisäministeriö vastuuviranomainen hallintoviranomainen tarkoitettu tarkoitus tarkoituksena
edellytykset edellyttää edellytetään vähintään enintään yhteensä kokonaiskustannukset
kokonaisbudjetti tukiprosentti tuensaajan tuensaajat raportoida raportoidaan seuranta
seurantaa arvioinnin arvioinnissa valintaperusteet painopisteet painopiste erityistavoite
erityistavoitteet toteutussuunnitelma aineistopankki uutinen uutiset julkaisupäivä
yhteensä koottu tietoa vinkkejä laatia laadit hyvän kuvauksia esimerkkejä seuraavat
vahvistavat alueellisella paikallisella tasolla asiakkaat haavoittuvassa asemassa
poikkeuksena operatiivinen kattaa lisäksi erityiset hakemukset jätetään tietyt syksyn
kevään viikon kuukauden vuoden päivän ihmisten henkilöiden perheiden nuoret nuorten
vanhukset aikuiset miehet merkitys merkittävä itsenäinen itsenäisesti ennakkotieto
takaisinperintä muutoshakemus jatkoaika pidentää pidennetty velvollisuudet oikeudet
korvaus korvauksen korvataan kuitit tositteet selvitys tiedustelu tiedustelut ottanut
neuvonta ohjaus käsittelyaika käsitellään käsittelyssä saapunut saapuneet viimeisin
aiemmin tulevat käynnissä päättyneet päättyneen päätyttyä hyväksyttäviä hyväksyttävät
kiitoksia tanskalaisen ruotsalaisen suomalaisen tampereella helsingissä turussa oulussa
"""

_STOP_WORDS = words(
    """
ja on ei se että oli ole olla ollut olen olet olemme olette ovat mikä mitä miksi mihin
missä mistä milloin miten kuinka kuka ketkä kenen keneltä kenelle minä sinä hän me te
he tämä tuo nämä nuo joka jotka jonka joita jos kun kuin mutta tai vai eli myös vain
sekä niin nyt vielä jo siis sen sitä siitä siihen sille siinä niitä niiden näitä
näiden noita minun sinun hänen meidän teidän heidän minulle sinulle meille teille
minua sinua meitä teitä voi voiko voin voimme voivat pitää pitäisi täytyy kanssa ennen
jälkeen yli alle ilman kautta mukaan hei moi kiitos kiitti saa saako saada saadaan
onko ovatko oliko olisi olisiko paljonko montako mikälie mm eikö mitkä millainen
millaisia minkä mille
"""
)

# Words at home in other languages too, with the weight they carry for Finnish (see
# DetectorFeatures.shared_words): "en" is also Finnish "I don't", "ja" Finnish "and".
_SHARED = {
    "en": _F / 2,
    "vain": _F,
    "sen": _F,
    "se": _F,
    "ja": _F,
    "jo": _F,
    "on": _F,
    "me": _F * 2 / 3,
    "he": _F / 2,
    "aika": COMMON_WEIGHT,
    "no": _F / 4,
}
_ENDINGS = (
    "ssa", "ssä", "sta", "stä", "lla", "llä", "lle", "lta", "ltä", "ksi", "nsa", "nsä",
    "nen", "isen", "iset", "ista", "istä", "tään", "taan", "mme", "tte", "vat", "vät",
    "iin", "ihin", "seen", "hin",
)  # fmt: skip
_QUESTION_ENDINGS = ("ko", "kö", "kos", "kös", "ks")
_DOUBLE_VOWEL = re.compile("aa|ää|ii|uu|yy|öö")
_NOT_FINNISH_LETTERS = frozenset("bcfqwxzå")


def _spelling(word: str) -> float:
    """Finnish spelling: double vowels, case and question endings; no b, c, f, q, w, x, z, å."""
    cue = 0.0
    if not _NOT_FINNISH_LETTERS.isdisjoint(word):
        cue -= 1.0
    if _DOUBLE_VOWEL.search(word):
        cue += 1.0
    if len(word) >= 5 and word.endswith(_ENDINGS):
        cue += 1.0
    if len(word) >= 4 and word.endswith(_QUESTION_ENDINGS):
        cue += 1.0
    return cue


# Finnish builds 11-19 as unit + "toista" and tens as unit + "kymmentä".
_DIGIT_WORDS = "yksi kaksi kolme neljä viisi kuusi seitsemän kahdeksan yhdeksän"
_DIGITS = {word: value for value, word in enumerate(_DIGIT_WORDS.split(), 1)}


def _number_word(word: str) -> int | None:
    """'kaksitoista' -> 12, 'kaksikymmentäneljä' -> 24, 'kolmekymmentä' -> 30."""
    if word.endswith("toista") and word.removesuffix("toista") in _DIGITS:
        return 10 + _DIGITS[word.removesuffix("toista")]
    for unit_word, unit in _DIGITS.items():
        if word.startswith(unit_word + "kymmentä"):
            rest = word.removeprefix(unit_word + "kymmentä")
            if not rest:
                return unit * 10
            ones = _DIGITS.get(rest)
            return unit * 10 + ones if ones is not None else None
    return None


# --- the words of call documents, for extracting facts at ingest ---------------------------------

# What a number means is decided by the words around it (see DocumentWords); "before" words
# precede the value in its clause, "after" words follow it closely.
_DOCUMENT_CONTEXT: dict[str, tuple[str, ...]] = {
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
}
# Field labels of the operator's ingest report.
_REPORT_LABELS = {
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
}

_MONTHS = (
    "tammikuu helmikuu maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu lokakuu "
    "marraskuu joulukuu"
)
# Counts in the nominative, genitive, elative ("kahdesta") and illative ("kahteen").
_NUMBERS = {
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

DOCUMENTS = DocumentWords(
    context=_DOCUMENT_CONTEXT,
    # Finnish dates take the partitive ("16. syyskuuta"); the bare name is accepted too.
    months={
        **{name + "ta": i for i, name in enumerate(_MONTHS.split(), 1)},
        **{name: i for i, name in enumerate(_MONTHS.split(), 1)},
    },
    number_words=_NUMBERS,
    scales={
        "tuhatta": 10**3,
        "milj.": 10**6,
        "milj": 10**6,
        "miljoonaa": 10**6,
        "miljoona": 10**6,
        "miljoonaan": 10**6,
        "miljoonasta": 10**6,
        "miljoonan": 10**6,
        "miljardia": 10**9,
        "miljardi": 10**9,
    },
    currencies={
        "euroa": "EUR",
        "eurosta": "EUR",
        "euroon": "EUR",
        "euron": "EUR",
        "kruunua": "SEK",
    },
    units={
        "kuukautta": 1,
        "kuukauden": 1,
        "kuukausi": 1,
        "kk": 1,
        "vuotta": 12,
        "vuoden": 12,
        "vuosi": 12,
    },
    zones={
        "brysselin aikaa": "Europe/Brussels",
        "keski-euroopan aikaa": "Europe/Brussels",
        "suomen aikaa": "Europe/Helsinki",
        "ruotsin aikaa": "Europe/Stockholm",
    },
    # Stems: Finnish inflects country names ("Ruotsissa", "Viron").
    countries={
        "AT": ("Itäval*",),
        "BE": ("Belgia*",),
        "BG": ("Bulgaria*",),
        "HR": ("Kroatia*",),
        "CY": ("Kypro*",),
        "CZ": ("Tšek*", "Tsek*"),
        "DK": ("Tansk*",),
        "EE": ("Viro*", "Viron"),
        "FI": ("Suome*", "Suomi"),
        "FR": ("Ransk*",),
        "DE": ("Saksa*",),
        "GR": ("Kreik*",),
        "HU": ("Unkar*",),
        "IE": ("Irla*",),
        "IT": ("Itali*",),
        "LV": ("Latvi*",),
        "LT": ("Liettu*",),
        "LU": ("Luxemburg*",),
        "MT": ("Malta*",),
        "NL": ("Alankom*",),
        "PL": ("Puola*",),
        "PT": ("Portugali*",),
        "RO": ("Romania*",),
        "SK": ("Slovakia*",),
        "SI": ("Slovenia*",),
        "ES": ("Espanj*",),
        "SE": ("Ruotsi*", "Ruotsin"),
    },
    report_labels=_REPORT_LABELS,
    skip_links=r"siirry (suoraan )?(sisältöön|pääsisältöön)",
    page="sivu",
    generic_title_words=(
        "haku haun aihe kansallinen turvapaikka maahanmuutto kotouttamisrahasto suomen syksyllä"
        " syksyn"
    ),
    list_and=("ja", "sekä"),
)

# --- how questions name calls, timing and comparisons ------------------------------------------

QUESTIONS = QuestionWords(
    call_words=r"haku|haun|haussa|hakuun|hakukierro\w*",
    national_call_words=r"haku\w*|haun|haussa|hakuun",
    timing=(
        r"\bonko\b.*\bauki\b|\bvielä\b|\bjäljellä\b|\bkuinka (kauan|monta päivää)\b"
        r"|\baikaa\b.*\bhakea\b|\bnyt\b|\btällä hetkellä\b|\behti\w*|\behdi\w*|\btilanne\w*"
        r"|\bkäynnissä\b|\bauki\b"
    ),
    comparison=(
        r"vertaa\w*|vertailu\w*|ero|eroa|erot|eroaa|suurempi|pienempi|korkeampi|matalampi"
        r"|aiemmin|myöhemmin|aikaisemmin"
    ),
    follow_up=r"entä|ja|mites|entäs|kuin",
    seasons=r"syksy\w*|kevä\w*",
    before_call=r"kansallis\w*",
    after_call="",
    other_funds=(
        r"eakr|euroopan sosiaalirahasto\+?|aluekehitysrahasto\w*|luova eurooppa"
        r"|sisäisen turvallisuuden rahasto\w*"
    ),
    future_calls=r"\bensi vuo\w*|\bseuraava\w*|\btuleva\w* haku\w*",
    what_is=r"\bmikä (on|ovat)\b|\bmitä (on|tarkoittaa)\b|\bkerro\b",
    listing=r"\bmit(kä|ä)\b.*\bhau?(t|ja)\b|\bhau?(t|ja)\b.*\bauki\b|\bonko\b.*\bhakuja\b",
    objective_before=r"tavoit\w*",
    name_words="rahasto haku haun lyhenne",
    small_talk="hei moi moikka terve huomenta kiitos kiitti apua",
)

PACK = LanguagePack(
    code="fi",
    name="Suomi",
    locale="fi_FI",
    stemmer="finnish",
    stop_words=_STOP_WORDS,
    detector=DetectorFeatures(
        function_words=_FUNCTION,
        common_words=_COMMON,
        weak_words=_WEAK,
        everyday_words=_EVERYDAY,
        word_forms=_FORMS,
        shared_words=_SHARED,
        spelling_cue=_spelling,
        keyboard_folds={"ä": "a", "ö": "o"},
    ),
    answers=AnswerWords(
        yes=words("kyllä kylla kyl joo juu jep k"),
        no=words("ei eipä e"),
        unsure=("en tiedä", "ei tiedossa", "epävarma", "en ole varma", "en osaa sanoa", "eos"),
        none=frozenset(
            {"ei mikään", "ei mitään", "ei yhtään", "ei mikään näistä", "ei kumpikaan"}
        ),
        also=words("ja sekä"),
        commands={
            "back": frozenset({"takaisin", "edellinen", "peru edellinen"}),
            "restart": frozenset({"aloita alusta", "alusta", "aloita uudelleen"}),
            "cancel": words("peruuta lopeta keskeytä"),
            "help": words("apua ohje"),
            "done": frozenset({"valmis", "siinä kaikki", "ei muita", "ei enempää"}),
            "resume": frozenset({"jatka", "jatka tarkistusta", "jatketaan"}),
        },
        euro=words("euroa euron"),
        other_currencies=words("kruunua dollaria"),
        thousand=words("t tuhat tuhatta ke"),
        million=words("miljoona miljoonaa"),
        approximately=words("noin n"),
        months=words("kk kuukausi kuukautta kuukauden kuukaudeksi"),
        years=words("v vuosi vuotta vuoden vuodeksi"),
        units={"nolla": 0, "yhden": 1, "kahden": 2, "kolmen": 3, "neljän": 4, "viiden": 5}
        | {"kuuden": 6, "kymmenen": 10}
        | _DIGITS,
        tens={},
        halves={
            "puoli": Decimal("0.5"),
            "puolitoista": Decimal("1.5"),
            "kaksi ja puoli": Decimal("2.5"),
        },
        number_word=_number_word,
    ),
    chat=ChatWords(
        thanks=words("kiitos kiitti kiitoksia kiitokset kiitän kiitoksii"),
        ack=words("ok okei selvä hyvä hienoa kiva jees mahtavaa"),
        filler=words("paljon tosi avusta oikein kovasti ja taas sulle"),
        help=frozenset({"apua", "ohje", "ohjeet", "mitä osaat", "mitä osaat tehdä", "komennot"}),
    ),
    # The national authority this assistant serves first is Finland's.
    time_zone="Europe/Helsinki",
    typed_names=words("suomi finnish finska"),
    compound_ngrams=True,
    questions=QUESTIONS,
    documents=DOCUMENTS,
    aspects=_DATA / "aspects" / "fi.yaml",
    glossary=_DATA / "glossary" / "fi.yaml",
)
