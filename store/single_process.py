"""SQLite mode is one process: a second `flare serve` or `flare worker` on the same file is
refused, because SQLite has no `SKIP LOCKED` and two sweepers would both send a pointer."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import Engine

# One open lock file per database for the life of the process. POSIX record locks belong to
# the process, so taking it again here succeeds, and closing any other descriptor of the file
# would drop it: the descriptor is kept, never closed.
_HELD: dict[Path, int] = {}


class DatabaseInUse(RuntimeError):
    """Another process holds this SQLite database."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is in use by another Flare process (pid {holder or 'unknown'})")
        self.path = path
        self.holder = holder


def lock_path(engine: Engine) -> Path | None:
    """Where the lock lives for a file-backed SQLite database; None for anything else."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).resolve().with_name(Path(database).name + ".lock")


def hold_single_process_lock(engine: Engine) -> None:
    """Claim the SQLite database for this process, or raise DatabaseInUse."""
    path = lock_path(engine)
    if path is None or path in _HELD:
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        raise DatabaseInUse(path.with_suffix(""), holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _HELD[path] = fd
