"""Top-level functions for the decode-pool tests (spawned workers import them by name)."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np


def big(item: int) -> np.ndarray:
    """A 1 MB result, at once."""
    return np.full(1 << 18, item, np.float32)


def stop_once(item: tuple[int, str]) -> int:
    """The item's number; the first worker to meet the marker path stops itself (SIGSTOP) instead."""
    number, marker = item
    if marker:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return number
        os.kill(os.getpid(), signal.SIGSTOP)
    return number


def die_once(item: tuple[int, str]) -> int:
    """The item's number; the first worker to meet the marker path exits abruptly instead."""
    number, marker = item
    if marker:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return number
        os._exit(3)
    return number


def exit_after_first(item: int) -> int:
    """The item's number; after item 0 the process exits a moment later, while it waits for work."""
    if item == 0:
        threading.Timer(0.2, os._exit, (3,)).start()
    return item


def always_stop(item: int) -> int:
    os.kill(os.getpid(), signal.SIGSTOP)
    return item


def fails(item: int) -> int:
    raise RuntimeError(f"bad item {item}")
