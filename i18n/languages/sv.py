"""Swedish: everything the assistant knows that is specific to Swedish."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from i18n.languages.base import (
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
och att det som en ett är var vara varit blir bli blev har hade ha haft kan kunde kunna
ska skall skulle vill ville måste får fick bör borde inte icke ej ingen inget inga jag du
han hon vi ni de dem den dessa denna detta min mitt mina din ditt dina vår vårt våra er ert
era hans hennes deras sin sitt sina man mig dig oss sig på i av för till från med om utan
efter innan före mellan genom hos vid mot sedan inom enligt bland kring runt samt eller men
också även bara redan nu då när vart varför hur vad vilken vilket vilka vem vems där här så
sådan sådana alla allt några någon något många mycket mer mest flera fler varje annan annat
andra samma egen eget egna lite litet ja nej jo tack tacksam hej hallå hejsan tjena tjenare
hejdå snälla vänligen ursäkta förlåt visst kanske alltså dock ju väl nog fortfarande ännu
igen aldrig alltid ofta ibland både antingen varken eftersom därför fast trots medan tills
ifall huruvida hurudan hurdan finns fanns gäller gör göra gjorde gjort ger ge gav tar ta tog
går gå gick kommer komma kom vet veta visste tror tycker undrar behöver behövs krävs skulle
någonstans ingenstans nånting något ngn nåt mkt mvh godmorgon godkväll goddag morgon kväll
idag imorgon igår också ganska helt väldigt riktigt precis särskilt dessutom däremot
därefter därmed härmed hittills framåt bakåt uppe nere ute inne hit dit härifrån ned
betyder innebär funkar fungerar fungera olika såsom inklusive exempelvis respektive
gällande angående beträffande avseende synnerhet pga bl ge visa berätta förklara skicka
sök skriv översätt lista beskriv sammanfatta hjälp
"""

_COMMON = """
ansökan ansökningar ansökningen ansöka ansöker ansökt söka söker sökte sökt sökande
understöd understödet bidrag bidraget stöd stödet finansiering finansieringen
finansieringsgrad finansieringsandel medfinansiering självfinansiering utlysning utlysningen
utlysningar sista ansökningsdag ansökningstid ansökningstiden datum tidsfrist frist fristen
slutar stänger stängs öppnar öppnas öppen öppet öppna pengar kostnad kostnader kostnaderna
projekt projektet projekten projektets partnern partnerna partners samarbetspartner
organisation organisationen organisationer förening föreningen föreningar kommun kommunen
kommuner myndighet myndigheten myndigheter stat staten land landet länder medlemsstat
medlemsstater medlemsländer tredjeland tredjeländer tredjelandsmedborgare offer offren
människohandel integrationen migrationen asyl asylsökande fond fonden fonder mål målet
målen åtgärd åtgärden åtgärder verksamhet verksamheten villkor villkoren krav kraven
kriterier berättigad berättigade stödberättigad stödberättigande bidragsberättigad dansk
danska svensk svenska finsk finska tysk tyska estnisk engelska företag företaget ideell
ideella privat privata offentlig offentliga få procent andel belopp beloppet summa
miljoner år månader månad vecka veckor dagar kontakt kontakta kontaktuppgifter handläggare
beslut beslutet beviljas beviljades beviljat beviljade rapport rapporten rapportering
redovisning utbetalning utbetalningen förskott avtal avtalet blankett blanketten bilagor
bilaga dokument tillåtet tillåtna möjligt möjlighet kvinnor barn barnen flyktingar
invandrare mottagande vidarebosättning återvändande språk kurs kurser utbildning bostad
boende arbete jobb hälsa hjälp fråga frågor svar anvisningar anvisning råd information
uppgifter skicka skickar lämna lämnar fylla godkänns godkänd godkänt avslag avslås
bedömning bedöms poäng urval väljs nästa förra första senast tidigast hösten våren
sommaren vintern januari februari mars april maj juni juli augusti oktober november
december elektroniskt tjänsten systemet webbplats sidan länk hitta hittar förstå förklara
skillnaden kolla kontrollera börja början slut slutet lång kort liten stor högsta lägsta
största minsta betala betalar betalas betalning löner lön lönekostnader resekostnader
moms skatt revision bokföring ensamkommande familjer personer människor utnyttjande
förebyggande medvetenhet identifiering bistånd återintegrering omplacering solidaritet
förvaltning förfaranden kapacitet utveckla utveckling laglig irreguljär återtagande
gemensamma europeiska unionen kommissionen tematiska särskilda särskilt direkt indirekt
inloggning konto ladda e-post telefon kontoret resultat resultaten meddelas tillsammans
ensam ansvarig sökanden stödmottagare samarbete arbetsprogram arbetsprogrammet
regler reglerna mall mallen förklaring tack så mycket fond finansieras finansierat
"""

