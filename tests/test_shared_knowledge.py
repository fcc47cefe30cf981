"""With DATABASE_URL set, the knowledge lives in PostgreSQL and reaches every replica.

Every "replica" here is a data directory of its own, used by real `amif-bot` processes; no test
copies a file between them: what one ingests, the others get from the database only.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bot.storage_pg import PostgresStorage
from bot.webhook import SECRET_HEADER
from knowledge.base import KnowledgeBase
from knowledge.ingest import ingest_paths
from knowledge.shared import (
    VERSION_FILE,
    SharedKnowledge,
    VersionConflict,
    content_digest,
    local_files,
)
from tests.conftest import (
    ROOT,
    bot_environment,
    free_loopback_port,
    start_bot_process,
    wait_for_listener,
)
from tests.fake_telegram import FakeTelegram, FakeTelegramServer, FakeUser
from tests.support.postgres import run_database, server_url
from tests.test_reminders import OperatorBot, start_operator_bot

# An invented call page (no sentence of the seeds): what the operator ingests.
CAFE_PAGE = """# Language cafés for newly arrived parents (AMIF-2027-TF2-AG-CAFE)

Call reference: AMIF-2027-TF2-AG-CAFE

This invented test call funds language cafés where newly arrived parents practise the language
of their new home while their children play nearby.

Deadline for submitting proposals: 14 October 2027 17:00 CET (Brussels time).

The indicative budget of the call is EUR 3 000 000. Grants range from EUR 200 000 to
EUR 600 000 per project.

The EU contribution covers up to 80% of the eligible costs of a project.

Questions about this call can be sent to cafe-call@example.org.
"""
CAFE_DOC = "op-language-cafes"
CAFE_CALL = "AMIF-2027-TF2-AG-CAFE"
CAFE_QUESTION = "What is the deadline of the language cafés call?"
# An operator's correction of one field of that call.
CAFE_FACTS = f"""id: {CAFE_CALL}
deadline: {{date: 2027-11-30, time: "12:00", tz: Europe/Brussels}}
"""
SEEDS = Path("/work/shared/seeds")
STEP_TIMEOUT = 120.0
# What the bot's error handler tells a user whose update failed (handlers/errors.py).
FAILED_ANSWER = "something went wrong on my side"
ADMIN_ID = 7_000_100
INDEX_BUILT = "indexed "  # knowledge.base logs "indexed N passages in S s; saving" on a build
INDEX_RESTORED = "built index restored from the database"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of this test's own on the PostgreSQL server."""
    with run_database(server_url()) as url:
        yield url


@pytest.fixture
def cafe_page(tmp_path: Path) -> Path:
    """The call page, as an operator's file outside any data directory."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    page = folder / "language-cafes.md"
    page.write_text(CAFE_PAGE, encoding="utf-8")
    return page


def environment(data: Path, url: str | None) -> dict[str, str]:
    """An `amif-bot` command's environment: this data directory, this database (or none)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WEBHOOK_", "AMIF_")) and k != "DATABASE_URL"
    }
    env.update({"AMIF_DATA_DIR": str(data), "LOG_LEVEL": "INFO"})
    if url is not None:
        env["DATABASE_URL"] = url
    return env


def amif(data: Path, url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `amif-bot ARGS` as its own process and return what it did."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=environment(data, url),
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
    )


def ask(data: Path, url: str | None, question: str) -> dict[str, Any]:
    """`amif-bot ask --json QUESTION`: the reply as JSON, and the command's log."""
    done = amif(data, url, "ask", "--json", question)
    assert done.returncode == 0, done.stderr
    reply: dict[str, Any] = json.loads(done.stdout)
    reply["log"] = done.stderr
    return reply


def cited(reply: dict[str, Any]) -> set[str]:
    """The ids of the documents a reply cites."""
    return {str(source["id"]) for source in reply["sources"]}


async def migrate(url: str) -> None:
    """The current schema in the database, as the bot's start or `amif-bot migrate` makes it."""
    async with PostgresStorage(url):
        pass


def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    """Rows read past the code under test."""
    with psycopg.connect(url) as conn:
        return list(conn.execute(query).fetchall())


# --- one data directory ingests, another answers ---------------------------------------------


