"""Crafted reports that declare huge datasets are refused from their declared sizes, before any read."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from core.report import ReportError, bounds, open_report, validate_report
from core.report.bounds import MAX_MODALITIES
from tests.report.test_export_and_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
GZIP = {"compression": "gzip", "shuffle": True}


def _replace(f: h5py.File, path: str, **kwargs) -> None:
    attrs = dict(f[path].attrs)
    del f[path]
    ds = f.create_dataset(path, **kwargs)
    for key, value in attrs.items():
        ds.attrs[key] = value


def huge_valuation(f: h5py.File) -> None:
    """Every dataset of /valuation/train declares 10^6 epochs × 10^7 samples; nothing is written."""
    e, n = 10**6, 10**7
    _replace(f, "valuation/train/epoch", shape=(e,), maxshape=(None,), chunks=(256,), dtype="i4", **GZIP)
    _replace(f, "valuation/train/sample_index", shape=(n,), maxshape=(None,), chunks=(16384,), dtype="i8", **GZIP)
    _replace(f, "valuation/train/mean_phi", shape=(e, 2), maxshape=(None, 2), chunks=(256, 2), dtype="f4", **GZIP)
    for name, tail, dtype in (("phi", (2,), "f4"), ("coalition_values", (4,), "f4"), ("prediction", (), "i4"),
                              ("correct", (), "u1")):  # fmt: skip
        shape = (e, n) + tail
        _replace(f, f"valuation/train/{name}", shape=shape, maxshape=(None, None) + tail, chunks=(1, 4096) + tail,
                 dtype=dtype, **GZIP)  # fmt: skip


def gigabyte_arrays(f: h5py.File) -> None:
    """Sizes an unchecked reader would allocate (about 1.5 GiB each) rather than refuse outright: /dataset/labels
    of 2·10^8 int64 and train phi of [100, 10^6, 2] (with matching epochs and samples), nothing written."""
    _replace(f, "dataset/labels", shape=(2 * 10**8,), chunks=(16384,), dtype="i8", **GZIP)
    e, n = 100, 10**6
    _replace(f, "valuation/train/epoch", data=np.arange(e, dtype="i4"), maxshape=(None,), chunks=(256,), **GZIP)
    _replace(f, "valuation/train/sample_index", data=np.arange(n) % 7, maxshape=(None,), chunks=(16384,), **GZIP)
    for name, tail, dtype in (("phi", (2,), "f4"), ("coalition_values", (4,), "f4"), ("prediction", (), "i4"),
                              ("correct", (), "u1")):  # fmt: skip
        _replace(f, f"valuation/train/{name}", shape=(e, n) + tail, maxshape=(None, None) + tail,
                 chunks=(1, 4096) + tail, dtype=dtype, **GZIP)  # fmt: skip
    _replace(f, "valuation/train/mean_phi", shape=(e, 2), maxshape=(None, 2), chunks=(256, 2), dtype="f4", **GZIP)


def billion_strings(f: h5py.File) -> None:
    """/dataset/ids: 10^9 fixed-length strings, chunked, nothing written."""
    _replace(f, "dataset/ids", shape=(10**9,), chunks=(16384,), dtype=h5py.string_dtype("utf-8", 16), **GZIP)


def billion_strings_contiguous(f: h5py.File) -> None:
    """/dataset/media/audio: 10^9 fixed-length strings, contiguous, never written."""
    _replace(f, "dataset/media/audio", shape=(10**9,), dtype=h5py.string_dtype("utf-8", 16))


def long_table(f: h5py.File) -> None:
    """/training/step: every column declares 10^10 rows (its committed count), nothing written."""
    for ds in list(f["training/step"].values()):
        _replace(f, ds.name, shape=(10**10,), maxshape=(None,), chunks=(4096,), dtype=ds.dtype, **GZIP)


def many_coalitions(f: h5py.File) -> None:
    """40 modalities: 2^40 coalition columns (and labels that would be 2^40 strings)."""
    names = [f"m{i}" for i in range(40)]
    f.attrs["modalities"] = names
    f["valuation/train"].attrs["modalities"] = names
    _replace(f, "valuation/train/coalition_values", shape=(3, 7, 2**40), maxshape=(None, None, 2**40),
             chunks=(1, 1, 2**20), dtype="f4", **GZIP)  # fmt: skip


def long_text_list(f: h5py.File) -> None:
    """A config attribute of 5000 variable-length strings (entries may all point at one long stored string)."""
    f["config"].attrs["data.modalities"] = np.asarray(["audio"] * 5000, dtype=h5py.string_dtype())


def scale_offset(f: h5py.File) -> None:
    """phi compressed with the scale-offset filter (a constant chunk then costs almost nothing to store)."""
    ds = f["valuation/train/phi"]
    _replace(f, ds.name, data=ds[()], maxshape=ds.maxshape, chunks=ds.chunks, scaleoffset=0)


def virtual_ids(f: h5py.File) -> None:
    """/dataset/ids as a virtual dataset reading another file."""
    other = Path(f.filename).with_name("elsewhere.h5")
    with h5py.File(other, "w") as g:
        g["secret"] = np.array([b"x" * 16] * 10)
    layout = h5py.VirtualLayout(shape=(10,), dtype="S16")
    layout[:] = h5py.VirtualSource(str(other), "secret", shape=(10,))
    del f["dataset/ids"]
    f.create_virtual_dataset("dataset/ids", layout)


def external_labels(f: h5py.File) -> None:
    """/dataset/labels as a link to a dataset of another file."""
    other = Path(f.filename).with_name("elsewhere.h5")
    with h5py.File(other, "w") as g:
        g.create_dataset("labels", shape=(10**9,), chunks=(16384,), dtype="i8")
    del f["dataset/labels"]
    f["dataset/labels"] = h5py.ExternalLink(str(other), "/labels")


CRAFTS = {
    "external_labels": (external_labels, "/dataset/labels: a link to "),
    "gigabyte_arrays": (gigabyte_arrays, "/dataset/labels: declares shape (200000000,) int64"),
    "huge_valuation": (huge_valuation, "/valuation/train/coalition_values: declares shape (1000000, 10000000, 4)"),
    "billion_strings": (billion_strings, "/dataset/ids"),
    "billion_strings_contiguous": (billion_strings_contiguous, "/dataset/media/audio"),
    "long_table": (long_table, "/training/step/global_step"),
    "many_coalitions": (many_coalitions, "/@modalities"),
    "long_text_list": (long_text_list, "/config/@data.modalities: 5000 entries, more than the 4096"),
    "scale_offset": (scale_offset, "/valuation/train/phi"),
    "virtual_ids": (virtual_ids, "/dataset/ids"),
}


@pytest.fixture(params=sorted(CRAFTS))
def crafted(request, finished_report):
    craft, where = CRAFTS[request.param]
    with h5py.File(finished_report, "a") as f:
        craft(f)
    return finished_report, where


def test_validate_names_the_dataset_and_its_sizes(crafted):
    path, where = crafted
    problems = validate_report(path)
    assert problems[0].startswith(where), problems
    assert problems[-1] == "other checks skipped: they would read the datasets above"


def test_open_report_refuses_with_one_line(crafted):
    path, where = crafted
    with pytest.raises(ReportError) as refused:
        open_report(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: {where}") and "\n" not in message


@pytest.mark.parametrize("command", ["summary", "validate", "export-csv", "export-h5"])
def test_cli_refuses_with_one_line(crafted, tmp_path, capsys, command):
    path, where = crafted
    out = tmp_path / "out"
    argv = {
        "summary": ["summary", str(path)],
        "validate": ["validate", str(path)],
        "export-csv": ["export", str(path), "--csv", str(out)],
        "export-h5": ["export", str(path), "--h5", str(out)],
    }[command]
    status = run_cli("report", *argv)
    captured = capsys.readouterr()
    if command == "validate":
        assert status == 1 and f"  - {where}" in captured.out
    else:
        assert status == 2 and captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1 and f"{path}: {where}" in lines[0]
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_a_huge_phi_beside_genuine_siblings_reads_only_the_committed_rows(finished_report):
    """phi alone declares [10^6, 10^7, 2], nothing written: readers read the 3 × 7 committed values (fill
    values, NaN) and validate lists the shape; nothing of the declared size is allocated."""
    with h5py.File(finished_report, "a") as f:
        _replace(f, "valuation/train/phi", shape=(10**6, 10**7, 2), maxshape=(None, None, 2), chunks=(1, 4096, 2),
                 dtype="f4", fillvalue=np.nan, **GZIP)  # fmt: skip
    with open_report(finished_report) as report:
        assert report.valuation["train"].phi.shape == (3, 7, 2)
        assert np.isnan(report.valuation["train"].phi).all()
    assert validate_report(finished_report) == [
        "/valuation/train/phi: shape (1000000, 10000000, 2), expected [epoch, 7, (2,)]"
    ]


def test_shapes_that_disagree_are_refused_by_the_reader(finished_report):
    with h5py.File(finished_report, "a") as f:
        ds = f["valuation/val/coalition_values"]
        _replace(f, ds.name, data=ds[:, :, :2], maxshape=(None, None, 2), chunks=(1, 3, 2))
    with pytest.raises(ReportError, match=r"/valuation/val/coalition_values has shape \(3, 3, 2\), expected "
                       r"\[epoch, sample, 4\] for 2 modalities"):  # fmt: skip
        open_report(finished_report)
    with h5py.File(finished_report, "a") as f:
        del f["valuation/val/coalition_values"]
        f["dataset"].attrs["num_samples"] = np.int64(2)
        for ds in [f["dataset/ids"], f["dataset/rows"], f["dataset/labels"], f["dataset/splits"],
                   *f["dataset/media"].values(), *f["dataset/metadata"].values()]:  # fmt: skip
            _replace(f, ds.name, data=ds[:2])
    with pytest.raises(ReportError, match="split 'train' values 7 samples, more than the 2 of /dataset"):
        open_report(finished_report)


def test_what_the_storage_backs_is_accepted_and_nothing_else(finished_report, monkeypatch):
    """Without the fill allowance: a written report is wholly backed; a metric column added late (no rows
    written) is backed by its table's index, phi_stderr by phi; an unwritten metadata column is not."""
    monkeypatch.setattr(bounds, "FILL_ALLOWANCE", 0)
    assert validate_report(finished_report) == []
    with h5py.File(finished_report, "a") as f:
        late = f["training/epoch"].create_dataset("late", shape=(3,), maxshape=(None,), chunks=(4096,), dtype="f8",
                                                  fillvalue=np.nan)  # fmt: skip
        late.attrs["key"] = "late"
        ds = f["valuation/val/phi_stderr"]
        _replace(f, ds.name, shape=ds.shape, maxshape=ds.maxshape, chunks=ds.chunks, dtype=ds.dtype, fillvalue=np.nan)
    with open_report(finished_report) as report:
        assert np.isnan(report.epoch_metrics["late"]).all()
        assert np.isnan(report.valuation["val"].phi_stderr).all()
    assert validate_report(finished_report) == []
    with h5py.File(finished_report, "a") as f:
        _replace(f, "dataset/metadata/snr", shape=(10,), chunks=(10,), dtype="f8")
    assert validate_report(finished_report)[0] == (
        "/dataset/metadata/snr: declares shape (10,) float64, 80 B, but the file stores only 0 B for it; "
        "the report is damaged or was made to look bigger than it is"
    )


