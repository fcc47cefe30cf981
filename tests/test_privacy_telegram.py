"""Private data stays private in groups, buttons act only for their owner, /mydata reads well.

The group tests play three people: the requester, another member and an admin of the group
who is also an operator of the bot (ADMIN_IDS). Nobody but the requester may act on the
requester's buttons, and nothing personal is said in the group.
"""

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from handlers.callbacks import owner_of, with_owner, without_owner
from knowledge.base import KnowledgeBase
from tests.fake_telegram import ChatDriver, FakeChat, FakeTelegram
from tests.support.bots import Harness, make_harness

THB = "AMIF-2024-TF2-AG-THB"


@dataclass
class Group:
    """A group chat with the bot and three people in it."""

    tg: Harness
    chat: FakeChat
    requester: ChatDriver
    member: ChatDriver
    admin: ChatDriver

    def private(self, person: ChatDriver) -> ChatDriver:
        """The same person in their private chat with the bot."""
        return self.tg.driver(person.user)


@pytest.fixture
async def group(
    tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict
) -> AsyncIterator[Group]:
    """A bot whose operator (the group's admin) sits in a group with two other people."""
    core = FakeTelegram()
    admin_user = core.user("Aino", language_code="fi", user_id=90_001)
    harness, store = await make_harness(
        tmp_path, kb, clock, checks, core=core, admin_ids=frozenset({admin_user.id})
    )
    chat = core.group("AMIF applicants")
    try:
        yield Group(
            harness,
            chat,
            harness.driver(core.user("Sara", language_code="sv"), chat=chat),
            harness.driver(core.user("Mikko", language_code="fi"), chat=chat),
            harness.driver(admin_user, chat=chat),
        )
    finally:
        await harness.app.shutdown()
        await store.close()


def _link(chat: ChatDriver) -> str | None:
    message = chat.last_message
    urls = [b.url for b in message.buttons if b.url]
    assert not [b for b in message.buttons if b.callback_data], "no pressable buttons in a group"
    return urls[0] if urls else None


async def _sara_has_data(g: Group) -> ChatDriver:
    sara = g.private(g.requester)
    await sara.send("/language")
    await sara.click("Svenska")
    await sara.send(f"/subscribe {THB}")
    await sara.send("/timezone Europe/Stockholm")
    return sara


async def test_mydata_in_a_group_shows_nothing_and_links_to_the_private_chat(g: Group) -> None:
    sara = await _sara_has_data(g)
    await g.requester.send("/mydata")
    said = g.requester.last_text
    assert "privat" in said  # Swedish: "i en privat chatt"
    for secret in ("Svenska", "Stockholm", "människohandel", "2024", str(sara.user.id), "{"):
        assert secret not in said
    assert _link(g.requester) == "https://t.me/amif_test_bot?start=mydata"
    await sara.send("/start mydata")
    listed = sara.last_text
    assert "Språk: Svenska" in listed and "Europe/Stockholm" in listed
    assert "Påminnelser" in listed and "{" not in listed and len(listed) < 800


async def test_forget_in_a_group_is_confirmed_only_in_the_private_chat(g: Group) -> None:
    sara = await _sara_has_data(g)
    await g.requester.send("/forget")
    assert _link(g.requester) == "https://t.me/amif_test_bot?start=forget"
    assert await g.tg.store.get_language(sara.user.id) == "sv"
    await sara.send("/start forget")
    await sara.click("Radera mina uppgifter")
    assert "raderat" in sara.last_text
    assert await g.tg.store.subscriptions(sara.user.id) == []


async def test_subscribe_and_timezone_in_a_group_continue_in_the_private_chat(g: Group) -> None:
    await g.member.send(f"/subscribe {THB}")
    link = _link(g.member)
    assert link is not None and link.startswith("https://t.me/amif_test_bot?start=subscribe_")
    mikko = g.private(g.member)
    await mikko.send("/start " + link.rsplit("=", 1)[1])
    assert len(await g.tg.store.subscriptions(mikko.user.id)) == 1
    await g.member.send("/timezone")
    assert _link(g.member) == "https://t.me/amif_test_bot?start=timezone"
    await g.member.send("/unsubscribe")
    assert _link(g.member) == "https://t.me/amif_test_bot?start=unsubscribe"
    await mikko.send("/start timezone")
    assert "Tukholman aikaa" in mikko.last_buttons


async def test_language_buttons_in_a_group_act_only_for_the_requester(g: Group) -> None:
    await g.requester.send("/language")
    shown = g.requester.last_keyboard_message
    assert shown is not None
    for other in (g.member, g.admin):
        await other.click("English", message=shown)
        toast = g.tg.core.callback_answers[-1].text or ""
        assert "jonkun muun" in toast  # Finnish, the presser's language
        assert await g.tg.store.get_language(other.user.id) is None
    assert g.tg.core.message(g.chat, shown.message_id).text == shown.text  # not edited
    assert await g.tg.store.get_language(g.requester.user.id) is None
    await g.requester.click("English", message=shown)
    assert await g.tg.store.get_language(g.requester.user.id) == "en"
    assert "English" in g.requester.last_text


