"""Reading in blocks changes nothing: with blocks of a few bytes, every output equals the whole-array one."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from core.report import bounds, export_report, open_report, summary, validate_report
from tests.report.test_export_and_cli import run_cli


def outputs(path, folder, capsys) -> dict[str, object]:
    folder.mkdir()
    assert run_cli("report", "summary", str(path)) == 0
    text = capsys.readouterr().out
    assert run_cli("report", "export", str(path), "--csv", str(folder / "all.csv")) == 0
    assert run_cli("report", "export", str(path), "--csv", str(folder / "e1.csv"), "--split", "val", "--epoch", "1") == 0
    capsys.readouterr()
    copies = {}
    for name, selection in (("copy", None), ("some", [6, 1, 3, 8])):
        out = export_report(path, folder / f"{name}.h5", sample_index=selection)
        assert validate_report(out) == []
        with open_report(out) as report:
            copies[name] = {
                "ids": report.dataset.ids.tolist(),
                "labels": report.dataset.labels.tolist(),
                "media": report.dataset.media["video"].tolist(),
                "phi": {s: v.phi for s, v in report.valuation.items()},
                "mean_phi": {s: v.mean_phi for s, v in report.valuation.items()},
                "coalitions": {s: v.coalition_values for s, v in report.valuation.items()},
                "stderr": report.valuation["val"].phi_stderr,
                "plan": (report.resampling.sample_index.tolist(), report.resampling.copies.tolist()),
                "steps": report.step_metrics["loss"].tolist(),
            }
    return {
        "summary": text,
        "csv": (folder / "all.csv").read_text(encoding="utf-8"),
        "csv_e1": (folder / "e1.csv").read_text(encoding="utf-8"),
        "copies": copies,
    }


def same(a, b, key: str = "") -> bool:
    """Equal, except means summed block by block, which may differ in the last bit of a float32."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], "mean_phi" if k == "mean_phi" else key) for k in a)
    if isinstance(a, np.ndarray) and key == "mean_phi":
        return np.allclose(a, b, rtol=1e-6, atol=0, equal_nan=True)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=True)
    return a == b


def test_tiny_blocks_give_the_same_outputs(finished_report, tmp_path, capsys, monkeypatch):
    whole = outputs(finished_report, tmp_path / "whole", capsys)
    monkeypatch.setattr(bounds, "BLOCK_BYTES", 8)
    monkeypatch.setattr(summary, "CSV_BLOCK_BYTES", 8)
    blocks = outputs(finished_report, tmp_path / "blocks", capsys)
    assert whole["csv"].count("\n") == 8 and whole["csv_e1"].count("\n") == 4
    for key in whole:
        assert same(whole[key], blocks[key]), key


@pytest.mark.parametrize("block", [8, 1 << 20])
def test_deviations_across_block_boundaries_are_found(finished_report, monkeypatch, block):
    monkeypatch.setattr(bounds, "BLOCK_BYTES", block)
    with h5py.File(finished_report, "a") as f:
        f["valuation/train/epoch"][2] = 1  # epochs 0, 1, 1
        f["valuation/train/sample_index"][6] = 2  # 0..5, 2
        f["dataset/labels"][9] = 3  # only 3 classes
        f["resampling/copies"][-1] = -1
    problems = validate_report(finished_report)
    assert problems == [
        "/dataset/labels: values outside 0..len(class_names)-1",
        "/resampling/copies: negative values",
        "/valuation/train/epoch: epochs not strictly increasing",
        "/valuation/train/sample_index: repeated sample indices",
    ]
