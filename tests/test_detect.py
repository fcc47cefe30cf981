"""Language detection on the short, mixed questions applicants send to the bot."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from i18n.detect import LANGS, detect_language

SWEDISH_PARAGRAPH = (
    "Hej! Vår förening driver skyddade boenden i Åbo och Vasa. Styrelsen vill veta om fonden "
    "kan betala för tolkar och för psykologiskt stöd, och hur rapporteringen går till när "
    "avtalet väl har undertecknats."
)

# (expected language, message). Messages are what applicants type: greetings, fragments,
# questions with call codes and names in them, and longer paragraphs.
LABELLED: tuple[tuple[str, str], ...] = (
    # English, 1-4 words
    ("en", "AMIF deadline?"),
    ("en", "thanks"),
    ("en", "Thank you!"),
    ("en", "hello"),
    ("en", "hi there"),
    ("en", "What is AMIF?"),
    ("en", "funding rate?"),
    ("en", "Who can apply?"),
    ("en", "deadline for THB call"),
    ("en", "How much money?"),
    ("en", "eligible countries"),
    ("en", "is it open?"),
    ("en", "when does it close"),
    ("en", "Can NGOs apply?"),
    ("en", "minimum grant size?"),
    ("en", "partners needed?"),
    ("en", "What about lump sums?"),
    ("en", "help"),
    ("en", "co-financing rate"),
    ("en", "WHAT IS THE DEADLINE?"),
    # English, longer
    ("en", "Can a Danish organisation apply for the AMIF call on trafficking?"),
    ("en", "What is the maximum EU contribution for a project?"),
    ("en", "Do we need partners from other member states to submit a proposal?"),
    ("en", "How long can the project last?"),
    ("en", "I want to know when the next call for proposals opens."),
    ("en", "Is a local authority in Finland eligible to be the coordinator?"),
    ("en", "Which costs are covered by the grant and which are not?"),
    ("en", "Where do I submit the application and what documents are required?"),
    ("en", "We are a small NGO working with refugees, can we get support?"),
    ("en", "my organisation is based in Sweden, are we eligible"),
    ("en", "what happens if my proposal arrives a day after the deadline?"),
    ("en", "Our partner Migrationsverket asked whether AMIF-2024-TF2-AG-THB is still open."),
    (
        "en",
        "Hello! We run shelters for women who escaped labour exploitation in Tampere and "
        "Turku. Our board would like to know whether the Asylum, Migration and Integration "
        "Fund could pay for psychological support and for interpreters, and how the reporting "
        "works once the grant agreement has been signed.",
    ),
    # Swedish, 1-4 words
    ("sv", "hej"),
    ("sv", "tack"),
    ("sv", "Tack så mycket!"),
    ("sv", "Vad är AMIF?"),
    ("sv", "hej hej"),
    ("sv", "Vem kan söka?"),
    ("sv", "sista ansökningsdag?"),
    ("sv", "finansieringsgrad"),
    ("sv", "Hur mycket?"),
    ("sv", "Hur söker man?"),
    ("sv", "när stänger utlysningen"),
    ("sv", "understöd för föreningar"),
    ("sv", "tjena"),
    ("sv", "kan kommuner söka?"),
    ("sv", "Finns det krav?"),
    ("sv", "medfinansiering?"),
    ("sv", "ansökan AMIF"),
    ("sv", "behövs partner?"),
    ("sv", "vilka länder?"),
    ("sv", "Kan en dansk organisation söka?"),
    # Swedish, longer
    ("sv", "Hur mycket pengar kan man få?"),
    ("sv", "Vi är en liten förening i Helsingfors och undrar om vi kan ansöka om understöd."),
    ("sv", "När öppnar nästa utlysning och hur lång tid har man på sig?"),
    ("sv", "Måste projektet ha partner från andra medlemsstater?"),
    ("sv", "Vilka kostnader räknas som stödberättigande?"),
    ("sv", "Kan jag skicka in ansökan på svenska eller måste den vara på finska?"),
    ("sv", "Jag har fått ett beslut men förstår inte villkoren"),
    ("sv", "Hur stor andel av budgeten betalar EU?"),
    ("sv", "Var hittar jag blanketterna för AMIF-utlysningen?"),
    ("sv", "Hurudan rapportering krävs efter att projektet är slut?"),
    ("sv", "hur mycket kan vi fa, vad ar sista dagen"),
    ("sv", "Gäller fristen för AMIF-2024-TF2-AG-THB även kommunala aktörer i Vasa?"),
    ("sv", SWEDISH_PARAGRAPH),
    # Finnish, 1-4 words
    ("fi", "moi"),
    ("fi", "hei"),
    ("fi", "kiitos"),
    ("fi", "kiitti!"),
    ("fi", "mikä on AMIF?"),
    ("fi", "Paljonko rahaa voi saada?"),
    ("fi", "rahoitusosuus"),
    ("fi", "Milloin haku päättyy?"),
    ("fi", "kuka voi hakea"),
    ("fi", "hakuaika?"),
    ("fi", "onko haku auki"),
    ("fi", "tukikelpoiset kustannukset"),
    ("fi", "Voiko kunta hakea?"),
    ("fi", "huomenta"),
    ("fi", "tarvitaanko kumppaneita?"),
    ("fi", "hakemuksen liitteet"),
    ("fi", "avustuksen määrä"),
    ("fi", "omarahoitusosuus?"),
    ("fi", "Voiko tanskalainen järjestö hakea?"),
    ("fi", "Milloin Migrationsverketin haku päättyy?"),
    # Finnish, longer
    ("fi", "Olemme pieni yhdistys Tampereella ja haluaisimme hakea avustusta hankkeelle."),
    ("fi", "Pitääkö hankkeessa olla kumppaneita muista jäsenvaltioista?"),
    ("fi", "Kuinka pitkä hanke voi olla ja mitkä kulut hyväksytään?"),
    ("fi", "Mihin osoitteeseen hakemus lähetetään?"),
    ("fi", "Saako hakemuksen jättää englanniksi vai pitääkö sen olla suomeksi?"),
    ("fi", "Kenelle voin soittaa, jos minulla on kysyttävää rahoituksesta?"),
    ("fi", "Miten raportointi toimii hankkeen päätyttyä?"),
    ("fi", "Onko ihmiskaupan uhrien auttamiseen tarkoitettu haku vielä auki?"),
    ("fi", "mika on hakuaika"),
    ("fi", "paljonko tukea voi saada AMIF-2024-TF2-AG-THB haussa"),
    ("fi", "Onko Migrationsverket mukana Asylum, Migration and Integration Fund -hankkeissa?"),
    (
        "fi",
        "Hei! Yhdistyksemme ylläpitää turvakoteja Tampereella ja Turussa. Hallitus haluaisi "
        "tietää, voiko rahastosta maksaa tulkkauksen ja psykologisen tuen kuluja, ja miten "
        "raportointi etenee, kun avustussopimus on allekirjoitettu.",
    ),
)

# Messages with no language in them: codes, numbers, links, emoji, punctuation.
UNDECIDED: tuple[str, ...] = (
    "",
    "   ",
    "AMIF?",
    "AMIF-2024-TF2-AG-THB",
    "EU",
    "123",
    "?",
    "AMIF 2024",
    "THB TF2",
    "https://example.org/calls/amif",
    "info@example.org",
    "😀👍",
    "EU AMIF THB!!",
)


def test_table_has_enough_short_examples_per_language() -> None:
    """The table covers each language with at least 30 messages, half of them 1-4 words."""
    for lang in LANGS:
        texts = [text for label, text in LABELLED if label == lang]
        short = [text for text in texts if len(text.split()) <= 4]
        assert len(texts) >= 30
        assert len(short) >= len(texts) / 2


@pytest.mark.parametrize(("expected", "text"), LABELLED)
def test_labelled_message_is_detected(expected: str, text: str) -> None:
    """Each labelled message is detected as its language, as a decision rather than a default."""
    for default in LANGS:
        detection = detect_language(text, default=default)
        assert (detection.lang, detection.decided) == (expected, True)


@pytest.mark.parametrize("text", UNDECIDED)
@pytest.mark.parametrize("default", LANGS)
def test_message_without_words_falls_back_to_default(text: str, default: str) -> None:
    """Codes, numbers and links leave the choice to the default, flagged as undecided."""
    detection = detect_language(text, default=default)
    assert (detection.lang, detection.decided) == (default, False)
    assert detection.confidence < 0.5


def test_word_shared_by_english_and_swedish_is_undecided_or_english() -> None:
    """'budget' is English and Swedish: the default is kept undecided, or English is chosen."""
    for default in LANGS:
        detection = detect_language("budget", default=default)
        assert (detection.lang, detection.decided) in {(default, False), ("en", True)}


def test_empty_message_uses_default_and_is_undecided() -> None:
    """An empty message gives the default language with no decision and low confidence."""
    for default in LANGS:
        detection = detect_language("", default=default)
        assert detection.lang == default
        assert not detection.decided
        assert detection.confidence < 0.5


def test_confidence_grows_with_evidence() -> None:
    """A greeting is less certain than a question, and a question less than a paragraph."""
    one_word = detect_language("hej").confidence
    question = detect_language("Hur mycket pengar kan man få?").confidence
    paragraph = detect_language(SWEDISH_PARAGRAPH).confidence
    assert 0.5 < one_word < question < paragraph <= 1.0


def test_call_codes_and_links_do_not_change_the_result() -> None:
    """Adding a call code, a URL and an e-mail address keeps the detected language."""
    plain = detect_language("Milloin haku päättyy?")
    noisy = detect_language(
        "Milloin AMIF-2024-TF2-AG-THB haku päättyy? https://example.org/amif kirjaamo@example.fi"
    )
    assert (noisy.lang, noisy.decided) == (plain.lang, plain.decided) == ("fi", True)


def test_swedish_name_inside_finnish_question_stays_finnish() -> None:
    """A capitalised Swedish agency name does not outweigh the Finnish words around it."""
    assert detect_language("Voiko Migrationsverket hakea rahoitusta?").lang == "fi"


def test_decomposed_letters_read_like_composed_ones() -> None:
    """A letter typed as base plus combining mark ('a' + U+0308) counts as the composed letter."""
    assert detect_language("ha\u0308n").lang == "fi"
    assert detect_language("ma\u030aste").lang == "sv"


def test_quoted_english_term_inside_finnish_question_stays_finnish() -> None:
    """An English term the user asks about, in quotes, does not outvote the Finnish around it."""
    for text in ("Mikä ”lump sum”?", "”eligible costs” mitä?"):
        assert (detect_language(text).lang, detect_language(text).decided) == ("fi", True)


def test_unknown_default_is_rejected() -> None:
    """A default outside the supported languages is a programming error."""
    with pytest.raises(ValueError, match="default"):
        detect_language("hej", default="de")


@given(st.text(), st.sampled_from(LANGS))
def test_never_raises_and_stays_in_range(text: str, default: str) -> None:
    """Any Unicode text gives a supported language and a confidence between 0 and 1."""
    detection = detect_language(text, default=default)
    assert detection.lang in LANGS
    assert 0.0 <= detection.confidence <= 1.0
    if not detection.decided:
        assert detection.lang == default


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_decision_does_not_depend_on_default(text: str) -> None:
    """When the evidence decides, the default language has no influence on the answer."""
    results = {default: detect_language(text, default=default) for default in LANGS}
    decided = {result.lang for result in results.values() if result.decided}
    assert len(decided) <= 1
    assert all(result.decided for result in results.values()) or not decided
