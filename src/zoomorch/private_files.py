"""Files that hold personal data, private from their first byte.

Every file zoomorch writes with people in it (emails, names, personal join links) goes
through here: it is created with mode 0600, so the process umask can only make it stricter
(umask 077 → 0600, umask 277 → 0400), never wider. Rewriting an existing file that others
could read narrows it to the owner first, before a byte is written. Nothing is chmod-ed after
the fact, which would leave a moment in which the data is readable.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

PRIVATE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def open_private(path: str | Path, mode: str = "w", **options: Any) -> IO[Any]:
    """Open ``path`` for writing (``"w"`` or ``"wb"``, plus ``encoding``/``newline`` as for
    :func:`open`), creating it 0600 under the umask, or narrowing an existing file first."""
    if mode not in ("w", "wb", "wt"):
        raise ValueError(f"open_private is for writing a whole file ('w' or 'wb'), not {mode!r}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, PRIVATE_MODE)
    try:
        narrow_fd(fd, path)
        return os.fdopen(fd, mode, **options)
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to a private file (see :func:`open_private`)."""
    with open_private(path, "w", encoding=encoding) as stream:
        stream.write(text)


def write_private_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a private file (see :func:`open_private`)."""
    with open_private(path, "wb") as stream:
        stream.write(data)


def create_private(path: str | Path) -> bool:
    """Create ``path`` empty with mode 0600 (under the umask) unless it exists; True if it was
    created. For files another library opens by name (the SQLite state database)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     PRIVATE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def make_private_dir(path: str | Path) -> None:
    """Create a directory (and its parents) if missing; the directory itself gets 0700."""
    Path(path).mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)


def narrow(path: str | Path) -> int | None:
    """Take group and other permissions away from an existing file; the mode it had when it
    was wider than 0600 (for a log line), else None (also when it does not exist)."""
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    if not current & ~PRIVATE_MODE:
        return None
    os.chmod(path, current & PRIVATE_MODE)
    return current


def narrow_fd(fd: int, path: str | Path) -> None:
    """:func:`narrow` for an open file (no race with a rename of ``path``)."""
    current = stat.S_IMODE(os.fstat(fd).st_mode)
    if current & ~PRIVATE_MODE:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, current & PRIVATE_MODE)
        else:  # pragma: no cover - Windows before 3.13 has no fchmod (and no such bits)
            os.chmod(path, current & PRIVATE_MODE)
