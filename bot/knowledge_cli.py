"""Operator commands on the knowledge files: `amif-bot facts ...` and `amif-bot documents ...`,
and the PostgreSQL side of `ingest`, `reload`, `run`, `ask` and `chat` when DATABASE_URL is set.

Every command works on the data directory's files as it always has. With DATABASE_URL set, the
data directory is a working copy of the database's knowledge (knowledge/shared.py): a command
first pulls it, changes the files, checks that the whole knowledge loads with them, and only
then pushes them back in one transaction that bumps the version every replica follows. A check
that fails puts the files back and pushes nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from knowledge.base import INGESTED_SUBDIR, KnowledgeBase
from knowledge.errors import KnowledgeError
from knowledge.facts import EXTRACTED_SUBDIR, OPERATOR_FACTS_SUBDIR
from knowledge.shared import (
    KINDS,
    PullResult,
    PushResult,
    SharedKnowledge,
    SharedKnowledgeError,
    valid_name,
)

log = logging.getLogger("amif.knowledge")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def open_shared(settings: Settings) -> tuple[SharedKnowledge, PullResult] | None:
    """With DATABASE_URL: the database's knowledge, pulled into the data directory; else None.

    Raises SharedKnowledgeError when the database does not answer.
    """
    if not settings.database_url:
        return None
    shared = SharedKnowledge(settings.database_url)
    shared.check()  # a refused connection fails here at once, not after the pool's wait
    _migrate(settings)
    return shared, shared.pull(settings.data_dir)


def _migrate(settings: Settings) -> None:
    """Bring the database to the current schema (the knowledge tables are part of it)."""
    import asyncio

    from bot.stores import open_storage

    async def migrate() -> None:
        async with open_storage(settings):
            pass

    try:
        asyncio.run(migrate())
    except OSError as exc:  # a PostgreSQL that does not answer (ConnectionError)
        raise SharedKnowledgeError(f"the database does not answer: {exc}") from None


def pull_for_start(settings: Settings) -> str | None:
    """Before a start-up loads the knowledge: pull the database's; an error message, or None."""
    if not settings.database_url:
        return None
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    started = time.perf_counter()
    try:
        opened = open_shared(settings)
    except SharedKnowledgeError as exc:
        return str(exc)
    assert opened is not None
    pulled = opened[1]
    log.info(
        "shared knowledge version %d pulled in %.2f s (%d files written, %d removed, "
        "built index %s)",
        pulled.version,
        time.perf_counter() - started,
        pulled.written,
        pulled.removed,
        "restored from the database" if pulled.index_restored else "not restored",
    )
    return None


def share(settings: Settings, shared: SharedKnowledge, pulled: PullResult) -> PushResult:
    """Push the data directory's checked files and keep the index it built; what was pushed."""
    pushed = shared.push(settings.data_dir, expected=pulled.version)
    try:
        shared.publish_index(settings.data_dir)
    except (SharedKnowledgeError, OSError) as exc:
        log.warning("could not keep the built index in the database: %s", exc)
    return pushed


def shared_line(pushed: PushResult) -> str:
    """One line for the operator on what reached the database."""
    if not pushed.changed:
        return f"the database's knowledge is unchanged (version {pushed.version})"
    return (
        f"shared as knowledge version {pushed.version} ({pushed.written} files written, "
        f"{pushed.removed} removed): every replica loads it within a minute"
    )


