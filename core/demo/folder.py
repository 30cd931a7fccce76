"""Where demo data lives, and writing a demo folder so that it appears complete or not at all.

A demo is written into a sibling staging folder ``<out>.tmp-XXXX`` and renamed into place only once
every file is written, so an interrupted generation never leaves a half dataset at ``<out>``. A
finished demo holds a marker file; only a folder with that marker (or an empty one) is ever replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MARKER = "modalens-demo.json"


class DemoFolderError(RuntimeError):
    """The output path cannot take a demo (a file, or a non-empty folder that is not a ModaLens demo)."""


def data_home() -> Path:
    """ModaLens's user data folder: $MODALENS_DATA_DIR, else $XDG_DATA_HOME/modalens, else
    ~/.local/share/modalens."""
    explicit = os.environ.get("MODALENS_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = (
        Path(xdg).expanduser()
        if xdg and Path(xdg).expanduser().is_absolute()
        else Path.home() / ".local/share"
    )
    return base / "modalens"


def default_demo_dir(preset: str = "balanced") -> Path:
    """The default folder of a preset's demo data: ``<data home>/demo-<preset>``."""
    return data_home() / f"demo-{preset}"


def is_demo_folder(path: Path) -> bool:
    return (path / MARKER).is_file()


def check_replaceable(out: Path) -> None:
    """Raise ``DemoFolderError`` unless ``out`` is absent, an empty folder, or an earlier demo."""
    if not out.exists():
        return
    if not out.is_dir():
        raise DemoFolderError(f"{out} is a file, not a folder; choose another output folder for the demo")
    if any(out.iterdir()) and not is_demo_folder(out):
        raise DemoFolderError(
            f"{out} is not empty and is not a ModaLens demo folder (it has no {MARKER}); "
            "refusing to overwrite it: choose another output folder or empty this one"
        )


@contextmanager
def staged_folder(out: Path, marker: dict[str, Any]) -> Iterator[Path]:
    """Yield an empty staging folder next to ``out``; on success, write the marker and move it to ``out``.

    On any exception (including KeyboardInterrupt) the staging folder is deleted and ``out`` is untouched.
    """
    check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
    try:
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes it private; the demo is a plain folder
        yield staging
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _move_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def current_umask() -> int:
    """The process's file mode creation mask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _move_into_place(staging: Path, out: Path) -> None:
    check_replaceable(out)
    if not out.exists():
        os.rename(staging, out)
        return
    if not any(out.iterdir()):
        out.rmdir()
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f"{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    os.rename(staging, out)
    shutil.rmtree(old, ignore_errors=True)