_WEAK = """
budget partner total portal team info program integration migration
organisation minimum maximum region euro projekt information situation konsortium
"""

_EVERYDAY = """
arbeta arbetar arbetade jobbar hjälpa hjälper hjälpte frågar frågade svara svarar svarade
skriva skriver skrev läsa läser läste säga säger sade sa tala talar prata pratar pratade
förstod hålla håller höll ligga ligger låg sitta sitter satt stå står stod sätta sätter
satte ställa ställer ställde lägga lägger lade visa visar visade använda använder använde
börjar började sluta slutade fortsätta fortsätter tänka tänker tänkte känna känner kände
tycka tyckte hoppas hoppades försöka försöker försökte leta letar letade vänta väntar
väntade ändra ändrar ändrade stänga spara sparar sparade ladda laddar laddade skickade
ringa ringer ringde mejla mejlade kolla kollar kollade välja väljer valde bestämma bestämmer
bestämde betyda betyder betydde innebär anmäla anmälan registrera registrerad logga
inloggad uppdatera uppdaterad radera ändring ändringar fel felet felaktig felaktigt rätt
rätta riktig korrekt viktig viktigt viktiga enkel enkelt svår svårt lätt snabb snabbt
långsam långsamt ny nytt nya gammal gammalt gamla ung unga bra bättre bäst dålig dåligt
sämre sämst stort stora större störst små mindre minst långt långa kortare högt höga lågt
låga fullt tomt klar klart färdig färdigt möjlig omöjlig nödvändig nödvändigt tillgänglig
tillgängliga aktuell aktuella gratis dyr dyrt billig billigt hel helt hela halv halvt
tredje fjärde femte två tre fyra fem sju åtta nio tio tjugo hundra tusen ord ordet mening
meningen texten sida sidan filen filer mapp mappen bilden listan tabell tabellen knapp
knappen fönster fönstret menyn inställningar inställning språket franska ryska arabiska
somaliska persiska människa person personen barnet vuxen vuxna familj familjen vän
vänner granne grannar kollega kolleger kollegor chef chefen styrelse styrelsen medlem
medlemmar ordförande sekreterare kassör volontär volontärer personal personalen anställd
anställda anställning arbetsplats skola elev elever studerande studier högskola sjukhus
läkare vård vården hemma huset lägenhet lägenheten stad staden byn gata gatan väg vägen
resa resor resan bilen buss bussen tåg tåget flyg flyget kronor pris priset kostar kostade
betalade köpa köper köpte sälja säljer sålde tid tiden timme timmar minut minuter dagen
veckan månaden året förmiddag eftermiddag natt måndag tisdag onsdag torsdag fredag lördag
söndag sommar höst vinter vädret regn snö kallt varmt sak saker sätt sättet del delen
plats platsen exempel orsak idé plan planen val alternativ begäran brev meddelande
meddelanden namn efternamn kontor kontoret chefer lag lagen rättigheter domstol polis
tjänst tjänster socialt fullmäktige regeringen ministeriet minister huvud världen europa
sverige finland danmark norge estland tyskland frankrike bryssel helsingfors förklara
hända händer hände anländer tillåta tillåter kunde klarar tillräckligt allting vanligt
vanligtvis enkla tydligt exakt problemet frågan svaret stället tiden saken starta startar
"""