@pytest.mark.slow  # `amif-bot` processes
def test_an_ingest_reaches_another_data_directory_and_its_undo_too(
    tmp_path: Path, pg_url: str, cafe_page: Path
) -> None:
    operator, replica = tmp_path / "operator", tmp_path / "replica"
    before = ask(replica, pg_url, CAFE_QUESTION)
    assert CAFE_DOC not in cited(before)

    done = amif(operator, pg_url, "ingest", str(cafe_page))
    assert done.returncode == 0, done.stderr
    assert f"ingested {cafe_page} as {CAFE_DOC}" in done.stdout
    assert "shared as knowledge version 1 (2 files written, 0 removed)" in done.stdout
    # A correction goes into the database too, not into this machine's facts/ folder.
    assert "correct it with `amif-bot facts put FILE`" in done.stdout
    stored = rows(pg_url, "SELECT kind, name FROM knowledge_files ORDER BY kind, name")
    assert stored == [("document", f"{CAFE_DOC}.md"), ("extracted", f"{CAFE_DOC}.yaml")]
    # The version row's digest is the digest of exactly those files.
    ((version, digest),) = rows(pg_url, "SELECT version, digest FROM knowledge_version")
    assert (version, digest) == (1, content_digest(local_files(operator)))

    # The other data directory was never written by the operator's command, only pulled.
    reply = ask(replica, pg_url, CAFE_QUESTION)
    assert reply["answered"] is True
    assert CAFE_DOC in cited(reply)
    assert "14 October 2027" in reply["text"]
    assert (replica / "documents" / f"{CAFE_DOC}.md").read_text("utf-8") == (
        operator / "documents" / f"{CAFE_DOC}.md"
    ).read_text("utf-8")
    assert json.loads((replica / VERSION_FILE).read_text("utf-8")) == {"version": 1}

    # Undo the ingest from yet another data directory: every one loses the document.
    third = tmp_path / "third"
    listed = amif(third, pg_url, "documents", "list")
    assert listed.stdout.splitlines() == [CAFE_DOC, "1 in the database"]
    removed = amif(third, pg_url, "documents", "remove", CAFE_DOC)
    assert removed.returncode == 0, removed.stderr
    assert "shared as knowledge version 2 (0 files written, 2 removed)" in removed.stdout
    assert rows(pg_url, "SELECT COUNT(*) FROM knowledge_files") == [(0,)]
    after = ask(replica, pg_url, CAFE_QUESTION)
    assert CAFE_DOC not in cited(after)
    assert "14 October 2027" not in after["text"]
    assert not (replica / "documents" / f"{CAFE_DOC}.md").exists()
    assert not (replica / "extracted" / f"{CAFE_DOC}.yaml").exists()


@pytest.mark.slow  # `amif-bot` processes
def test_an_operator_facts_file_put_into_the_database_corrects_every_replica(
    tmp_path: Path, pg_url: str, cafe_page: Path
) -> None:
    operator, replica = tmp_path / "operator", tmp_path / "replica"
    assert amif(operator, pg_url, "ingest", str(cafe_page)).returncode == 0
    facts = tmp_path / "cafe.yaml"
    facts.write_text(CAFE_FACTS, encoding="utf-8")
    put = amif(operator, pg_url, "facts", "put", str(facts))
    assert put.returncode == 0, put.stderr
    assert "shared as knowledge version 2 (1 files written, 0 removed)" in put.stdout
    assert amif(replica, pg_url, "facts", "list").stdout.splitlines() == [
        "cafe.yaml",
        "1 in the database",
    ]
    reply = ask(replica, pg_url, CAFE_QUESTION)
    assert "30 November 2027" in reply["text"]

    # A broken file is refused before anything reaches the database.
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: AMIF-NO-SUCH-CALL\nkind: call\n", encoding="utf-8")
    refused = amif(operator, pg_url, "facts", "put", str(broken))
    assert refused.returncode == 1
    assert "the knowledge would not load, so nothing was changed" in refused.stderr
    assert not (operator / "facts" / "broken.yaml").exists()
    assert rows(pg_url, "SELECT version FROM knowledge_version") == [(2,)]

    removed = amif(replica, pg_url, "facts", "remove", "cafe.yaml")
    assert removed.returncode == 0, removed.stderr
    assert "14 October 2027" in ask(operator, pg_url, CAFE_QUESTION)["text"]


