"""The knowledge of the data directory kept in PostgreSQL, so that every replica has the same.

With DATABASE_URL set, the database holds what an operator adds: the ingested documents
(`documents/*.md`), their extracted facts (`extracted/*.yaml`) and the operator's facts files
(`facts/*.yaml`), each as the very text of the file, and one version row bumped in the same
transaction. A replica *pulls* that into its own data directory (the loader then reads files as
it always has), and an operator's command *pushes* its data directory's files back after it has
checked that they load. Each push sends a NOTIFY on CHANNEL; replicas also poll the version row
(bot/operator.py).

The built retrieval index is kept too, keyed by what it was built from (the code that builds it
and the documents' contents): a replica on an empty disk maps that copy in instead of rebuilding.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.arrayfile import MAGIC, read_array_file
from knowledge.base import (
    INDEX_FILE,
    INDEX_FORMAT,
    INDEX_SUBDIR,
    INGESTED_SUBDIR,
    documents_fingerprint,
)
from knowledge.documents import BUILTIN_DOCUMENTS_DIR
from knowledge.facts import EXTRACTED_SUBDIR, OPERATOR_FACTS_SUBDIR
from knowledge.tempfiles import create_temp

if TYPE_CHECKING:  # psycopg is imported when first used: an SQLite installation never does
    import psycopg

log = logging.getLogger(__name__)

# The kinds of files kept, each with its folder in the data directory and its file suffix.
KINDS: dict[str, tuple[str, str]] = {
    "document": (INGESTED_SUBDIR, ".md"),
    "extracted": (EXTRACTED_SUBDIR, ".yaml"),
    "facts": (OPERATOR_FACTS_SUBDIR, ".yaml"),
}
CHANNEL = "amif_knowledge"
# The version this data directory's files were last pulled at (or pushed as).
VERSION_FILE = "knowledge-version.json"
# Built indexes kept in the database: the current one and two before it (a replica still on the
# previous code version, or rolling back a deploy, finds its own). Each is about 2.4 KB per
# passage (47 MB for 20,000 passages).
INDEX_COPIES_KEPT = 3
# The layout of knowledge/arrayfile.py: magic, the header's length, the header, then the
# arrays from the next multiple of 64 bytes on.
_LENGTH = struct.Struct("<Q")
ARRAY_ALIGNMENT = 64
# A file's name as a folder entry: no path separator, not hidden (temporary files are).
_BAD_NAME_CHARS = frozenset("/\\\0")

FileKey = tuple[str, str]  # (kind, name)


class SharedKnowledgeError(Exception):
    """The database's knowledge cannot be read or written; the message says why."""


class VersionConflict(SharedKnowledgeError):
    """Another operator changed the knowledge since this data directory pulled it."""


@dataclass(frozen=True)
class KnowledgeVersion:
    """The version row: a counter bumped by every change or reload request, and a digest."""

    version: int
    digest: str


@dataclass(frozen=True)
class PullResult:
    """What a pull did to the data directory."""

    version: int
    written: int
    removed: int
    index_restored: bool


@dataclass(frozen=True)
class PushResult:
    """What a push did to the database."""

    version: int
    changed: bool
    written: int
    removed: int


def valid_name(name: str) -> bool:
    """Whether name can be a file of the data directory's knowledge folders."""
    return bool(name) and not name.startswith(".") and not (_BAD_NAME_CHARS & set(name))


def local_files(data_dir: Path) -> dict[FileKey, str]:
    """The knowledge files of a data directory: (kind, name) -> text."""
    found: dict[FileKey, str] = {}
    for kind, (folder, suffix) in KINDS.items():
        where = data_dir / folder
        if not where.is_dir():
            continue
        for path in sorted(where.glob(f"*{suffix}")):
            if valid_name(path.name) and path.is_file():
                found[(kind, path.name)] = path.read_text(encoding="utf-8")
    return found


