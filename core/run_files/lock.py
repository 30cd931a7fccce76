"""One writer per run folder: an exclusive lock held for the run's whole life.

The lock is ``RUN/.modalens.lock``, held with ``flock``: the kernel releases it when the holding process
ends in any way (SIGKILL included), so a crashed run never leaves a lock that blocks the next one.
The file says who holds it (``pid=… host=… since=…``) so a refused run can name the holder, and so tools
(``modalens report repair``) can tell whether a run is still live on this host.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import time
from pathlib import Path

from core.run_files.layout import LOCK_NAME, RunFolderError, check_no_links, link_message


class RunLockedError(RuntimeError):
    """Another process is writing this run folder."""


class RunLock:
    """The exclusive lock of one run folder; ``acquire`` raises :class:`RunLockedError` naming the holder."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock; raises :class:`RunLockedError` while another process holds it, and
        :class:`RunFolderError` when the lock file or a run file in the folder is a symbolic link."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            except OSError as exc:
                if exc.errno == errno.ELOOP or self.path.is_symlink():
                    raise RunFolderError(link_message(self.path)) from None
                raise
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise RunLockedError(
                    f"{self.path.parent}: another ModaLens run is writing this folder ({holder}); "
                    "wait for it to end or choose another --out"
                ) from None
            except OSError:
                os.close(fd)
                raise
            if _same_file(fd, self.path):  # not unlinked by a releasing holder in the meantime
                break
            os.close(fd)
        try:
            check_no_links(self.path.parent)
        except RunFolderError:
            self._fd = fd
            self.release()
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"pid={os.getpid()} host={socket.gethostname()} since={time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_holder(run_dir: str | Path) -> dict[str, str] | None:
    """``{"pid", "host", "since"}`` of the process holding the run folder's lock, or None when free."""
    path = Path(run_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = _read_holder(fd)
            return dict(item.partition("=")[::2] for item in text.split() if "=" in item)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False
