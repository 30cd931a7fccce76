"""Opening report files for live writing and reading, and replacing them atomically.

File locking is off everywhere: a live report is shared between one SWMR writer and any number of
readers in other processes, which HDF5's own locks would otherwise refuse.

Within one process HDF5 shares a single open file between every handle on it, and a reader handle
next to the SWMR writer's corrupts the writer's cache. So a writer registers the report it holds
(``LiveFile``), and ``reading_file`` reads through the writer's own handle, under its lock, when the
file is being written in this process; otherwise it opens the file just for the read and closes it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import h5py

from core.atomic import fsync_folder
from core.report.format import LIBVER

CHUNK_CACHE_BYTES = 0
"""Written files keep no chunk cache, so each chunk is written by the call that writes it and a failing
write raises there: a cached chunk is written when its dataset object is released, where h5py only prints
the error (the run went on with a file HDF5 had given up on, and crashed later)."""


def create_file(path: str | Path) -> h5py.File:
    """Create (truncate) a file in the report's format version bounds; a symlink at ``path`` is removed
    first, never written through."""
    if os.path.islink(path):
        os.unlink(path)
    return h5py.File(path, "w", libver=LIBVER, locking=False, rdcc_nbytes=CHUNK_CACHE_BYTES)


def open_swmr_writer(path: str | Path) -> h5py.File:
    """Open an existing report directly in SWMR write mode, so it is never open in a non-SWMR write state."""
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_V110, h5py.h5f.LIBVER_V110)
    fapl.set_file_locking(False, True)
    mdc, slots, _, w0 = fapl.get_cache()
    fapl.set_cache(mdc, slots, CHUNK_CACHE_BYTES, w0)
    flags = h5py.h5f.ACC_RDWR | h5py.h5f.ACC_SWMR_WRITE
    return h5py.File(h5py.h5f.open(os.fsencode(path), flags, fapl=fapl))


TRUNCATED_RETRIES = 10
TRUNCATED_WAIT_S = 0.02


def open_for_reading(path: str | Path) -> h5py.File:
    """Open a report read-only: plainly when it is closed (HDF5 then checks it is complete), in SWMR read
    mode when a writer holds it (live, or killed before closing it).

    A live writer that is extending the file can make it look truncated for a moment; that is retried
    for about 0.2 s before it is taken for real."""
    retries = 0
    while True:
        try:
            return h5py.File(path, "r", locking=False)
        except OSError as exc:
            if "already open for write" in str(exc):
                return h5py.File(path, "r", swmr=True, locking=False)
            retries += 1
            if "truncated file" not in str(exc) or retries > TRUNCATED_RETRIES:
                raise
        time.sleep(TRUNCATED_WAIT_S)


def copy_file_contents(src: h5py.File, dst: h5py.File) -> None:
    """Copy every top-level object and root attribute (types kept) from src to dst."""
    for name in src:
        src.copy(src[name], dst, name=name)
    copy_attrs(src, dst)


def copy_attrs(src: h5py.HLObject, dst: h5py.HLObject) -> None:
    """Copy attributes keeping their stored types (fixed-length strings stay fixed-length)."""
    for key in src.attrs:
        dst.attrs.create(key, src.attrs[key], dtype=src.attrs.get_id(key).dtype)


def replace_file(tmp: str | Path, path: str | Path, attempts: int = 20) -> None:
    """Make ``tmp`` durable (fsync), then os.replace it onto ``path`` and fsync the folder; the rename is
    retried briefly where the platform refuses while a reader holds the target open."""
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    for attempt in range(attempts):
        try:
            os.replace(tmp, path)
            break
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)
    fsync_folder(Path(path).parent)


def tmp_path(path: str | Path) -> Path:
    """The temporary sibling a file is written to before it replaces ``path``."""
    path = Path(path)
    return path.with_name(path.name + ".tmp")


def writer_left_open(path: str | Path) -> bool:
    """True when the file is still marked open by a SWMR writer (live, or killed before closing it)."""
    with _REGISTRY_LOCK:
        if _key(path) in _LIVE:
            return True
        try:
            with h5py.File(path, "r", locking=False):
                return False
        except OSError as exc:
            return "already open for write" in str(exc)


class LiveFile:
    """A report held open by a writer of this process; every use of ``file`` happens under ``lock``."""

    def __init__(self, path: str | Path) -> None:
        self.key = _key(path)
        self.lock = threading.RLock()
        self.file: h5py.File | None = None

    def register(self) -> None:
        with _REGISTRY_LOCK:
            other = _LIVE.get(self.key)
            if other is not None and other is not self:
                raise ValueError(f"{self.key}: already being written by another ReportWriter of this process")
            _LIVE[self.key] = self

    def unregister(self) -> None:
        with _REGISTRY_LOCK:
            if _LIVE.get(self.key) is self:
                del _LIVE[self.key]


_LIVE: dict[str, LiveFile] = {}
_REGISTRY_LOCK = threading.RLock()


def _key(path: str | Path) -> str:
    return os.path.realpath(path)


@contextmanager
def reading_file(path: str | Path) -> Iterator[h5py.File]:
    """An open file to read ``path`` through, for the duration of the ``with`` block."""
    with _REGISTRY_LOCK:
        live = _LIVE.get(_key(path))
        if live is None:
            with open_for_reading(path) as file:
                yield file
            return
    with live.lock:
        if live.file is not None:
            yield live.file
            return
        with open_for_reading(path) as file:
            yield file


def sync_file(path: str | Path) -> None:
    """Flush a written file's data to the disk (errors such as a full disk surface here at the latest)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(tmp: str | Path, path: str | Path) -> None:
    """Sync ``tmp``, rename it over ``path`` and sync the folder, so ``path`` is the old or the new file
    even after a power cut."""
    sync_file(tmp)
    replace_file(tmp, path)
    if os.name == "posix":
        sync_file(Path(path).parent)


def held_by_this_process(path: str | Path) -> bool:
    """True while a ReportWriter of this process holds the report."""
    with _REGISTRY_LOCK:
        return _key(path) in _LIVE
