"""knowledge.extraction refuses what only looks like a fact: precision before recall."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.support.extraction import (
    NOTHING,
    eur,
    money_of,
    one,
    summary,
)

# ---------------------------------------------------------------------------------------------
# Negative cases: precision before recall.


@pytest.mark.parametrize(
    ("lang", "text", "deadline"),
    [
        ("en", "Published 12 March 2025. The deadline is 16 September 2025.", date(2025, 9, 16)),
        ("en", "Publication date: 2 March 2026", None),
        ("en", "Page last updated on 11 March 2026.", None),
        ("en", "An info session takes place on 5 May 2026 at 10:00 CET.", None),
        ("sv", "Publicerad 3.2.2026 8.40", None),
        ("sv", "Utbildning tis. den 14 april 2026, kl. 9–11", None),
        ("fi", "Julkaistu 12.1.2026 klo 10.05", None),
        ("fi", "Koulutus järjestetään 20.1.2026 klo 13.00.", None),
    ],
)
def test_publication_and_event_dates_are_not_deadlines(
    lang: str, text: str, deadline: date | None
) -> None:
    e = one(text, lang)
    assert (e.deadline.value.date if e.deadline else None) == deadline
    assert e.opens is None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Publication date: 2 March 2026"),
        ("en", "This notice of 2 March 2026 was published by the ministry."),
        ("sv", "Den 2 mars 2026 publicerade ministeriet en nyhet."),
        ("fi", "Ministeriö julkaisi 2. maaliskuuta 2026 uutisen hausta."),
    ],
)
def test_publication_date_is_kept_as_such(lang: str, text: str) -> None:
    e = one(text, lang)
    assert e.published and e.published.value == date(2026, 3, 2)
    assert e.deadline is None and e.opens is None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Each grant will be up to EUR 1 000 000 per project."),
        ("en", "The maximum grant is EUR 750 000."),
        ("sv", "Bidraget är högst 500 000 euro per projekt."),
        ("fi", "Avustus on enintään 300 000 euroa hanketta kohden."),
    ],
)
def test_a_grant_per_project_is_not_the_budget(lang: str, text: str) -> None:
    e = one(text, lang)
    assert e.budget is None
    assert e.grant_max is not None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Call us on +33 1 99 00 12 34 for help with the budget."),
        ("en", "The budget for 2021-2027 is set in the regulation."),
        ("en", "In 2025 about 300 projects were funded; the budget is in the work programme."),
        ("fi", "Puhelinneuvonta numerosta 0295 421 000, budjetti julkaistaan 2026."),
        ("sv", "Budgeten för 2024 publiceras senare."),
        ("en", "The budget grew by 12 % since 2023."),
    ],
)
def test_phone_numbers_years_and_percentages_are_not_money(lang: str, text: str) -> None:
    e = one(text, lang)
    assert e.budget is None and e.grant_min is None and e.grant_max is None


def test_the_remaining_share_is_not_the_funding_rate() -> None:
    text = (
        "The grant covers up to 90% of the total eligible costs; the partners co-finance "
        "the remaining 10% themselves."
    )
    e = one(text, "en")
    assert e.funding_rate and e.funding_rate.value == Decimal("0.9")


def test_a_share_of_the_programme_budget_is_not_a_funding_rate() -> None:
    e = one("About 60.5 % of the money is spent under shared management.", "en")
    assert e.funding_rate is None


def test_disagreeing_budgets_are_left_out() -> None:
    text = (
        "Under objective 1 a total of 2 miljoner euro can be applied for.\n\n"
        "Under objective 2 a total of 7,8 miljoner euro can be applied for."
    )
    assert one(text, "en").budget is None


def test_a_stated_total_wins_over_per_objective_amounts() -> None:
    text = "Haettavana on yhteensä 8,4 miljoonaa euroa. Tavoitteessa 1 on jaossa 2,1 miljoonaa."
    e = one(text, "fi")
    assert money_of(e.budget) == eur(8_400_000)


def test_money_in_another_currency_stays_in_it() -> None:
    e = one("Totalt finns 20 miljoner kronor att söka.", "sv")
    assert money_of(e.budget) == (Decimal(20_000_000), "SEK")


def test_duration_needs_a_duration_word() -> None:
    e = one("Results are announced within 6 months of the deadline.", "en")
    assert e.duration_months is None


def test_a_consortium_count_needs_a_consortium_or_minimum_word() -> None:
    e = one("Last year 12 organisations from 5 countries were funded.", "en")
    assert summary(e)["consortium"] == (None, None)


def test_a_danish_partner_mentioned_is_not_an_exclusion() -> None:
    assert one("Our partner in Denmark leads work package 2.", "en").excluded_countries == ()


def test_an_unknown_language_reads_with_the_english_words() -> None:
    e = one("Deadline: 16 September 2025", "it")
    assert e.lang == "en" and e.deadline is not None


def test_empty_text_finds_nothing() -> None:
    e = one("", "en")
    assert e.is_empty() and summary(e) == NOTHING
