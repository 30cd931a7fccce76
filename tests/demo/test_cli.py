"""The `demo` subcommand as registered by core.demo.cli."""

from __future__ import annotations

import argparse

from core.demo import cli


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="modalens")
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["demo", *argv])


def test_defaults_and_function():
    args = parse()
    assert (args.preset, args.samples, args.out, args.seed, args.unique_ratio) == (
        "balanced",
        1000,
        None,
        0,
        1.0,
    )
    assert args.func is cli.run


def test_writes_the_demo_and_says_where(tmp_path, capsys):
    out = tmp_path / "vec"
    code = cli.run(parse("--preset", "vectors", "--samples", "12", "--out", str(out), "--unique-ratio", "3"))
    assert code == 0
    assert (out / "manifest.csv").is_file()
    printed = capsys.readouterr().out
    assert "12 samples" in printed and str(out) in printed
    assert "\r" not in printed  # no progress line when stdout is not a terminal


def test_default_folder_is_the_presets_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MODALENS_DATA_DIR", str(tmp_path))
    assert cli.run(parse("--preset", "vectors", "--samples", "5")) == 0
    assert (tmp_path / "demo-vectors" / "manifest.csv").is_file()


def test_foreign_folder_and_bad_values_give_exit_code_1_and_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep")
    assert cli.run(parse("--preset", "vectors", "--samples", "5", "--out", str(tmp_path))) == 1
    err = capsys.readouterr().err
    assert err.startswith("modalens demo: error:") and "not a ModaLens demo" in err
    assert cli.run(parse("--samples", "0", "--out", str(tmp_path / "new"))) == 1
    assert "samples must be" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
