"""Operator tools: /stats, /reload (swapping knowledge while users keep asking), the CLI side."""

import argparse
import asyncio
import re
import shutil
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.context import features_of
from bot.operator import (
    RELOAD_REQUEST,
    KnowledgeLoader,
    changed_fields,
    cmd_reload,
    cmd_stats,
    read_reload_result,
    request_reload,
)
from bot.storage import AnswerRecord
from bot.telegram_app import install_operator_features
from i18n import translator
from knowledge.base import KnowledgeBase
from knowledge.documents import BUILTIN_DOCUMENTS_DIR
from knowledge.facts import BUILTIN_FACTS_DIR
from tests.fake_telegram import ChatDriver
from tests.support.bots import OperatorBot, start_operator_bot
from tests.support.clock import DEADLINE_2020, FIXED_NOW, MovingClock

ADMIN_ID = 4_242_001
NBSP = "\u00a0"
# A passage that exists only in the reloaded copy of the knowledge (test data, not a fact).
CLINIC = {
    "en": "SEM holds an online clinic for first-time AMIF applicants every Thursday morning.",
    "sv": "SEM håller en nätmottagning för förstagångssökande till AMIF varje torsdag förmiddag.",
    "fi": "SEM pitää AMIF-hakijoille verkkovastaanoton joka torstaiaamu.",
}


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the shipped knowledge the test may edit: (documents, facts)."""
    docs, facts = tmp_path / "knowledge" / "documents", tmp_path / "knowledge" / "facts"
    shutil.copytree(BUILTIN_DOCUMENTS_DIR, docs)
    shutil.copytree(BUILTIN_FACTS_DIR, facts)
    return docs, facts


@pytest.fixture
def load_windows() -> list[tuple[float, float]]:
    """When each reload's knowledge build started and ended (monotonic seconds)."""
    return []


@pytest.fixture
def clock() -> MovingClock:
    """Twenty days before the 2020 call's deadline."""
    return MovingClock(DEADLINE_2020 - timedelta(days=20))


@pytest.fixture
def bot_settings() -> dict[str, object]:
    """This module's bot has one operator."""
    return {"admin_ids": frozenset({ADMIN_ID})}


@pytest.fixture
def knowledge_loader(
    knowledge_copy: tuple[Path, Path], load_windows: list[tuple[float, float]]
) -> KnowledgeLoader:
    """Reloads read the editable copy of the knowledge, slowly, and record when they ran."""
    docs, facts = knowledge_copy

    def load(data_dir: Path) -> KnowledgeBase:
        started = time.monotonic()
        try:
            kb = KnowledgeBase.load(data_dir, documents_dir=docs, facts_dir=facts)
            # A build of the full official documents takes seconds; the shipped knowledge
            # loads in milliseconds. Stretch it so the test can see users served meanwhile.
            time.sleep(0.5)
            return kb
        finally:
            load_windows.append((started, time.monotonic()))

    return load


def _edit_knowledge(docs: Path, facts: Path) -> None:
    """Move the 2020 call's deadline by two weeks and add a passage to SEM's overview."""
    facts_file = facts / "eu-2020-thb.yaml"
    text = facts_file.read_text(encoding="utf-8")
    assert "date: 2021-02-16" in text
    facts_file.write_text(text.replace("date: 2021-02-16", "date: 2021-03-02"), encoding="utf-8")
    overview = docs / "sem-amif-overview.md"
    extra = "".join(f"\n## {lang}: applicant-clinic\n{line}\n" for lang, line in CLINIC.items())
    overview.write_text(overview.read_text(encoding="utf-8") + extra, encoding="utf-8")


# --- /stats ----------------------------------------------------------------------------------


async def test_stats_and_reload_are_not_available_to_other_users(bot: OperatorBot) -> None:
    chat = bot.harness.driver(bot.core.user("Sven", language_code="sv"))
    for command in ("/stats", "/reload"):
        await chat.send(command)
        assert chat.last_text == "Tyvärr, det är inte tillgängligt."
    assert bot.harness.services.assistant is not None
    admin_in_group = bot.harness.driver(
        bot.core.user("Op", user_id=ADMIN_ID), chat=bot.core.group()
    )
    await admin_in_group.send("/stats@amif_test_bot")
    assert admin_in_group.last_text == "Sorry, that is not available."


