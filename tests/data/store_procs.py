"""Processes the store tests start: a build that reports each stored file, a writer, a reader.

``python -m tests.data.store_procs build DATASET``: ``prepare_dataset`` in one process, printing
``stored N`` after each decoded file (the test kills it part way).
``... append FOLDER FIRST COUNT``: appends entries FIRST..FIRST+COUNT-1 (entry k holds ``full(SHAPE, k)``).
``... read FOLDER SECONDS``: re-opens the store and reads every entry until SECONDS pass, checking each.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from core.config import DataConfig
from core.data.prepare import prepare_dataset
from core.data.store import FileKey, StoredRows, TensorStore

SHAPE = (64, 64)


def entry_key(k: int) -> FileKey:
    return FileKey(f"file{k}", k, k)


def entry_array(k: int) -> np.ndarray:
    return np.full(SHAPE, k, np.float32)


def build(dataset: str) -> None:
    def report(done: int, total: int) -> None:
        print(f"stored {done}", flush=True)
        time.sleep(0.05)

    prepare_dataset(DataConfig(path=dataset, workers=1), progress=report)


def append(folder: str, first: int, count: int) -> None:
    with TensorStore(Path(folder)) as store:
        for k in range(first, first + count):
            store.append(entry_key(k), entry_array(k))
            time.sleep(0.002)


def read(folder: str, seconds: float) -> None:
    """Prints ``rounds SEEN_MIN SEEN_MAX`` when every entry it saw held what was written."""
    deadline, seen = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        store = TensorStore(Path(folder))
        keys = sorted(key.size for key in store.file_keys())
        entries = [store.lookup(entry_key(k)) for k in keys]
        rows = StoredRows(Path(folder), entries, [str(k) for k in keys], [f"file{k}" for k in keys])
        for i, k in enumerate(keys):
            assert np.array_equal(rows[i], entry_array(k)), f"entry {k} holds other values"
        seen.append(len(keys))
    print(f"rounds {len(seen)} {min(seen)} {max(seen)}", flush=True)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "build":
        build(args[0])
    elif command == "append":
        append(args[0], int(args[1]), int(args[2]))
    else:
        read(args[0], float(args[1]))
