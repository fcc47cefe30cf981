"""Command line: `amif-bot ask | chat | ingest | run | migrate` (and `python -m bot`, the same)."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from bot.assistant import Assistant, Reply
from bot.config import ConfigError, Settings
from i18n import LANGUAGES, normalize_language
from knowledge.base import KnowledgeBase
from knowledge.errors import KnowledgeError

log = logging.getLogger("amif")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAX_LINE_BYTES = 100_000
# The subcommands defined here. The operator's (stats, reload) come from bot.operator, which
# imports asyncio, the SQLite storage and the reminder service: ~60 ms that these never use;
# facts and documents come from bot.knowledge_cli with them.
OWN_COMMANDS = ("ask", "chat", "ingest", "run", "migrate", "compile-catalogs")


def _lines(stream: TextIO) -> Iterator[str]:
    """Lines of stdin decoded leniently: binary junk becomes U+FFFD, never a traceback."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        yield from (line.rstrip("\r\n") for line in stream)
        return
    for raw in buffer:
        yield raw[:MAX_LINE_BYTES].decode("utf-8", errors="replace").rstrip("\r\n")


def load_assistant(settings: Settings) -> Assistant:
    """Load the knowledge base (shipped + ingested) and build the assistant."""
    # What is loaded here lives as long as the process. Collections while tens of thousands of
    # passages are made would walk them and find nothing, and so would every full collection
    # after; frozen, they are left out of all of them (measured: ~40 ms of a warm start).
    if settings.database_url:  # the database's knowledge first
        from bot.knowledge_cli import pull_for_start

        problem = pull_for_start(settings)
        if problem is not None:
            raise KnowledgeError(f"the shared knowledge cannot be read: {problem}")
    gc.disable()
    try:
        return Assistant(KnowledgeBase.load(settings.data_dir))
    finally:
        gc.freeze()
        gc.enable()