_FORMS = """
ansökningarna ansökningsomgången ansökningsblanketten utlysningens projektens
organisationerna föreningarnas kommunernas myndigheternas medlemsstaternas
integrationsfonden migrationsverket flyktingarnas barnens kvinnornas stödtjänster
understöden bidragen finansieringens medfinansieringen kostnadernas personalkostnaderna
schablonbelopp klumpsumma förskottsbetalning slutrapporten mellanrapporten bokföringen
avtalen besluten bedömningen urvalet beviljandet sökbar sökbara ansökningsomgång
anvisningarna frågorna svaren hjälpen informationen kontaktpersonen e-posten
telefonnumret skickade lämnade fyllde godkände avslog utbildningen utbildningar
arbetsgivare arbetstagare arbetslöshet bostäder bostaden hälsovård sjukvård skolan
skolor eleverna lärare språket språkkurser kunskaper färdigheter möjligheter
förutsättningar samhället samhällsorientering tjänster tjänsterna verksamheter
genomförandeplan genomförandet materialbanken nyheten nyheter utgivningsdatum
sammanlagt sammanställd upprättar beskrivningar exempel följande förstärker regional
lokal nivå klienter utsatt ställning undantag operativt omfattar dessutom särskilda
ansökningar lämnas specifika hösten våren veckan månaden året åren dagen dagarna
människorna personerna familjerna ungdomar ungdomarna äldre vuxna kvinnorna männen
betydelse betydande självständig självständigt tillsammans samverkan samarbetet
förhandsbesked återkrav ändringsansökan förlängning förlänga förlängd förlängas
skyldigheter rättigheter ersättning ersättningen ersättas kvitton verifikat underlag
förfrågan förfrågningar kontaktade rådgivning vägledning handledning handläggningstid
behandlas behandlingen inkommit inkomna senaste tidigare kommande pågående avslutade
"""

_STOP_WORDS = words(
    """
alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig
din dina ditt du där då efter ej eller en er era ert ett från för ha hade han hans har
hej henne hennes hon honom hur här i icke ingen inom inte jag ju kan kunde man med
mellan men mig min mina mitt mot mycket ni nu när någon något några och om oss på
samma sedan sig sin sina sitt själv skulle som så sådan sådana till under upp ut utan
vad var vara varför varit varje vars vart vem vi vid vilka vilken vilket vår våra vårt
än är åt över tack snälla kanske få får fick vill ska skall bara också mer mest finns
hos ens
"""
)

# Words at home in other languages too, with the weight they carry for Swedish (see
# DetectorFeatures.shared_words): "en" is the Swedish article, "ja" Swedish "yes".
_SHARED = {
    "en": _F,
    "i": _F * 2 / 3,
    "men": _F,
    "till": _F,
    "under": _F / 2,
    "in": _F / 2,
    "visa": _F / 2,
    "man": _F,
    "sen": _F / 2,
    "se": _F / 4,
    "ja": _F * 5 / 6,
    "jo": _F / 2,
    "all": _F / 2,
    "just": _F / 2,
    "by": 0.15 * _F,
    "is": 0.15 * _F,
    "hem": _F / 2,
}
_ENDINGS = (
    "ningen", "ningar", "ningarna", "heten", "heter", "ande", "ende", "erna", "arna",
    "orna", "igt", "liga", "skap", "tionen", "tioner", "ndet", "ndes",
)  # fmt: skip
# -ning after a consonant (utbildning, upprepning); English has -rning, -nning, -ening.
_NOUN_ENDING = re.compile(r"[bdfgklmpstv]ning$")


def _spelling(word: str) -> float:
    """Swedish spelling: å, and the endings of its nouns and adjectives."""
    cue = 2.5 if "å" in word else 0.0
    if len(word) >= 5:
        if word.endswith(_ENDINGS):
            cue += 1.0
        if _NOUN_ENDING.search(word):
            cue += 1.0
    return cue


