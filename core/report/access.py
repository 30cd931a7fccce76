"""Reading a report's file: one short-lived handle per read, errors made into one-line ReportErrors, the
file's identity and the rows a reader may show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import h5py

import core
from core.report import layout
from core.report.errors import ReportError
from core.report.files import reading_file
from core.report.format import FORMAT_NAME, FORMAT_VERSION, attr_text

REQUIRED_GROUPS = ("config", "environment", "dataset", "valuation", "training", "mi", "resampling")


@contextmanager
def report_file(path: Path, what: str = "the report") -> Iterator[h5py.File]:
    """The report's file for one read; low-level failures become a ReportError naming file and object."""
    opened = False
    try:
        with reading_file(path) as file:
            opened = True
            yield file
    except ReportError:
        raise
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except PermissionError:
        raise ReportError(f"{path}: permission denied, cannot read the file") from None
    # h5py raises RuntimeError on some damage; malformed attributes or shapes give TypeError / IndexError
    except (OSError, KeyError, ValueError, RuntimeError, TypeError, IndexError) as exc:
        if not opened:
            raise ReportError(damaged_message(path, exc)) from None
        raise ReportError(
            f"{path}: cannot read {what} ({_first_line(exc)}); the report is damaged, or a resumed run cut it "
            "short since it was opened (call refresh())"
        ) from None


def damaged_message(path: Path, exc: BaseException) -> str:
    kind = "truncated" if "truncated" in str(exc) else "damaged"
    return (
        f"{path}: the report is {kind} and cannot be read ({_first_line(exc)}); if a run is still writing it, "
        "try again in a moment, otherwise re-run or restore the file from a copy"
    )


def check_identity(path: Path, file: h5py.File) -> None:
    """Raise ReportError unless the file says it is a ModaLens report of a version this code reads."""
    if "format" not in file.attrs:
        raise ReportError(f"{path}: an HDF5 file but not a ModaLens report (it has no 'format' attribute)")
    name = attr_text(file.attrs["format"])
    if name != FORMAT_NAME:
        raise ReportError(f"{path}: an HDF5 file of format {name!r}, not a ModaLens report ({FORMAT_NAME!r})")
    raw = file.attrs.get("format_version")
    try:
        version = int(raw)
    except (TypeError, ValueError):
        raise ReportError(f"{path}: the report's format_version {raw!r} is not a number; the file is damaged") from None
    if version > FORMAT_VERSION:
        raise ReportError(
            f"{path}: written by a newer ModaLens (report format version {version}; ModaLens {core.__version__} "
            f"reads version {FORMAT_VERSION}): update ModaLens to open it"
        )
    if version < 1:
        raise ReportError(f"{path}: unknown report format version {version}; expected {FORMAT_VERSION}")
    missing = [name for name in REQUIRED_GROUPS if name not in file]
    if missing:
        raise ReportError(f"{path}: the report is damaged: missing group(s) {', '.join(missing)}")


def committed(table: h5py.Group) -> int:
    """Rows a reader may show: the committed count, never more than any row dataset holds."""
    return min(ds.shape[0] for ds in layout.row_datasets(table, with_index=True))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
