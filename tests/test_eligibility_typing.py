"""Eligibility checks for people who type: call choice, a steady counter, re-prompts, pauses."""

import re

import pytest

from bot.eligibility.parsing import Parsed, parse_whole_number
from bot.storage import StorageKey
from tests.fake_telegram import ChatDriver
from tests.support.bots import Harness

THB = "AMIF-2024-TF2-AG-THB"
STEP = {
    "en": re.compile(r"Step (\d+) of (\d+)"),
    "sv": re.compile(r"Steg (\d+) av (\d+)"),
    "fi": re.compile(r"Vaihe (\d+)/(\d+)"),
}


def _step(chat: ChatDriver, lang: str) -> tuple[int, int]:
    found = STEP[lang].search(chat.last_text)
    assert found, chat.last_text
    return int(found[1]), int(found[2])


def _key(chat: ChatDriver) -> StorageKey:
    return StorageKey(chat.chat.id, chat.user.id)


@pytest.mark.parametrize(
    ("lang", "typed", "first_question"),
    [
        ("sv", "människohandel 2024", "juridisk person"),
        ("sv", "1", "juridisk person"),
        ("fi", "2", "Millainen organisaatio"),
        ("fi", "syksyn 2023 haku", "Millainen organisaatio"),
        ("en", THB.lower(), "legal person"),
        ("en", "two", "What kind of organisation"),
    ],
)
async def test_the_call_can_be_chosen_by_typing_its_name_or_number(
    tg: Harness, lang: str, typed: str, first_question: str
) -> None:
    chat = tg.driver(tg.core.user("Typist", language_code=lang))
    await chat.send("/eligibility")
    assert "1. " in chat.last_text and "2. " in chat.last_text  # the calls, numbered
    await chat.send(typed)
    assert first_question in chat.last_text
    assert _step(chat, lang)[0] == 1


async def test_a_word_that_names_no_call_asks_again_instead_of_answering(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Sara", language_code="sv"))
    await chat.send("/eligibility")
    await chat.send("ja")
    assert chat.last_text.startswith("Jag kände inte igen den utlysningen.")
    assert "Vilken utlysning" in chat.last_text and "Det vet jag inte" not in chat.last_text
    assert len(chat.last_buttons) == 2
    await chat.send("Vad är finansieringsgraden i utlysningen 2024?")
    assert "90" in chat.last_text  # a real question is answered as one


async def test_the_step_total_never_grows_on_the_finnish_call(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Kaisa", language_code="fi"))
    await chat.send("/eligibility FI-AMIF-2023-AUTUMN")
    seen = [_step(chat, "fi")]
    await chat.click("Yhdistys tai säätiö (myös maahanmuuttajien omat järjestöt)")
    seen.append(_step(chat, "fi"))
    await chat.click("Laillinen maahanmuutto ja kotouttaminen")
    seen.append(_step(chat, "fi"))
    await chat.send("1")
    seen.append(_step(chat, "fi"))
    await chat.send("1")
    seen.append(_step(chat, "fi"))
    assert [n for n, _ in seen] == [1, 2, 3, 4, 5]
    totals = [total for _, total in seen]
    assert totals == sorted(totals, reverse=True) and totals[0] == 5  # the longest path


async def test_a_country_outside_the_eu_adds_its_question_and_says_so_in_the_total(
    tg: Harness,
) -> None:
    chat = tg.driver()
    await chat.send(f"/eligibility {THB}")
    for answer in ("yes", "2", "yes", "Finland", "Norway"):
        await chat.send(answer)
    await chat.click("Done")
    assert _step(chat, "en") == (6, 9)  # "Is Norway associated to AMIF?" is one more


@pytest.mark.parametrize(
    ("lang", "feedback", "hint"),
    [
        ("sv", "Inte uppfyllt", "Välj ett av alternativen"),
        ("fi", "Ei täyty", "Valitse yksi vaihtoehdoista"),
        ("en", "Not met", "Please choose one of the options"),
    ],
)
async def test_a_reprompt_asks_only_the_current_question_with_a_one_line_hint(
    tg: Harness, lang: str, feedback: str, hint: str
) -> None:
    chat = tg.driver(tg.core.user("Re", language_code=lang))
    await chat.send(f"/eligibility {THB}")
    intro = chat.last_text.split("\n\n")[0]
    await chat.send("kanske inte imorgon")  # fits no yes/no
    assert intro not in chat.last_text and _step(chat, lang) == (1, 8)
    await chat.send({"sv": "nej", "fi": "ei", "en": "no"}[lang])
    assert feedback in chat.last_text  # said once, right after the answer
    await chat.send("Danmark")
    again = chat.last_text
    assert again.split("\n\n")[0].startswith(hint) and "\n" not in again.split("\n\n")[0]
    assert feedback not in again and intro not in again and _step(chat, lang) == (2, 8)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("two years", 24),
        ("twenty-four months", 24),
        ("a year and", None),
        ("två år", 24),
        ("tjugofyra månader", 24),
        ("ett och ett halvt år", 18),
        ("kaksi vuotta", 24),
        ("kaksikymmentäneljä kuukautta", 24),
        ("puolitoista vuotta", 18),
        ("kahdeksantoista kuukautta", 18),
    ],
)
def test_durations_written_in_words_are_numbers(text: str, months: int | None) -> None:
    parsed = parse_whole_number(text, unit="months")
    assert (parsed.value if isinstance(parsed, Parsed) else None) == months