async def test_stats_shows_aggregate_numbers_only(bot: OperatorBot) -> None:
    store = bot.store
    for token, kind, passages in (
        ("t1", "passage", ("sem-amif-overview#aim-en",)),
        ("t2", "fact", ()),
        ("t3", "decline", ()),
    ):
        record = AnswerRecord(token, "en", kind, passages, ("sem-amif-overview",))
        await store.record_answer(record, "declined" if kind == "decline" else "answered")
    await store.vote("t1", 1)
    await store.vote("t2", -1)
    users = [bot.harness.driver(bot.core.user(f"U{n}")) for n in range(3)]
    for n, user in enumerate(users):
        await user.send("/subscribe 2020" if n else "/subscribe all")
    admin = bot.harness.driver(bot.core.user("Op", user_id=ADMIN_ID))
    await admin.send("/stats")
    text = admin.last_text
    assert "Questions answered: 2 (last 7 days: 2)" in text
    assert "Questions declined: 1" in text
    assert "Feedback: 1 👍 and 1 👎 on 3 recorded answers" in text
    assert "• sem-amif-overview#aim-en: 1 👍 / 0 👎" in text
    assert "• sem-amif-overview: 0 👍 / 1 👎" in text
    assert "Subscribers: 3" in text and "• EU-2020-THB: 2" in text and "• all calls: 1" in text
    for user in users:
        assert str(user.user.id) not in text


# --- /reload ---------------------------------------------------------------------------------


