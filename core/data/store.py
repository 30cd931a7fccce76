"""An append-only, checksummed on-disk store of preprocessed samples, read by random access.

One store folder per modality kind and preprocessing settings (``<kind>-<hash of the settings>/``) in the
dataset's cache folder. It holds segment files; every writer process appends to a segment of its own
(named after its start time, host and pid) and never rewrites a byte, so building costs time linear in
the number of files, several processes may read while another appends, and a writer killed at any
point leaves every record it finished intact (a torn last record is ignored by readers).

A record is a fixed prefix (magic, header length, payload length, CRC-32 of the header, CRC-32 of the
payload, keyed checksum), a JSON header (the file's path, size, mtime and a hash of its head and tail;
dtype and shape, or the failure reason) and the raw array bytes: one contiguous, uncompressed chunk per
sample, so reading one sample is one ``pread``. A record's payload checksum is verified on every read
(:class:`StoredRows`). The last record of a file version wins, so a damaged entry is superseded by
appending its re-decoded array.

A store lies in the dataset folder and so travels with a shared dataset: only records this user's
installation wrote are used. The keyed checksum (BLAKE2b keyed with the per-user secret of
``core.data.trust``) covers the prefix and the header, and so the payload's CRC; a record without a
valid one (written by another user or machine, or tampered with) is ignored and counted in one warning
per store. Only regular files are opened as segments (never a FIFO, device or symlink), and a store
folder that is a symlink is refused.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import stat
import struct
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic import WriteError, describe_os_error
from core.data.trust import store_key

CACHE_DIR_NAME = ".modalens-cache"
FORMAT_VERSION = 2
SEGMENT_SUFFIX = ".seg"
_MAGIC = b"MLS3"
_FIELDS = struct.Struct("<4sIQII")  # magic, header bytes, payload bytes, header CRC-32, payload CRC-32
_PREFIX = struct.Struct("<4sIQII16s")  # the fields, then the keyed checksum of the fields and the header
_MAC_BYTES = 16
_CONTENT_SPAN = 1 << 16  # bytes hashed at each end of a file for its content digest
_MAX_HEADER = 1 << 20
_HOST = socket.gethostname().replace(".", "_").replace("-", "_")

_logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FileKey:
    """Identifies one version of a media file: path relative to the dataset folder, size, mtime and
    ``digest``, a hash of the file's first and last 64 kB (so a file replaced by one of the same size,
    with its mtime restored, is still told apart; empty for a folder)."""

    path: str
    size: int
    mtime_ns: int
    digest: str = ""

    @classmethod
    def of(cls, root: Path, relative: str) -> FileKey:
        """The key of ``root / relative`` as it is now on disk (``OSError`` if it cannot be read)."""
        path = root / relative
        info = path.stat()
        digest = content_digest(path, info.st_size) if stat.S_ISREG(info.st_mode) else ""
        return cls(relative, info.st_size, info.st_mtime_ns, digest)


def content_digest(path: Path, size: int) -> str:
    """A hash of the first and last ``_CONTENT_SPAN`` bytes of a regular file (two reads at most)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        digest = hashlib.blake2b(os.pread(fd, _CONTENT_SPAN, 0), digest_size=12)
        if size > _CONTENT_SPAN:
            digest.update(os.pread(fd, _CONTENT_SPAN, max(_CONTENT_SPAN, size - _CONTENT_SPAN)))
    finally:
        os.close(fd)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a stored array lies (``segment``, payload ``offset``, ``nbytes``, ``crc``), or its ``failure``."""

    segment: str
    offset: int
    nbytes: int
    crc: int
    dtype: str
    shape: tuple[int, ...]
    failure: str | None = None


class DamagedEntryError(ValueError):
    """A stored array failed its checksum (and could not be decoded again)."""


def cache_folder(dataset_root: str | Path, cache_dir: str = "") -> Path:
    """Where a dataset's stores live.

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


def store_folder(cache: Path, kind: str, params: dict[str, Any]) -> Path:
    """The store of one modality kind and preprocessing settings inside a cache folder."""
    identity = json.dumps({"format": FORMAT_VERSION, "kind": kind, "params": params}, sort_keys=True)
    return Path(cache) / f"{kind}-{hashlib.sha1(identity.encode('utf-8')).hexdigest()[:16]}"


_ephemeral_key: list[bytes] = []