async def test_a_push_from_a_stale_copy_is_refused(
    tmp_path: Path, pg_url: str, cafe_page: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    await migrate(pg_url)
    ingest_paths([cafe_page], first)
    shared = SharedKnowledge(pg_url)
    assert shared.push(first, expected=0).version == 1
    pulled = shared.pull(second)
    assert pulled.version == 1
    (first / "documents" / f"{CAFE_DOC}.md").unlink()
    assert shared.push(first, expected=1).version == 2
    (second / "facts").mkdir()
    (second / "facts" / "cafe.yaml").write_text(CAFE_FACTS, encoding="utf-8")
    with pytest.raises(VersionConflict, match="changed meanwhile"):
        shared.push(second, expected=pulled.version)
    assert rows(pg_url, "SELECT kind, name FROM knowledge_files") == [
        ("extracted", f"{CAFE_DOC}.yaml")
    ]


@pytest.mark.slow  # `amif-bot` processes
def test_an_empty_disk_maps_the_databases_index_instead_of_rebuilding(
    tmp_path: Path, pg_url: str, cafe_page: Path
) -> None:
    operator = tmp_path / "operator"
    done = amif(operator, pg_url, "ingest", str(cafe_page))
    assert done.returncode == 0, done.stderr
    assert "built index kept in the database" in done.stderr
    assert rows(pg_url, "SELECT COUNT(*) FROM knowledge_index") == [(1,)]

    timings = {}
    for attempt, with_copy in enumerate((True, False)):
        if not with_copy:
            with psycopg.connect(pg_url) as conn:
                conn.execute("DELETE FROM knowledge_index")
        empty = tmp_path / f"empty-{attempt}"
        started = time.perf_counter()
        reply = ask(empty, pg_url, CAFE_QUESTION)
        timings[with_copy] = time.perf_counter() - started
        assert CAFE_DOC in cited(reply)
        if with_copy:
            assert INDEX_RESTORED in reply["log"]
            assert INDEX_BUILT not in reply["log"]
        else:
            assert INDEX_RESTORED not in reply["log"]
            assert INDEX_BUILT in reply["log"]  # no copy: this start-up builds it
    # Numbers for the report, not an assertion (a loaded machine would make it flaky).
    print(
        f"\nstart-up of `ask` on an empty disk: {timings[True]:.2f} s with the database's "
        f"index, {timings[False]:.2f} s rebuilding it"
    )


@pytest.mark.slow  # `amif-bot` processes
def test_seed_call_pages_ingested_against_the_database_answer_elsewhere(
    tmp_path: Path, pg_url: str
) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is not here")
    pages = sorted(SEEDS.glob("*.txt"))
    if not pages:
        pytest.skip(f"no call pages in {SEEDS}")
    operator, replica = tmp_path / "operator", tmp_path / "replica"
    done = amif(operator, pg_url, "ingest", "--json", *map(str, pages))
    assert done.returncode == 0, done.stderr
    ingested = {json.loads(line)["id"] for line in done.stdout.splitlines()}
    listed = amif(replica, pg_url, "documents", "list", "--json")
    assert set(json.loads(listed.stdout)["files"]) == {f"{i}.md" for i in ingested}
    assert not (replica / "documents").exists()  # listing reads the database only
    reply = ask(replica, pg_url, "What is the funding rate?")  # a start-up: pulls
    assert INDEX_RESTORED in reply["log"]
    for doc_id in ingested:
        name = f"{doc_id}.md"
        assert (replica / "documents" / name).read_bytes() == (
            operator / "documents" / name
        ).read_bytes()


@pytest.mark.slow  # `amif-bot` processes
def test_an_installation_moving_to_postgresql_shares_its_files_with_its_first_reload(
    tmp_path: Path, pg_url: str, cafe_page: Path
) -> None:
    data, replica = tmp_path / "data", tmp_path / "replica"
    assert amif(data, None, "ingest", str(cafe_page)).returncode == 0  # SQLite days
    # Nothing in the database yet: the files stay (a pull of version 0 removes nothing).
    assert CAFE_DOC in cited(ask(data, pg_url, CAFE_QUESTION))
    reload = amif(data, pg_url, "reload")
    assert reload.returncode == 0, reload.stderr
    assert "reload requested as knowledge version 1" in reload.stdout
    assert CAFE_DOC in cited(ask(replica, pg_url, CAFE_QUESTION))
    again = amif(data, pg_url, "reload")
    assert "reload requested as knowledge version 2" in again.stdout
    assert rows(pg_url, "SELECT COUNT(*) FROM knowledge_files") == [(2,)]


@pytest.mark.slow  # `amif-bot` processes
def test_a_database_that_does_not_answer_changes_nothing(tmp_path: Path, cafe_page: Path) -> None:
    data = tmp_path / "data"
    nowhere = f"postgresql://postgres@127.0.0.1:{free_loopback_port()}/none"
    for args in (["ingest", str(cafe_page)], ["documents", "remove", CAFE_DOC], ["reload"]):
        done = amif(data, nowhere, *args)
        assert done.returncode == 1, (args, done.stderr)
        assert "error: " in done.stderr and "Traceback" not in done.stderr
    assert not (data / "documents").exists()
    asked = amif(data, nowhere, "ask", CAFE_QUESTION)
    assert asked.returncode == 1
    assert "the shared knowledge cannot be read" in asked.stderr


@pytest.mark.slow  # `amif-bot` processes
def test_reload_wait_says_so_when_no_replica_reports(tmp_path: Path, pg_url: str) -> None:
    done = amif(tmp_path / "data", pg_url, "reload", "--wait", "1")
    assert done.returncode == 1
    assert "reload requested as knowledge version 1" in done.stdout
    assert "no replica reported version 1 within 1 s" in done.stderr


@pytest.mark.slow  # `amif-bot` processes
def test_without_database_url_the_data_directory_alone_holds_the_knowledge(
    tmp_path: Path, cafe_page: Path
) -> None:
    data, other = tmp_path / "data", tmp_path / "other"
    done = amif(data, None, "ingest", str(cafe_page))
    assert done.returncode == 0, done.stderr
    assert "shared as" not in done.stdout
    assert not (data / VERSION_FILE).exists()
    assert CAFE_DOC in cited(ask(data, None, CAFE_QUESTION))
    assert CAFE_DOC not in cited(ask(other, None, CAFE_QUESTION))
    facts = tmp_path / "cafe.yaml"
    facts.write_text(CAFE_FACTS, encoding="utf-8")
    put = amif(data, None, "facts", "put", str(facts))
    assert put.returncode == 0, put.stderr
    assert "run `amif-bot reload`" in put.stdout
    assert "30 November 2027" in ask(data, None, CAFE_QUESTION)["text"]
    removed = amif(data, None, "documents", "remove", CAFE_DOC)
    assert removed.returncode == 1  # the operator's facts file names the call: kept
    assert (data / "documents" / f"{CAFE_DOC}.md").exists()


# --- a running bot's watch of the version, in this process ---------------------------------


@asynccontextmanager
async def watching_bot(
    tmp_path: Path, url: str, kb: KnowledgeBase, checks: dict, poll: float
) -> AsyncIterator[OperatorBot]:
    """A bot (the real Application) whose operator features follow the database's knowledge."""
    await migrate(url)
    running = await start_operator_bot(
        tmp_path / "bot", kb, lambda: datetime.now(UTC), checks, database_url=url
    )
    running.features.poll_interval = poll
    running.features.start()
    try:
        yield running
    finally:
        await running.close()
        await running.store.close()


async def answers_from(bot: OperatorBot, doc_id: str, timeout: float = 30.0) -> bool:
    """Whether the bot's assistant comes to cite doc_id for the question within timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = bot.features.services.assistant.answer(CAFE_QUESTION, "en")
        if doc_id in {str(s["id"]) for s in reply.to_json()["sources"]}:
            return True
        await asyncio.sleep(0.1)
    return False


async def listening(url: str, timeout: float = 30.0) -> None:
    """Return once a connection of the bot listens on the database (its last query LISTEN)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = rows(
            url,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'idle' AND query LIKE 'LISTEN %'",
        )
        if found[0][0]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the bot never listened for knowledge versions")


async def test_a_notify_reaches_a_running_bot_long_before_its_poll(
    tmp_path: Path, pg_url: str, cafe_page: Path, kb: KnowledgeBase, checks: dict
) -> None:
    async with watching_bot(tmp_path, pg_url, kb, checks, poll=3600.0) as bot:
        await listening(pg_url)
        operator = tmp_path / "operator"
        ingest_paths([cafe_page], operator)
        await asyncio.to_thread(SharedKnowledge(pg_url).push, operator, 0)
        assert await answers_from(bot, CAFE_DOC)  # an hour's poll away: it was the NOTIFY
        assert bot.features.applied_version == 1


async def test_without_a_notify_a_running_bot_polls_the_version_row(
    tmp_path: Path, pg_url: str, cafe_page: Path, kb: KnowledgeBase, checks: dict
) -> None:
    operator = tmp_path / "operator"
    ingest_paths([cafe_page], operator)  # files only
    async with watching_bot(tmp_path, pg_url, kb, checks, poll=0.2) as bot:
        # As a NOTIFY lost on a dropped connection: the rows and the version, and no notice.
        with psycopg.connect(pg_url) as conn:
            for (kind, name), text in local_files(operator).items():
                conn.execute(
                    "INSERT INTO knowledge_files VALUES (%s, %s, %s, %s, now())",
                    (kind, name, text, "not-checked"),
                )
            conn.execute("INSERT INTO knowledge_version VALUES (1, 1, 'd', 0, NULL, now())")
        assert await answers_from(bot, CAFE_DOC)
    assert (tmp_path / "bot" / "documents" / f"{CAFE_DOC}.md").read_text("utf-8") == (
        operator / "documents" / f"{CAFE_DOC}.md"
    ).read_text("utf-8")


# --- two running bots -------------------------------------------------------------------------


@asynccontextmanager
async def replica(
    core: FakeTelegram, server: FakeTelegramServer, tmp_path: Path, name: str, url: str
) -> AsyncIterator[tuple[str, Path]]:
    """`amif-bot run` on the shared database behind a webhook of its own: (its URL, its log)."""
    port = free_loopback_port()
    data = tmp_path / name
    log_path = tmp_path / f"{name}.log"
    env = bot_environment(
        core,
        server,
        data,
        DATABASE_URL=url,
        WEBHOOK_URL="https://amif-bot.example.org/tg",
        WEBHOOK_SECRET="s3cret",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        BOT_WORKERS="2",
        ADMIN_IDS=str(ADMIN_ID),
        LOG_LEVEL="INFO",
    )
    with log_path.open("wb") as log_file:
        process = await start_bot_process(env, stdout=log_file, stderr=log_file)
        try:
            await wait_for_listener(port, 60)
            yield f"http://127.0.0.1:{port}/tg", log_path
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


class Asker:
    """A user whose questions a test posts to one replica's webhook, reading the replies."""

    def __init__(self, core: FakeTelegram, user: FakeUser, hook: str) -> None:
        self.core = core
        self.user = user
        self.hook = hook
        self.chat = core.private_chat(user)

    async def ask(self, client: httpx.AsyncClient, text: str) -> str:
        """Post the question; the bot's reply once it has sent one."""
        before = len(self.core.sent(self.chat))
        update = self.core.text_update(text, user=self.user, chat=self.chat)
        response = await client.post(self.hook, json=update, headers={SECRET_HEADER: "s3cret"})
        assert response.status_code == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            sent = self.core.sent(self.chat)
            if len(sent) > before:
                await asyncio.sleep(0.2)  # a reply in several messages
                return "\n".join(m.text for m in self.core.sent(self.chat)[before:])
            await asyncio.sleep(0.05)
        raise AssertionError(f"no reply to {text!r} within 30 s")

    async def seen(self, start: str, timeout: float = 60.0) -> bool:
        """Whether a message of the bot (sent or edited) starts so, waiting up to timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = [*self.core.sent(self.chat), *self.core.edits(self.chat)]
            if any(m.text.startswith(start) for m in messages):
                return True
            await asyncio.sleep(0.2)
        return False


async def run_cli(data: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """amif() off the event loop, so the bots' fake Telegram keeps serving meanwhile."""
    return await asyncio.to_thread(amif, data, url, *args)


@pytest.mark.slow
async def test_two_running_bots_answer_from_an_ingest_within_a_minute(
    tmp_path: Path, pg_url: str, cafe_page: Path
) -> None:
    core = FakeTelegram()
    operator = tmp_path / "operator"
    # The schema first, as `amif-bot migrate` before a deploy: two replicas then start at once.
    assert (await run_cli(operator, pg_url, "migrate")).returncode == 0
    async with (
        FakeTelegramServer(core) as server,
        replica(core, server, tmp_path, "one", pg_url) as (hook_one, log_one),
        replica(core, server, tmp_path, "two", pg_url) as (hook_two, log_two),
        httpx.AsyncClient(timeout=30, trust_env=False) as client,
    ):
        # Two users per replica: one served by each of its two worker processes.
        askers = [
            Asker(
                core, core.user(f"Asker{n}", user_id=7_000_000 + n), (hook_one, hook_two)[n // 2]
            )
            for n in range(4)
        ]
        for asker in askers:
            assert "14 October 2027" not in await asker.ask(client, CAFE_QUESTION)
        # Told of new calls: once, by whichever replica claims the version, not by each.
        subscriber = Asker(core, core.user("Subscriber", user_id=7_000_020), hook_two)
        assert "Subscribed to all calls" in await subscriber.ask(client, "/subscribe all")

        answered: dict[int, float] = {}
        failures: list[str] = []
        asking = asyncio.Event()
        started = time.monotonic()

        async def keep_asking(n: int, asker: Asker) -> None:
            # Before the swap the old knowledge answers (declining, or naming other calls);
            # a failed update would get the error handler's apology instead.
            while not asking.is_set():
                text = await asker.ask(client, CAFE_QUESTION)
                if FAILED_ANSWER in text:
                    failures.append(text)
                if "14 October 2027" in text:
                    answered.setdefault(n, time.monotonic() - started)
                await asyncio.sleep(1.0)  # the flood limit: one message a second per chat

        tasks = [asyncio.ensure_future(keep_asking(n, a)) for n, a in enumerate(askers)]
        try:
            ingest = await run_cli(operator, pg_url, "ingest", str(cafe_page))
            assert ingest.returncode == 0, ingest.stderr
            reload = await run_cli(operator, pg_url, "reload", "--wait", "60")
            assert reload.returncode == 0, reload.stderr
            assert "reload requested as knowledge version 2" in reload.stdout
            assert json.loads(reload.stdout[reload.stdout.index("{") :])["ok"] is True
            while len(answered) < len(askers) and time.monotonic() - started < 60:
                await asyncio.sleep(0.5)
        finally:
            asking.set()
            await asyncio.gather(*tasks)
        assert failures == []
        assert sorted(answered) == [0, 1, 2, 3], f"answered after: {answered}"
        print(f"\nseconds after the ingest began until each user got the new call: {answered}")

        await asyncio.sleep(2.0)  # notices go out in the background
        notices = [m.text for m in core.sent(subscriber.chat) if CAFE_CALL in m.text]
        assert len(notices) == 1, notices
        assert notices[0].startswith("ℹ️ A new call is in my knowledge")

        # A third replica starting on an empty disk answers at once, from the kept index.
        async with replica(core, server, tmp_path, "three", pg_url) as (hook_three, log_three):
            late = Asker(core, core.user("Late", user_id=7_000_010), hook_three)
            assert "14 October 2027" in await late.ask(client, CAFE_QUESTION)
        started_log = log_three.read_text("utf-8", errors="replace")
        assert INDEX_RESTORED in started_log
        assert INDEX_BUILT not in started_log

        # Undo: every replica stops citing the document.
        assert (await run_cli(operator, pg_url, "documents", "remove", CAFE_DOC)).returncode == 0
        gone: set[int] = set()
        started = time.monotonic()
        while len(gone) < len(askers) and time.monotonic() - started < 60:
            for n, asker in enumerate(askers):
                if n not in gone and "14 October 2027" not in await asker.ask(
                    client, CAFE_QUESTION
                ):
                    gone.add(n)
            await asyncio.sleep(1.0)
        assert gone == {0, 1, 2, 3}

        # /reload by an operator in one replica is a reload of every replica.
        admin = Asker(core, core.user("Op", user_id=ADMIN_ID), hook_one)
        assert (await admin.ask(client, "/reload")).startswith("Reloading the knowledge")
        assert await admin.seen("Knowledge reloaded in "), core.sent(admin.chat)
        for log_path in (log_one, log_two):
            for _ in range(60):
                if "knowledge version 4 followed" in log_path.read_text("utf-8", "replace"):
                    break
                await asyncio.sleep(1.0)

    for log_path in (log_one, log_two):
        log = log_path.read_text("utf-8", errors="replace")
        assert "Traceback" not in log, log[-3000:]
        assert re.search(r"knowledge version [12] followed", log), log[-3000:]
        assert "knowledge version 3 followed" in log  # the undo
        assert "knowledge version 4 followed" in log  # the /reload
        assert CAFE_QUESTION not in log  # no user's question in any log