_UNITS = (
    "noll ett två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton sexton "
    "sjutton arton nitton"
)
_TENS = "tjugo trettio fyrtio femtio sextio sjuttio åttio nittio"

# --- the words of call documents, for extracting facts at ingest ---------------------------------

# What a number means is decided by the words around it (see DocumentWords); "before" words
# precede the value in its clause, "after" words follow it closely.
_DOCUMENT_CONTEXT: dict[str, tuple[str, ...]] = {
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
}
# Field labels of the operator's ingest report.
_REPORT_LABELS = {
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
}

_MONTHS = "januari februari mars april maj juni juli augusti september oktober november december"
_NUMBERS = "ett två tre fyra fem sex sju åtta nio tio"

DOCUMENTS = DocumentWords(
    context=_DOCUMENT_CONTEXT,
    months={name: i for i, name in enumerate(_MONTHS.split(), 1)},
    number_words={"en": 1} | {word: i for i, word in enumerate(_NUMBERS.split(), 1)},
    scales={
        "tusen": 10**3,
        "miljon": 10**6,
        "miljoner": 10**6,
        "milj.": 10**6,
        "milj": 10**6,
        "miljard": 10**9,
        "miljarder": 10**9,
    },
    currencies={"euro": "EUR", "kronor": "SEK", "kr": "SEK", "svenska kronor": "SEK"},
    units={"månader": 1, "månad": 1, "år": 12},
    zones={
        "bryssel-tid": "Europe/Brussels",
        "brysseltid": "Europe/Brussels",
        "finsk tid": "Europe/Helsinki",
        "finländsk tid": "Europe/Helsinki",
        "svensk tid": "Europe/Stockholm",
    },
    countries={
        "AT": ("Österrike",),
        "BE": ("Belgien",),
        "BG": ("Bulgarien",),
        "HR": ("Kroatien",),
        "CY": ("Cypern",),
        "CZ": ("Tjeckien",),
        "DK": ("Danmark",),
        "EE": ("Estland",),
        "FI": ("Finland",),
        "FR": ("Frankrike",),
        "DE": ("Tyskland",),
        "GR": ("Grekland",),
        "HU": ("Ungern",),
        "IE": ("Irland",),
        "IT": ("Italien",),
        "LV": ("Lettland",),
        "LT": ("Litauen",),
        "LU": ("Luxemburg*",),
        "MT": ("Malta*",),
        "NL": ("Nederländerna",),
        "PL": ("Polen",),
        "PT": ("Portugal",),
        "RO": ("Rumänien",),
        "SK": ("Slovakien",),
        "SI": ("Slovenien",),
        "ES": ("Spanien",),
        "SE": ("Sverige",),
    },
    report_labels=_REPORT_LABELS,
    skip_links=r"hoppa till (huvud)?innehåll",
    page="sida",
    page_of="av",
    generic_title_words=(
        "utlysning utlysningen ämne nationella asyl migrations integrations finlands hösten"
    ),
    list_and=("och",),
)

# --- how questions name calls, timing and comparisons ------------------------------------------