def user_key(warn: Callable[[str], None] | None = None) -> bytes:
    """This user's store secret; when the config folder cannot hold one, a key for this process only
    (what it stores is then decoded again by the next run), with a warning."""
    try:
        return store_key()
    except OSError as exc:
        if not _ephemeral_key:
            _ephemeral_key.append(secrets.token_bytes(32))
            message = f"cannot keep a store key in the config folder ({exc}); the cache is used by this run only"
            (warn or _logger.warning)(message)
        return _ephemeral_key[0]


def _mac(key: bytes, fields: bytes, header: bytes) -> bytes:
    return hashlib.blake2b(fields + header, key=key, digest_size=_MAC_BYTES).digest()


def is_symlink(path: Path) -> bool:
    """Whether ``path`` itself is a symbolic link (False when it does not exist)."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def append_one(folder: Path, key: FileKey, array: np.ndarray) -> Entry:
    """Append one entry in a segment of its own, without reading the store (e.g. a repaired entry)."""
    writer = _SegmentWriter(Path(folder), user_key())
    try:
        array = np.ascontiguousarray(array)
        return writer.write(key, array.dtype.str, array.shape, array.data.cast("B"), None)
    finally:
        writer.close()


class TensorStore:
    """The records of one store folder: :meth:`lookup` what is stored, :meth:`append` what is new.

    Opening scans the headers of every segment (not the payloads). Appends go to this process's own
    segment, created on the first append; :meth:`close` makes them durable. Use as a context manager.
    """

    def __init__(self, folder: Path, log: Callable[[str], None] | None = None) -> None:
        self.folder = Path(folder)
        self._log = log
        self._index: dict[FileKey, Entry] = {}
        self._writer: _SegmentWriter | None = None
        self._key = user_key(self._warn)
        if is_symlink(self.folder):
            raise WriteError(f"{self.folder}: the store folder is a symbolic link; ModaLens never follows one "
                             "(delete the link)")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(describe_os_error(exc, self.folder), exc.errno) from exc
        discarded: Counter[str] = Counter()
        with os.scandir(self.folder) as found:
            names = sorted(e.name for e in found if e.name.endswith(SEGMENT_SUFFIX))
        for name in names:
            for key, entry in _scan(self.folder / name, self._key, self._warn, discarded):
                self._index[key] = entry
        described = {"records": "record(s)", "segments": "segment(s) of an older format",
                     "files": "entries that are not regular files"}
        parts = [f"{discarded[what]} {text}" for what, text in described.items() if discarded[what]]
        if parts:
            self._warn(f"{self.folder}: ignored {', '.join(parts)} not written by this installation (a cache "
                       "from another user or machine, or altered); their samples are decoded again")

    def __len__(self) -> int:
        return len(self._index)

    def file_keys(self) -> list[FileKey]:
        """Every file version the store has a record of."""
        return list(self._index)

    def lookup(self, key: FileKey) -> Entry | None:
        """The newest record of this exact file version, or None."""
        return self._index.get(key)

    def append(self, key: FileKey, array: np.ndarray) -> Entry:
        """Store ``array`` as the entry of ``key`` (``WriteError`` naming the segment when the write fails)."""
        array = np.ascontiguousarray(array)
        entry = self._segment().write(key, array.dtype.str, array.shape, array.data.cast("B"), None)
        self._index[key] = entry
        return entry

    def append_failure(self, key: FileKey, reason: str) -> Entry:
        """Remember that this file version cannot be used, and why."""
        entry = self._segment().write(key, "", (), b"", reason)
        self._index[key] = entry
        return entry

    def close(self) -> None:
        """Flush and close this process's segment (removed when nothing was appended)."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()

    def __enter__(self) -> TensorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _segment(self) -> _SegmentWriter:
        if self._writer is None:
            self._writer = _SegmentWriter(self.folder, self._key)
        return self._writer

    def _warn(self, message: str) -> None:
        if self._log is not None:
            self._log(f"warning: {message}")
        else:
            _logger.warning(message)


