"""The names a run writes in its folder, and whether a folder may take them: never over another run
unasked, never through a symlink.

A run writes ``config.toml``, ``excluded.txt``, ``report.h5``, ``checkpoints/`` and ``tensorboard/`` into
its folder and holds the lock file there. A folder that already holds a run (a checkpoint) is refused
unless the run continues it (``--resume``) or the user asks to replace it (``--overwrite``). A folder where
any of those names is a symbolic link is refused outright: writing through it would overwrite whatever the
link points at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPORT_NAME = "report.h5"
CONFIG_NAME = "config.toml"
EXCLUDED_NAME = "excluded.txt"
LOCK_NAME = ".modalens.lock"
CHECKPOINTS_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"
LAST_CHECKPOINT = f"{CHECKPOINTS_DIR}/last.pt"
BEST_CHECKPOINT = f"{CHECKPOINTS_DIR}/best.pt"
RESULTS = (LAST_CHECKPOINT, BEST_CHECKPOINT)
"""A folder holding either holds a run: one that can be continued, or whose report has finished epochs (a
report alone is what a run killed before its first checkpoint leaves; a new run may replace it)."""
WRITTEN = (
    LOCK_NAME,
    CONFIG_NAME,
    EXCLUDED_NAME,
    REPORT_NAME,
    CHECKPOINTS_DIR,
    *RESULTS,
    TENSORBOARD_DIR,
)
"""Every name a run writes in its folder."""
CLEARED = (REPORT_NAME, EXCLUDED_NAME, CONFIG_NAME, *RESULTS)
"""The files ``--overwrite`` removes (with ``tensorboard/``)."""


class RunFolderError(ValueError):
    """The folder cannot take this run's files (one line for the user)."""


def holds_run(folder: str | Path) -> bool:
    """True when ``folder`` holds a checkpoint of some run."""
    return any((Path(folder) / name).exists() for name in RESULTS)


def check_no_links(folder: str | Path) -> None:
    """Raise :class:`RunFolderError` when a name the run writes is a symbolic link."""
    for name in WRITTEN:
        path = Path(folder) / name
        if path.is_symlink():
            raise RunFolderError(link_message(path))


def link_message(path: Path) -> str:
    return (
        f"{path}: is a symbolic link; a run writes its files only as plain files in its own folder: "
        "remove the link or choose another --out"
    )


def check_run_folder(folder: str | Path, resuming_here: bool = False, overwrite: bool = False) -> None:
    """Raise :class:`RunFolderError` when writing a run into ``folder`` would write through a symlink, or
    replace another run (unless the run continues it, ``resuming_here``, or ``overwrite`` is set)."""
    folder = Path(folder)
    check_no_links(folder)
    if not (resuming_here or overwrite) and holds_run(folder):
        raise RunFolderError(
            f"{folder}: holds a run already; continue it with --resume {folder}, choose a new --out, "
            "or pass --overwrite to replace it"
        )


def clear_run(folder: str | Path) -> list[Path]:
    """Remove a run's files from ``folder`` (call while holding its lock); returns what was removed."""
    folder = Path(folder)
    check_no_links(folder)
    removed = []
    for name in CLEARED:
        path = folder / name
        if path.exists():
            path.unlink()
            removed.append(path)
    board = folder / TENSORBOARD_DIR
    if board.is_dir():
        shutil.rmtree(board)
        removed.append(board)
    return removed
