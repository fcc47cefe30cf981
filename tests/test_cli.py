"""The command line as an operator or a script uses it: real processes, real files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT
from tests.support.processes import run_cli as run

# Starts processes or HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def test_ask_json_answers_with_sources(tmp_path: Path) -> None:
    out = run(
        ["ask", "--json", "What is the funding rate of the 2024 trafficking call?"], tmp_path
    )
    assert out.returncode == 0, out.stderr
    reply = json.loads(out.stdout)
    assert set(reply) == {"lang", "answered", "text", "sources"}
    assert reply["lang"] == "en" and reply["answered"] is True
    assert "90%" in reply["text"]
    assert reply["sources"][0]["id"] == "welcomeurope-2024-thb-call"
    assert set(reply["sources"][0]) == {"id", "title", "url", "score"}


def test_ask_lang_overrides_detection(tmp_path: Path) -> None:
    out = run(
        ["ask", "--json", "--lang", "fi", "What is the funding rate of the 2024 call?"], tmp_path
    )
    reply = json.loads(out.stdout)
    assert reply["lang"] == "fi"
    assert "90 %" in reply["text"].replace("\u00a0", " ")


def test_ask_reads_stdin_one_answer_per_line_in_order(tmp_path: Path) -> None:
    questions = "Vad är finansieringsgraden i utlysningen 2024?\n\nMikä on AMIF?\nweather?\n"
    out = run(["ask", "--json"], tmp_path, questions.encode())
    assert out.returncode == 0, out.stderr
    replies = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert replies[0]["lang"] == "sv"
    assert len(replies) == 4
    assert replies[0]["answered"] and "90 %" in replies[0]["text"].replace("\u00a0", " ")
    assert replies[1]["answered"] is False  # the empty line gets a clear message, in order
    assert replies[2]["lang"] == "fi" and replies[2]["answered"]
    assert replies[3]["answered"] is False


def test_plain_stdin_output_is_one_line_per_question(tmp_path: Path) -> None:
    out = run(["ask", "-"], tmp_path, b"What is the grant range of the 2024 call?\nhej\n")
    lines = out.stdout.decode().splitlines()
    assert len(lines) == 2
    assert "500,000" in lines[0]


def test_bad_input_gets_clear_messages_never_a_traceback(tmp_path: Path) -> None:
    empty = run(["ask", "   "], tmp_path)
    assert empty.returncode == 2 and b"Traceback" not in empty.stderr
    assert b"question" in empty.stdout.lower()
    huge = run(["ask", "x " * 50_000], tmp_path)
    assert huge.returncode == 2 and b"too long" in huge.stdout
    junk = bytes(range(256)) * 40 + b"\n\x00\x01\x02 deadline \x7f\n"
    batch = run(["ask", "--json"], tmp_path, junk)
    assert batch.returncode == 0 and b"Traceback" not in batch.stderr
    assert all(json.loads(line) for line in batch.stdout.decode().splitlines())


def test_chat_reads_piped_input_and_ends_cleanly(tmp_path: Path) -> None:
    script = "/help\n/calls\n/language\n2\nVad är finansieringsgraden 2024?\n/nonsense\n"
    out = run(["chat"], tmp_path, script.encode())
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "/calls" in text  # help lists the commands
    assert "AMIF-2024-TF2-AG-THB" in text  # /calls lists the calls with references
    assert "1. English" in text and "2. Svenska" in text
    assert "svenska" in text.lower()
    assert "90 %" in text.replace("\u00a0", " ")
    assert "/nonsense" in text


def test_ingest_of_the_seeds_makes_their_raw_text_answerable(
    tmp_path: Path, seeds_dir: Path
) -> None:
    question = "Where does the 2025 IMISCOE spring conference take place?"
    before = json.loads(run(["ask", "--json", question], tmp_path).stdout)
    assert before["answered"] is False
    ingest = run(["ingest", str(seeds_dir)], tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert b"5 of 5 files ingested" in ingest.stdout
    after = json.loads(run(["ask", "--json", question], tmp_path).stdout)
    assert after["answered"] is True
    assert "Krems" in after["text"]
    assert after["sources"][0]["id"].startswith("op-")


def test_ingest_bad_files_fails_clearly_and_keeps_what_is_stored(tmp_path: Path) -> None:
    good = tmp_path / "notes.txt"
    good.write_text(
        "The Kalevala helpdesk answers AMIF questions on Tuesdays.\n", encoding="utf-8"
    )
    data = tmp_path / "data"
    assert run(["ingest", str(good)], data).returncode == 0
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a pdf")
    unsupported = tmp_path / "image.png"
    unsupported.write_bytes(b"\x89PNG\r\n")
    out = run(["ingest", str(bad), str(unsupported)], data)
    assert out.returncode == 1
    assert b"Traceback" not in out.stderr
    assert b"broken.pdf" in out.stderr and b"image.png" in out.stderr
    answer = json.loads(
        run(["ask", "--json", "When does the Kalevala helpdesk answer?"], data).stdout
    )
    assert answer["answered"] and "Tuesdays" in answer["text"]


@pytest.mark.parametrize("args", [["--help"], ["ask", "--help"], ["ingest", "--help"]])
def test_help_works(tmp_path: Path, args: list[str]) -> None:
    assert run(args, tmp_path).returncode == 0


def test_ask_starts_without_what_only_other_commands_use(tmp_path: Path) -> None:
    # Start-up time to the first answer is what an operator running `ask` waits for: the
    # Telegram library, the operator's database tools, PDF reading and the rank-bm25 reference
    # must stay out of it.
    script = (
        "import sys\n"
        "from bot.cli import main\n"
        "code = main(['ask', '--json', 'What is the funding rate of the 2024 call?'])\n"
        "unwanted = ('telegram', 'bot.operator', 'bot.storage', 'pypdf', 'rank_bm25',"
        " 'babel.messages.pofile')\n"
        "print(sorted(m for m in unwanted if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "AMIF_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    answer, loaded = out.stdout.decode().splitlines()
    assert json.loads(answer)["answered"] is True
    assert loaded == "[]"


def test_help_lists_the_operator_commands_too(tmp_path: Path) -> None:
    out = run(["--help"], tmp_path)
    assert out.returncode == 0
    assert b"stats" in out.stdout and b"reload" in out.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--data-dir", "{data}", "ask", "--json", "hej"],
        ["--data-dir={data}", "ask", "--json", "hej"],
        ["--data", "{data}", "ask", "--json", "hej"],
        ["--data-dir", "ask", "ask", "--json", "hej"],
    ],
)
def test_options_before_the_command_are_understood(tmp_path: Path, args: list[str]) -> None:
    # Run from tmp_path: the last case names a data directory "ask", relative to it.
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-m", "bot", *(a.format(data=tmp_path) for a in args)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["lang"] == "sv"


def test_an_operator_command_after_options_still_runs(tmp_path: Path) -> None:
    out = run(["--data-dir", str(tmp_path), "reload", "--help"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert b"--wait" in out.stdout


def test_chat_follow_ups_keep_the_call(tmp_path: Path) -> None:
    script = "How much money was in Finland's autumn 2023 AMIF call?\nand the deadline?\n/quit\n"
    alone = run(["chat"], tmp_path, b"and the deadline?\n/quit\n").stdout.decode()
    out = run(["chat"], tmp_path, script.encode())
    assert out.returncode == 0
    text = out.stdout.decode()
    assert "31 October 2023" in text and "16 February 2021" not in text
    assert "16 February 2021" in alone  # on its own the question is about every call


def test_ingest_skips_a_symlink_loop_with_one_line_and_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "a-call.txt").write_text(
        "Open call for integration projects. Municipalities may apply for mentoring schemes.\n",
        encoding="utf-8",
    )
    (folder / "b-loop.md").symlink_to(folder / "b-loop.md")  # points at itself
    (folder / "c-ring.txt").symlink_to(folder / "d-ring.txt")
    (folder / "d-ring.txt").symlink_to(folder / "c-ring.txt")
    (folder / "e-call.txt").write_text(
        "Call for return projects. Partners report after twelve months of work.\n",
        encoding="utf-8",
    )
    later = tmp_path / "later.txt"
    later.write_text("A later document about consortium rules for partners.\n", "utf-8")
    out = run(["ingest", str(folder), str(later)], tmp_path / "data")
    stderr = out.stderr.decode()
    assert out.returncode == 1, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, stderr
    assert all("symbolic link loop" in line for line in errors)
    ingested = out.stdout.decode()
    for name in ("a-call.txt", "e-call.txt", "later.txt"):
        assert f"{name} as " in ingested
    assert "3 of 6 files ingested" in ingested


def test_ingest_refuses_a_pdf_bomb_and_oversized_text_and_keeps_answering(
    tmp_path: Path,
) -> None:
    from tests.support.pdfs import make_bomb_pdf

    data = tmp_path / "data"
    good = tmp_path / "clinic.txt"
    good.write_text(
        "Kotka helpdesk clinic.\n\nThe Kotka helpdesk clinic for first-time applicants "
        "meets online every Thursday morning, with answers about partners and budgets.\n",
        encoding="utf-8",
    )
    assert run(["ingest", str(good)], data).returncode == 0
    stored = sorted(p.name for p in (data / "documents").iterdir())
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(make_bomb_pdf(100 * 1024 * 1024))  # 100 MB of content in about 0.3 MB
    huge = tmp_path / "huge.txt"
    huge.write_text("Partners report after twelve months. " * 90_000, encoding="utf-8")
    out = run(["ingest", str(bomb), str(huge)], data)
    stderr = out.stderr.decode()
    assert out.returncode == 1 and "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {bomb}: Page 1 of the PDF expands to tens of MB of content, over the limit of "
        "1 MB per page (a compressed-data bomb or a damaged file).",
        f"error: {huge}: The document expands to more than the limit of 3,000,000 characters "
        "of text; split it into smaller files.",
    ]
    assert sorted(p.name for p in (data / "documents").iterdir()) == stored
    answer = run(["ask", "--json", "When does the Kotka helpdesk clinic meet?"], data)
    assert "every Thursday morning" in json.loads(answer.stdout)["text"]
