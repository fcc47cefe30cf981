"""Start-up of a replica on an empty disk with DATABASE_URL: the database's index vs a rebuild.

Run: python benchmarks/bench_shared_knowledge.py [--ingested 20000] [--runs 3]
     (DATABASE_URL or AMIF_TEST_DATABASE_URL names a PostgreSQL server; a database of its own
     is created and dropped)
Synthetic documents are put into the database as an operator's ingest would; then each run is a
fresh `amif-bot ask` on an empty data directory, until it has answered: once with the built
index kept in the database, once after that copy is deleted (so the replica rebuilds it).
It prints the times; it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ask_on_empty_disk(url: str, runs: int) -> list[float]:
    """Wall time of `amif-bot ask` on a new empty data directory, per run."""
    times = []
    for _ in range(runs):
        data = Path(tempfile.mkdtemp(prefix="amif-bench-replica-"))
        env = {**os.environ, "AMIF_DATA_DIR": str(data), "DATABASE_URL": url}
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "What is the funding rate?"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ingested", type=int, default=20_000, help="synthetic passages")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import asyncio

    import psycopg

    from benchmarks.bench_retrieval import build_vocabulary, write_store
    from bot.config import Settings
    from bot.stores import open_storage
    from knowledge.base import KnowledgeBase
    from knowledge.shared import SharedKnowledge
    from tests.support.postgres import run_database, server_url

    server = os.environ.get("DATABASE_URL") or server_url()
    with run_database(server) as url:
        operator = Path(tempfile.mkdtemp(prefix="amif-bench-operator-"))

        async def migrate() -> None:
            async with open_storage(Settings(data_dir=operator, database_url=url)):
                pass

        asyncio.run(migrate())
        shipped = KnowledgeBase.load(None)
        vocabularies = {lang: build_vocabulary(shipped, lang) for lang in ("en", "sv", "fi")}
        write_store(operator, vocabularies, args.ingested)
        started = time.perf_counter()
        KnowledgeBase.load(operator)  # builds and saves the index, as the ingest's check does
        build = time.perf_counter() - started
        shared = SharedKnowledge(url)
        pushed = shared.push(operator, expected=0)
        shared.publish_index(operator)
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT octet_length(data) FROM knowledge_index").fetchone()
        size = int(row[0]) if row else 0
        with_copy = ask_on_empty_disk(url, args.runs)
        with psycopg.connect(url) as conn:
            conn.execute("DELETE FROM knowledge_index")
        rebuilt = ask_on_empty_disk(url, args.runs)
    print(
        f"{args.ingested} ingested passages, knowledge version {pushed.version}, "
        f"{pushed.written} files; index build in-process {build:.2f} s; "
        f"index kept in the database: {size / 1e6:.1f} MB"
    )
    print("start-up of `amif-bot ask` on an empty disk, until answered (median of runs):")
    print(f"  with the database's built index: {statistics.median(with_copy):6.2f} s  {with_copy}")
    print(f"  rebuilding the index:            {statistics.median(rebuilt):6.2f} s  {rebuilt}")


if __name__ == "__main__":
    main()
