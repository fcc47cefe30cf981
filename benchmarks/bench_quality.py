"""Answer quality on the measured question set: accuracy per language x kind, variant, overall.

Run: python benchmarks/bench_quality.py [--variant reworded] [--show-misses] [--json]
Asks every question of tests/data/questions.yaml (follow-ups after their context) at the test
suite's fixed time, and scores each reply with tests/support/questions.py, the same scoring the
test suite uses. A measurement, not a test: tests/test_question_set.py holds the floor.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.policy import POLICY, AnswerPolicy  # noqa: E402
from tests.support.questions import (  # noqa: E402
    KINDS,
    LANGS,
    VARIANTS,
    Case,
    ask,
    load_cases,
    miss,
)


@dataclass(frozen=True)
class Scored:
    """One asked case: the reply's first line, whether it answered, why it missed (or None)."""

    case: Case
    first_line: str
    why: str | None
    answered: bool = False


@dataclass
class Tally:
    right: int = 0
    asked: int = 0

    def add(self, ok: bool) -> None:
        self.asked += 1
        self.right += ok

    @property
    def rate(self) -> float:
        return self.right / self.asked if self.asked else 0.0

    def cell(self) -> str:
        if not self.asked:
            return "-"
        return f"{self.right}/{self.asked} {round(100 * self.rate)}%"

    def to_json(self) -> dict[str, float | int]:
        return {"right": self.right, "asked": self.asked, "accuracy": round(self.rate, 4)}


def run(cases: list[Case], policy: AnswerPolicy | None = None) -> list[Scored]:
    """Ask every case of the set on the shipped knowledge, at the tests' fixed clock."""
    from bot.assistant import Assistant
    from knowledge.base import KnowledgeBase
    from tests.conftest import FIXED_NOW

    kb = KnowledgeBase.load(None)
    scored = []
    chosen = policy or POLICY
    for case in cases:
        # A fresh assistant per case: whatever one conversation keeps never leaks into the next.
        reply = ask(Assistant(kb, lambda: FIXED_NOW, chosen), case)
        first = next((line for line in reply.text.splitlines() if line.strip()), "")
        scored.append(Scored(case, first, miss(case, reply), reply.answered))
    return scored


def tallies(scored: list[Scored]) -> dict[str, dict[str, Tally]]:
    """Tallies by language x kind, by language, by kind, by variant, and overall."""
    out: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for s in scored:
        c, ok = s.case, s.why is None
        out["cell"][f"{c.lang}/{c.kind}"].add(ok)
        out["lang"][c.lang].add(ok)
        out["kind"][c.kind].add(ok)
        out["variant"][c.variant].add(ok)
        out["variant_lang"][f"{c.variant}/{c.lang}"].add(ok)
        out["overall"]["all"].add(ok)
    return out


def table(t: dict[str, dict[str, Tally]]) -> str:
    """The plain-text report."""
    width = 14
    head = "kind".ljust(14) + "".join(lang.rjust(width) for lang in LANGS) + "all".rjust(width)
    lines = [head, "-" * len(head)]
    for kind in KINDS:
        row = [t["cell"][f"{lang}/{kind}"].cell().rjust(width) for lang in LANGS]
        lines.append(kind.ljust(14) + "".join(row) + t["kind"][kind].cell().rjust(width))
    lines.append("-" * len(head))
    lines.append(
        "all".ljust(14)
        + "".join(t["lang"][lang].cell().rjust(width) for lang in LANGS)
        + t["overall"]["all"].cell().rjust(width)
    )
    lines.append("")
    lines.append(
        "variant".ljust(14) + "".join(lang.rjust(width) for lang in LANGS) + "all".rjust(width)
    )
    for variant in VARIANTS:
        row = [t["variant_lang"][f"{variant}/{lang}"].cell().rjust(width) for lang in LANGS]
        lines.append(variant.ljust(14) + "".join(row) + t["variant"][variant].cell().rjust(width))
    return "\n".join(lines)


def sweep(cases: list[Case]) -> str:
    """Precision and recall of answering as the passage thresholds move (the README's table).

    precision: of the questions answered, the share answered right; recall: of the questions
    the sources answer, the share answered right; declined right: of the questions that must be
    declined, the share declined.
    """
    lines = [
        "min_score  min_stem_share  precision  recall  declined right  accuracy",
    ]
    for min_score in (1.0, 2.0, 3.0, 4.0, 5.0):
        for share in (0.2, 0.34, 0.5):
            policy = replace(POLICY, min_score=min_score, min_stem_share=share)
            scored = run(cases, policy)
            answerable = [s for s in scored if not s.case.decline]
            declines = [s for s in scored if s.case.decline]
            answered = [s for s in scored if s.answered]
            right = sum(1 for s in answerable if s.why is None)
            precision = right / max(
                1,
                sum(1 for s in answered if not s.case.decline)
                + sum(1 for s in answered if s.case.decline),
            )
            recall = right / max(1, len(answerable))
            declined = sum(1 for s in declines if s.why is None) / max(1, len(declines))
            accuracy = sum(1 for s in scored if s.why is None) / len(scored)
            mark = (
                " <- AnswerPolicy"
                if (min_score, share) == (POLICY.min_score, POLICY.min_stem_share)
                else ""
            )
            lines.append(
                f"{min_score:9.1f}  {share:14.2f}  {precision:9.1%}  {recall:6.1%}  "
                f"{declined:14.1%}  {accuracy:8.1%}{mark}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="print every miss")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--variant", choices=VARIANTS, help="only the questions of this variant")
    parser.add_argument(
        "--sweep", action="store_true", help="precision/recall as the passage thresholds move"
    )
    args = parser.parse_args()
    if args.sweep:
        print(sweep([c for c in load_cases() if args.variant in (None, c.variant)]))
        return
    start = time.perf_counter()
    scored = run([c for c in load_cases() if args.variant in (None, c.variant)])
    seconds = time.perf_counter() - start
    t = tallies(scored)
    if args.json:
        print(
            json.dumps(
                {
                    group: {key: tally.to_json() for key, tally in sorted(keys.items())}
                    for group, keys in t.items()
                }
                | {"seconds": round(seconds, 2)},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(table(t))
        print(f"\n{len(scored)} questions in {seconds:.1f} s")
    if args.show_misses:
        out = sys.stderr if args.json else sys.stdout
        for s in scored:
            if s.why is None:
                continue
            c = s.case
            print(f"\nMISS {c.lang}/{c.kind}/{c.variant}: {s.why}", file=out)
            if c.context:
                print(f"  context:  {c.context}", file=out)
            print(f"  question: {c.q}", file=out)
            expected = "decline" if c.decline else " and ".join(" | ".join(o) for o in c.expect)
            print(f"  expected: {expected}", file=out)
            print(f"  reply:    {s.first_line}", file=out)


if __name__ == "__main__":
    main()
