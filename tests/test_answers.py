"""Typed answers in English, Swedish and Finnish: yes/no, amounts, months, countries, choices."""

from decimal import Decimal

import pytest
from babel import Locale

from bot.eligibility.parsing import (
    HINT_COUNTRY,
    HINT_CURRENCY,
    HINT_EXCLUSIVE,
    HINT_MONEY,
    HINT_MONTHS,
    HINT_MULTI,
    HINT_ONE_COUNTRY,
    HINT_YES_NO,
    HINT_YES_NO_UNSURE,
    ChoiceOption,
    Command,
    Parsed,
    Rejected,
    country_codes,
    country_name,
    parse_choice,
    parse_command,
    parse_countries,
    parse_country,
    parse_money,
    parse_multi_choice,
    parse_whole_number,
    parse_yes_no,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True),
        ("Yes!", True),
        ("no", False),
        ("No.", False),
        ("ja", True),
        ("Ja, det är vi", True),
        ("nej", False),
        ("Nej tack", False),
        ("kyllä", True),
        ("Kyllä on", True),
        ("joo", True),
        ("juu", True),
        ("ei", False),
        ("Ei ole", False),
    ],
)
def test_yes_and_no_in_three_languages(text: str, value: bool) -> None:
    assert parse_yes_no(text) == Parsed(value)


@pytest.mark.parametrize("text", ["don't know", "Vet inte", "en tiedä", "no idea", "osäker"])
def test_dont_know_is_an_answer_only_where_offered(text: str) -> None:
    assert parse_yes_no(text, allow_unsure=True) == Parsed(None)
    assert parse_yes_no(text) == Rejected(HINT_YES_NO)


@pytest.mark.parametrize("text", ["maybe", "kanske", "ehkä", "", "42"])
def test_other_text_is_rejected_with_a_hint(text: str) -> None:
    assert parse_yes_no(text) == Rejected(HINT_YES_NO)
    assert parse_yes_no(text, allow_unsure=True) == Rejected(HINT_YES_NO_UNSURE)


@pytest.mark.parametrize(
    "text",
    [
        "800 000",
        "800k",
        "800 K",
        "0,8 milj.",
        "0.8 million",
        "EUR 800,000",
        "800 000 €",
        "€800,000",
        "800.000",
        "800000",
        "800 000 euroa",
        "0,8 miljoonaa euroa",
        "800 tuhatta",
        "about 800 000",
        "noin 800 000 e",
        "800\u00a0000\u00a0€",
    ],
)
def test_the_same_amount_written_many_ways(text: str) -> None:
    assert parse_money(text) == Parsed(Decimal(800000))


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1,2 miljoner", "1200000"),
        ("1.2m", "1200000"),
        ("1,5 M€", "1500000"),
        ("1 miljon euro", "1000000"),
        ("1 200 000,50", "1200000.50"),
        ("1.200.000,50", "1200000.50"),
        ("1,200,000.50", "1200000.50"),
        ("500 000", "500000"),
    ],
)
def test_amounts_with_decimals_and_millions(text: str, amount: str) -> None:
    assert parse_money(text) == Parsed(Decimal(amount))


@pytest.mark.parametrize("text", ["800 000 SEK", "800 000 kr", "$800,000", "800 000 kruunua"])
def test_amounts_in_another_currency_ask_for_euro(text: str) -> None:
    assert parse_money(text) == Rejected(HINT_CURRENCY)


@pytest.mark.parametrize("text", ["a lot", "2 3", "0", "800 000 - 900 000", "1k 2m", ""])
def test_what_is_not_an_amount_is_rejected(text: str) -> None:
    assert parse_money(text) == Rejected(HINT_MONEY)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("24", 24),
        ("24 months", 24),
        ("24 kk", 24),
        ("24 månader", 24),
        ("24 kuukautta", 24),
        ("2 years", 24),
        ("2 år", 24),
        ("2 vuotta", 24),
        ("1,5 years", 18),
        ("36 mån.", 36),
    ],
)
def test_months_with_units_in_three_languages(text: str, months: int) -> None:
    assert parse_whole_number(text, unit="months") == Parsed(months)


@pytest.mark.parametrize("text", ["24.5", "many years", "two weeks", "24 weeks", "-3"])
def test_what_is_not_a_number_of_months_is_rejected(text: str) -> None:
    assert parse_whole_number(text, unit="months") == Rejected(HINT_MONTHS)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Danmark", "DK"),
        ("Tanska", "DK"),
        ("DK", "DK"),
        ("Sverige", "SE"),
        ("Ruotsi", "SE"),
        ("Germany", "DE"),
        ("Tyskland", "DE"),
        ("Saksa", "DE"),
        ("EL", "GR"),
        ("UK", "GB"),
        ("Österrike", "AT"),
        ("Osterrike", "AT"),
        ("Bosnia and Herzegovina", "BA"),
        ("Bosnien och Hercegovina", "BA"),
        ("Bosnia ja Hertsegovina", "BA"),
        ("Ruotsista", "SE"),
        ("Itävallasta", "AT"),
        ("in Sweden", "SE"),
        ("Norway", "NO"),
    ],
)
def test_one_country_by_name_in_three_languages_or_code(text: str, code: str) -> None:
    assert parse_country(text) == Parsed(code)


