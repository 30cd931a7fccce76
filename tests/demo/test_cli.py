"""``modalens demo`` through the real command-line entry point."""

from __future__ import annotations

import pytest

from core.cli.main import main


def test_writes_the_demo_and_says_where(tmp_path, capsys):
    out = tmp_path / "vec"
    code = main(["demo", "--scenario", "vectors", "--samples", "12", "--out", str(out), "--unique-ratio", "3"])
    assert code == 0
    assert (out / "manifest.csv").is_file()
    captured = capsys.readouterr()
    assert "12 vectors samples" in captured.out and str(out) in captured.out
    assert "\r" not in captured.err  # no progress line when stderr is not a terminal


def test_default_folder_is_the_presets_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MODALENS_DATA_DIR", str(tmp_path))
    assert main(["demo", "--scenario", "vectors", "--samples", "5"]) == 0
    assert (tmp_path / "demo-vectors" / "manifest.csv").is_file()


def test_foreign_folder_and_bad_values_give_one_line_errors(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep")
    assert main(["demo", "--scenario", "vectors", "--samples", "5", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modalens demo: error:") and "not a ModaLens demo" in err
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert main(["demo", "--samples", "0", "--out", str(tmp_path / "new")]) == 2
    assert "samples must be" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_the_former_preset_flag_still_names_the_scenario_but_is_not_listed(tmp_path, capsys):
    assert main(["demo", "--preset", "greedy", "--samples", "10", "--out", str(tmp_path / "g")]) == 0
    assert "10 greedy samples" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    usage = capsys.readouterr().out
    assert "--scenario" in usage and "--preset" not in usage