def shared_change(
    args: argparse.Namespace,
    settings: Settings,
    command: Callable[[argparse.Namespace, Settings], int],
) -> int:
    """Run a command that changes the data directory's knowledge (and checks that it loads).

    With DATABASE_URL it runs on the database's knowledge, pulled first, and what it leaves is
    pushed back. That is only ever knowledge that loaded: a command whose check fails puts the
    files back as pulled, and a push of unchanged files changes nothing.
    """
    try:
        opened = open_shared(settings)
    except SharedKnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    code = command(args, settings)
    if opened is None:
        return code
    try:
        line = shared_line(share(settings, *opened))
    except SharedKnowledgeError as exc:
        print(f"error: nothing was shared: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(line, file=sys.stderr if getattr(args, "json", False) else sys.stdout)
    return code


# --- changing files, checked ---------------------------------------------------------------


def _changed_checked(
    settings: Settings, paths: list[Path], change: Callable[[], None]
) -> str | None:
    """Run change on the data directory; if the knowledge then does not load, undo it.

    Returns the error (after undoing), or None.
    """
    saved = {path: path.read_bytes() if path.is_file() else None for path in paths}
    change()
    try:
        KnowledgeBase.load(settings.data_dir)
    except KnowledgeError as exc:
        for path, content in saved.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        return str(exc)
    return None


def _run_change(
    args: argparse.Namespace,
    settings: Settings,
    paths: Callable[[], list[Path]],
    change: Callable[[], None],
    done: str,
) -> int:
    """Pull (with DATABASE_URL), change the files, check, push: the shape of every command."""
    try:
        opened = open_shared(settings)
    except SharedKnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    error = _changed_checked(settings, paths(), change)
    if error is not None:
        print(
            f"error: the knowledge would not load, so nothing was changed: {error}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(done)
    if opened is not None:
        try:
            print(shared_line(share(settings, *opened)))
        except SharedKnowledgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    else:
        print("run `amif-bot reload` to make a running bot use it")
    return EXIT_OK


def cmd_facts_put(args: argparse.Namespace, settings: Settings) -> int:
    """Add or replace operator facts files (`<data dir>/facts/NAME.yaml`)."""
    sources = [Path(p) for p in args.files]
    for source in sources:
        if source.suffix != ".yaml" or not valid_name(source.name) or not source.is_file():
            print(f"error: {source} is not a readable .yaml file", file=sys.stderr)
            return EXIT_USAGE
    folder = settings.data_dir / OPERATOR_FACTS_SUBDIR

    def change() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for source in sources:
            shutil.copyfile(source, folder / source.name)

    names = ", ".join(s.name for s in sources)
    return _run_change(
        args,
        settings,
        lambda: [folder / s.name for s in sources],
        change,
        f"facts files put: {names}",
    )


def cmd_facts_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove operator facts files by name."""
    folder = settings.data_dir / OPERATOR_FACTS_SUBDIR
    names = [n if n.endswith(".yaml") else f"{n}.yaml" for n in args.names]
    if any(not valid_name(n) for n in names):
        print("error: a facts file is named by its file name, e.g. housing.yaml", file=sys.stderr)
        return EXIT_USAGE

    def targets() -> list[Path]:
        return [folder / n for n in names]

    def change() -> None:
        for path in targets():
            path.unlink(missing_ok=True)

    return _run_change(args, settings, targets, change, f"facts files removed: {', '.join(names)}")


def cmd_documents_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove ingested documents by id, with the facts extracted from them (undo an ingest)."""
    ids = list(args.ids)
    if any(not valid_name(i) for i in ids):
        print("error: a document is named by its id, e.g. op-call-page", file=sys.stderr)
        return EXIT_USAGE
    documents = settings.data_dir / INGESTED_SUBDIR
    extracted = settings.data_dir / EXTRACTED_SUBDIR

    def targets() -> list[Path]:
        found: list[Path] = []
        for doc_id in ids:
            found += [documents / f"{doc_id}.md", extracted / f"{doc_id}.yaml"]
            found += sorted(extracted.glob(f"{doc_id}--*.yaml"))
        return found

    def change() -> None:
        for path in targets():
            path.unlink(missing_ok=True)

    def paths() -> list[Path]:
        missing = [i for i in ids if not (documents / f"{i}.md").is_file()]
        if missing:
            raise _Missing(missing)
        return targets()

    try:
        return _run_change(args, settings, paths, change, f"documents removed: {', '.join(ids)}")
    except _Missing as exc:
        print(f"error: no ingested document {', '.join(exc.ids)}", file=sys.stderr)
        return EXIT_FAILED


class _Missing(Exception):
    def __init__(self, ids: list[str]) -> None:
        super().__init__(ids)
        self.ids = ids


def _listing(kind: str, settings: Settings, as_json: bool) -> int:
    """Print the files of one kind: the database's with DATABASE_URL, else the data dir's."""
    folder, suffix = KINDS[kind]
    if settings.database_url:
        try:
            files = SharedKnowledge(settings.database_url).files()
        except SharedKnowledgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        names = sorted(name for k, name in files if k == kind)
        where = "the database"
    else:
        path = settings.data_dir / folder
        names = sorted(p.name for p in path.glob(f"*{suffix}")) if path.is_dir() else []
        where = str(path)
    if as_json:
        print(json.dumps({"where": where, "files": names}, ensure_ascii=False))
        return EXIT_OK
    for name in names:
        print(name.removesuffix(".md") if kind == "document" else name)
    print(f"{len(names)} in {where}")
    return EXIT_OK


def cmd_facts_list(args: argparse.Namespace, settings: Settings) -> int:
    """List the operator's facts files."""
    return _listing("facts", settings, args.json)


def cmd_documents_list(args: argparse.Namespace, settings: Settings) -> int:
    """List the ingested documents by id."""
    return _listing("document", settings, args.json)


# --- amif-bot reload against the database ----------------------------------------------------


def cmd_reload_shared(args: argparse.Namespace, settings: Settings) -> int:
    """Check the database's knowledge loads, then bump its version so every replica reloads."""
    started = time.perf_counter()
    try:
        opened = open_shared(settings)
        assert opened is not None
        shared, pulled = opened
        kb = KnowledgeBase.load(settings.data_dir)
        if pulled.version == 0:
            # Nothing shared yet: this data directory's files become the first version.
            version = share(settings, shared, pulled).version
        else:
            version = shared.request_reload()
    except KnowledgeError as exc:
        print(
            f"error: the knowledge does not load; the bots keep what they have: {exc}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except SharedKnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"knowledge valid: {len(kb.documents)} documents, {kb.passage_count} passages, "
        f"{len(kb.calls)} calls (checked in {time.perf_counter() - started:.2f} s)"
    )
    print(
        f"reload requested as knowledge version {version}; every replica reloads within a minute"
    )
    wait = float(getattr(args, "wait", 0) or 0)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            report = shared.read_report(version)
        except SharedKnowledgeError:
            report = None
        if report is not None:
            print(json.dumps(report, ensure_ascii=False, indent=1))
            return EXIT_OK if report.get("ok") else EXIT_FAILED
        time.sleep(0.5)
    if wait > 0:
        print(f"error: no replica reported version {version} within {wait:.0f} s", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def add_knowledge_commands(sub: Any) -> None:
    """Add `facts` and `documents` to amif-bot's subcommands (argparse subparsers)."""
    facts = sub.add_parser("facts", help="the operator's facts files (put, list, remove)")
    facts_sub = facts.add_subparsers(dest="action", required=True)
    put = facts_sub.add_parser("put", help="add or replace facts files (checked before kept)")
    put.add_argument("files", nargs="+", metavar="FILE.yaml")
    put.set_defaults(func=cmd_facts_put)
    listing = facts_sub.add_parser("list", help="the facts files in use")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_facts_list)
    remove = facts_sub.add_parser("remove", help="remove facts files by name")
    remove.add_argument("names", nargs="+", metavar="NAME.yaml")
    remove.set_defaults(func=cmd_facts_remove)
    documents = sub.add_parser("documents", help="ingested documents (list, remove)")
    documents_sub = documents.add_subparsers(dest="action", required=True)
    dlist = documents_sub.add_parser("list", help="the ingested documents' ids")
    dlist.add_argument("--json", action="store_true")
    dlist.set_defaults(func=cmd_documents_list)
    dremove = documents_sub.add_parser(
        "remove", help="remove ingested documents and their extracted facts (undo an ingest)"
    )
    dremove.add_argument("ids", nargs="+", metavar="ID")
    dremove.set_defaults(func=cmd_documents_remove)