@pytest.mark.parametrize("lang", ["en", "sv", "fi"])
def test_every_babel_country_name_is_understood(lang: str) -> None:
    names = Locale.parse(lang).territories
    wrong = [
        (code, names[code], parse_country(names[code]))
        for code in sorted(country_codes())
        if code in names and parse_country(names[code]) != Parsed(code)
    ]
    assert not wrong


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Sverige, Finland och Estland", ("SE", "FI", "EE")),
        ("SE FI EE", ("SE", "FI", "EE")),
        ("se, fi, ee", ("SE", "FI", "EE")),
        ("Ruotsi, Suomi ja Viro", ("SE", "FI", "EE")),
        ("Suomesta ja Virosta", ("FI", "EE")),
        ("Germany and Bosnia and Herzegovina", ("DE", "BA")),
        ("Sweden, Sweden", ("SE", "SE")),
    ],
)
def test_lists_of_countries(text: str, codes: tuple[str, ...]) -> None:
    assert parse_countries(text) == Parsed(codes)


@pytest.mark.parametrize("text", ["none", "inga", "ei yhtään"])
def test_no_countries_at_all(text: str) -> None:
    assert parse_countries(text) == Parsed(())


def test_unknown_country_names_the_words_it_did_not_understand() -> None:
    assert parse_countries("Sverige, Atlantis") == Rejected(HINT_COUNTRY, (("text", "Atlantis"),))
    assert parse_country("Xyzland") == Rejected(HINT_COUNTRY, (("text", "Xyzland"),))


def test_one_country_question_refuses_two() -> None:
    result = parse_country("Sweden and Finland")
    assert isinstance(result, Rejected) and result.hint == HINT_ONE_COUNTRY


def test_country_names_come_back_in_the_readers_language() -> None:
    assert [country_name("SE", lang) for lang in ("en", "sv", "fi")] == [
        "Sweden",
        "Sverige",
        "Ruotsi",
    ]


OPTIONS = [
    ChoiceOption("pub", ("Public body", "Offentlig")),
    ChoiceOption("priv", ("Private body", "Privat")),
    ChoiceOption("women", ("Removing barriers to immigrant women's employment",)),
    ChoiceOption("none", ("None of these", "Inget av dessa"), exclusive=True),
]


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("1", "pub"),
        ("2", "priv"),
        ("priv", "priv"),
        ("Offentlig", "pub"),
        ("private", "priv"),
        ("immigrant women", "women"),
    ],
)
def test_choice_by_number_id_or_label(text: str, option: str) -> None:
    assert parse_choice(text, OPTIONS) == Parsed(option)


@pytest.mark.parametrize("text", ["5", "0", "something", "body"])
def test_choice_that_fits_no_option(text: str) -> None:
    assert isinstance(parse_choice(text, OPTIONS), Rejected)


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("1, 3", ("pub", "women")),
        ("3 och 1", ("pub", "women")),
        ("1 ja 2", ("pub", "priv")),
        ("none", ("none",)),
        ("inga", ("none",)),
        ("ei mikään", ("none",)),
        ("4", ("none",)),
    ],
)
def test_multiple_choice(text: str, options: tuple[str, ...]) -> None:
    assert parse_multi_choice(text, OPTIONS) == Parsed(options)


def test_none_of_these_cannot_be_combined() -> None:
    assert parse_multi_choice("1, 4", OPTIONS) == Rejected(HINT_EXCLUSIVE)
    assert parse_multi_choice("1, 9", OPTIONS) == Rejected(HINT_MULTI)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("back", Command.BACK),
        ("Tillbaka", Command.BACK),
        ("takaisin", Command.BACK),
        ("/restart", Command.RESTART),
        ("börja om", Command.RESTART),
        ("aloita alusta", Command.RESTART),
        ("Avbryt", Command.CANCEL),
        ("peruuta", Command.CANCEL),
        ("?", Command.HELP),
        ("hjälp", Command.HELP),
        ("klar", Command.DONE),
        ("valmis", Command.DONE),
        ("Sweden", None),
        ("ja", None),
    ],
)
def test_commands_in_three_languages(text: str, command: Command | None) -> None:
    assert parse_command(text) is command