async def _to_the_duration(chat: ChatDriver, lang: str) -> None:
    yes = {"sv": "ja", "fi": "kyllä", "en": "yes"}[lang]
    await chat.send(f"/eligibility {THB}")
    for answer in (yes, "2", yes, "Finland", "Sverige, Estland"):
        await chat.send(answer)
    await chat.click({"sv": "Klar", "fi": "Valmis", "en": "Done"}[lang])
    await chat.send("800 000")
    assert _step(chat, lang) == (7, 8)


@pytest.mark.parametrize(
    ("lang", "typed"), [("en", "two years"), ("sv", "två år"), ("fi", "kaksi vuotta")]
)
async def test_two_years_typed_in_words_is_taken(tg: Harness, lang: str, typed: str) -> None:
    chat = tg.driver(tg.core.user("Words", language_code=lang))
    await _to_the_duration(chat, lang)
    await chat.send(typed)
    assert _step(chat, lang) == (8, 8)


async def test_a_question_mid_check_pauses_it_until_the_user_resumes(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Ebba", language_code="sv"))
    await chat.send(f"/eligibility {THB}")
    await chat.send("ja")
    stored = await tg.store.load_dialog(_key(chat))
    await chat.send("Vad är finansieringsgraden i utlysningen?")
    assert "90" in chat.texts[-2]
    assert chat.last_text == "Din behörighetskontroll är pausad vid steg 2 av 8."
    await chat.send("2")  # would answer step 2, but the check is paused
    notice = chat.last_message
    assert chat.last_text.startswith("Jag tog inte det som ett svar")
    assert "steg 2 av 8" in chat.last_text and chat.last_buttons == ["Fortsätt kontrollen"]
    after = await tg.store.load_dialog(_key(chat))
    assert stored is not None and after is not None
    assert '"log":[["legal","set",true]]' in after.state  # the step's answer is still open
    await chat.send("Hur stor är budgeten för utlysningen 2024?")
    assert "6" in chat.last_text and "pausad" not in chat.last_text  # no second notice
    await chat.click("Fortsätt kontrollen", message=notice)
    resumed = tg.core.message(chat.chat, notice.message_id).text
    assert resumed.startswith("Steg 2 av 8") and "Den här kontrollen" not in resumed
    await chat.send("2")
    assert _step(chat, "sv") == (3, 8)


async def test_typing_continue_resumes_a_paused_check(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Kalle", language_code="fi"))
    await chat.send(f"/eligibility {THB}")
    await chat.send("Mikä on haun rahoitusosuus prosentteina?")
    assert "tauolla" in chat.last_text
    await chat.send("jatka")
    assert _step(chat, "fi") == (1, 8)
    await chat.send("kyllä")
    assert _step(chat, "fi") == (2, 8)


async def test_no_paused_notice_when_there_is_no_check(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Ola", language_code="sv"))
    await chat.send("Vad är finansieringsgraden i utlysningen 2024?")
    assert all("pausad" not in text for text in chat.texts)
    await chat.send(f"/eligibility {THB}")
    await chat.send("/cancel")
    await chat.send("Vad är finansieringsgraden i utlysningen 2024?")
    assert all("pausad" not in text for text in chat.texts)


async def test_a_question_mid_check_is_answered_like_any_other(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Stig", language_code="sv"))
    await chat.send("/timezone Europe/Stockholm")
    await chat.send(f"/eligibility {THB}")
    await chat.send("När var sista ansökningsdagen för 2020 års utlysning?")
    answer = chat.messages[-2]
    # In the user's zone, with the vote buttons, and counted, as outside a check.
    assert "16 februari 2021" in answer.text and "Stockholmstid" in answer.text
    assert answer.button_texts == ["👍 Till hjälp", "👎 Inte till hjälp"]
    assert chat.last_text == "Din behörighetskontroll är pausad vid steg 1 av 8."
    stats = await tg.store.usage_stats(tg.services.sessions.ttl)
    assert stats.counts == {"answered": 1}
