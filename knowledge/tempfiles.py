"""Temporary files written aside and renamed into place, and the ones a killed writer left.

A writer holds an exclusive lock (flock) on its temporary file while it writes; the lock ends
with the process, however it ends. So a temporary file nobody holds a lock on was left by a
writer that died (a reload or ingest killed midway, 16.8 MB in issue 13's case), and the next
start removes it without touching the file of a writer still at work in another process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: no flock; nothing is removed there)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
TEMP_SUFFIX = ".tmp"


def create_temp(folder: Path, prefix: str) -> tuple[int, Path]:
    """A new hidden temporary file in folder, locked for as long as this process holds fd."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=TEMP_SUFFIX)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, Path(name)


def remove_abandoned(folder: Path) -> list[Path]:
    """Remove the hidden temporary files in folder that no live writer holds; those removed."""
    removed: list[Path] = []
    if fcntl is None or not folder.is_dir():
        return removed
    for path in sorted(folder.glob(f".*{TEMP_SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a writer is still at work on it
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
        finally:
            os.close(fd)
    for path in removed:
        log.info("removed %s, left by an interrupted write", path)
    return removed
