"""Layout as users see it: bold headings, call references as code, links, a call's page with
action buttons, menus that change in place, citations that name a page one can open."""

from pathlib import Path

import pytest

from bot.assistant import Reply, SourceRef
from bot.storage import StorageKey
from handlers.render import reply_to_html, text_to_html
from knowledge.documents import BUILTIN_DOCUMENTS_DIR, load_document
from knowledge.errors import KnowledgeError
from tests.fake_telegram import BotMessage, parse_html
from tests.support.bots import Harness

REF = "AMIF-2024-TF2-AG-THB"
TOPIC_PAGE = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    "topic-details/amif-2024-tf2-ag-thb"
)


def _entities(message: BotMessage, kind: str) -> list[str]:
    """The texts a kind of entity covers (bold, code, text_link) in what the user sees."""
    text16 = message.text.encode("utf-16-le")
    return [
        text16[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.entities
        if e["type"] == kind
    ]


def _links(message: BotMessage) -> list[str]:
    return [e["url"] for e in message.entities if e["type"] == "text_link"]


async def test_call_page_has_sections_code_reference_links_and_action_buttons(
    tg: Harness,
) -> None:
    chat = tg.driver()
    await chat.send(f"/call {REF}")
    page = chat.last_message
    assert page.parse_mode == "HTML"
    assert _entities(page, "bold")[:1] == [
        "AMIF 2024 call on victims of trafficking in human beings"
    ]
    assert {"Dates", "Money", "Who can apply", "Contact"} <= set(_entities(page, "bold"))
    assert REF in _entities(page, "code")
    assert TOPIC_PAGE in _links(page)  # the source line links the official call page
    assert page.button_texts == [
        "Check eligibility",
        "Remind me",
        "Official page",
        "« Back to calls",
    ]
    official = next(b for b in page.buttons if b.text == "Official page")
    assert official.url == TOPIC_PAGE
    assert page.text.count("📄") == 1


async def test_call_page_in_swedish_and_finnish(tg: Harness) -> None:
    for code, heading, buttons in (
        ("sv", "Vem kan söka", ["Kontrollera behörighet", "Påminn mig", "Officiell sida"]),
        ("fi", "Kuka voi hakea", ["Tarkista kelpoisuus", "Muistuta minua", "Virallinen sivu"]),
    ):
        chat = tg.driver(tg.core.user(f"U{code}", language_code=code))
        await chat.send(f"/call {REF}")
        assert heading in _entities(chat.last_message, "bold")
        assert chat.last_buttons[:3] == buttons


async def test_list_and_call_page_are_one_message_edited_in_place(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/calls")
    listing = chat.last_message
    sent = len(tg.core.sent(chat.chat))
    await chat.click("AMIF 2024 call on victims of trafficking in human beings")
    assert len(tg.core.sent(chat.chat)) == sent  # no new message
    assert tg.core.calls_to("editMessageText")[-1].params["parse_mode"] == "HTML"
    assert chat.last_message.message_id == listing.message_id
    assert "Who can apply" in chat.last_text
    await chat.click("« Back to calls")
    assert len(tg.core.sent(chat.chat)) == sent
    assert chat.last_message.message_id == listing.message_id
    assert "Calls I know about" in chat.last_text


async def test_closed_call_has_no_reminder_and_no_page_button(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/call EU-2020-THB")
    assert chat.last_buttons == ["« Back to calls"]
    assert "The deadline is 16 February 2021" in chat.last_text


async def test_start_menu_buttons_edit_the_menu_with_a_way_back(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/start")
    menu = chat.last_message
    sent = len(tg.core.sent(chat.chat))
    for button, shows in (
        ("Calls", "Calls I know about"),
        ("Ask a question", "Type your question"),
        ("Language", "Choose your language"),
    ):
        await chat.click(button)
        assert chat.last_message.message_id == menu.message_id
        assert shows in chat.last_text
        assert "« Menu" in chat.last_buttons
        await chat.click("« Menu")
        assert chat.last_text.startswith("Hello")
        assert chat.last_buttons == menu.button_texts
    assert len(tg.core.sent(chat.chat)) == sent
    assert menu.message_id == chat.last_message.message_id
    assert tg.core.message(chat.chat, menu.message_id).edit_count == 6


async def test_calls_from_the_menu_then_a_call_then_back_then_menu(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/start")
    await chat.click("Calls")
    await chat.click("Finland's national AMIF call, autumn 2023")
    assert "Dates" in chat.last_text
    await chat.click("« Back to calls")
    assert "Calls I know about" in chat.last_text
    assert len(tg.core.sent(chat.chat)) == 1


async def test_remind_me_subscribes_and_keeps_the_call_page(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send(f"/call {REF}")
    page = chat.last_message
    await chat.click("Remind me")
    subscriptions = await tg.store.subscriptions(chat.user.id)
    assert [s.call_id for s in subscriptions] == [REF]
    assert chat.last_text.startswith("Subscribed to")
    assert "Who can apply" in tg.core.message(chat.chat, page.message_id).text


async def test_check_eligibility_button_starts_that_calls_check(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send(f"/call {REF}")
    await chat.click("Check eligibility")
    key = StorageKey(chat.chat.id, chat.user.id)
    assert await tg.services.sessions.active(key) is not None


async def test_call_page_in_a_group_sends_checks_to_the_private_chat(tg: Harness) -> None:
    group = tg.core.group()
    member = tg.driver(tg.core.user("Member"), chat=group)
    await member.send(f"/call {REF}")
    buttons = member.last_message.buttons
    assert [b.text for b in buttons] == ["Check eligibility", "Official page", "« Back to calls"]
    assert buttons[0].url is not None and buttons[0].url.endswith("?start=elig_thb24")


async def test_swedish_answer_cites_the_swedish_title_once_with_a_page_to_open(
    tg: Harness,
) -> None:
    chat = tg.driver(tg.core.user("Sara", language_code="sv"))
    await chat.send("Hur stor andel av kostnaderna täcker bidraget i 2024 års utlysning?")
    message = chat.last_message
    assert "Sammanfattning av AMIF:s utlysning 2024" in message.text
    assert "Summary of the 2024" not in message.text
    assert message.text.count("📄") == 1
    assert TOPIC_PAGE in _links(message)


async def test_finnish_contact_answer_has_no_note_about_our_copy(tg: Harness) -> None:
    chat = tg.driver(tg.core.user("Aino", language_code="fi"))
    await chat.send("Keneen voin ottaa yhteyttä Suomen syksyn 2023 AMIF-hausta?")
    assert "kopio" not in chat.last_text
    assert "Lähde" in chat.last_text


def test_shipped_knowledge_has_no_notes_addressed_to_us() -> None:
    root = BUILTIN_DOCUMENTS_DIR.parent
    words = ("our copy", "vår kopia", "kopiossa", "hidden in", "dold i")
    for path in [*root.glob("documents/*.md"), *root.glob("facts/*.yaml")]:
        text = path.read_text(encoding="utf-8").casefold()
        assert not [w for w in words if w in text], path.name


def test_every_shipped_document_has_swedish_and_finnish_titles() -> None:
    for path in BUILTIN_DOCUMENTS_DIR.glob("*.md"):
        source = load_document(path).source
        assert source.title_in("sv") != source.title, path.name
        assert source.title_in("fi") != source.title, path.name
        assert source.title_in("en") == source.title


def test_a_translated_title_must_be_text(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text(
        "---\nid: d\ntitle: T\ntitle_fi: 3\npublisher: P\nlanguage: en\n"
        "url: no public URL known\ncall: null\n---\n\n"
        "## en: about\nText.\n\n## sv: about\nText.\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="title_fi"):
        load_document(path)


def test_html_escapes_text_links_urls_and_marks_references() -> None:
    text = (
        "Rates & limits: see https://example.org/a?b=1&c=2. Compare <AMIF-2024-TF2-AG-THB>.\n\n"
        "Headline:\n• a < b"
    )
    [html_text] = text_to_html(text)
    parsed = parse_html(html_text)  # the strict fake's parser: raises on an unescaped < or &
    assert "Rates & limits" in parsed.text and "a < b" in parsed.text
    types = {e["type"]: e for e in parsed.entities}
    assert types["text_link"]["url"] == "https://example.org/a?b=1&c=2"
    assert {"code", "bold"} <= set(types)


def test_duplicate_source_lines_are_shown_once() -> None:
    ref = SourceRef("x", "A title", "A publisher", None, None)
    twin = SourceRef("y", "A title", "A publisher", None, 0.5)
    [message] = reply_to_html(Reply("en", True, ("Body.",), (ref, twin)))
    assert message.count("📄") == 1


async def test_a_language_chosen_from_the_menu_keeps_a_way_back_to_it(tg: Harness) -> None:
    chat = tg.driver()
    await chat.send("/start")
    await chat.click("Language")
    await chat.click("Suomi")
    assert "suomeksi" in chat.last_text
    assert chat.last_buttons == ["« Valikko"]
    await chat.click("« Valikko")
    assert chat.last_text.startswith("Hei")
    assert "Utlysningar" not in chat.last_buttons and "Haut" in chat.last_buttons
    assert len(tg.core.sent(chat.chat)) == 1
