"""Names, types and storage choices of the report format (described in docs/report-format.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import h5py
import numpy as np

from core.run_files.state import RunState

FORMAT_NAME = "modalens-report"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
"""Version 1 (ModaLens 0.1) lacks the coalition statistics, so its valuations keep the value function they
were written with."""
LIBVER = ("v110", "v110")
STATES = (RunState.RUNNING, RunState.FINISHED, RunState.STOPPED, RunState.FAILED)
"""The states a report records."""

STATE_DTYPE = h5py.string_dtype("ascii", 8)
TIME_DTYPE = h5py.string_dtype("ascii", 32)
TEXT_DTYPE = h5py.string_dtype()

GZIP_LEVEL = 1
SAMPLE_CHUNK = 4096
ROW_CHUNK = 4096
COMPRESSION = {"compression": "gzip", "compression_opts": GZIP_LEVEL, "shuffle": True}

# A table is a group whose datasets share their first axis ("rows"); the dataset named by the group's
# ROWS_FROM attribute is extended last, so its length is the number of complete rows.
ROWS_FROM = "rows_from"
# Attribute of a table listing its datasets that are not indexed by row (a valuation's sample_index).
PER_SAMPLE = "per_sample"
# Valuation attribute: 1 while sample_index is strictly increasing (readers may then binary-search it).
SORTED = "sample_index_sorted"
STEP_INDEX = ("global_step", "step", "epoch", "wall_time")
EPOCH_INDEX = ("epoch", "wall_time")
RESAMPLING_COLUMNS = ("epoch", "sample_index", "modality", "copies", "user_requested")


def now_iso() -> str:
    """The current local time as ISO 8601 with its UTC offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def encode_name(key: str) -> str:
    """A dataset name for a metric key or modality: "/" becomes "." (the key itself is kept as an attribute)."""
    name = key.replace("/", ".")
    return name if name not in ("", ".", "..") else f"_{name}"


def is_mi_key(key: str) -> bool:
    """True for mutual-information terms: keys with a path segment "mi" followed by more segments."""
    return "mi" in key.split("/")[:-1]


def string_array(values: Iterable[object]) -> np.ndarray:
    """Encode strings as fixed-length UTF-8 (compact and fast for millions of paths); None becomes ""."""
    array = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=object)
    if array.size:
        missing = np.equal(array, np.asarray(None, dtype=object))
        if missing.any():
            array = np.where(missing, "", array)
    text = array.astype(str) if array.size else np.zeros(array.shape, dtype="U1")
    chars = text.dtype.itemsize // 4
    codes = np.ascontiguousarray(text).view(np.uint32).reshape(text.shape + (chars,))
    if codes.size == 0 or codes.max() < 128:  # ASCII: one byte per character, no per-string work
        encoded = codes.astype(np.uint8).view(f"S{chars}").reshape(text.shape)
    else:
        encoded = np.asarray([s.encode("utf-8") for s in text.ravel().tolist()], dtype="S").reshape(text.shape)
    width = max(encoded.dtype.itemsize, 1)
    return encoded.astype(h5py.string_dtype("utf-8", width))


def decode_strings(raw: np.ndarray) -> np.ndarray:
    """Decode fixed-length or variable-length UTF-8 strings read from a file into a numpy str array."""
    raw = np.asarray(raw)
    if raw.dtype.kind == "U":
        return raw
    if raw.dtype.kind == "S":
        try:
            return raw.astype("U")
        except UnicodeDecodeError:
            pass
    items = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in raw.ravel()]
    return np.asarray(items, dtype=str).reshape(raw.shape) if items else np.zeros(raw.shape, dtype="U1")


def attr_text(value: object) -> str:
    """An attribute read back as text (fixed-length attributes come back as bytes)."""
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return attr_text(value[()])
    return str(value)


def attr_list(value: object) -> list[str]:
    """A string-array attribute read back as a list of str."""
    return [attr_text(v) for v in np.atleast_1d(np.asarray(value, dtype=object))]
