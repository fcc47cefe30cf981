"""The dates, times, numbers and money users read, in each language, exactly as CLDR writes them.

These strings come from Babel's CLDR data, which the lock pins. A refresh of the lock that brings
new CLDR data fails here first, so the change is seen and decided on (Babel 2.19 moved
Finland-Swedish times from `18:00` to `18.00`, which is standard Swedish usage in Finland).
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from i18n import translator

HELSINKI = ZoneInfo("Europe/Helsinki")
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("lang", "evening", "morning"),
    [("en", "18:00", "09:05"), ("sv", "18.00", "9.05"), ("fi", "18.00", "9.05")],
)
def test_times_of_day(lang: str, evening: str, morning: str) -> None:
    t = translator(lang)
    assert t.format_time(datetime(2025, 9, 16, 18, 0, tzinfo=HELSINKI), HELSINKI) == evening
    assert t.format_time(datetime(2025, 9, 16, 9, 5, tzinfo=HELSINKI), HELSINKI) == morning


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "16 September 2025"), ("sv", "16 september 2025"), ("fi", "16. syyskuuta 2025")],
)
def test_long_dates(lang: str, expected: str) -> None:
    assert translator(lang).format_date(date(2025, 9, 16)) == expected


@pytest.mark.parametrize(
    ("lang", "number", "money", "billions", "rate"),
    [
        ("en", "4,710,915.27", "€9,000,000", "9.88 billion euro", "62.5%"),
        ("sv", "4 710 915,27", "9 000 000 €", "9,88 miljarder euro", "62,5 %"),
        ("fi", "4 710 915,27", "9 000 000 €", "9,88 miljardia euroa", "62,5 %"),
    ],
)
def test_numbers_money_and_rates(
    lang: str, number: str, money: str, billions: str, rate: str
) -> None:
    t = translator(lang)
    plain = {NBSP: " ", NNBSP: " "}
    assert t.format_number(4710915.27).translate(str.maketrans(plain)) == number
    assert t.format_money(9_000_000).translate(str.maketrans(plain)) == money
    assert t.format_money(9_880_000_000).translate(str.maketrans(plain)) == billions
    assert t.format_percent(0.625).translate(str.maketrans(plain)) == rate


@pytest.mark.parametrize(
    ("lang", "ahead", "behind"),
    [
        ("en", "in 12 days", "12 days ago"),
        ("sv", "om 12 dagar", "för 12 dagar sedan"),
        ("fi", "12 päivän päästä", "12 päivää sitten"),
    ],
)
def test_durations(lang: str, ahead: str, behind: str) -> None:
    t = translator(lang)
    assert t.format_timedelta(timedelta(days=12)) == ahead
    assert t.format_timedelta(timedelta(days=-12)) == behind
