"""What the benchmark scripts share: timing a fresh `python -m bot ask`, printing a table."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_WIDTH = re.compile(r"^[<>^]?\d*")
# A column: its title, the format spec of its values ("<54", ">8.1f", ">8,") and the
# attribute of a row it shows, or a function of the row.
Column = tuple[str, str, str | Callable[[Any], object]]


def ask_seconds(data_dir: Path, question: str) -> float:
    """Wall time of `python -m bot ask QUESTION` in a fresh process, until it has answered."""
    env = {**os.environ, "AMIF_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "ask", question],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def print_table(columns: Sequence[Column], rows: Iterable[object]) -> None:
    """A header, a rule and one line a row, columns one space apart.

    The title takes the alignment and width of its column's spec.
    """
    header = " ".join(format(title, _width(spec)) for title, spec, _ in columns)
    print(header)
    print("-" * len(header))
    for row in rows:
        print(" ".join(format(_value(row, get), spec) for _, spec, get in columns))


def _width(spec: str) -> str:
    match = _WIDTH.match(spec)
    return match.group(0) if match else ""


def _value(row: object, get: str | Callable[[Any], object]) -> object:
    return getattr(row, get) if isinstance(get, str) else get(row)
