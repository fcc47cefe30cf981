"""knowledge.extraction, format by format and language by language: dates, periods, money,
grants, rates, durations, consortia, excluded countries and references (table-driven).
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest

from knowledge.extraction.pipeline import extract_call_facts
from knowledge.extraction.words import CONTEXT
from tests.support.extraction import (
    BRUSSELS,
    HELSINKI,
    cited_in,
    eur,
    moment_of,
    money_of,
    one,
    summary,
)

# ---------------------------------------------------------------------------------------------
# Formats, language by language (table-driven).

DATES: list[tuple[str, str, str, tuple[date, time | None, str | None]]] = [
    ("en", "Deadline: 16.09.2025 17:00", "deadline", (date(2025, 9, 16), time(17, 0), None)),
    (
        "en",
        "Deadline date: 16 September 2025, 17:00 CET",
        "deadline",
        (date(2025, 9, 16), time(17, 0), BRUSSELS),
    ),
    (
        "en",
        "Deadline date\n16 September 2025 17:00:00 Brussels time",
        "deadline",
        (date(2025, 9, 16), time(17, 0), BRUSSELS),
    ),
    (
        "en",
        "Proposals must be submitted by 3 March 2026 (at 12:00 Brussels time).",
        "deadline",
        (date(2026, 3, 3), time(12, 0), BRUSSELS),
    ),
    ("en", "The call closes on September 16, 2025.", "deadline", (date(2025, 9, 16), None, None)),
    (
        "en",
        "Deadline: 2025-09-16 17:00 UTC+2",
        "deadline",
        (date(2025, 9, 16), time(17, 0), "+02:00"),
    ),
    (
        "en",
        "Applications are due no later than 30 June 2026, 15:00 Finnish time.",
        "deadline",
        (date(2026, 6, 30), time(15, 0), HELSINKI),
    ),
    ("en", "Opening date: 15 May 2025", "opens", (date(2025, 5, 15), None, None)),
    (
        "en",
        "Deadline: 16 September 2025 - 17:00 (Brussels time)",
        "deadline",
        (date(2025, 9, 16), time(17, 0), BRUSSELS),
    ),
    (
        "en",
        "Call number: AMIF-2025-TF2-AG-INTE. Deadline: 16.09.2025",
        "deadline",
        (date(2025, 9, 16), None, None),
    ),
    (
        "en",
        "| Deadline | Sep 16, 2025 17:00 CEST |",
        "deadline",
        (date(2025, 9, 16), time(17, 0), BRUSSELS),
    ),
    (
        "en",
        "Submission deadline: 16th September 2025 at 17:00 (CET)",
        "deadline",
        (date(2025, 9, 16), time(17, 0), BRUSSELS),
    ),
    (
        "sv",
        "Sista ansökningsdag är den 31 oktober 2023.",
        "deadline",
        (date(2023, 10, 31), None, None),
    ),
    (
        "sv",
        "Ansökan ska lämnas in senast den 31 oktober 2023 kl. 16.15.",
        "deadline",
        (date(2023, 10, 31), time(16, 15), None),
    ),
    (
        "sv",
        "Ansökningstiden går ut 31.10.2023 kl. 16.15 finsk tid.",
        "deadline",
        (date(2023, 10, 31), time(16, 15), HELSINKI),
    ),
    ("sv", "Utlysningen öppnar den 1 september 2025.", "opens", (date(2025, 9, 1), None, None)),
    (
        "fi",
        "Hakuaika päättyy 31.10.2023 klo 16.15.",
        "deadline",
        (date(2023, 10, 31), time(16, 15), None),
    ),
    (
        "fi",
        "Määräaika on 16. syyskuuta 2025 klo 16.15.",
        "deadline",
        (date(2025, 9, 16), time(16, 15), None),
    ),
    (
        "fi",
        "Hakemukset on jätettävä 16. syyskuuta 2025 klo 16.15 Suomen aikaa mennessä.",
        "deadline",
        (date(2025, 9, 16), time(16, 15), HELSINKI),
    ),
    ("fi", "Haku avautuu 1.9.2025.", "opens", (date(2025, 9, 1), None, None)),
    ("fi", "Hakemuksia otetaan vastaan 1.9.2025 alkaen.", "opens", (date(2025, 9, 1), None, None)),
]


@pytest.mark.parametrize(("lang", "text", "field", "expected"), DATES)
def test_date_formats(
    lang: str, text: str, field: str, expected: tuple[date, time | None, str | None]
) -> None:
    e = one(text, lang)
    assert moment_of(getattr(e, field)) == expected
    other = "opens" if field == "deadline" else "deadline"
    assert getattr(e, other) is None


PERIODS: list[tuple[str, str, date, date]] = [
    (
        "en",
        "Applications are open between 3 March and 28 April 2026.",
        date(2026, 3, 3),
        date(2026, 4, 28),
    ),
    (
        "en",
        "Application period: from 1 June 2026 to 15 October 2026.",
        date(2026, 6, 1),
        date(2026, 10, 15),
    ),
    (
        "sv",
        "Ansökan är öppen mellan den 3 mars och den 28 april 2026.",
        date(2026, 3, 3),
        date(2026, 4, 28),
    ),
    ("sv", "Ansökningstiden är 3.3–28.4.2026.", date(2026, 3, 3), date(2026, 4, 28)),
    (
        "sv",
        "Ansökningsperioden är 1 september–30 november 2026.",
        date(2026, 9, 1),
        date(2026, 11, 30),
    ),
    ("en", "Submission period: 1.6.2026 – 15.10.2026", date(2026, 6, 1), date(2026, 10, 15)),
    ("fi", "Hakuaika on 3.3.–28.4.2026.", date(2026, 3, 3), date(2026, 4, 28)),
    ("fi", "Avustusta voi hakea 3.3.2026–28.4.2026.", date(2026, 3, 3), date(2026, 4, 28)),
    ("sv", "Understöd kan sökas 3.3.2026–28.4.2026.", date(2026, 3, 3), date(2026, 4, 28)),
    (
        "fi",
        "Haku on avoinna 3. maaliskuuta – 28. huhtikuuta 2026.",
        date(2026, 3, 3),
        date(2026, 4, 28),
    ),
]


@pytest.mark.parametrize(("lang", "text", "opens", "closes"), PERIODS)
def test_application_periods_give_opening_and_deadline(
    lang: str, text: str, opens: date, closes: date
) -> None:
    e = one(text, lang)
    assert moment_of(e.opens) == (opens, None, None)
    assert moment_of(e.deadline) == (closes, None, None)


MONEY: list[tuple[str, str, tuple[Decimal, str]]] = [
    ("en", "The total budget is EUR 9 000 000.", eur(9_000_000)),
    ("en", "The total budget of the fund is € 9.88 billion.", eur(9_880_000_000)),
    ("en", "Overall budget: EUR 9.88 billion", eur(9_880_000_000)),
    ("en", "Total budget: EUR 6,000,000", eur(6_000_000)),
    ("en", "The call budget is 6 million euro.", eur(6_000_000)),
    ("en", "Budget available: SEK 20 000 000", (Decimal(20_000_000), "SEK")),
    ("en", "Total budget: EUR 9\u00a0000\u00a0000", eur(9_000_000)),
    ("en", "Total budget: EUR 1.250 million", eur(1_250_000)),
    ("en", "Total budget: EUR 1,250,000.50", eur("1250000.50")),
    ("en", "The total budget is a million euro.", eur(1_000_000)),
    ("sv", "Totalt finns 9 miljoner euro att söka.", eur(9_000_000)),
    ("sv", "Det finns 9 miljoner euro att söka i vår.", eur(9_000_000)),
    ("en", "For this call EUR 3 500 000 is available.", eur(3_500_000)),
    ("fi", "Nyt 2,5 miljoonaa euroa on haettavana.", eur(2_500_000)),
    ("sv", "Budgeten är 20 miljoner kronor.", (Decimal(20_000_000), "SEK")),
    ("sv", "Sammanlagt kan en miljon euro sökas.", eur(1_000_000)),
    ("sv", "Den totala budgeten är 9,88 miljarder euro.", eur(9_880_000_000)),
    ("fi", "Haettavana on yhteensä 4 710 915,27 €.", eur("4710915.27")),
    ("fi", "Haettavana on yhteensä 9,5 miljoonaa euroa.", eur(9_500_000)),
    ("fi", "Kokonaisbudjetti on 9,88 miljardia euroa.", eur(9_880_000_000)),
]


@pytest.mark.parametrize(("lang", "text", "expected"), MONEY)
def test_money_formats(lang: str, text: str, expected: tuple[Decimal, str]) -> None:
    e = one(text, lang)
    assert money_of(e.budget) == expected
    assert e.grant_min is None and e.grant_max is None


GRANTS: list[tuple[str, str, tuple[Any, Any]]] = [
    (
        "en",
        "The EU grant will be between EUR 500 000 and EUR 1 000 000.",
        (eur(500_000), eur(1_000_000)),
    ),
    ("en", "Grants: between 500 000 and 1 million euro.", (eur(500_000), eur(1_000_000))),
    (
        "en",
        "A grant is worth from EUR 500,000 up to EUR 1 million per project.",
        (eur(500_000), eur(1_000_000)),
    ),
    ("en", "The requested EU contribution may not exceed EUR 750 000.", (None, eur(750_000))),
    ("en", "You can receive up to EUR 2 000 000 per project.", (None, eur(2_000_000))),
    (
        "sv",
        "Bidraget är minst 500 000 euro och högst 1 miljon euro per projekt.",
        (eur(500_000), eur(1_000_000)),
    ),
    (
        "sv",
        "Bidrag per projekt: 100 000–400 000 kronor.",
        ((Decimal(100_000), "SEK"), (Decimal(400_000), "SEK")),
    ),
    (
        "fi",
        "Avustus on hanketta kohden 500 000 eurosta 1 miljoonaan euroon.",
        (eur(500_000), eur(1_000_000)),
    ),
    (
        "fi",
        "Hankkeelle myönnettävä avustus on 150 000–900 000 euroa.",
        (eur(150_000), eur(900_000)),
    ),
    ("fi", "Avustus on enintään 300 000 euroa per hanke.", (None, eur(300_000))),
]


@pytest.mark.parametrize(("lang", "text", "expected"), GRANTS)
def test_grant_ranges(lang: str, text: str, expected: tuple[Any, Any]) -> None:
    e = one(text, lang)
    assert (money_of(e.grant_min), money_of(e.grant_max)) == expected
    assert e.budget is None


RATES: list[tuple[str, str, str]] = [
    ("en", "Funding rate: up to 90 %", "0.9"),
    ("en", "The grant covers 90 % of the eligible costs.", "0.9"),
    ("en", "EU funding of 95% is possible for this topic.", "0.95"),
    ("sv", "Finansieringsgraden är högst 75 %.", "0.75"),
    ("sv", "Stödet är 80 procent av de stödberättigande kostnaderna.", "0.8"),
    ("fi", "Rahoitusosuus enintään 75 %.", "0.75"),
    ("fi", "Avustus kattaa 62,5 % hyväksyttävistä kustannuksista.", "0.625"),
]


@pytest.mark.parametrize(("lang", "text", "expected"), RATES)
def test_funding_rates(lang: str, text: str, expected: str) -> None:
    e = one(text, lang)
    assert e.funding_rate and e.funding_rate.value == Decimal(expected)


DURATIONS: list[tuple[str, str, tuple[int, int]]] = [
    ("en", "Project duration: 24 months", (24, 24)),
    ("en", "Projects should last between 18 and 36 months.", (18, 36)),
    ("en", "The duration of the action is two years.", (24, 24)),
    ("sv", "Projekten får pågå 2–3 år.", (24, 36)),
    ("sv", "Projekttiden är högst 30 månader.", (30, 30)),
    ("fi", "Hankkeen kesto on enintään 36 kuukautta.", (36, 36)),
    ("fi", "Hanke kestää 2–3 vuotta.", (24, 36)),
]


@pytest.mark.parametrize(("lang", "text", "expected"), DURATIONS)
def test_durations(lang: str, text: str, expected: tuple[int, int]) -> None:
    e = one(text, lang)
    assert e.duration_months and e.duration_months.value == expected


CONSORTIA: list[tuple[str, str, tuple[int | None, int | None]]] = [
    ("en", "The consortium needs at least 4 partners based in at least 3 EU countries.", (4, 3)),
    ("en", "Applications must involve a minimum of two partners.", (2, None)),
    ("en", "Minimum number of partners: 3", (3, None)),
    ("en", "Min. number of participating countries: 2", (None, 2)),
    ("sv", "Minsta antal parter: 3", (3, None)),
    ("fi", "Kumppanien vähimmäismäärä: 3", (3, None)),
    (
        "sv",
        "Konsortiet ska bestå av minst tre aktörer från minst två olika medlemsstater.",
        (3, 2),
    ),
    (
        "fi",
        "Hakijana on vähintään kolmen organisaation yhteenliittymä, ja niiden on oltava "
        "vähintään kahdesta eri jäsenvaltiosta.",
        (3, 2),
    ),
]


@pytest.mark.parametrize(("lang", "text", "expected"), CONSORTIA)
def test_minimum_consortium(lang: str, text: str, expected: tuple[int | None, int | None]) -> None:
    e = one(text, lang)
    assert summary(e)["consortium"] == expected


EXCLUDED: list[tuple[str, str, list[str]]] = [
    ("en", "Eligible: EU Member States, excluding Denmark.", ["DK"]),
    ("en", "Denmark does not take part in AMIF.", ["DK"]),
    ("en", "All Member States except Denmark and Hungary may apply.", ["DK", "HU"]),
    ("sv", "Alla medlemsstater utom Danmark.", ["DK"]),
    ("sv", "Danmark deltar inte i AMIF.", ["DK"]),
    ("en", "Eligible countries: EU Member States (Denmark excluded).", ["DK"]),
    ("fi", "Kaikki jäsenvaltiot paitsi Tanska.", ["DK"]),
    ("fi", "Tanska ei osallistu AMIF-rahastoon.", ["DK"]),
]


@pytest.mark.parametrize(("lang", "text", "expected"), EXCLUDED)
def test_excluded_countries(lang: str, text: str, expected: list[str]) -> None:
    assert summary(one(text, lang))["excluded"] == expected


REFERENCES: list[tuple[str, str, list[str], list[str]]] = [
    (
        "en",
        "Topic AMIF-2025-TF2-AG-INTE-02-HEALTH is one of four.",
        ["AMIF-2025-TF2-AG-INTE"],
        ["AMIF-2025-TF2-AG-INTE-02-HEALTH"],
    ),
    ("en", "The call AMIF-2023-TF2-AG-CALL had several topics.", ["AMIF-2023-TF2-AG-CALL"], []),
    ("en", "Call reference: AMIF-2024-TF2-AG-THB", ["AMIF-2024-TF2-AG-THB"], []),
    ("en", "Call ID: HOME/2025/AMIF/AG/07", ["HOME/2025/AMIF/AG/07"], []),
    ("fi", "Diaarinumero: VN/123/2025", ["VN/123/2025"], []),
    ("fi", "Haun asiakirjat (VN/123/2025) ovat verkossa.", ["VN/123/2025"], []),
    ("sv", "Dnr 4.1.2-2025-11223", ["4.1.2-2025-11223"], []),
    ("en", "With reference to the 2023 guidelines, see the annex.", [], []),
]


@pytest.mark.parametrize(("lang", "text", "calls", "topics"), REFERENCES)
def test_references(lang: str, text: str, calls: list[str], topics: list[str]) -> None:
    e = one(text, lang)
    assert summary(e)["references"] == calls
    assert summary(e)["topics"] == topics


TABLES: list[tuple[str, str]] = [
    *((lang, text) for lang, text, *_ in DATES),
    *((lang, text) for lang, text, *_ in PERIODS),
    *((lang, text) for lang, text, _ in MONEY),
    *((lang, text) for lang, text, _ in GRANTS),
    *((lang, text) for lang, text, _ in RATES),
    *((lang, text) for lang, text, _ in DURATIONS),
    *((lang, text) for lang, text, _ in CONSORTIA),
    *((lang, text) for lang, text, _ in EXCLUDED),
    *((lang, text) for lang, text, calls, _ in REFERENCES if calls),
    ("en", "Submit by 9 March 2027 (at 12:00), via the portal."),
]


@pytest.mark.parametrize(("lang", "text"), TABLES)
def test_spans_are_exact_text_of_the_passage(lang: str, text: str) -> None:
    e = extract_call_facts("", lang=lang, passages=[("x", text)])
    cited = list(cited_in(e))
    assert cited
    for item in cited:
        assert item.passage == "x"
        assert text[item.start : item.start + len(item.span)] == item.span


def test_a_time_in_brackets_is_cited_with_its_brackets() -> None:
    e = one("Submit by 9 March 2027 (at 12:00), via the portal.", "en")
    assert e.deadline and e.deadline.span == "9 March 2027 (at 12:00)"
    e = one("Submit by 9 March 2027 (at 12:00 Brussels time).", "en")
    assert e.deadline and e.deadline.span == "9 March 2027 (at 12:00 Brussels time)"


def test_emails_are_found_once_each() -> None:
    e = one("Write to Call-Desk@example.org. Or call-desk@example.org, or x@y.example.", "en")
    assert [c.value for c in e.emails] == ["call-desk@example.org", "x@y.example"]
    assert e.emails[0].span == "Call-Desk@example.org"


def test_context_words_exist_for_every_language_and_field() -> None:
    fields = set(CONTEXT["en"])
    for lang in ("sv", "fi"):
        assert set(CONTEXT[lang]) == fields, lang
