"""What people actually send: captions, long pastes, small talk, place names, other languages."""

import pytest

from bot.incoming import Chatter, Kind, classify, first_question
from bot.reminders import find_zone
from tests.support.bots import Harness

PASTE_QUESTION = "Can a Danish organisation apply to the 2024 trafficking call?"


async def test_a_photo_whose_caption_asks_a_question_gets_the_caption_answered(
    tg: Harness,
) -> None:
    chat = tg.driver(tg.core.user("Eva", language_code="sv"))
    await chat.send_photo(caption="Vad är finansieringsgraden i utlysningen 2024?")
    assert "90" in chat.last_text and "Källa" in chat.last_text
    assert all("bara läsa text" not in text for text in chat.texts)
    await chat.send_photo()  # no caption: the hint as before
    assert "text" in chat.last_text


def _paste() -> str:
    context = (
        "We are a network of shelters in the Nordic countries and have worked with survivors "
        "of trafficking for many years. Our board has asked us to look into EU funding. "
    )
    rest = " ".join(["We also wonder about reporting, audits and the role of the partners."] * 22)
    text = context * 6 + PASTE_QUESTION + " " + rest + " What is the budget?"
    assert len(text) > 2_500
    return text


async def test_a_long_pasted_message_gets_its_first_question_answered_and_says_so(
    tg: Harness,
) -> None:
    chat = tg.driver()
    pasted = _paste()
    await chat.send(pasted)
    note, answer = chat.texts[-2], chat.last_text
    assert note.startswith(f"Your message is long ({len(pasted):,} characters)")
    assert PASTE_QUESTION in note
    assert "Denmark" in answer and "too long" not in answer
    await chat.send(pasted * 2)  # longer than any Telegram message: the hard limit holds
    assert "too long" in chat.last_text


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("ok thanks", "sv", "You're welcome!"),
        ("Kiitos!", "sv", "Ole hyvä!"),  # the message's language, not the stored one
        ("tack", "en", "Varsågod!"),
        ("Tack så mycket!", "fi", "Varsågod!"),
        ("ok", "fi", "👍 Kysy vain"),
    ],
)
async def test_small_talk_gets_a_short_reply_in_its_own_language(
    tg: Harness, text: str, lang: str, expected: str
) -> None:
    chat = tg.driver()
    await chat.send(f"/start {lang}")
    before = len(chat.texts)
    await chat.send(text)
    assert len(chat.texts) == before + 1
    assert chat.last_text.startswith(expected) and len(chat.last_text) < 100
    assert not chat.last_buttons or chat.last_keyboard_message != chat.last_message


async def test_thanks_with_a_mention_in_a_group_gets_a_short_reply(tg: Harness) -> None:
    group = tg.core.group()
    member = tg.driver(tg.core.user("Liisa", language_code="fi"), chat=group)
    await member.send("thanks @amif_test_bot")
    assert member.last_text.startswith("You're welcome!")


@pytest.mark.parametrize(("text", "heading"), [("?", "/calls"), ("help", "/eligibility")])
async def test_a_question_mark_or_help_leads_to_help(tg: Harness, text: str, heading: str) -> None:
    chat = tg.driver()
    await chat.send(text)
    assert heading in chat.last_text and "don't know" not in chat.last_text
    assert "👍 Helpful" not in chat.last_buttons


@pytest.mark.parametrize(
    ("typed", "zone", "label"),
    [
        ("helsinki", "Europe/Helsinki", "Helsingforstid"),
        ("Helsingfors", "Europe/Helsinki", "Helsingforstid"),
        ("Tukholma", "Europe/Stockholm", "Stockholmstid"),
        ("Stockholm", "Europe/Stockholm", "Stockholmstid"),
        ("Bryssel", "Europe/Brussels", "Brysseltid"),
        ("Brysseli", "Europe/Brussels", "Brysseltid"),
        ("Belgien", "Europe/Brussels", "Brysseltid"),
        ("Suomi", "Europe/Helsinki", "Helsingforstid"),
        ("Tyskland", "Europe/Berlin", "Europe/Berlin"),
    ],
)
async def test_timezone_accepts_cities_and_countries_in_three_languages(
    tg: Harness, typed: str, zone: str, label: str
) -> None:
    chat = tg.driver(tg.core.user("Zed", language_code="sv"))
    await chat.send(f"/timezone {typed}")
    assert label in chat.last_text
    assert await tg.store.get_timezone(chat.user.id) == zone


async def test_an_unknown_place_is_still_refused(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/timezone Atlantis")
    assert "Atlantis" in chat.last_text and await tg.store.get_timezone(chat.user.id) is None
    assert find_zone("USA") is None  # several zones and none in Europe: too vague


async def test_start_de_and_a_german_question_say_which_languages_i_speak(
    tg: Harness,
) -> None:
    chat = tg.driver(tg.core.user("Jonas", language_code="de"))
    await chat.send("/start de")
    assert "I speak English, Swedish and Finnish" in chat.last_text
    assert "not German" in chat.last_text
    await chat.send("Wie hoch ist die Förderquote für den Aufruf 2024?")
    assert "not German" in chat.last_text and "don't know" not in chat.last_text
    sv = tg.driver(tg.core.user("Sven", language_code="sv"))
    await sv.send("/start")
    assert all("I speak" not in text for text in sv.texts)


def test_questions_are_not_mistaken_for_chatter() -> None:
    for question in (
        "What is the funding rate?",
        "Kan en dansk organisation söka?",
        "Mikä on haun rahoitusosuus?",
        "ok, what is the deadline?",
        "Kan du säga något om budgeten?",
    ):
        assert classify(question) is None, question
    assert classify("Kiitos paljon!") == Chatter(Kind.THANKS, "fi")
    assert classify("ok") == Chatter(Kind.ACK, None)


def test_first_question_of_a_paste() -> None:
    assert first_question(_paste(), 2000) == PASTE_QUESTION
    no_question = "word " * 1000
    assert len(first_question(no_question, 2000)) <= 2000