async def test_menu_and_call_buttons_in_a_group_act_only_for_the_requester(g: Group) -> None:
    core = g.tg.core
    await g.requester.send("/help")
    help_message = g.requester.last_keyboard_message
    assert help_message is not None
    sent_before = len(core.sent(g.chat))
    await g.member.click("Utlysningar", message=help_message)
    assert len(core.sent(g.chat)) == sent_before  # nothing posted for the other member
    await g.requester.send("/calls")
    calls = g.requester.last_keyboard_message
    assert calls is not None
    first = calls.buttons[0].text
    await g.admin.click(first, message=calls)
    assert len(core.sent(g.chat)) == sent_before + 1  # only the /calls list itself
    assert "jonkun muun" in (core.callback_answers[-1].text or "")
    await g.requester.click(first, message=calls)
    assert THB in g.requester.last_text


async def test_forged_buttons_of_every_kind_are_refused_for_anyone_else(g: Group) -> None:
    core = g.tg.core
    await g.requester.send("/calls")
    message = g.requester.last_keyboard_message
    assert message is not None
    owner = owner_of(message.buttons[0].callback_data)
    assert owner == g.requester.user.id
    forged_kinds = [
        "forget:yes",
        "lang:fi",
        "elig:thb24:legal:y",
        "echk:thb24",
        f"sub:{THB}",
        "unsub:-",
        "tz:UTC",
        "menu:elig",
        "call:thb24",
        "mydata:json",
    ]
    for data in forged_kinds:
        for other in (g.member, g.admin):
            update = core.callback_update(message, button=message.buttons[0].text, user=other.user)
            stamped = with_owner(data, g.requester.user.id)
            assert stamped is not None
            update["callback_query"]["data"] = stamped
            await g.tg.feed(update)
            assert core.is_answered(update["callback_query"]["id"]), data
            assert "jonkun muun" in (core.callback_answers[-1].text or ""), data
    assert len(core.sent(g.chat)) == 1 and not core.edits(g.chat)
    for person in (g.requester, g.member, g.admin):
        exported = await g.tg.store.export_user(person.user.id)
        assert not any(rows for table, rows in exported.items() if table != "user_id")


async def test_group_help_lists_only_what_works_in_groups(g: Group) -> None:
    for person, words in ((g.member, "Mainitse"), (g.requester, "Nämn")):
        await person.send("/help")
        text = person.last_text
        assert words in text and "@amif_test_bot" in text
        assert "/calls" in text and "/call" in text and "/language" in text
        for private in ("/mydata", "/forget", "/subscribe", "/timezone", "/eligibility"):
            assert private not in text
        urls = [b.url for b in person.last_message.buttons if b.url]
        assert urls and urls[0].startswith("https://t.me/amif_test_bot?start=")
    private_help = g.private(g.member)
    await private_help.send("/help")
    assert "/mydata" in private_help.last_text


async def test_mydata_lists_the_check_in_progress_and_sends_the_export_as_a_file(
    tg: Harness,
) -> None:
    chat = tg.driver(tg.core.user("Ville", language_code="fi"))
    await chat.send("/mydata")
    assert chat.last_text == "En ole tallentanut sinusta mitään tietoja."
    await chat.send(f"/eligibility {THB}")
    await chat.click("Kyllä")
    await chat.send("/subscribe all")
    await chat.send("/mydata")
    listed = chat.last_text
    assert "Kielivalinta" in listed or "Kieli" in listed
    assert "Vaihe 2" in listed  # the check in progress and where it stands
    assert "kaikki haut" in listed
    assert chat.last_buttons == ["Kaikki tiedostona (JSON)"]
    await chat.click("Kaikki tiedostona (JSON)")
    document = chat.documents[-1]
    assert document.file_name.endswith(".json") and document.mime_type == "application/json"
    exported = json.loads(document.content)
    assert exported["user_id"] == chat.user.id and exported["dialogs"][0]["check_id"] == "thb24"
    await chat.send("/mydata json")
    assert len(chat.documents) == 2 and json.loads(chat.documents[-1].content) == exported


async def test_mydata_in_english_reads_as_a_list(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/timezone Europe/Helsinki")
    await chat.send("/mydata")
    assert chat.last_text.splitlines()[:4] == [
        "This is what I have stored about you:",
        "• Language: not chosen (I follow the language of your messages)",
        "• Time zone: Helsinki time (Europe/Helsinki)",
        "• Eligibility checks in progress: none",
    ]


def test_owner_mark_round_trips_and_respects_the_64_byte_limit() -> None:
    data = with_owner("elig:thb24:legal:y", 7_123_456_789)
    assert data is not None and owner_of(data) == 7_123_456_789
    assert without_owner(data) == "elig:thb24:legal:y"
    assert with_owner("call:" + "x" * 55, 7_123_456_789) is None
    assert owner_of("tz:Europe/Helsinki") is None


@pytest.fixture
def g(group: Group) -> Group:
    """Short name for the group fixture."""
    return group


async def test_anyone_in_the_group_may_vote_on_an_answer(g: Group) -> None:
    await g.requester.send("@amif_test_bot Vad är finansieringsgraden i utlysningen 2024?")
    answer = g.requester.last_keyboard_message
    assert answer is not None
    await g.member.click("👍 Till hjälp", message=answer)  # votes are anonymous, not personal
    assert (g.tg.core.callback_answers[-1].text or "").startswith("Kiitos!")
    assert g.tg.core.message(g.chat, answer.message_id).button_texts[0] == "✓ 👍 Till hjälp"
