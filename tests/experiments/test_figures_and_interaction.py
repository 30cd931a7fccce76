"""`modalens experiment figure` writes the standard figures of the tiny grid as valid PNG, SVG and PDF
without a display, and the experiment table's mean pair interaction equals a hand computation from the
runs' reports."""

import csv
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from core.cli.main import main
from core.experiments.table import RESULTS_CSV, RESULTS_MD
from core.figures import COLUMN_WIDTH_IN
from core.report.reader import open_report
from tests.experiments.tiny import STRATEGIES
from tests.figures.test_figures import check_pdf, check_png, check_svg

MODALITIES = ("x1", "x2")
PAIR = "x1×x2"


def test_experiment_figure_writes_every_standard_figure(grid, tmp_path, capsys):
    exp, _ = grid
    out = tmp_path / "figures"
    assert main(["experiment", "figure", str(exp), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    stems = ["phi_gap_vec", "test_acc_vec", "d_acc_vec", "interaction_hist_vec"]
    stems += [f"fixed_broken_vec_ogm-ge_{m}" for m in MODALITIES]  # the one strategy vs the baseline
    expected = {f"{stem}.{fmt}" for stem in stems for fmt in ("png", "svg", "pdf")}
    assert {p.name for p in out.iterdir()} == expected
    assert sorted(printed) == sorted(str(out / name) for name in expected)
    for stem in stems:
        check_png(out / f"{stem}.png", round(COLUMN_WIDTH_IN * 300))
        check_svg(out / f"{stem}.svg", COLUMN_WIDTH_IN)
        check_pdf(out / f"{stem}.pdf", COLUMN_WIDTH_IN)
    assert "joint" in (out / "phi_gap_vec.svg").read_text(encoding="utf-8")  # a row per strategy, labelled


def test_experiment_figure_format_choice_and_usage_errors(grid, tmp_path, capsys):
    exp, _ = grid
    out = tmp_path / "png"
    assert main(["experiment", "figure", str(exp), "--out", str(out), "--format", "png"]) == 0
    assert {p.suffix for p in out.iterdir()} == {".png"}
    capsys.readouterr()
    assert main(["experiment", "figure", str(exp), "--out", str(tmp_path / "x"), "--format", "gif"]) == 2
    assert "--format 'gif': expected some of png, svg, pdf" in capsys.readouterr().err
    assert main(["experiment", "figure", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def _mean_interaction(run_dir) -> float:
    """Mean over the test samples valued at the run's only epoch of the x1×x2 interaction, by the reader."""
    valuation = open_report(run_dir / "report.h5").valuation["test"]
    (row,) = np.flatnonzero(valuation.epochs == 0)
    assert valuation.pairs == [PAIR]
    values = valuation.interaction_as()[row, :, 0]
    valued = valuation.select(epoch=0).prediction[0] >= 0
    assert valued.any() and np.isfinite(values[valued]).all()
    return float(values[valued].mean())


def test_the_table_shows_the_mean_interaction_over_seeds(grid):
    exp, _ = grid
    with (exp / RESULTS_CSV).open(encoding="utf-8") as handle:
        rows = {row["strategy"]: row for row in csv.DictReader(handle)}
    t = scipy_stats.t.ppf(0.975, df=1)
    for strategy in STRATEGIES:
        means = np.array([_mean_interaction(exp / "runs" / f"vec.{strategy}.seed{s}") for s in (0, 1)])
        row = rows[strategy]
        assert float(row[f"interaction/{PAIR}"]) == pytest.approx(means.mean(), rel=1e-5, abs=1e-6)
        half = t * means.std(ddof=1) / math.sqrt(2)
        assert float(row[f"interaction/{PAIR} ci_low"]) == pytest.approx(means.mean() - half, rel=1e-5, abs=1e-6)
        assert float(row[f"interaction/{PAIR} ci_high"]) == pytest.approx(means.mean() + half, rel=1e-5, abs=1e-6)
    header = next(line for line in (exp / RESULTS_MD).read_text(encoding="utf-8").splitlines() if "strategy" in line)
    assert f"| interaction {PAIR} |" in header
