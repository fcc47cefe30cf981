"""The terminal chat on a real pseudo-terminal (pexpect): history, Ctrl-C, numbered answers."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

# Starts a process per test: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


ROOT = Path(__file__).resolve().parents[1]
UP = "\x1b[A"
PROMPT = "> "


@pytest.fixture
def chat(tmp_path: Path) -> Iterator["pexpect.spawn"]:
    """`amif-bot chat` in a terminal of its own."""
    env = {**os.environ, "AMIF_DATA_DIR": str(tmp_path), "TERM": "xterm", "LANG": "C.UTF-8"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "chat", "--lang", "en"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    try:
        child.expect_exact("/quit")
        child.expect_exact(PROMPT)
        yield child
    finally:
        child.close(force=True)


def test_the_intro_speaks_of_typing_not_of_buttons(chat: "pexpect.spawn") -> None:
    chat.sendline("/eligibility")
    chat.expect_exact("1. AMIF 2024 call")
    chat.expect_exact(PROMPT)
    chat.sendline("1")
    chat.expect_exact("Step 1 of")
    intro = chat.before
    assert "button" not in intro.lower()
    assert "number" in intro


def test_up_arrow_recalls_the_last_line(chat: "pexpect.spawn") -> None:
    chat.sendline("What is the funding rate of the 2024 call?")
    chat.expect_exact("90%")
    chat.expect_exact(PROMPT)
    chat.send(UP)
    chat.send("\r")
    chat.expect_exact("90%")  # the recalled question was asked again
    chat.expect_exact(PROMPT)
    assert "^[[A" not in chat.before


def test_the_first_ctrl_c_says_goodbye_and_exits_with_status_0(chat: "pexpect.spawn") -> None:
    chat.sendintr()
    chat.expect_exact("Goodbye!")
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


def test_a_number_answers_a_yes_no_step(chat: "pexpect.spawn") -> None:
    chat.sendline("/eligibility AMIF-2024-TF2-AG-THB")
    chat.expect_exact("Step 1 of 8")
    chat.expect_exact("2. No")
    chat.expect_exact(PROMPT)
    chat.sendline("1")
    chat.expect_exact("Step 2 of 8")
    chat.expect_exact(PROMPT)
    assert "Please answer yes or no" not in chat.before