def test_modalities_are_bounded(finished_report):
    names = [f"m{i}" for i in range(MAX_MODALITIES + 1)]
    with h5py.File(finished_report, "a") as f:
        f["valuation/val"].attrs["modalities"] = names
    assert validate_report(finished_report)[0] == (
        f"/valuation/val/@modalities: {MAX_MODALITIES + 1} entries, more than the {MAX_MODALITIES} a report can have"
    )


def test_a_huge_num_samples_attribute_is_a_deviation_not_an_allocation(finished_report):
    with h5py.File(finished_report, "a") as f:
        f["dataset"].attrs["num_samples"] = np.int64(10**15)
    problems = validate_report(finished_report)
    assert "/dataset/ids: expected 1000000000000000 rows (one per sample), found shape (10,)" in problems
    with pytest.raises(ReportError, match=r"/dataset/ids has shape \(10,\), expected one entry per sample"):
        open_report(finished_report)


def test_no_stored_text_is_evaluated():
    """Nothing in core/report turns stored text into objects except the TOML and string decoders."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "core" / "report").glob("*.py"))
    for word in ("eval(", "literal_eval", "pickle", "exec(", "yaml", "marshal"):
        assert word not in sources, word


def peak_rss_mib(*argv: str) -> tuple[int, float]:
    """Exit status and peak resident memory (MiB) of ``python -m core.cli ARGV`` run in a fresh process."""
    probe = (
        "import resource, subprocess, sys; "
        "rc = subprocess.run([sys.executable, '-m', 'core.cli', *sys.argv[1:]], capture_output=True).returncode; "
        "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *argv], cwd=ROOT, capture_output=True, text=True, check=True)
    status, kib = out.stdout.split()
    return int(status), int(kib) / 1024


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_validate_and_export_of_crafted_reports_stay_small(finished_report, tmp_path):
    base_status, baseline = peak_rss_mib("report", "validate", str(finished_report))
    assert base_status == 0
    crafted = tmp_path / "crafted.h5"
    shutil.copy(finished_report, crafted)
    with h5py.File(crafted, "a") as f:
        gigabyte_arrays(f)
    commands = (
        ["validate", str(crafted)],
        ["summary", str(crafted)],
        ["export", str(crafted), "--csv", str(tmp_path / "x.csv")],
        ["export", str(crafted), "--h5", str(tmp_path / "x.h5")],
    )
    peaks = {}
    for argv in commands:
        name = argv[0] if len(argv) == 2 else f"{argv[0]} {argv[2]}"
        status, peaks[name] = peak_rss_mib("report", *argv)
        assert status in (1, 2)
    print(f"peak RSS: valid report {baseline:.0f} MiB; crafted: " + ", ".join(f"{k} {v:.0f}" for k, v in peaks.items()))
    assert max(peaks.values()) < baseline + 100, peaks
