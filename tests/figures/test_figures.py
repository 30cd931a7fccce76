"""Paper figures: every standard figure is written as a valid PNG, SVG and PDF of one column's width, and
`modalens report figure` writes them from a report without a display."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from core.figures import (
    COLUMN_WIDTH_IN,
    fixed_broken_scatter,
    interaction_histogram,
    outcomes,
    phi_gap_per_strategy,
    phi_histograms,
    phi_over_epochs,
    save_figure,
)


def check_png(path, width_px: int) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and data.endswith(b"IEND\xaeB`\x82")
    width, height = struct.unpack(">II", data[16:24])
    assert width == width_px and height > 0


def check_svg(path, width_in: float) -> None:
    root = ET.parse(path).getroot()  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(root.attrib["width"].removesuffix("pt")) == pytest.approx(width_in * 72)


def check_pdf(path, width_in: float) -> None:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and b"/Type /Page" in data
    box = data.split(b"/MediaBox [")[1].split(b"]")[0].split()
    assert float(box[2]) == pytest.approx(width_in * 72)


def check_all(paths, stem) -> None:
    assert [p.name for p in paths] == [f"{stem}.png", f"{stem}.svg", f"{stem}.pdf"]
    check_png(paths[0], round(COLUMN_WIDTH_IN * 300))
    check_svg(paths[1], COLUMN_WIDTH_IN)
    check_pdf(paths[2], COLUMN_WIDTH_IN)
    assert not list(paths[0].parent.glob("*.tmp"))


def test_every_figure_is_a_valid_png_svg_and_pdf(tmp_path):
    rng = np.random.default_rng(0)
    phi = rng.normal(size=(50, 2))
    phi[3] = np.nan  # a sample not valued is left out
    figures = {
        "epochs": phi_over_epochs(np.arange(1, 5), rng.normal(size=(4, 2)), ["audio", "video"]),
        "hist": phi_histograms(phi, ["audio", "video"]),
        "inter": interaction_histogram(rng.normal(size=(50, 3)), ["a×b", "a×c", "b×c"]),
        "gap": phi_gap_per_strategy(["joint", "mcr"], np.array([0.3, 0.1]), np.array([0.2, 0.0]), np.array([0.4, 0.2])),
        "scatter": fixed_broken_scatter(rng.normal(size=50), rng.normal(size=50), rng.random(50) < 0.5,
                                        rng.random(50) < 0.5, names=("joint", "mcr")),
    }
    for stem, figure in figures.items():
        check_all(save_figure(figure, tmp_path / stem), stem)
        texts = [t.get_fontsize() for ax in figure.axes for t in (ax.xaxis.label, ax.yaxis.label)]
        assert set(texts) == {8.0}  # paper-column text


def test_outcomes_and_bad_input():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    assert outcomes(a, b).tolist() == ["both right", "broken", "fixed", "both wrong"]
    with pytest.raises(ValueError, match="one column per name"):
        phi_histograms(np.zeros((4, 3)), ["audio", "video"])
    with pytest.raises(ValueError, match="2 strategies but 1 gaps"):
        phi_gap_per_strategy(["a", "b"], [0.1], [0.0], [0.2])
    with pytest.raises(ValueError, match="unknown figure format"):
        save_figure(phi_histograms(np.zeros((4, 2)), ["a", "b"]), "x", formats=("jpg",))


def test_report_figure_command(finished_report, tmp_path, capsys):
    from tests.report.test_export_and_cli import run_cli

    out = tmp_path / "figs"
    assert run_cli("report", "figure", str(finished_report), "--out", str(out)) == 0
    for stem in ("phi_epochs_train", "phi_hist_train_e3", "interaction_hist_train_e3"):
        check_all([out / f"{stem}.{fmt}" for fmt in ("png", "svg", "pdf")], stem)
    assert capsys.readouterr().out.count("wrote ") == 9

    assert run_cli("report", "figure", str(finished_report), "--out", str(out), "--split", "val", "--epoch", "1",
                   "--format", "svg") == 0
    assert sorted(p.name for p in out.glob("*_val*")) == [
        "interaction_hist_val_e1.svg", "phi_epochs_val.svg", "phi_hist_val_e1.svg"]
    for argv, message in (
        (["--epoch", "9"], "no epoch 9 valued (epochs: 1..3)"),
        (["--format", "gif"], "expected some of png, svg, pdf"),
        (["--split", "test"], "no valuation of split 'test'"),
        (["--value-fn", "nope"], "unknown value function 'nope'"),
    ):
        assert run_cli("report", "figure", str(finished_report), "--out", str(out), *argv) == 2
        assert message in capsys.readouterr().err
