"""The data directory: checked before the bot takes an update; private modes; no stale temps."""

import asyncio
import fcntl
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from bot.datadir import MIN_FREE_BYTES, DataDirError, check_data_dir
from knowledge.base import KnowledgeBase
from tests.fake_telegram import FakeTelegram, FakeTelegramServer
from tests.support.bots import make_harness
from tests.support.processes import ROOT, bot_environment, start_bot_process
from tests.support.processes import run_cli as cli


def _a_file(tmp_path: Path) -> tuple[Path, str]:
    data = tmp_path / "data"
    data.write_text("not a folder\n")
    return data, f"error: data directory {data} is not a directory"


def _under_a_file(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "plain").write_text("a file\n")
    data = tmp_path / "plain" / "data"
    return data, f"error: data directory {data} cannot be created: not a directory"


def _database_is_a_folder(tmp_path: Path) -> tuple[Path, str]:
    data = tmp_path / "data"
    (data / "amif-bot.sqlite3").mkdir(parents=True)
    database = data / "amif-bot.sqlite3"
    return data, f"error: database {database} cannot be opened: unable to open database file"


BROKEN: list[Callable[[Path], tuple[Path, str]]] = [_a_file, _under_a_file, _database_is_a_folder]


@pytest.mark.slow  # starts the bot as its own process
@pytest.mark.parametrize("broken", BROKEN, ids=lambda f: f.__name__.strip("_"))
async def test_run_stops_with_one_line_before_taking_any_update(
    tmp_path: Path, broken: Callable[[Path], tuple[Path, str]]
) -> None:
    data, message = broken(tmp_path)
    core = FakeTelegram()
    core.push_update(core.text_update("/start"))
    async with FakeTelegramServer(core) as server:
        env = bot_environment(core, server, data, BOT_WORKERS="2")
        process = await start_bot_process(env, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert stderr.decode().strip() == message
    # Nothing was asked of Telegram: the queued message stays with it for a fixed restart.
    assert core.calls == []
    assert len(core.pending_updates) == 1


@pytest.mark.slow  # starts the bot as its own process
@pytest.mark.parametrize("broken", BROKEN, ids=lambda f: f.__name__.strip("_"))
def test_stats_and_chat_give_the_same_line_instead_of_a_traceback(
    tmp_path: Path, broken: Callable[[Path], tuple[Path, str]]
) -> None:
    data, message = broken(tmp_path)
    for args in (["stats"], ["chat"], ["ingest", str(ROOT / "README.md")]):
        out = cli(args, data, stdin=b"hello\n")
        if args == ["stats"] and broken is _under_a_file:
            # stats never creates the folder: there is simply no database yet.
            assert out.returncode == 1 and b"no database at" in out.stderr
            continue
        if args[0] == "ingest" and broken is _database_is_a_folder:
            assert out.returncode == 0  # ingest does not use the database
            continue
        assert (out.returncode, out.stderr.decode().strip()) == (2, message), args


def test_too_little_free_space_is_named_with_the_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.datadir.MIN_FREE_BYTES", 1 << 62)
    with pytest.raises(DataDirError, match=rf"^data directory {tmp_path} has \d+ MB free; at"):
        check_data_dir(tmp_path)
    assert MIN_FREE_BYTES == 64 * 1024 * 1024


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow  # starts the bot as its own process
def test_the_data_directory_is_private_and_so_are_the_database_and_index(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    source = tmp_path / "note.txt"
    source.write_text("The Kotka helpdesk clinic meets online every Thursday morning.\n")
    assert cli(["ingest", str(source)], data).returncode == 0
    assert cli(["chat"], data, stdin=b"/eligibility\n").returncode == 0
    assert _mode(data) == 0o700
    files = [data / "amif-bot.sqlite3", *(data / "index").iterdir()]
    assert len(files) >= 2
    for path in files:
        assert _mode(path) == 0o600, path


@pytest.mark.slow  # starts the bot as its own process
def test_temporary_files_of_a_killed_writer_are_removed_at_the_next_start(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    (data / "index").mkdir(parents=True)
    (data / "documents").mkdir()
    left = [data / "index" / ".knowledge-k1ll3d.tmp", data / "documents" / ".ingest-x1.tmp"]
    for path in left:
        with path.open("wb") as handle:
            handle.truncate(16_800_000)
    # A writer at work in another process holds its temporary file locked: it is kept.
    working = data / "index" / ".knowledge-busy.tmp"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(working)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        out = cli(["stats"], data)
        assert out.returncode == 1  # no database yet; the start itself went on
        assert not any(path.exists() for path in left)
        assert working.exists()
    finally:
        holder.communicate(b"", timeout=10)
    fd = os.open(working, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the holder is gone: free
    finally:
        os.close(fd)


# --- privacy on disk -------------------------------------------------------------------------

SECRET_QUESTION = "Could the Zanzibar beekeeping cooperative of Ilse Marjatta apply?"


def _file_bytes(database: Path) -> bytes:
    """The database file and its WAL, as they lie on disk."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_a_kept_question_is_shown_by_mydata_and_gone_from_the_files_after_forget(
    tmp_path: Path, kb: KnowledgeBase, clock: Callable[[], datetime], checks: dict
) -> None:
    harness, store = await make_harness(tmp_path, kb, clock, checks, store_questions=True)
    try:
        chat = harness.driver()
        await chat.send("/privacy")
        # What the code does: kept with the user id, for the answers' retention.
        assert (
            "the operator of this bot has turned on keeping the questions you type, to improve "
            "the answers. Each question is kept with your Telegram user id for 30 days: /mydata "
            "shows it and /forget deletes it." in chat.last_text
        )
        await chat.send("/language")
        await chat.click("English")
        await chat.send(SECRET_QUESTION)
        assert SECRET_QUESTION.encode() in _file_bytes(store.path)
        await chat.send("/mydata")
        assert SECRET_QUESTION in chat.last_text
        await chat.send("/forget")
        await chat.click("Delete my data")
        assert chat.last_text.startswith("Done: I have deleted all data")
        on_disk = _file_bytes(store.path)
        assert SECRET_QUESTION.encode() not in on_disk
        assert b"Zanzibar beekeeping" not in on_disk
        await chat.send("/mydata")
        assert chat.last_text == "I have no data stored about you."
    finally:
        await harness.app.shutdown()
        await store.close()