class _SegmentWriter:
    """Appends records to a new segment file of this process; a failed write truncates the partial record."""

    SYNC_INTERVAL_S = 2.0

    def __init__(self, folder: Path, key: bytes) -> None:
        self.path = folder / f"{time.time_ns():020d}-{_HOST}-{os.getpid()}{SEGMENT_SUFFIX}"
        self._key = key
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_NOFOLLOW
            self._fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise WriteError(describe_os_error(exc, self.path), exc.errno) from exc
        self._size = 0
        self._last_sync = time.monotonic()

    def write(
        self, key: FileKey, dtype: str, shape: tuple[int, ...], payload: bytes | memoryview, failure: str | None
    ) -> Entry:
        if self._fd < 0:
            raise WriteError(f"{self.path}: an earlier write failed; this segment takes no more records")
        header = json.dumps(
            {"path": key.path, "size": key.size, "mtime_ns": key.mtime_ns, "digest": key.digest,
             "dtype": dtype, "shape": list(shape), "failure": failure}
        ).encode("utf-8")
        crc = zlib.crc32(payload)
        fields = _FIELDS.pack(_MAGIC, len(header), len(payload), zlib.crc32(header), crc)
        prefix = fields + _mac(self._key, fields, header)
        start = self._size
        try:
            self._write_all(prefix + header)
            self._write_all(payload)
            if time.monotonic() - self._last_sync >= self.SYNC_INTERVAL_S:
                os.fsync(self._fd)
                self._last_sync = time.monotonic()
        except OSError as exc:
            self._abandon(start)
            raise WriteError(
                f"{describe_os_error(exc, self.path)}; every entry stored before is kept", exc.errno
            ) from exc
        offset = start + len(prefix) + len(header)
        return Entry(self.path.name, offset, len(payload), crc, dtype, tuple(shape), failure)

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise WriteError(describe_os_error(exc, self.path), exc.errno) from exc
        finally:
            os.close(self._fd)
            self._fd = -1
            if self._size == 0:
                self.path.unlink(missing_ok=True)

    def _write_all(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while len(view):
            written = os.write(self._fd, view)
            self._size += written
            view = view[written:]

    def _abandon(self, start: int) -> None:
        """Cut the partial record off and stop taking records (a torn record is ignored by readers anyway)."""
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, start)
            self._size = start
        os.close(self._fd)
        self._fd = -1


def _open_segment(segment: Path) -> int | None:
    """A read descriptor of ``segment`` when it is a regular file (never a FIFO, device or symlink)."""
    try:
        fd = os.open(segment, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EACCES, errno.EISDIR):  # a link, a socket, ...
            return None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