async def test_reload_swaps_knowledge_while_users_keep_getting_answers(
    bot: OperatorBot,
    knowledge_copy: tuple[Path, Path],
    load_windows: list[tuple[float, float]],
) -> None:
    subscriber = bot.harness.driver(bot.core.user("Sara", language_code="sv"))
    await subscriber.send("/subscribe 2020")
    other = bot.harness.driver(bot.core.user("Ola", language_code="sv"))
    await other.send("/subscribe FI-AMIF-2023-AUTUMN")
    others_before = len(other.texts)
    _edit_knowledge(*knowledge_copy)
    old = bot.harness.services.assistant
    admin = bot.harness.driver(bot.core.user("Op", user_id=ADMIN_ID))
    askers = [bot.harness.driver(bot.core.user(f"Asker{n}")) for n in range(4)]
    answered_at: list[float] = []
    reloading = asyncio.ensure_future(admin.send("/reload"))

    async def ask(chat: ChatDriver) -> None:
        # At a person's pace, under the flood bucket (FLOOD_BURST messages at once).
        while (not reloading.done() or len(chat.texts) < 2) and len(chat.texts) < 6:
            await chat.send("What is the funding rate of the 2024 call?")
            answered_at.append(time.monotonic())
            await asyncio.sleep(0.1)

    await asyncio.gather(reloading, *(ask(chat) for chat in askers))
    ((started, ended),) = load_windows
    during = [t for t in answered_at if started < t < ended]
    assert during, "no question was answered while the new knowledge was being built"
    for chat in askers:
        assert chat.texts and all("90%" in text for text in chat.texts)
    report = admin.last_text
    assert report.startswith("Knowledge reloaded in ")
    assert "Call EU-2020-THB: changed (deadline)" in report
    assert "Document sem-amif-overview: changed (27 → 30 passages)" in report
    assert "Subscribers being told about changed calls: 1." in report
    assert bot.harness.services.assistant is not old

    await bot.features.idle()
    notice = subscriber.last_text.replace(NBSP, " ")
    assert "Uppgifterna om AMIF-utlysningen 2020" in notice
    # Our wording around CLDR's time: the clock is whatever Babel writes for Finland-Swedish.
    new_deadline = datetime(2021, 3, 2, 18, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
    clock = translator("sv").format_time(new_deadline, ZoneInfo("Europe/Helsinki"))
    assert f"Ny sista ansökningsdag: 2 mars 2021 kl. {clock} (Helsingforstid)." in notice
    assert len(other.texts) == others_before  # that call did not change

    await askers[0].send("When is the SEM online clinic held?")
    assert "every Thursday morning" in askers[0].last_text


async def test_a_broken_knowledge_file_keeps_the_old_knowledge(
    bot: OperatorBot, knowledge_copy: tuple[Path, Path]
) -> None:
    _docs, facts = knowledge_copy
    (facts / "eu-2020-thb.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    old = bot.harness.services.assistant
    admin = bot.harness.driver(bot.core.user("Op", user_id=ADMIN_ID))
    await admin.send("/reload")
    assert "The reload failed, so the knowledge in use stays as it was" in admin.last_text
    assert "eu-2020-thb.yaml" in admin.last_text
    assert bot.harness.services.assistant is old
    await admin.send("What is the funding rate of the 2024 call?")
    assert "90%" in admin.last_text


async def test_installing_the_features_again_does_not_double_the_replies(
    bot: OperatorBot,
) -> None:
    again = install_operator_features(bot.harness.app, interval=5.0)
    assert features_of(bot.harness.app) is again
    chat = bot.harness.driver()
    await chat.send("/subscribe all")
    assert len(chat.texts) == 1


def test_changed_fields_name_what_differs(kb: KnowledgeBase) -> None:
    call = kb.call("EU-2020-THB")
    assert call is not None and call.deadline is not None
    moved = replace(call, deadline=replace(call.deadline, date=call.deadline.date.replace(day=20)))
    assert changed_fields(call, moved) == ("deadline",)
    assert changed_fields(call, replace(call, path=Path("elsewhere.yaml"))) == ()


# --- the command line ------------------------------------------------------------------------


async def test_amif_bot_stats_prints_the_numbers_from_the_database(
    bot: OperatorBot, capsys: pytest.CaptureFixture[str]
) -> None:
    await bot.store.record_answer(None, "answered")
    await bot.harness.driver().send("/subscribe all")
    # The running bot writes its counters every few seconds (COUNT_FLUSH_SECONDS); here at once.
    await bot.store.flush_counts()
    settings = bot.harness.services.settings
    code = await asyncio.to_thread(cmd_stats, argparse.Namespace(lang=None), settings)
    out = capsys.readouterr().out
    assert code == 0
    assert "Questions answered: 1" in out and "Subscribers: 1" in out


async def test_amif_bot_reload_asks_the_running_bot_and_waits_for_its_report(
    bot: OperatorBot, knowledge_copy: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _edit_knowledge(*knowledge_copy)
    settings = bot.harness.services.settings
    bot.features.interval = 0.05
    bot.features.start()
    code = await asyncio.to_thread(cmd_reload, argparse.Namespace(wait=20.0), settings)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "knowledge valid:" in out
    assert re.search(r'"id": "EU-2020-THB",\s*"change": "changed"', out)
    assert not (settings.data_dir / RELOAD_REQUEST).exists()


async def test_amif_bot_reload_refuses_knowledge_that_does_not_load(
    bot: OperatorBot, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = bot.harness.services.settings
    ingested = settings.data_dir / "documents"
    ingested.mkdir(parents=True, exist_ok=True)
    # An ingested document that takes the id of a shipped one stops the knowledge loading.
    clash = (BUILTIN_DOCUMENTS_DIR / "sem-amif-overview.md").read_text(encoding="utf-8")
    (ingested / "clash.md").write_text(clash, encoding="utf-8")
    code = await asyncio.to_thread(cmd_reload, argparse.Namespace(wait=0.0), settings)
    assert code == 1
    assert "does not load" in capsys.readouterr().err
    assert not (settings.data_dir / RELOAD_REQUEST).exists()


async def test_a_request_is_picked_up_by_the_next_scheduler_round(bot: OperatorBot) -> None:
    data_dir = bot.harness.services.settings.data_dir
    request_id = request_reload(data_dir)
    assert read_reload_result(data_dir, request_id) is None
    await bot.features.tick()
    result = read_reload_result(data_dir, request_id)
    assert result is not None and result["ok"] is True
    assert not (data_dir / RELOAD_REQUEST).exists()


async def test_a_reload_refreshes_the_eligibility_verdicts_numbers(
    tmp_path: Path, kb: KnowledgeBase, checks: dict
) -> None:
    """An operator's corrected funding rate reaches the check's verdict after /reload."""
    from bot.operator import reload_knowledge
    from tests.support.checks import eligible_thb_in_swedish

    clock = MovingClock(FIXED_NOW)
    running = await start_operator_bot(tmp_path, kb, clock, checks)
    try:

        async def eligible_verdict(name: str) -> str:
            chat = running.harness.driver(running.core.user(name, language_code="sv"))
            return (await eligible_thb_in_swedish(chat)).replace("\u00a0", " ")

        assert "888 889" in await eligible_verdict("Before")  # total costs at the 90 % rate
        (tmp_path / "facts").mkdir()
        (tmp_path / "facts" / "rate.yaml").write_text(
            "id: AMIF-2024-TF2-AG-THB\nfunding_rate:\n  rate: 0.75\n  basis:\n"
            "    en: of the eligible costs\n    sv: av de stödberättigande kostnaderna\n"
            "    fi: tukikelpoisista kustannuksista\n",
            encoding="utf-8",
        )
        report = await reload_knowledge(running.harness.services)
        assert report.ok, report.error
        after = await eligible_verdict("After")
        assert "1 066 667" in after and "888 889" not in after  # 800 000 at the 75 % rate
    finally:
        await running.harness.app.shutdown()
        await running.harness.store.close()
