"""Clearing the "open for writing" mark a killed run leaves on its report: ``repair_report(path)``.

A SWMR writer marks the file as open for writing until it closes it. A run killed before that leaves
the mark: ModaLens and SWMR readers still read the file, other HDF5 tools refuse it (``h5clear -s``
would clear it). Repair writes a clean copy of every complete row, as an export does, to
``<path>.repair.tmp``, syncs it and renames it over the report. It refuses while the report is live: the run
folder's lock file names a process that still runs on this host, or a process of this machine has the
file open for writing. See docs/reliability.md, "Repairing a report".
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from core.report import bounds
from core.report.access import report_file
from core.report.errors import ReportError
from core.report.export import copy_report, write_error
from core.report.files import create_file, held_by_this_process, replace_durably, tmp_path, writer_left_open
from core.report.format import now_iso
from core.report.reader import open_report

LOCK_NAME = ".modalens.lock"


@dataclass(frozen=True)
class RepairResult:
    """What ``repair_report`` did: ``repaired`` is False when the file was not marked open (left as it was);
    ``epochs`` is the number of complete epochs of each valued split, kept by the repair."""

    path: Path
    repaired: bool
    epochs: dict[str, int]


def repair_report(path: str | Path) -> RepairResult:
    """Rewrite a report a killed writer left marked open so that every HDF5 tool opens it, keeping every
    complete epoch; ReportError (the report unchanged) while it is live or when the copy cannot be written."""
    path = Path(path)
    with open_report(path) as report:  # a clear error for a missing, foreign, damaged or oversized file
        epochs = {split: len(valuation.epochs) for split, valuation in report.valuation.items()}
    writer = live_writer(path)
    if writer is not None:
        raise ReportError(f"{path}: the report is live ({writer}); repair it once that run has ended")
    if not writer_left_open(path):
        return RepairResult(path, False, epochs)
    tmp = repair_tmp_path(path)
    try:
        with report_file(path) as source:
            bounds.require(path, source)
            with create_file(tmp) as out:
                copy_report(source, out)
                out.attrs["repaired"] = now_iso()
        writer = live_writer(path)  # a writer that appeared while the copy was made keeps its file
        if writer is not None:
            raise ReportError(f"{path}: the report became live ({writer}); it is unchanged")
        replace_durably(tmp, path)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write the repaired copy ({write_error(exc)}); the report is unchanged") from None
    finally:
        tmp.unlink(missing_ok=True)
    return RepairResult(path, True, epochs)


def repair_tmp_path(path: Path) -> Path:
    """Where the repaired copy is written (not ``tmp_path``, which a writer uses while restructuring)."""
    return path.with_name(path.name + ".repair.tmp")


def live_writer(path: str | Path) -> str | None:
    """Who still writes the report, in words, or None when no writer is known to be running."""
    path = Path(path)
    if held_by_this_process(path):
        return "a writer of this process holds it"
    lock = path.parent / LOCK_NAME
    owner = _lock_owner(lock)
    if owner is not None:
        pid, host = owner
        if host != socket.gethostname():
            return (
                f"{lock} names process {pid} on host {host}, which cannot be checked from here; if that run has ended, "
                "delete the lock file"
            )
        if process_alive(pid):
            return f"run process {pid} is still running ({lock})"
    writer = _writing_process(path)
    return None if writer is None else f"process {writer} has it open for writing"


def _lock_owner(lock: Path) -> tuple[int, str] | None:
    """(pid, host) from a run folder's lock file (a line ``pid=<pid> host=<hostname>``), None if absent."""
    try:
        text = lock.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
        if fields.get("pid", "").isdigit():
            return int(fields["pid"]), fields.get("host", socket.gethostname())
    return None


def process_alive(pid: int) -> bool:
    """True when a process of that id runs on this machine (a zombie, killed but not reaped, does not)."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _windows_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # access denied: it exists
    code = ctypes.c_ulong()
    try:
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
    finally:
        kernel32.CloseHandle(handle)
    return code.value == 259  # STILL_ACTIVE


def _writing_process(path: Path) -> int | None:
    """Id of another process of this machine holding the file open for writing (Linux /proc), else None;
    a writer restructuring the report holds ``<path>.tmp``, or the report it is about to replace."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    real = os.path.realpath(path)
    targets = {real, f"{real} (deleted)", os.path.realpath(tmp_path(path))}
    for entry in os.scandir(proc):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fds = list(os.scandir(f"{entry.path}/fd"))
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd.path) not in targets:
                    continue
                info = Path(f"{entry.path}/fdinfo/{fd.name}").read_text()
                flags = int(info.split("flags:", 1)[1].split()[0], 8)
            except (OSError, IndexError, ValueError):
                continue
            if flags & os.O_ACCMODE != os.O_RDONLY:
                return int(entry.name)
    return None
