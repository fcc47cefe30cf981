"""Benchmark of the question-answering core: start-up to first answer, latency, peak memory.

Run: python benchmarks/bench_answers.py [--questions 1000] [--ingested 20000]
Prints a table; it is a measurement, not a test (targets on a 2-core machine: first answer < 1 s,
p95 < 5 ms).
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.support import ask_seconds  # noqa: E402


def startup_seconds(runs: int = 5) -> list[float]:
    """Wall time of `python -m bot ask QUESTION` in a fresh process, until it has answered."""
    return [ask_seconds(ROOT / ".bench-data", "What is the funding rate?") for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument(
        "--ingested",
        type=int,
        default=0,
        help="answer with this many synthetic ingested passages beside the shipped ones",
    )
    args = parser.parse_args()
    from bot.assistant import Assistant
    from knowledge.base import KnowledgeBase

    boot = startup_seconds()
    data_dir = None
    if args.ingested:
        import tempfile

        from benchmarks.bench_retrieval import build_vocabulary, write_store

        shipped = KnowledgeBase.load(None)
        data_dir = Path(tempfile.mkdtemp(prefix="amif-bench-answers-"))
        vocabularies = {lang: build_vocabulary(shipped, lang) for lang in ("en", "sv", "fi")}
        write_store(data_dir, vocabularies, args.ingested)
        KnowledgeBase.load(data_dir)  # builds and saves the index, as a first start does
    t0 = time.perf_counter()
    kb = KnowledgeBase.load(data_dir)
    assistant = Assistant(kb)
    load_ms = (time.perf_counter() - t0) * 1000
    questions = [
        q["q"]
        for q in yaml.safe_load(
            (ROOT / "tests" / "data" / "questions.yaml").read_text(encoding="utf-8")
        )
    ]
    latencies = []
    for question in itertools.islice(itertools.cycle(questions), args.questions):
        start = time.perf_counter()
        assistant.answer(question)
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'measure':<44} {'value':>12}")
    print(f"{'passages indexed':<44} {kb.passage_count:>12}")
    print(
        f"{'start-up to first answer (new process), median':<44} "
        f"{statistics.median(boot) * 1000:>9.0f} ms"
    )
    print(f"{'start-up to first answer, worst of 5':<44} {max(boot) * 1000:>9.0f} ms")
    print(f"{'knowledge load + index build (in process)':<44} {load_ms:>9.1f} ms")
    print(f"{f'latency p50 over {len(latencies)} questions':<44} {p50:>9.2f} ms")
    print(f"{f'latency p95 over {len(latencies)} questions':<44} {p95:>9.2f} ms")
    print(f"{'latency max':<44} {latencies[-1]:>9.2f} ms")
    print(f"{'peak memory (max RSS)':<44} {peak_mb:>9.1f} MB")
    if data_dir is not None:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
