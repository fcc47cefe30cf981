"""The data directory, checked before the bot takes any update or a command touches it.

Why first: a bot that starts polling and then finds it cannot write its database confirms
updates it will never answer, and its workers died with a traceback that named no path
(issue 13). One check, shared by every command, names the path and what is wrong instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from knowledge.tempfiles import remove_abandoned

# Enough to start and run for a while: a reload writes the new index aside while the old one
# is still in place (16.8 MB for the temporary file a killed reload left in issue 13), and
# SQLite's WAL grows to about 4 MB between checkpoints (1,000 pages of 4 KB). 64 MB is twice
# that with room for the database itself to grow.
MIN_FREE_BYTES = 64 * 1024 * 1024
# Folders of the data directory where writers leave temporary files (index/, documents/).
TEMP_FOLDERS = ("index", "documents")
# The data directory holds users' settings and dialogs: only the bot's own user may enter it.
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


class DataDirError(Exception):
    """The data directory cannot serve the bot; the message names the path and the problem."""


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def check_data_dir(data_dir: Path, database: Path | None = None, *, create: bool = True) -> None:
    """Make sure data_dir exists (0700), is writable, has space and database opens; or raise.

    With create=False a missing directory is left alone (a command that only reads it).
    Temporary files left by a killed writer are removed on the way.
    """
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} is not a directory")
    if not data_dir.exists():
        if not create:
            return
        try:
            data_dir.mkdir(parents=True, mode=DIRECTORY_MODE)
        except FileExistsError:
            pass  # created by another process meanwhile
        except OSError as exc:
            raise DataDirError(
                f"data directory {data_dir} cannot be created: {_reason(exc)}"
            ) from None
    try:
        fd, probe = tempfile.mkstemp(dir=data_dir, prefix=".write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise DataDirError(f"data directory {data_dir} is not writable: {_reason(exc)}") from None
    free = shutil.disk_usage(data_dir).free
    if free < MIN_FREE_BYTES:
        raise DataDirError(
            f"data directory {data_dir} has {free / 1024 / 1024:.0f} MB free; at least "
            f"{MIN_FREE_BYTES // 1024 // 1024} MB are needed to start"
        )
    if database is not None and (create or database.exists()):
        check_database(database)
    for folder in TEMP_FOLDERS:
        remove_abandoned(data_dir / folder)


def create_private_file(path: Path) -> None:
    """Create path empty with mode 0600 unless it exists (SQLite's -wal and -shm follow it)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def check_database(database: Path) -> None:
    """Open the SQLite file and take (and release) its write lock; or raise DataDirError."""
    try:
        create_private_file(database)
        with contextlib.closing(sqlite3.connect(database, timeout=5.0)) as db:
            db.execute("PRAGMA schema_version").fetchone()  # reads the header: a database?
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
    except (sqlite3.Error, OSError) as exc:
        text = _reason(exc) if isinstance(exc, OSError) else str(exc)
        raise DataDirError(f"database {database} cannot be opened: {text}") from None
