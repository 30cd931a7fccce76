"""A persistent HDF5 cache of preprocessed media, so that media is decoded once per set of settings.

One file per modality kind and preprocessing settings (``<kind>-<hash of the settings>.h5``) in the
dataset's cache folder. An entry is keyed by the media file's path relative to the dataset folder and
checked against the file's size and modification time, so a changed file is decoded again. Files that
failed to decode are remembered with their reason so a corrupt file is not retried on every run.

The file is never modified in place: ``flush`` writes the old entries plus the new ones to a temporary
file and renames it over the old one, so an interrupted run leaves the previous cache intact. A cache
file that cannot be read is discarded with a warning and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from core.atomic import WriteError, commit_file, describe_os_error

CACHE_DIR_NAME = ".modalens-cache"
FORMAT_VERSION = 1
FLUSH_INTERVAL_S = 30.0
_STALE_TMP_S = 24 * 3600.0
_HOST = socket.gethostname().replace(".", "_")

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileKey:
    """Identifies one version of a media file: path relative to the dataset folder, size, mtime."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, root: Path, relative: str) -> FileKey:
        """The key of ``root / relative`` as it is now on disk (``OSError`` if it cannot be read)."""
        info = (root / relative).stat()
        return cls(relative, info.st_size, info.st_mtime_ns)

    @property
    def entry_name(self) -> str:
        return hashlib.sha1(self.path.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedResult:
    """What the cache knows about a file: its preprocessed ``array``, or the ``failure`` reason."""

    array: np.ndarray | None = None
    failure: str | None = None


def cache_folder(dataset_root: str | Path, cache_dir: str = "") -> Path:
    """Where a dataset's cache files live.

    Empty ``cache_dir``: ``<dataset>/.modalens-cache``. Otherwise a sub-folder of ``cache_dir`` (taken
    relative to the dataset folder when relative) named after the dataset folder and a hash of its
    absolute path, so one shared cache folder can serve several datasets.
    """
    root = Path(dataset_root)
    if not cache_dir:
        return root / CACHE_DIR_NAME
    base = Path(cache_dir).expanduser()
    if not base.is_absolute():
        base = root / base
    absolute = root.resolve()
    digest = hashlib.sha1(str(absolute).encode("utf-8")).hexdigest()[:12]
    return base / f"{absolute.name}-{digest}"


class MediaCache:
    """The cache file of one modality kind and settings; a ``folder`` of None keeps entries in memory only.

    The file holds an ``index`` (JSON: entry name → path, size, mtime_ns, failure reason or null) and one
    dataset per decoded file under ``ok``. Use as a context manager (or call ``close``), which flushes.
    """

    def __init__(
        self,
        folder: Path | None,
        kind: str,
        params: dict[str, Any],
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._log = log
        self._identity = json.dumps(
            {"format": FORMAT_VERSION, "kind": kind, "params": params}, sort_keys=True
        )
        digest = hashlib.sha1(self._identity.encode("utf-8")).hexdigest()[:16]
        self.path = None if folder is None else Path(folder) / f"{kind}-{digest}.h5"
        self._index: dict[str, tuple[FileKey, str | None]] = {}
        self._pending: dict[str, tuple[FileKey, CachedResult]] = {}
        self._file: h5py.File | None = None
        self._last_flush = time.monotonic()
        if self.path is not None:
            self._remove_stale_temporaries()
            self._open_existing()

    def lookup(self, key: FileKey) -> CachedResult | None:
        """The cached result for this exact file version, or None on a miss."""
        name = key.entry_name
        if name in self._pending:
            pending_key, result = self._pending[name]
            return result if pending_key == key else None
        if name not in self._index or self._index[name][0] != key:
            return None
        reason = self._index[name][1]
        if reason is not None:
            return CachedResult(failure=reason)
        try:
            return CachedResult(array=self._file["ok"][name][()])
        except (OSError, KeyError, ValueError, TypeError) as exc:
            self._warn(f"cache entry for {key.path!r} in {self.path} is unreadable ({exc}); decoding again")
            return None

    def store(self, key: FileKey, array: np.ndarray) -> None:
        """Remember the preprocessed array of this file version (written at the next flush)."""
        self._pending[key.entry_name] = (key, CachedResult(array=np.asarray(array)))

    def store_failure(self, key: FileKey, reason: str) -> None:
        """Remember that this file version cannot be decoded, and why."""
        self._pending[key.entry_name] = (key, CachedResult(failure=reason))

    def flush_if_due(self, interval_s: float = FLUSH_INTERVAL_S) -> None:
        """Flush when there are new entries and the last flush is more than ``interval_s`` ago."""
        if self._pending and time.monotonic() - self._last_flush >= interval_s:
            self.flush()

    def flush(self) -> None:
        """Write the cache file anew with the old and the new entries, then rename it into place."""
        self._last_flush = time.monotonic()
        if self.path is None or not self._pending:
            return
        tmp = self.path.with_name(f"{self.path.name}.{_HOST}.{os.getpid()}.tmp")
        try:
            with h5py.File(tmp, "w", locking=False) as out:
                out.attrs["identity"] = self._identity
                index = self._write_entries(out.create_group("ok"))
                table = {
                    name: [key.path, key.size, key.mtime_ns, reason] for name, (key, reason) in index.items()
                }
                out.create_dataset("index", data=json.dumps(table), dtype=h5py.string_dtype())
            self._close_file()
            commit_file(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise WriteError(
                f"{describe_os_error(exc, self.path)}; the cache keeps the entries it had before", exc.errno
            ) from exc
        self._pending.clear()
        self._open_existing()

    def close(self) -> None:
        """Flush new entries and release the file."""
        try:
            self.flush()
        finally:
            self._close_file()

    def __enter__(self) -> MediaCache:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _write_entries(self, ok: h5py.Group) -> dict[str, tuple[FileKey, str | None]]:
        """Copy the old entries not superseded by pending ones, then add the pending ones."""
        index: dict[str, tuple[FileKey, str | None]] = {}
        for name, (key, reason) in self._index.items():
            if name in self._pending:
                continue
            if reason is None:
                try:
                    self._file.copy(self._file["ok"][name], ok, name=name)
                except (OSError, KeyError, ValueError, TypeError) as exc:
                    self._warn(f"dropping the unreadable cache entry for {key.path!r} ({exc})")
                    continue
            index[name] = (key, reason)
        for name, (key, result) in self._pending.items():
            if result.array is not None:
                ok.create_dataset(name, data=result.array)
            index[name] = (key, result.failure)
        return index

    def _open_existing(self) -> None:
        assert self.path is not None
        self._index = {}
        if not self.path.exists():
            return
        try:
            handle = h5py.File(self.path, "r", locking=False)
        except OSError as exc:
            self._discard(f"cannot be read ({exc})")
            return
        try:
            if handle.attrs.get("identity") != self._identity or not isinstance(handle.get("ok"), h5py.Group):
                raise ValueError("it was written with other settings or by another version")
            table = json.loads(handle["index"].asstr()[()])
            index = {
                name: (FileKey(str(path), int(size), int(mtime_ns)), None if reason is None else str(reason))
                for name, (path, size, mtime_ns, reason) in table.items()
            }
        except (OSError, KeyError, ValueError, TypeError, AttributeError) as exc:
            handle.close()
            self._discard(f"is unusable ({exc})")
            return
        self._file, self._index = handle, index

    def _discard(self, reason: str) -> None:
        assert self.path is not None
        self._warn(f"the cache file {self.path} {reason}; discarding it and rebuilding")
        try:
            self.path.unlink()
        except OSError as exc:
            self._warn(f"cannot delete {self.path} ({exc})")

    def _remove_stale_temporaries(self) -> None:
        """Remove temporaries of killed writers: at once when their process (on this host) is gone,
        after a day when another host wrote them (its processes cannot be checked from here)."""
        assert self.path is not None
        now = time.time()
        for tmp in self.path.parent.glob(f"{self.path.name}.*.tmp"):
            host, _, pid = tmp.name[len(self.path.name) + 1 : -len(".tmp")].rpartition(".")
            try:
                if (host == _HOST and pid.isdigit() and not _process_alive(int(pid))) or (
                    now - tmp.stat().st_mtime > _STALE_TMP_S
                ):
                    tmp.unlink()
            except OSError:
                continue

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _warn(self, message: str) -> None:
        if self._log is not None:
            self._log(f"warning: {message}")
        else:
            _logger.warning(message)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
