"""Atomic file writes: a temporary file beside the target, fsync, rename, fsync of the folder.

A crash or a failing write never leaves a half-written target and never leaves the temporary behind
(short of SIGKILL, whose leftovers :func:`remove_stale_temporaries` clears).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TMP_SUFFIX = ".tmp"


class WriteError(OSError):
    """A write failed; the message names the file and the reason in one line (e.g. the disk is full)."""

    def __init__(self, message: str, error_number: int | None = None) -> None:
        super().__init__(message)
        self.errno = error_number


def is_disk_full(exc: OSError) -> bool:
    """True for "no space left" (or quota) errors, also from libraries (HDF5) that report no errno."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(exc)


def describe_os_error(exc: OSError, path: str | Path) -> str:
    """One line for a failed write: which path and why, disk full said plainly."""
    if is_disk_full(exc):
        return f"{path}: the disk is full (no space left while writing)"
    return f"{path}: cannot write ({exc.strerror or exc})"


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temporary_path(path: Path) -> Path:
    return path.with_name(path.name + TMP_SUFFIX)


@contextlib.contextmanager
def atomic_write(
    path: str | Path, mode: str = "wb", encoding: str | None = None, newline: str | None = None
) -> Iterator[IO]:
    """Yield a file that replaces ``path`` only when the block ends without an error.

    Any error removes the temporary file; an ``OSError`` is re-raised as :class:`WriteError` naming
    ``path``. Symbolic links are never written through: the temporary is created afresh (a link left in
    its place is removed first) and the rename replaces a link at ``path`` itself, not its target.
    """
    path = Path(path)
    tmp = temporary_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _create_new(tmp, mode, encoding, newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(describe_os_error(exc, path), exc.errno) from exc
        raise
    fsync_folder(path.parent)


def _create_new(path: Path, mode: str, encoding: str | None, newline: str | None) -> IO:
    """Open a file that did not exist before (anything at ``path``, a symlink included, is removed)."""
    path.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o666)
    try:
        return open(fd, mode, encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        raise


def remove_stale_temporaries(folder: str | Path, pattern: str = "*" + TMP_SUFFIX) -> list[Path]:
    """Remove temporaries an earlier, killed writer left in ``folder`` (call while holding its lock)."""
    removed = []
    for tmp in Path(folder).glob(pattern):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed
