"""The measured question set: loading, checking its shape, asking, and the one scoring function.

Both tests/test_question_set.py and benchmarks/bench_quality.py import from here, so the test
and the benchmark can never score a reply differently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

QUESTIONS_FILE = Path(__file__).resolve().parents[1] / "data" / "questions.yaml"
LANGS: tuple[str, ...] = ("en", "sv", "fi")
KINDS: tuple[str, ...] = (
    "fact",
    "eligibility",
    "detail",
    "timing",
    "comparison",
    "followup",
    "crosslang",
    "unknown_call",
    "decline",
)
VARIANTS: tuple[str, ...] = ("original", "reworded")
# Kinds whose right reply is always a decline.
DECLINING_KINDS = frozenset({"unknown_call", "decline"})
MIN_TOTAL = 420
MIN_PER_CELL = 15  # questions per language x kind

_SPACES = re.compile(r"\s+", re.UNICODE)


class _Source(Protocol):
    @property
    def id(self) -> str: ...


class ReplyLike(Protocol):
    """What scoring reads from a reply (bot.assistant.Reply has it)."""

    @property
    def lang(self) -> str: ...

    @property
    def answered(self) -> bool: ...

    @property
    def calls(self) -> tuple[str, ...]: ...

    @property
    def text(self) -> str: ...

    @property
    def sources(self) -> Sequence[_Source]: ...


class AssistantLike(Protocol):
    def answer(self, question: str, *, previous: Sequence[str] = ()) -> ReplyLike: ...


@dataclass(frozen=True)
class Case:
    """One entry of questions.yaml."""

    q: str
    lang: str
    kind: str
    variant: str
    expect: tuple[tuple[str, ...], ...] = ()
    source: str | None = None
    decline: bool = False
    context: str | None = None
    reject: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """A short id for test names and miss lists."""
        prefix = f"[{self.context[:30]}] " if self.context else ""
        return f"{self.lang}/{self.kind}: {prefix}{self.q[:60]}"


def norm(text: str) -> str:
    """Case-folded, with every run of (Unicode) white space turned into one plain space."""
    return _SPACES.sub(" ", text.replace("\u00a0", " ").replace("\u202f", " ")).casefold()


def _case(raw: Mapping[str, Any]) -> Case:
    expect = tuple(
        tuple(str(o) for o in (item if isinstance(item, list) else [item]))
        for item in raw.get("expect") or ()
    )
    return Case(
        q=str(raw["q"]),
        lang=str(raw.get("lang", "")),
        kind=str(raw.get("kind", "")),
        variant=str(raw.get("variant", "")),
        expect=expect,
        source=raw.get("source"),
        decline=bool(raw.get("decline", False)),
        context=raw.get("context"),
        reject=tuple(str(r) for r in raw.get("reject") or ()),
    )


def load_cases(path: Path = QUESTIONS_FILE) -> list[Case]:
    """Every question of the set, in file order."""
    return [_case(raw) for raw in yaml.safe_load(path.read_text(encoding="utf-8"))]


def problems(cases: Iterable[Case]) -> list[str]:
    """What is wrong with the set's shape; empty when it is well formed."""
    cases = list(cases)
    found: list[str] = []
    seen: Counter[tuple[str, str | None]] = Counter()
    for c in cases:
        seen[(norm(c.q), c.context and norm(c.context))] += 1
        if c.lang not in LANGS:
            found.append(f"{c.label}: lang {c.lang!r} is not one of {LANGS}")
        if c.kind not in KINDS:
            found.append(f"{c.label}: kind {c.kind!r} is not one of {KINDS}")
        if c.variant not in VARIANTS:
            found.append(f"{c.label}: variant {c.variant!r} is not one of {VARIANTS}")
        if c.decline and (c.expect or c.reject):
            found.append(f"{c.label}: a decline expects and rejects nothing")
        if not c.decline and not c.expect:
            found.append(f"{c.label}: an answer must expect something")
        if c.kind in DECLINING_KINDS and not c.decline:
            found.append(f"{c.label}: kind {c.kind} must decline")
        if (c.kind == "followup") != (c.context is not None):
            found.append(f"{c.label}: follow-ups, and only they, have a context")
        asked = norm(c.q)
        for options in c.expect:
            for option in options:
                if norm(option) in asked:
                    found.append(f"{c.label}: expected {option!r} occurs in the question")
    found += [f"asked twice: {q!r}" for (q, _), n in seen.items() if n > 1]
    if len(cases) < MIN_TOTAL:
        found.append(f"{len(cases)} questions, fewer than {MIN_TOTAL}")
    cells = Counter((c.lang, c.kind) for c in cases)
    for lang in LANGS:
        for kind in KINDS:
            if cells[(lang, kind)] < MIN_PER_CELL:
                found.append(
                    f"{lang} x {kind}: {cells[(lang, kind)]} questions, fewer than {MIN_PER_CELL}"
                )
    return found


def ask(assistant: AssistantLike, case: Case) -> ReplyLike:
    """The reply to a case. A follow-up's context is asked first, and its calls carried over.

    The terminal chat and the Telegram handlers do the same: they pass the calls of the reply
    before (Reply.calls) as `previous`.
    """
    if case.context is None:
        return assistant.answer(case.q)
    before = assistant.answer(case.context)
    return assistant.answer(case.q, previous=before.calls)


def miss(case: Case, reply: ReplyLike) -> str | None:
    """Why the reply is wrong for the case, or None when it is right. The only scoring rule."""
    if reply.lang != case.lang:
        return f"replied in {reply.lang}"
    if case.decline:
        return None if not reply.answered else "should have declined"
    if not reply.answered:
        return "declined"
    text = norm(reply.text)
    for options in case.expect:
        if not any(norm(o) in text for o in options):
            return f"missing {list(options)}"
    for rejected in case.reject:
        if norm(rejected) in text:
            return f"also says {rejected!r}, which belongs to another call"
    if case.source and case.source not in [s.id for s in reply.sources]:
        return f"source {case.source} not cited"
    return None