def _print_reply(reply: Reply, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(reply.text + "\n")
    out.flush()


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, or every line of stdin."""
    assistant = load_assistant(settings)
    if args.question not in (None, "-"):
        reply = assistant.answer(args.question, args.lang)
        _print_reply(reply, args.json, sys.stdout)
        return EXIT_OK if reply.kind not in ("empty", "too_long") else EXIT_USAGE
    for line in _lines(sys.stdin):
        reply = assistant.answer(line, args.lang)
        if not args.json:
            # One output per line: a multi-line reply is folded so line i answers question i.
            reply_text = " | ".join(part.replace("\n", " / ") for part in reply.text.split("\n\n"))
            sys.stdout.write(reply_text + "\n")
            sys.stdout.flush()
        else:
            _print_reply(reply, True, sys.stdout)
    return EXIT_OK


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """An interactive conversation in the terminal (also reads piped input)."""
    from bot.terminal import TerminalChat

    chat = TerminalChat(load_assistant(settings), settings, lang=args.lang)
    return chat.run(_lines(sys.stdin), sys.stdout, interactive=sys.stdin.isatty())


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Add operator documents to the knowledge store and show what each one says."""
    from bot.knowledge_cli import shared_change

    # With DATABASE_URL: on a copy of the database's knowledge, stored back once it loads.
    return shared_change(args, settings, _ingest_files)


def _ingest_files(args: argparse.Namespace, settings: Settings) -> int:
    """Add operator documents to the data directory's store and show what each one says."""
    from i18n import translator
    from knowledge.extraction.report import as_dict, describe
    from knowledge.ingest import ingest_paths

    loaded: list[KnowledgeBase] = []
    try:
        # The store keeps this run's files only once the whole knowledge loads with them.
        results = ingest_paths(
            [Path(p) for p in args.paths],
            settings.data_dir,
            verify=lambda: loaded.append(KnowledgeBase.load(settings.data_dir)),
        )
    except KnowledgeError as exc:
        print(
            f"error: the knowledge would not load with these files, so nothing was kept: {exc}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    failed = sum(1 for r in results if r.error)
    t = translator(args.lang or "en")
    for result in results:
        if args.json:
            print(
                json.dumps(
                    {
                        "path": str(result.path),
                        "id": result.doc_id,
                        "status": result.status,
                        "passages": result.passages,
                        "error": result.error,
                        "calls": list(result.calls),
                        "extracted": as_dict(result.extraction) if result.extraction else None,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        if result.error:
            print(f"error: {result.path}: {result.error}", file=sys.stderr)
            continue
        if result.status == "unchanged":
            print(f"unchanged {result.path} ({result.doc_id}: nothing rewritten)")
        elif result.status == "duplicate":
            print(f"skipped {result.path}: the same text is stored as {result.doc_id}")
            continue
        else:
            print(
                f"ingested {result.path} as {result.doc_id} "
                f"({result.passages} passages, {result.status})"
            )
        if result.extraction is not None:
            for line in describe(result.extraction, t):
                print(f"  {line}")
        if result.calls:
            print(f"  -> call{'s' if len(result.calls) > 1 else ''}: {', '.join(result.calls)}")
            extracted = settings.data_dir / "extracted" / f"{result.doc_id or ''}.yaml"
            correct = (
                "correct it with `amif-bot facts put FILE` (it reaches every replica)"
                if settings.database_url
                else f"correct it in {settings.data_dir / 'facts'}/ and run `amif-bot reload`"
            )
            print(f"  check {extracted}; {correct}")
    if not results:
        print("error: no supported files found (.txt, .md, .html, .pdf)", file=sys.stderr)
        return EXIT_FAILED
    try:
        if not loaded:  # nothing was written, so nothing was verified yet
            KnowledgeBase.load(settings.data_dir)
    except KnowledgeError as exc:
        print(f"error: the knowledge store does not load after ingest: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not args.json:
        print(
            f"{len(results) - failed} of {len(results)} files ingested into "
            f"{settings.data_dir / 'documents'}"
        )
    return EXIT_FAILED if failed else EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Start the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set)."""
    if not settings.token:
        print(
            "error: TELEGRAM_BOT_TOKEN is not set; `amif-bot chat` runs without it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if settings.webhook_url and not settings.webhook_secret:
        print(
            "error: WEBHOOK_URL is set but WEBHOOK_SECRET is not; a webhook without a secret "
            "would take updates from anyone",
            file=sys.stderr,
        )
        return EXIT_USAGE
    # After the checks above (a usage error creates nothing), before any update is taken.
    problem = _check_data_dir("run", settings)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    from bot.knowledge_cli import pull_for_start

    # With DATABASE_URL: the knowledge every replica shares, before it is loaded.
    problem = pull_for_start(settings)
    if problem is not None:
        print(f"error: the shared knowledge cannot be read: {problem}", file=sys.stderr)
        return EXIT_FAILED
    from bot.serve import run_bot

    try:
        return run_bot(settings)
    except ConnectionError as exc:
        # Never main()'s BrokenPipeError = success (meant for `ask | head`): for the bot a
        # broken pipe is a dead worker, and a supervisor must see a failure to restart it.
        log.error("the bot stopped on a broken connection: %s", type(exc).__name__)
        return EXIT_FAILED


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the configured database to the current schema; optionally copy an SQLite file in."""
    import asyncio

    from bot.stores import describe_storage, open_storage

    source: Path | None = args.from_sqlite
    if source is not None and not settings.database_url:
        print(
            "error: --from-sqlite copies into PostgreSQL: set DATABASE_URL=postgresql://...",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if source is not None and not source.is_file():
        print(f"error: no SQLite database at {source}", file=sys.stderr)
        return EXIT_FAILED

    async def migrate() -> int:
        async with open_storage(settings) as store:
            if source is not None:
                from bot.storage_pg import PostgresStorage

                assert isinstance(store, PostgresStorage)
                copied = await store.copy_from_sqlite(source)
                for table, (read, added) in copied.items():
                    print(f"{table}: {read} rows read, {added} added")
            return await store.schema_version()

    import sqlite3

    # OSError: a database that does not answer (ConnectionError); ValueError: a file with
    # tables this version does not know; the drivers' own errors: a row PostgreSQL refuses.
    failures: tuple[type[Exception], ...] = (OSError, ValueError, RuntimeError, sqlite3.Error)
    if settings.database_url:
        import psycopg

        failures += (psycopg.Error,)
    try:
        version = asyncio.run(migrate())
    except failures as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{describe_storage(settings)}: schema version {version}")
    return EXIT_OK


def cmd_compile(args: argparse.Namespace, settings: Settings) -> int:
    """Compile the gettext catalogs to .mo files."""
    from i18n import compile_all

    for po in compile_all():
        print(f"compiled {po}")
    return EXIT_OK


def cmd_default(args: argparse.Namespace, settings: Settings) -> int:
    """No command: the Telegram bot when a token is set, else the terminal chat."""
    if settings.token:
        return cmd_run(args, settings)
    args.lang = None
    return cmd_chat(args, settings)


def _lang(value: str) -> str:
    code = normalize_language(value)
    if code is None:
        raise argparse.ArgumentTypeError(f"choose one of {', '.join(LANGUAGES)}")
    return code


def build_parser(operator_commands: bool = True) -> argparse.ArgumentParser:
    """The argument parser of amif-bot (with or without the operator's subcommands)."""
    parser = argparse.ArgumentParser(
        prog="amif-bot",
        description="AMIF assistant: cited answers about EU AMIF calls in English, Swedish and "
        "Finnish. Without a command: the Telegram bot if TELEGRAM_BOT_TOKEN is set, else chat.",
    )
    parser.add_argument("--data-dir", type=Path, help="data directory (default: AMIF_DATA_DIR)")
    parser.set_defaults(func=cmd_default)
    sub = parser.add_subparsers(dest="command")
    ask = sub.add_parser("ask", help="answer a question (or each line of stdin)")
    ask.add_argument("question", nargs="?", help="the question; '-' or none reads stdin")
    ask.add_argument("--lang", type=_lang, help="reply language: en, sv or fi")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.set_defaults(func=cmd_ask)
    chat = sub.add_parser("chat", help="talk to the assistant in the terminal")
    chat.add_argument("--lang", type=_lang, help="reply language: en, sv or fi")
    chat.set_defaults(func=cmd_chat)
    ingest = sub.add_parser("ingest", help="add documents (.txt .md .html .pdf) to the store")
    ingest.add_argument("paths", nargs="+", help="files or folders")
    ingest.add_argument("--json", action="store_true", help="one JSON object per file")
    ingest.add_argument(
        "--lang", choices=LANGUAGES, default=None, help="language of the extraction report"
    )
    ingest.set_defaults(func=cmd_ingest)
    run = sub.add_parser("run", help="start the Telegram bot")
    run.set_defaults(func=cmd_run)
    migrate = sub.add_parser(
        "migrate", help="apply the database migrations (DATABASE_URL, else the SQLite file)"
    )
    migrate.add_argument(
        "--from-sqlite",
        type=Path,
        metavar="FILE",
        help="copy an SQLite installation's rows into the PostgreSQL of DATABASE_URL",
    )
    migrate.set_defaults(func=cmd_migrate)
    comp = sub.add_parser("compile-catalogs", help="compile the translation catalogs")
    comp.set_defaults(func=cmd_compile)
    if operator_commands:
        from bot.knowledge_cli import add_knowledge_commands
        from bot.operator import add_operator_commands

        add_operator_commands(sub)
        add_knowledge_commands(sub)
    return parser


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand argv names, if any: the first word after the options and their values."""
    words = list(argv)
    while words and words[0].startswith("-"):
        option = words.pop(0)
        # --data-dir takes a value (argparse also accepts it abbreviated, down to --d).
        if len(option) > 2 and "--data-dir".startswith(option):
            del words[:1]
    return words[0] if words else None


# Commands that write the data directory: (create it if missing, check the database).
WRITING_COMMANDS = {
    "run": (True, True),
    "ingest": (True, False),
    "reload": (True, False),
    "facts": (True, False),
    "documents": (True, False),
    "stats": (False, True),
    "chat": (True, True),  # keeps eligibility checks in the database
}


def _check_data_dir(command: str, settings: Settings) -> str | None:
    """What is wrong with the data directory for this command, or None."""
    if command not in WRITING_COMMANDS:
        # ask only reads it, and runs without one (the shipped knowledge).
        data_dir = settings.data_dir
        if data_dir.exists() and not data_dir.is_dir():
            return f"data directory {data_dir} is not a directory"
        return None
    from bot.datadir import DataDirError, check_data_dir

    create, with_database = WRITING_COMMANDS[command]
    # With DATABASE_URL the state is in PostgreSQL: no SQLite file is opened (or made) here.
    database = settings.database_path if with_database and not settings.database_url else None
    try:
        check_data_dir(settings.data_dir, database, create=create)
    except DataDirError as exc:
        return str(exc)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the amif-bot console script."""
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(operator_commands=_named_command(words) not in OWN_COMMANDS)
    args = parser.parse_args(words)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.data_dir is not None:
        settings = Settings(**{**settings.__dict__, "data_dir": args.data_dir})
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s",
        stream=sys.stderr,
    )
    command = args.command or ("run" if settings.token else "chat")
    if command not in ("run", "compile-catalogs"):  # cmd_run checks after its own checks
        problem = _check_data_dir(command, settings)
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_USAGE
    try:
        return int(args.func(args, settings))
    except KnowledgeError as exc:
        print(f"error: the knowledge base does not load: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