def _scan(
    segment: Path, key: bytes, warn: Callable[[str], None], discarded: Counter[str]
) -> Iterator[tuple[FileKey, Entry]]:
    """The complete records of a segment written with ``key``, in order; stops at a torn or unreadable
    record. Records with another key, and segments that are not regular files, are counted in
    ``discarded``."""
    try:
        fd = _open_segment(segment)
    except OSError as exc:
        warn(f"cannot read the store segment {segment} ({exc.strerror or exc}); its entries are decoded again")
        return
    if fd is None:
        discarded["files"] += 1
        return
    name = segment.name
    shared: dict = {}  # one object per distinct dtype and shape: the index holds an entry per file
    with open(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        position = 0
        while position + _PREFIX.size <= size:
            handle.seek(position)
            prefix = handle.read(_PREFIX.size)
            magic, header_len, payload_len, header_crc, crc, mac = _PREFIX.unpack(prefix)
            end = position + _PREFIX.size + header_len + payload_len
            if magic != _MAGIC or header_len > _MAX_HEADER or end > size:
                discarded["segments"] += magic != _MAGIC and position == 0  # an older format
                break
            header = handle.read(header_len)
            if zlib.crc32(header) != header_crc:
                warn(f"{segment}: a record header at byte {position} is damaged; the entries after it are "
                     "decoded again")
                break
            position = end
            if not hmac.compare_digest(mac, _mac(key, prefix[: _FIELDS.size], header)):
                discarded["records"] += 1
                continue
            try:
                fields = json.loads(header)
                key_of = FileKey(
                    str(fields["path"]), int(fields["size"]), int(fields["mtime_ns"]), str(fields["digest"])
                )
                dtype, shape = str(fields["dtype"]), tuple(int(n) for n in fields["shape"])
                entry = Entry(
                    name, end - payload_len, payload_len, crc, shared.setdefault(dtype, dtype),
                    shared.setdefault(shape, shape), None if fields["failure"] is None else str(fields["failure"]),
                )
            except (ValueError, KeyError, TypeError):
                break
            yield key_of, entry


class StoredRows:
    """One modality's samples in a store, indexed like an array ``[N, *shape]`` but read on demand.

    ``rows[i]`` reads one sample, ``rows[index]`` (integer array or slice) stacks only those rows. Every
    read verifies the record's checksum; a damaged record is reported (``log``, sample id and file)
    and ``repair(row)`` decodes the file again (the fresh array is appended to the store); without a
    repair, or when it fails, :class:`DamagedEntryError` is raised: a damaged entry is never returned.
    Picklable (file handles are reopened in each process), so DataLoader workers read the store directly.
    """

    def __init__(
        self,
        folder: Path,
        entries: list[Entry],
        names: Sequence[str] | np.ndarray,
        files: Sequence[str] | np.ndarray,
        repair: Callable[[int], np.ndarray] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not entries:
            raise ValueError("StoredRows needs at least one entry")
        self.folder = Path(folder)
        self.shape = (len(entries), *entries[0].shape)
        self.dtype = np.dtype(entries[0].dtype)
        self._segments = sorted({e.segment for e in entries})
        number = {name: i for i, name in enumerate(self._segments)}
        self._segment = np.array([number[e.segment] for e in entries], np.int32)
        self._offset = np.array([e.offset for e in entries], np.int64)
        self._nbytes = np.array([e.nbytes for e in entries], np.int64)
        self._crc = np.array([e.crc for e in entries], np.uint32)
        self._names, self._files = names, files  # e.g. the manifest's arrays, not copied
        self._repair, self._log = repair, log
        self._repaired: dict[int, np.ndarray] = {}
        self._fds: dict[int, int] = {}
        self._pid = os.getpid()

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, index: Any) -> np.ndarray:
        if isinstance(index, tuple):  # rows first, then numpy indexing within the rows read
            rows = self[index[0]]
            return rows[index[1:]] if isinstance(index[0], (int, np.integer)) else rows[(slice(None), *index[1:])]
        if isinstance(index, (int, np.integer)):
            if not -len(self) <= index < len(self):
                raise IndexError(f"row {index} is out of range for {len(self)} stored samples")
            return self._read(int(index) % len(self))
        rows = np.arange(len(self))[index] if isinstance(index, slice) else np.asarray(index, dtype=np.int64)
        if rows.ndim != 1:
            raise IndexError(f"expected an integer, a slice or a 1-D array of rows, got shape {rows.shape}")
        out = np.empty((len(rows), *self.shape[1:]), self.dtype)
        for i, row in enumerate(rows):
            out[i] = self._read(int(row))
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """Every row stacked: for tests and small data only (training reads batches)."""
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fds"], state["_log"] = {}, None
        return state

    def __del__(self) -> None:
        if getattr(self, "_pid", None) == os.getpid():
            for fd in self._fds.values():
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _read(self, row: int) -> np.ndarray:
        if row in self._repaired:
            return self._repaired[row]
        nbytes = int(self._nbytes[row])
        try:
            data = os.pread(self._fd(int(self._segment[row])), nbytes, int(self._offset[row]))
        except OSError as exc:
            return self._damaged(row, f"cannot be read ({exc.strerror or exc})")
        if len(data) != nbytes or zlib.crc32(data) != int(self._crc[row]):
            return self._damaged(row, "fails its checksum")
        return np.frombuffer(data, self.dtype).reshape(self.shape[1:])

    def _damaged(self, row: int, problem: str) -> np.ndarray:
        where = f"sample {str(self._names[row])!r}, file {str(self._files[row])!r}: its stored entry in {self.folder}"
        if self._repair is None:
            raise DamagedEntryError(f"{where} {problem}")
        message = f"{where} {problem}; discarded and decoded again"
        if self._log is not None:
            self._log(f"warning: {message}")
        _logger.warning(message)
        try:
            array = np.asarray(self._repair(row), dtype=self.dtype)
        except Exception as exc:  # noqa: BLE001 - any failure to decode again stops with the sample named
            raise DamagedEntryError(f"{where} {problem}, and decoding it again failed ({exc})") from exc
        if array.shape != self.shape[1:]:
            raise DamagedEntryError(f"{where} {problem}; decoded again it has shape {array.shape}, "
                                    f"expected {self.shape[1:]}")
        self._repaired[row] = array
        return array

    def _fd(self, segment: int) -> int:
        if self._pid != os.getpid():  # inherited by a fork: descriptors are this process's own from now on
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.get(segment)
        if fd is None:
            fd = os.open(self.folder / self._segments[segment], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            self._fds[segment] = fd
        return fd
