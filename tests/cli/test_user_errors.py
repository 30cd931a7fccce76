"""What a new user hits on the command line: every argument or config error is one line naming what is
wrong, exit status 2, before any run folder exists; a broken manifest row counts as one sample."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from core.cli import train
from core.cli.main import build_parser, main
from core.demo import generate_demo
from core.report.reader import open_report

CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b")


@pytest.fixture
def dataset(tmp_path):
    """A folder whose manifest header is complete: the checks read the header only, never the rows."""
    folder = tmp_path / "D"
    folder.mkdir()
    (folder / "manifest.csv").write_text("id,label,split,x1,x2\ns0,a,train,x1/s0.npy,x2/s0.npy\n")
    return folder


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--epochs", "0"], "optim.epochs: expected an integer >= 1, got 0"),
        (["--epochs", "-1"], "optim.epochs: expected an integer >= 1, got -1"),
        (["--set", "optim.batch_size=0"], "optim.batch_size: expected an integer >= 1"),
        (["--set", "optim.lr=0"], "optim.lr: expected a finite number > 0"),
        (["--set", "optim.lr=nan"], "optim.lr: expected a finite number > 0, got nan"),
        (["--set", "runtime.num_workers=-1"], "runtime.num_workers: expected an integer >= 0"),
        (["--set", "model.feature_dim=0"], "model.feature_dim: expected an integer >= 1"),
        (["--set", 'valuation.splits=["train", "vall"]'], "valuation.splits: expected a list of distinct"),
        (["--seed", "-1"], "runtime.seed: expected an integer from 0 to 4294967295, got -1"),
        (["--seed", str(2**32)], "runtime.seed: expected an integer from 0 to 4294967295"),
        (["--set", "optim.nonfinite_loss=ignore"], 'optim.nonfinite_loss: expected one of "stop", "skip"'),
        (["--set", "optim.bogus=3"], "--set optim.bogus=3: unknown key optim.bogus; keys of optim: optimizer,"),
        (["--set", "optim.lrr=0.1"], "unknown key optim.lrr (did you mean 'optim.lr'?); keys of optim:"),
        (["--set", "optimm.lr=0.1"], "unknown key optimm (did you mean 'optim'?); keys at the top: data,"),
        (["--set", "optim.lr=abc"], "optim.lr: expected float, got 'abc' (from --set optim.lr=abc)"),
        (["--set", "model.pretrained=imagenet"], "takes pretrained weights to be chosen (resnet18-flow or resnet18-vid"),
        (
            ["--set", 'model.kind_encoders={video="resnet18-video"}', "--set", "model.pretrained=no/such.pth"],
            "model.pretrained = 'no/such.pth': no weights file at no/such.pth (check the path)",
        ),
        (["--strategy", "jiont"], "unknown strategy 'jiont' (did you mean 'joint'?); available: agm, amco,"),
        (["--strategy", "ogm"], "unknown strategy 'ogm' (did you mean 'ogm-ge' or 'opm'?)"),
        (["--set", "bogus_key=3"], "strategy 'joint' takes no parameters, got ['bogus_key']"),
        (["--strategy", "ogm-ge", "--set", "alhpa=1"], "strategy 'ogm-ge': unknown parameter(s) alhpa (did you mean 'alpha'?)"),
        (["--set", "valuation.value_fn=benfit"], "unknown value function 'benfit'"),
        (["--set", 'data.modalities=["x3"]'], "no column 'x3' in the header"),
        (
            ["--strategy", "sample-resampling", "--set", 'valuation.splits=["val"]'],
            "valuation.splits = ['val'] leaves 'train' out",
        ),
        (["--device", "tpu"], "unknown device 'tpu'"),
        (["--set", "model.encoders={x1='mlp', x9='mlp'}"], "model.encoders: 'x9' is no column of"),
        (["--set", "model.encoders={x1='mpl'}"], "unknown encoder 'mpl'"),
        (["--set", "model.init_encoders_from=no/such.pt"], "no/such.pt: no such checkpoint"),
    ],
)
def test_wrong_values_exit_2_with_one_line_before_the_run_folder(dataset, tmp_path, capsys, extra, message):
    out = tmp_path / "R"
    assert main(["train", "--data", str(dataset), "--out", str(out), "--device", "cpu", *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("modalens train: error: ") and message in err, err
    assert not CLASS_NAME.search(err), err
    assert not out.exists()


@pytest.mark.parametrize(
    "manifest, message",
    [
        (None, "no manifest.csv in this folder"),
        ("id,label,x1\n", "no column 'split' in the header (id, label, x1)"),
        (b"id,label,split\n\xff\xfe,a,train\n", "not UTF-8 text"),
    ],
)
def test_dataset_without_a_usable_manifest_is_an_argument_error(tmp_path, capsys, manifest, message):
    data = tmp_path / "D"
    data.mkdir()
    if isinstance(manifest, str):
        (data / "manifest.csv").write_text(manifest)
    elif manifest is not None:
        (data / "manifest.csv").write_bytes(manifest)
    out = tmp_path / "R"
    assert main(["train", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and not CLASS_NAME.search(err) and not out.exists()


def test_config_file_paths_are_taken_from_its_folder(tmp_path, monkeypatch):
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "run.toml").write_text(
        '[data]\npath = "../D"\ncache_dir = "/abs/cache"\n[model]\ninit_encoders_from = "pre/best.pt"\n'
    )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    args = build_parser("train").parse_args(["train", "--config", "../configs/run.toml"])
    config = train.build_config(args)
    assert Path(config.data.path).resolve() == (tmp_path / "D").resolve()
    assert config.data.cache_dir == "/abs/cache"
    assert Path(config.model.init_encoders_from).resolve() == (folder / "pre" / "best.pt").resolve()


def test_command_line_paths_are_stored_absolute_in_their_meaning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--data", "D", "--set", "data.cache_dir=cache", "--set", "model.init_encoders_from=p.pt"]
    config = train.build_config(build_parser("train").parse_args(argv))
    here = Path.cwd()
    assert config.data.path == str(here / "D")
    assert config.data.cache_dir == str(here / "D" / "cache")  # relative to the dataset, as cache_folder says
    assert config.model.init_encoders_from == str(here / "p.pt")


def test_help_shows_the_defaults(capsys):
    for argv, expected in (
        (["train", "--help"], ["number of epochs (default: 10)", "(default: joint)", "seed (default: 0)"]),
        (["demo", "--help"], ["number of samples (default: 1000)", "(default: balanced)"]),
        (["value", "--help"], ["split to value (default: train)", "(default: auto)"]),
    ):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 0
        text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
        for phrase in expected:
            assert phrase in text, (argv, phrase)
        assert "(default: None)" not in text and "(default: False)" not in text


def test_a_row_with_two_problems_is_one_sample_and_its_label_no_class(tmp_path, capsys):
    data = generate_demo(tmp_path / "V", "vectors", 60, seed=0)
    path = data / "manifest.csv"
    rows = list(csv.reader(path.open(newline="")))
    header = rows[0]
    x1, x2, label, split = (header.index(c) for c in ("x1", "x2", "label", "split"))
    (data / rows[1][x1]).unlink()  # row 2: both files missing, and the only row of class "orphan"
    (data / rows[1][x2]).unlink()
    rows[1][label] = "orphan"
    rows[2][split] = "training"  # row 3: one problem
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)

    out = tmp_path / "R"
    assert main(["train", "--data", str(data), "--epochs", "1", "--out", str(out), "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "3 problem(s), 2 sample(s) left out:" in err
    assert "2 left out for manifest problems" in err
    assert not re.search(r"\b3 sample", err), err  # no count of problems presented as samples
    for line in (out / "excluded.txt").read_text().splitlines()[1:]:
        assert err.count(line.strip()) == 1, line  # each problem listed once
    with open_report(out / "report.h5") as report:
        assert "orphan" not in report.dataset.class_names
        assert report.dataset.class_names == sorted({r[label] for r in rows[3:]})


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o027, 0o750), (0o002, 0o775)])
def test_demo_folder_gets_the_users_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        assert main(["demo", "--scenario", "vectors", "--samples", "5", "--out", str(tmp_path / "demo")]) == 0
    finally:
        os.umask(previous)
    assert (tmp_path / "demo").stat().st_mode & 0o777 == mode
    assert (tmp_path / "demo" / "manifest.csv").stat().st_mode & 0o777 == mode & 0o666
