"""A Swedish speaker is asked once, at the first deadline they see, which zone to show."""

from tests.support.bots import Harness

DEADLINE_QUESTION = "När var sista ansökningsdagen för 2020 års utlysning?"
QUESTION = "Ska jag visa tider i Helsingforstid eller i Stockholmstid?"


async def test_first_deadline_asks_helsinki_or_stockholm_and_stores_the_choice(
    tg: Harness,
) -> None:
    chat = tg.driver(tg.core.user("Stina", language_code="sv"))
    await chat.send(DEADLINE_QUESTION)
    assert chat.last_text.startswith(QUESTION)
    assert chat.last_buttons == ["Helsingforstid", "Stockholmstid"]
    assert "16 februari 2021" in chat.texts[-2]
    await chat.click("Stockholmstid")
    assert await tg.store.get_timezone(chat.user.id) == "Europe/Stockholm"
    assert "Stockholmstid" in chat.last_text
    await chat.send(DEADLINE_QUESTION)
    assert "Stockholmstid" in chat.last_text  # the answer now shows the chosen zone
    assert QUESTION not in chat.last_text


async def test_asked_only_once_when_ignored(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Sven", language_code="sv"))
    await chat.send("/calls")
    assert chat.last_text.startswith(QUESTION)
    await chat.send(DEADLINE_QUESTION)
    await chat.send("/call EU-2020-THB")
    assert sum(text.startswith(QUESTION) for text in chat.texts) == 1


async def test_not_asked_without_a_deadline_with_a_stored_zone_or_in_other_languages(
    tg: Harness,
) -> None:
    chat = tg.driver(tg.core.user("Sanna", language_code="sv"))
    await chat.send("Hur stor andel av kostnaderna täcker bidraget i 2024 års utlysning?")
    assert not any(text.startswith(QUESTION) for text in chat.texts)
    zoned = tg.driver(tg.core.user("Sune", language_code="sv"))
    await zoned.send("/timezone Europe/Helsinki")
    await zoned.send(DEADLINE_QUESTION)
    assert not any(text.startswith(QUESTION) for text in zoned.texts)
    finn = tg.driver(tg.core.user("Aino", language_code="fi"))
    await finn.send("Milloin vuoden 2020 haun määräaika päättyi?")
    assert "Tukholma" not in " ".join(finn.texts)
    group = tg.core.group()
    member = tg.driver(tg.core.user("Siv", language_code="sv"), chat=group)
    await member.send(f"@{tg.core.bot_user()['username']} {DEADLINE_QUESTION}")
    assert not any(text.startswith(QUESTION) for text in member.texts)
