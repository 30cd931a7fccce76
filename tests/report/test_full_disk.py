"""Exports and repairs write through a synced temporary file: a full disk leaves one clear line, a non-zero
exit, the previous output untouched and no temporary file behind."""

from __future__ import annotations

import csv
import errno
import os

import pytest

from core.report import ReportError, export_report
from tests.report.test_export_and_cli import run_cli
from tests.report.test_repair import killed_report


def disk_full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("kind", ["--csv", "--h5"])
def test_export_on_a_full_disk(finished_report, tmp_path, monkeypatch, capsys, kind):
    out = tmp_path / "out.dat"
    out.write_bytes(b"previous")
    monkeypatch.setattr(os, "fsync", disk_full)
    assert run_cli("report", "export", str(finished_report), kind, str(out)) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == "" and len(lines) == 1
    assert lines[0].startswith(f"modalens report export: error: {out}: cannot write")
    assert "No space left on device" in lines[0]
    assert out.read_bytes() == b"previous"
    assert not list(tmp_path.glob("*.tmp"))


def test_csv_rows_failing_to_write(finished_report, tmp_path, monkeypatch, capsys):
    class FullWriter:
        def __init__(self, _handle):
            self.rows = 0

        def writerow(self, _row):
            self.rows += 1
            if self.rows > 2:
                disk_full()

    monkeypatch.setattr(csv, "writer", FullWriter)
    out = tmp_path / "phi.csv"
    assert run_cli("report", "export", str(finished_report), "--csv", str(out)) == 2
    assert f"{out}: cannot write the CSV (No space left on device)" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_export_api_names_the_target(finished_report, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ReportError, match=r"copy\.h5: cannot write the export \(No space left on device\)"):
        export_report(finished_report, tmp_path / "copy.h5")


def test_repair_on_a_full_disk_keeps_the_report(tmp_path, monkeypatch, capsys):
    path = killed_report(tmp_path, epochs_before_kill=1)
    data = path.read_bytes()
    monkeypatch.setattr(os, "fsync", disk_full)
    assert run_cli("report", "repair", str(path)) == 2
    err = capsys.readouterr().err
    assert f"{path}: cannot write the repaired copy (No space left on device); the report is unchanged" in err
    assert path.read_bytes() == data
    assert not list(tmp_path.glob("*.tmp"))
