"""What the benchmark scripts share: printing a table of results."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

_WIDTH = re.compile(r"^[<>^]?\d*")
# A column: its title, the format spec of its values ("<54", ">8.1f", ">8,") and the
# attribute of a row it shows, or a function of the row.
Column = tuple[str, str, str | Callable[[Any], object]]


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