QUESTIONS = QuestionWords(
    call_words=r"utlysning\w*|ansökningsomgång\w*",
    national_call_words=r"utlysning\w*|ansökningsomgång\w*",
    timing=(
        r"\bfortfarande\b|\bär (den|utlysningen|ansökan) (öppen|stängd)\b|\bkvar\b|\bjust nu\b"
        r"|\bännu\b|\bredan (förbi|stängd|slut)|\bläget\b|\bhinner\b|\btar\b.*\bemot\b"
        r"|\bi nuläget\b|\bhur (länge|lång tid)\b.*\b(söka|ansöka|kvar|öppen)\b"
    ),
    comparison=r"jämför\w*|skillnad\w*|högre|lägre|större|mindre|tidigare|senare",
    follow_up=r"och|samt|hur är det med|än",
    seasons=r"höst\w*|vår\w*",
    before_call=r"nationell\w*",
    after_call="",
    country_adjectives={
        "FI": ("finsk",),
        "SE": ("svensk",),
        "EE": ("estnisk",),
        "DK": ("dansk",),
        "DE": ("tysk",),
    },
    other_funds=(
        r"horisont\w*|esr\+?|eruf|europeiska socialfonden\+?|regionala utvecklingsfonden"
        r"|kreativa europa|fonden för inre säkerhet"
    ),
    future_calls=r"\bnästa\b|\bkommande utlysning\w*",
    what_is=r"\bvad (är|betyder)\b|\bberätta om\b",
    listing=r"\bvilka\b.*\butlysningar\w*|\butlysningar\w*\b.*\böppna\b|\bnågra\b.*\butlysning\w*",
    objective_before=r"mål(?:et)?",
    name_words="fonden utlysning utlysningen förkortning",
    small_talk="hej hejsan tjena tack tackar hjälp",
)

PACK = LanguagePack(
    code="sv",
    name="Svenska",
    # Finland's Swedish: the national AMIF authority this assistant serves first is Finland's.
    locale="sv_FI",
    stemmer="swedish",
    stop_words=_STOP_WORDS,
    detector=DetectorFeatures(
        function_words=_FUNCTION,
        common_words=_COMMON,
        weak_words=_WEAK,
        everyday_words=_EVERYDAY,
        word_forms=_FORMS,
        shared_words=_SHARED,
        spelling_cue=_spelling,
        keyboard_folds={"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"},
    ),
    answers=AnswerWords(
        yes=words("ja japp jo jajamän"),
        no=words("nej nä nää nejdå"),
        unsure=("vet inte", "vet ej", "osäker", "ingen aning", "inte säker"),
        none=frozenset({"inga", "ingen", "inget", "inga av dessa", "ingen av dessa"}),
        also=words("och samt"),
        commands={
            "back": words("tillbaka bakåt ångra"),
            "restart": frozenset({"börja om", "starta om", "från början"}),
            "cancel": words("avbryt sluta"),
            "help": words("hjälp"),
            "done": frozenset({"klar", "klart", "färdig", "det var allt", "inga fler"}),
            "resume": frozenset({"fortsätt", "fortsätt kontrollen"}),
        },
        euro=words("euro"),
        other_currencies=words("kr kronor kronur"),
        thousand=words("tusen"),
        million=words("milj miljon miljoner miljonen"),
        approximately=words("cirka omkring ungefär"),
        months=words("mån månad månader mnd"),
        years=words("år"),
        units={"en": 1, "aderton": 18} | {w: i for i, w in enumerate(_UNITS.split())},
        tens={word: 20 + 10 * i for i, word in enumerate(_TENS.split())},
        halves={
            "ett halvt": Decimal("0.5"),
            "halvt": Decimal("0.5"),
            "ett halvår": Decimal("0.5"),
            "ett och ett halvt": Decimal("1.5"),
            "ett och halvt": Decimal("1.5"),
            "två och ett halvt": Decimal("2.5"),
        },
        country_fillers=words("i från"),
    ),
    chat=ChatWords(
        thanks=words("tack tackar tacksam tusen"),
        ack=words("ok okej bra toppen perfekt kanon fint jättebra"),
        filler=words("så mycket för hjälpen snällt då och igen super"),
        help=frozenset({"hjälp", "vad kan du", "vad kan du göra", "kommandon"}),
    ),
    time_zone="Europe/Helsinki",
    # Swedish is spoken on both sides of the Gulf of Bothnia: the language alone cannot say
    # the zone.
    asked_zones=("Europe/Helsinki", "Europe/Stockholm"),
    typed_names=words("svenska swedish ruotsi"),
    compound_ngrams=True,
    questions=QUESTIONS,
    documents=DOCUMENTS,
    aspects=_DATA / "aspects" / "sv.yaml",
    glossary=_DATA / "glossary" / "sv.yaml",
)