def content_digest(files: Mapping[FileKey, str]) -> str:
    """One digest of every file's kind, name and text."""
    digest = hashlib.sha256()
    for (kind, name), text in sorted(files.items()):
        digest.update(f"{kind}\0{name}\0{_sha256(text)}\n".encode())
    return digest.hexdigest()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pulled_version(data_dir: Path) -> int:
    """The version the data directory's files were last pulled at; 0 when never."""
    try:
        return int(json.loads((data_dir / VERSION_FILE).read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _note_version(data_dir: Path, version: int) -> None:
    _write_file(data_dir / VERSION_FILE, json.dumps({"version": version}))


def _write_file(target: Path, content: str) -> None:
    """Write target atomically (aside, then renamed): a loader never reads half a file.

    Not synced: the database is the copy that counts, and every start-up's pull compares the
    files with it and writes again what a crash left torn (0.6 s of 100 syncs saved).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = create_temp(target.parent, ".shared-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


# --- the built index, by content ---------------------------------------------------------------


def _local_folders(data_dir: Path) -> list[tuple[Path, bool]]:
    """The document folders KnowledgeBase.load reads, as its fingerprint lists them."""
    return [(BUILTIN_DOCUMENTS_DIR, False), (data_dir / INGESTED_SUBDIR, True)]


def index_key(data_dir: Path) -> str:
    """What a built index depends on, the same on every machine: code, settings, documents."""
    # With no folders, the fingerprint covers the index's format, the code and the analyzers.
    parts = [documents_fingerprint([])]
    for folder, ingested in _local_folders(data_dir):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            parts.append(
                f"{ingested}\t{path.name}\t{hashlib.sha256(path.read_bytes()).hexdigest()}"
            )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def local_index_current(data_dir: Path) -> bool:
    """Whether the saved index in data_dir was built from its documents as they are now."""
    path = data_dir / INDEX_SUBDIR / INDEX_FILE
    try:
        meta, _arrays = read_array_file(path)
    except (OSError, ValueError):
        return False
    fingerprint = documents_fingerprint(_local_folders(data_dir))
    return (meta.get("format"), meta.get("fingerprint")) == (INDEX_FORMAT, fingerprint)


def install_index(data_dir: Path, data: bytes) -> None:
    """Put an index another machine built into data_dir, made valid for its files here.

    Only the header changes (the paths and the fingerprint of this machine's files): the arrays'
    offsets count from the end of the header, so their bytes are written on as they came.
    """
    head = len(MAGIC) + _LENGTH.size
    if len(data) < head or not data.startswith(MAGIC):
        raise ValueError("not an array file")
    (size,) = _LENGTH.unpack_from(data, len(MAGIC))
    header = json.loads(data[head : head + size].decode("utf-8"))
    meta = header["meta"]
    if meta.get("format") != INDEX_FORMAT:
        raise ValueError(f"index format {meta.get('format')}, expected {INDEX_FORMAT}")
    ingested = data_dir / INGESTED_SUBDIR
    for entry in meta["documents"]:
        # The path it had where it was built; here, the same file name in the same role.
        name = Path(str(entry["path"])).name
        here = ingested / name
        entry["path"] = str(here if here.is_file() else BUILTIN_DOCUMENTS_DIR / name)
    # The fingerprint names this machine's files (their paths and modification times).
    meta["fingerprint"] = documents_fingerprint(_local_folders(data_dir))
    new_header = json.dumps(header).encode("utf-8")
    body = memoryview(data)[_aligned(head + size) :]
    folder = data_dir / INDEX_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = create_temp(folder, ".shared-index-")
    try:
        with os.fdopen(fd, "wb") as handle:
            start = _aligned(head + len(new_header))
            handle.write(MAGIC + _LENGTH.pack(len(new_header)) + new_header)
            handle.write(b"\0" * (start - handle.tell()))
            handle.write(body)
            handle.flush()
            # Unlike the pulled text files, a torn index could still pass the header check.
            os.fsync(handle.fileno())
        read_array_file(temp)  # every array within the file, or ValueError
        os.replace(temp, folder / INDEX_FILE)
    finally:
        temp.unlink(missing_ok=True)


def _aligned(offset: int) -> int:
    return -(-offset // ARRAY_ALIGNMENT) * ARRAY_ALIGNMENT


# --- the database ------------------------------------------------------------------------------


def shared_knowledge(database_url: str | None) -> SharedKnowledge | None:
    """The database's knowledge when DATABASE_URL names PostgreSQL; None with SQLite."""
    return SharedKnowledge(database_url) if database_url else None


def _now() -> datetime:
    return datetime.now(UTC)


class SharedKnowledge:
    """The knowledge tables of one PostgreSQL database (sync psycopg, a connection per call).

    Connections are in autocommit mode: a write of several rows is one explicit transaction.
    """

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        self.url = url
        self.connect_timeout = connect_timeout

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        import psycopg

        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=int(self.connect_timeout)
            )
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SharedKnowledgeError(f"the database does not answer: {first}") from None
        with conn:
            conn.execute("SET TIME ZONE 'UTC'")
            yield conn

    def check(self) -> None:
        """Connect once: SharedKnowledgeError at once when the database does not answer."""
        with self._connection() as conn:
            conn.execute("SELECT 1")

    def version(self) -> KnowledgeVersion:
        """The database's knowledge version (0 and no digest before anything was pushed)."""
        with self._connection() as conn:
            row = conn.execute("SELECT version, digest FROM knowledge_version").fetchone()
        return KnowledgeVersion(int(row[0]), str(row[1])) if row else KnowledgeVersion(0, "")

    def files(self) -> dict[FileKey, str]:
        """Every knowledge file the database holds."""
        with self._connection() as conn:
            rows = conn.execute("SELECT kind, name, content FROM knowledge_files").fetchall()
        return {(str(k), str(n)): str(c) for k, n, c in rows}

    def pull(self, data_dir: Path) -> PullResult:
        """Make data_dir's knowledge files those of the database, and its index ready if kept.

        Before anything was ever pushed (version 0) the data directory is left as it is: an
        installation moving to PostgreSQL keeps its files, and its first push shares them.
        """
        with self._connection() as conn:
            # One snapshot: the files and the version they are.
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            row = conn.execute("SELECT version FROM knowledge_version").fetchone()
            version = int(row[0]) if row else 0
            rows = conn.execute("SELECT kind, name, content FROM knowledge_files").fetchall()
            conn.execute("COMMIT")
        if version == 0:
            return PullResult(0, 0, 0, self.restore_index(data_dir))
        wanted = {(str(k), str(n)): str(c) for k, n, c in rows}
        here = local_files(data_dir)
        written = removed = 0
        for (kind, name), content in sorted(wanted.items()):
            if kind not in KINDS or not valid_name(name):
                log.warning("skipped a knowledge file the database names oddly: %r", name)
                continue
            if here.get((kind, name)) != content:
                _write_file(data_dir / KINDS[kind][0] / name, content)
                written += 1
        for kind, name in here.keys() - wanted.keys():
            (data_dir / KINDS[kind][0] / name).unlink(missing_ok=True)
            removed += 1
        _note_version(data_dir, version)
        if written or removed:
            log.info(
                "knowledge version %d pulled: %d files written, %d removed",
                version,
                written,
                removed,
            )
        return PullResult(version, written, removed, self.restore_index(data_dir))

    def push(self, data_dir: Path, expected: int | None) -> PushResult:
        """Make the database's files those of data_dir, bumping the version if any changed.

        expected is the version data_dir was pulled at: if another push came in between,
        VersionConflict is raised and nothing is written (None pushes regardless).
        """
        files = local_files(data_dir)
        digest = content_digest(files)
        now = _now()
        with self._connection() as conn, conn.transaction():
            current = _lock_version(conn, now)
            if expected is not None and current != expected:
                raise VersionConflict(
                    f"the knowledge in the database changed meanwhile (version {expected} was "
                    f"read, it is now {current}); run the command again"
                )
            stored = {
                (str(k), str(n)): str(s)
                for k, n, s in conn.execute("SELECT kind, name, sha256 FROM knowledge_files")
            }
            changed = [key for key, text in files.items() if stored.get(key) != _sha256(text)]
            gone = sorted(stored.keys() - files.keys())
            for kind, name in changed:
                text = files[(kind, name)]
                conn.execute(
                    "INSERT INTO knowledge_files (kind, name, content, sha256, updated_at)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, name) DO UPDATE SET"
                    " content = EXCLUDED.content, sha256 = EXCLUDED.sha256,"
                    " updated_at = EXCLUDED.updated_at",
                    (kind, name, text, _sha256(text), now),
                )
            for kind, name in gone:
                conn.execute(
                    "DELETE FROM knowledge_files WHERE kind = %s AND name = %s", (kind, name)
                )
            version = current
            if changed or gone or current == 0:
                version = _bump(conn, digest, now)
        _note_version(data_dir, version)
        return PushResult(version, version != current, len(changed), len(gone))

    def request_reload(self) -> int:
        """Bump the version without changing a file: every replica reloads. The new version."""
        now = _now()
        with self._connection() as conn, conn.transaction():
            _lock_version(conn, now)
            row = conn.execute("SELECT digest FROM knowledge_version").fetchone()
            return _bump(conn, str(row[0]) if row else "", now)

    def claim_notices(self, version: int) -> bool:
        """Whether this replica is the one to tell subscribers about version's changes."""
        with self._connection() as conn:
            cursor = conn.execute(
                "UPDATE knowledge_version SET notified_version = %s WHERE notified_version < %s",
                (version, version),
            )
            return cursor.rowcount == 1

    def write_report(self, version: int, report: Mapping[str, Any]) -> None:
        """Keep the claiming replica's reload report where `amif-bot reload --wait` reads it."""
        payload = json.dumps({"version": version, "report": dict(report)}, ensure_ascii=False)
        with self._connection() as conn:
            conn.execute("UPDATE knowledge_version SET report = %s", (payload,))

    def read_report(self, version: int) -> dict[str, Any] | None:
        """A replica's report of reloading version (or a later one), once there is one."""
        with self._connection() as conn:
            row = conn.execute("SELECT report FROM knowledge_version").fetchone()
        if row is None or row[0] is None:
            return None
        try:
            payload = json.loads(str(row[0]))
        except ValueError:
            return None
        if int(payload.get("version", 0)) < version:
            return None
        report = payload.get("report")
        return report if isinstance(report, dict) else None

    # --- the built index ---

    def restore_index(self, data_dir: Path) -> bool:
        """Install the database's copy of the index for data_dir's documents, if one is kept.

        False when the local index is already current, when no document is ingested (the
        shipped knowledge alone is not saved) or when the database has no copy.
        """
        if not (data_dir / INGESTED_SUBDIR).is_dir() or local_index_current(data_dir):
            return False
        key = index_key(data_dir)
        with self._connection() as conn:
            # Binary: the bytes as they are, not a hex text twice their size to decode.
            query = "SELECT data FROM knowledge_index WHERE key = %s"
            row = conn.execute(query, (key,), binary=True).fetchone()
        if row is None:
            log.info("no built index in the database for these documents; it will be built")
            return False
        try:
            install_index(data_dir, bytes(row[0]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("the database's built index could not be installed (%s)", exc)
            return False
        log.info("built index restored from the database (%d bytes)", len(row[0]))
        return True

    def publish_index(self, data_dir: Path) -> bool:
        """Keep data_dir's built index in the database, unless a copy is kept already."""
        if not local_index_current(data_dir):
            return False
        key = index_key(data_dir)
        with self._connection() as conn:
            if conn.execute("SELECT 1 FROM knowledge_index WHERE key = %s", (key,)).fetchone():
                return False
        data = (data_dir / INDEX_SUBDIR / INDEX_FILE).read_bytes()
        with self._connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO knowledge_index (key, data, created_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (key) DO NOTHING",
                (key, data, _now()),
            )
            conn.execute(
                "DELETE FROM knowledge_index WHERE key NOT IN (SELECT key FROM knowledge_index"
                " ORDER BY created_at DESC LIMIT %s)",
                (INDEX_COPIES_KEPT,),
            )
        log.info("built index kept in the database (%d bytes)", len(data))
        return True


def _lock_version(conn: psycopg.Connection[Any], now: datetime) -> int:
    """The version row, locked until the transaction ends (made at 0 when there is none)."""
    conn.execute(
        "INSERT INTO knowledge_version (id, version, digest, notified_version, updated_at)"
        " VALUES (1, 0, '', 0, %s) ON CONFLICT (id) DO NOTHING",
        (now,),
    )
    row = conn.execute("SELECT version FROM knowledge_version WHERE id = 1 FOR UPDATE").fetchone()
    assert row is not None
    return int(row[0])


def _bump(conn: psycopg.Connection[Any], digest: str, now: datetime) -> int:
    """The next version, with a NOTIFY that PostgreSQL delivers when the transaction commits."""
    row = conn.execute(
        "UPDATE knowledge_version SET version = version + 1, digest = %s, updated_at = %s"
        " RETURNING version",
        (digest, now),
    ).fetchone()
    assert row is not None
    version = int(row[0])
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(version)))
    return version
