"""Any value function for any epoch of a format-2 report, without the model: the switched values equal
a fresh `modalens value --value-fn` of the same checkpoint; a format-1 report keeps its own."""

import csv

import h5py
import numpy as np
import pytest

from core.cli.main import main
from core.report import ReportError, open_report
from core.valuation.recompute import revalue
from core.valuation.value_functions import VALUE_FUNCTIONS


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("vf")
    assert main(["demo", "--scenario", "vectors", "--samples", "90", "--out", str(root / "D")]) == 0
    assert main(["train", "--data", str(root / "D"), "--out", str(root / "R"), "--device", "cpu", "--epochs", "2"]) == 0
    return root


def read_phi(path, prefix="phi_"):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {r["id"]: [float(r[k]) for k in r if k.startswith(prefix)] for r in rows}


@pytest.mark.parametrize("value_fn", ["accuracy", "probability", "log-probability"])
def test_switched_values_equal_a_fresh_valuation(run, value_fn, tmp_path):
    fresh = tmp_path / "fresh.csv"
    assert main(["value", "--checkpoint", str(run / "R"), "--data", str(run / "D"), "--split", "val",
                 "--value-fn", value_fn, "--out", str(fresh)]) == 0
    exported = tmp_path / "exported.csv"
    assert main(["report", "export", str(run / "R" / "report.h5"), "--csv", str(exported), "--split", "val",
                 "--epoch", "2", "--value-fn", value_fn]) == 0
    expected, got = read_phi(fresh), read_phi(exported, "phi/")
    assert expected.keys() == got.keys() and len(got) > 0
    for sample, values in expected.items():
        np.testing.assert_allclose(got[sample], values, rtol=1e-5, atol=1e-6)
    with open_report(run / "R" / "report.h5") as report:
        valuation = report.valuation["val"]
        assert valuation.value_functions == VALUE_FUNCTIONS.names()
        phi, values = valuation.values_as(value_fn)
        np.testing.assert_allclose(phi.sum(axis=-1), values[..., -1], atol=1e-5)  # efficiency


def test_the_written_value_function_reads_the_stored_arrays(run):
    with open_report(run / "R" / "report.h5") as report:
        valuation = report.valuation["train"]
        phi, values = valuation.values_as("benefit")
        assert phi is valuation.phi
        recomputed, _ = revalue(valuation._whole("coalition_correct"), valuation._whole("coalition_log_p"), "benefit")
        np.testing.assert_allclose(recomputed, phi, atol=1e-6)


def test_a_format_1_report_keeps_its_value_function(run, tmp_path):
    old = tmp_path / "v1.h5"
    assert main(["report", "export", str(run / "R" / "report.h5"), "--h5", str(old)]) == 0
    with h5py.File(old, "a") as f:
        f.attrs["format_version"] = np.int64(1)
        for group in f["valuation"].values():
            del group["coalition_correct"], group["coalition_log_p"]
    assert main(["report", "validate", str(old)]) == 0
    with open_report(old) as report:
        valuation = report.valuation["train"]
        assert valuation.value_functions == ["benefit"]
        with pytest.raises(ReportError, match="format 1"):
            valuation.values_as("probability")
    assert main(["report", "export", str(old), "--csv", str(tmp_path / "x.csv"), "--value-fn", "probability"]) == 2
    assert main(["report", "export", str(old), "--csv", str(tmp_path / "x.csv"), "--value-fn", "benefit"]) == 0


def test_unknown_value_function_is_one_clear_line(run, tmp_path, capsys):
    status = main(["report", "export", str(run / "R" / "report.h5"), "--csv", str(tmp_path / "x.csv"),
                   "--value-fn", "nonsense"])
    assert status == 2 and "unknown value function 'nonsense'" in capsys.readouterr().err


def test_a_split_the_run_did_not_value_is_added_to_its_report(tmp_path):
    assert main(["demo", "--scenario", "vectors", "--samples", "90", "--out", str(tmp_path / "D")]) == 0
    run = tmp_path / "R"
    assert main(["train", "--data", str(tmp_path / "D"), "--out", str(run), "--device", "cpu", "--epochs", "2",
                 "--set", 'valuation.splits=["train"]']) == 0
    with open_report(run / "report.h5") as report:
        assert list(report.valuation) == ["train"]
    assert main(["value", "--checkpoint", str(run), "--data", str(tmp_path / "D"), "--split", "test",
                 "--into-report"]) == 0
    assert main(["report", "validate", str(run / "report.h5")]) == 0
    with open_report(run / "report.h5") as report:
        assert report.state == "finished"
        test = report.valuation["test"]
        assert list(test.epochs) == [1] and test.phi.shape[1] == report.dataset.split_counts()["test"]
        assert list(report.valuation["train"].epochs) == [0, 1]
