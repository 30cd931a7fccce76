"""Standard HDF5 tools read reports; bad files give one clear ReportError; validate lists deviations."""

from __future__ import annotations

import shutil
import subprocess

import h5py
import numpy as np
import pytest

from core.events import EpochMetrics, StepMetrics
from core.report import ReportError, ReportWriter, open_report, validate_report
from core.report.format import decode_strings, encode_name, is_mi_key, string_array
from tests.report import run_events as ev

needs_tools = pytest.mark.skipif(
    shutil.which("h5ls") is None or shutil.which("h5dump") is None,
    reason="h5ls/h5dump missing: install Debian's hdf5-tools (scripts/system-deps.sh does)",
)


@needs_tools
def test_h5ls_and_h5dump_read_a_report(finished_report):
    listing = subprocess.run(["h5ls", "-r", str(finished_report)], capture_output=True, text=True, check=True).stdout
    for path in ("/valuation/train/phi", "/training/step/acc.audio", "/mi/step/mi.U.audio", "/dataset/media/video"):
        assert path in listing
    assert "Dataset {3/Inf, 7/Inf, 2}" in listing
    header = subprocess.run(["h5dump", "-H", str(finished_report)], capture_output=True, text=True, check=True).stdout
    assert 'ATTRIBUTE "format_version"' in header and 'GROUP "overview"' in header
    data = subprocess.run(
        ["h5dump", "-d", "/valuation/train/epoch", "-a", "/state", str(finished_report)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '"finished"' in data and "0, 1, 2" in data


def test_text_file_is_not_hdf5(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("epoch,phi\n0,0.1\n")
    with pytest.raises(ReportError, match=r"notes\.h5: not an HDF5 file"):
        open_report(path)
    with pytest.raises(ReportError, match="not an HDF5 file"):
        validate_report(path)


def test_missing_empty_and_folder(tmp_path):
    with pytest.raises(ReportError, match="no such file"):
        open_report(tmp_path / "absent.h5")
    (tmp_path / "empty.h5").write_bytes(b"")
    with pytest.raises(ReportError, match="the file is empty"):
        open_report(tmp_path / "empty.h5")
    with pytest.raises(ReportError, match="is a folder"):
        open_report(tmp_path)


def test_other_hdf5_file_is_not_a_report(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ReportError, match="an HDF5 file but not a ModaLens report"):
        open_report(path)
    with h5py.File(path, "a") as f:
        f.attrs["format"] = "nexus-something"
    with pytest.raises(ReportError, match="of format 'nexus-something', not a ModaLens report"):
        open_report(path)
    assert any("/@format" in p for p in validate_report(path))


def test_newer_format_version_asks_for_an_update(finished_report):
    with h5py.File(finished_report, "a") as f:
        f.attrs["format_version"] = np.int64(3)
    with pytest.raises(ReportError, match=r"written by a newer ModaLens \(report format version 3.*update ModaLens"):
        open_report(finished_report)
    assert validate_report(finished_report) == ["/@format_version: expected an integer in (1, 2), found np.int64(3)"]


def test_truncated_file_is_reported_as_truncated(finished_report):
    data = finished_report.read_bytes()
    finished_report.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReportError, match="the report is truncated and cannot be read"):
        open_report(finished_report)
    with pytest.raises(ReportError, match="truncated"):
        validate_report(finished_report)


def test_validate_lists_every_deviation(finished_report):
    with h5py.File(finished_report, "a") as f:
        f.attrs["state"] = "paused"
        del f["environment"].attrs["hostname"]
        del f["valuation/train/correct"]
        f["valuation/val"].attrs["coalition_labels"] = ["a", "b", "c", "d"]
        f["training/step/loss"].attrs["key"] = "mi/loss/audio"
        f["dataset/labels"][0] = 7
        f["overview"].attrs["default"] = "nothing"
    problems = validate_report(finished_report)
    expected = [
        "/@state: expected one of running, finished, stopped, failed, found 'paused'",
        "/environment/@hostname: missing",
        "/dataset/labels: values outside 0..len(class_names)-1",
        "/training/step/loss: metric 'mi/loss/audio' belongs under /mi",
        "/valuation/train/correct: dataset missing",
        "/valuation/val/@coalition_labels: not the bitmask order of ['audio', 'video']",
        "/overview/@default: expected the name of an NXdata group, found 'nothing'",
    ]
    assert problems == expected


def test_a_reader_of_a_damaged_dataset_gets_a_report_error(finished_report):
    with h5py.File(finished_report, "a") as f:
        del f["valuation/train/prediction"]
    report = open_report(finished_report)
    with pytest.raises(ReportError, match="cannot read /valuation/train/prediction"):
        _ = report.valuation["train"].prediction


def test_metric_names_are_encoded_and_kept(tmp_path, data):
    path = tmp_path / "keys.h5"
    writer = ReportWriter(path)
    writer(ev.run_started(data))
    writer(StepMetrics(epoch=0, step=0, global_step=0, wall_time=1.0, metrics={"acc/audio": 1.0, "acc.audio": 2.0}))
    writer(StepMetrics(epoch=0, step=1, global_step=1, wall_time=2.0, metrics={"epoch": 5.0, "loss": 0.5}))
    writer(EpochMetrics(epoch=0, wall_time=3.0, metrics={"a/mi/b": 0.1, "mi": 0.2}))
    writer.close()
    with open_report(path) as report:
        assert report.step_metrics["acc/audio"][0] == 1.0 and np.isnan(report.step_metrics["acc/audio"][1])
        assert report.step_metrics["acc.audio"][0] == 2.0
        assert report.step_metrics["epoch"].tolist() == [0, 0]  # a metric may not shadow the index column
        assert report.mi_epoch["a/mi/b"].tolist() == [0.1]
        assert report.epoch_metrics["mi"].tolist() == [0.2]  # "mi" alone is not an MI segment
    with h5py.File(path, "r") as f:
        names = sorted(f["training/step"])
    assert "acc.audio" in names and "acc.audio~2" in names


def test_format_helpers():
    assert encode_name("val/mi/U/audio") == "val.mi.U.audio"
    assert encode_name("") == "_"
    assert is_mi_key("mi/U/audio") and is_mi_key("val/mi/U/audio")
    assert not is_mi_key("mi") and not is_mi_key("train/acc") and not is_mi_key("val/mutual")
    values = ["plain", "é-accent", "", None, "日本"]
    encoded = string_array(values)
    assert h5py.check_string_dtype(encoded.dtype).encoding == "utf-8"
    assert decode_strings(encoded).tolist() == ["plain", "é-accent", "", "", "日本"]
    assert string_array([]).shape == (0,)


@pytest.mark.parametrize("offset", [8, 24, 48])
def test_damaged_superblock_or_root_is_a_report_error(finished_report, offset):
    data = bytearray(finished_report.read_bytes())
    data[offset : offset + 8] = b"\xff" * 8
    finished_report.write_bytes(bytes(data))
    with pytest.raises(ReportError, match=str(finished_report)):
        open_report(finished_report).valuation  # noqa: B018 - reading is the point


def test_a_momentarily_truncated_live_file_is_read_after_a_retry(finished_report, monkeypatch):
    from core.report import files

    real_file = h5py.File
    failures = iter([True, True])

    def flaky(*args, **kwargs):
        if next(failures, False):
            raise OSError("Unable to synchronously open file (truncated file: eof = 1, stored_eof = 2)")
        return real_file(*args, **kwargs)

    monkeypatch.setattr(files.h5py, "File", flaky)
    monkeypatch.setattr(files, "TRUNCATED_WAIT_S", 0.0)
    with files.open_for_reading(finished_report) as f:
        assert "valuation" in f

    attempts = []

    def always_truncated(*args, **kwargs):
        attempts.append(1)
        raise OSError("Unable to synchronously open file (truncated file: eof = 1, stored_eof = 2)")

    monkeypatch.setattr(files.h5py, "File", always_truncated)
    with pytest.raises(OSError, match="truncated"):
        files.open_for_reading(finished_report)
    assert len(attempts) == files.TRUNCATED_RETRIES + 1
