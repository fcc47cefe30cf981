"""The verdict of the eight-question check fits a phone screen, in every language."""

import re

import pytest

from tests.fake_telegram import ChatDriver
from tests.support.bots import Harness
from tests.support.checks import eligible_thb_in_swedish

THB = "AMIF-2024-TF2-AG-THB"
WORDS = {
    "en": {"no": "no", "unsure": "I don't know", "done": "Done", "full": "Full details"},
    "sv": {"no": "nej", "unsure": "Vet inte", "done": "Klar", "full": "Alla detaljer"},
    "fi": {"no": "ei", "unsure": "En tiedä", "done": "Valmis", "full": "Kaikki tiedot"},
}
ANSWERS_HEADING = {"en": "Your answers", "sv": "Dina svar", "fi": "Vastauksesi"}
SOURCE_TITLE = "Summary of the 2024 AMIF call"
MAX_VERDICT = 1_500


async def _check_with_two_failures_and_an_open_point(chat: ChatDriver, lang: str) -> str:
    words = WORDS[lang]
    await chat.send(f"/eligibility {THB}")
    await chat.send(words["no"])  # not a legal person: fails
    await chat.send("2")  # a private body
    await chat.click(words["unsure"])  # non-profit? open
    await chat.send("Finland")
    await chat.send("Sverige, Estland")
    await chat.click(words["done"])
    await chat.send("1 200 000")  # above the maximum grant: fails
    await chat.send("24")
    await chat.click(chat.last_buttons[0])
    await chat.click(words["done"])
    return chat.last_text


@pytest.mark.parametrize("lang", ["en", "sv", "fi"])
async def test_the_verdict_is_short_failures_first_each_source_named_once(
    tg: Harness, lang: str
) -> None:
    chat = tg.driver(tg.core.user("Verdict", language_code=lang))
    verdict = await _check_with_two_failures_and_an_open_point(chat, lang)
    assert len(verdict) < MAX_VERDICT, len(verdict)
    assert verdict.count("✗") == 2 and verdict.count("✓") == 5 and "\n? " in verdict
    assert verdict.index("✗") < verdict.index("\n? ") < verdict.index("✓")
    assert verdict.count(SOURCE_TITLE) == 1
    assert f"\n{ANSWERS_HEADING[lang]}\n" not in verdict  # the answers are not listed again
    assert re.search(r"1[ ,\u00a0]000[ ,\u00a0]000", verdict)  # the fix names the maximum
    passes = [line for line in verdict.splitlines() if line.startswith("✓")]
    assert all(len(line) < 70 for line in passes)  # one short line each
    assert chat.last_buttons[0] == WORDS[lang]["full"]


@pytest.mark.parametrize("lang", ["en", "sv", "fi"])
async def test_full_details_are_one_press_away(tg: Harness, lang: str) -> None:
    chat = tg.driver(tg.core.user("Detail", language_code=lang))
    summary = await _check_with_two_failures_and_an_open_point(chat, lang)
    summary_message = chat.last_keyboard_message
    await chat.click(WORDS[lang]["full"])
    assert f"\n{ANSWERS_HEADING[lang]}\n" in chat.last_text
    assert summary_message is not None
    assert tg.core.message(chat.chat, summary_message.message_id).text == summary  # kept


async def test_an_eligible_verdict_has_room_for_what_the_grant_means(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Ok", language_code="sv"))
    await eligible_thb_in_swedish(chat)
    assert "Resultat: behörig" in chat.last_text
    assert len(chat.last_text) < MAX_VERDICT and chat.last_text.count("✓") == 8
    assert "888 889" in chat.last_text.replace("\u00a0", " ")  # costs at the 90 % rate


async def test_after_a_knock_out_the_user_can_stop_and_see_the_verdict(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Stopp", language_code="sv"))
    await chat.send(f"/eligibility {THB}")
    await chat.send("nej")  # not a legal person: a knock-out
    assert "Du kan sluta här och se resultatet" in chat.last_text
    assert "Sluta här: se resultatet" in chat.last_buttons
    await chat.click("Sluta här: se resultatet")
    assert "Resultat: inte behörig" in chat.last_text
    assert len(chat.last_text) < MAX_VERDICT
    # Going on is still possible: the next answer is not offered a stop unless it fails too.
    other = tg.driver(tg.core.user("Vidare", language_code="sv"))
    await other.send(f"/eligibility {THB}")
    await other.send("ja")
    assert "Sluta här: se resultatet" not in other.last_buttons
