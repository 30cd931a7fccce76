"""benchmarks/learning.py on a dataset folder already on disk (``--data``) and with a model preset
(``--preset``): the folder is trained on and reported under its name, the preset's recipe reaches the run,
and a folder without a manifest or an unknown preset is a usage error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core.demo import generate_demo

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import learning  # noqa: E402


@pytest.fixture(scope="module")
def tiny_av(tmp_path_factory) -> Path:
    return generate_demo(tmp_path_factory.mktemp("data") / "tiny-av", "balanced", 60)


def test_a_folder_on_disk_is_trained_and_reported_under_its_name(tiny_av, tmp_path):
    out = tmp_path / "learning.md"
    args = ["--data", str(tiny_av), "--runs", "joint", "--epochs", "2", "--out", str(out)]
    assert learning.main([*args, "--set", "optim.batch_size=16"]) == 0
    text = out.read_text(encoding="utf-8")
    assert f"## {tiny_av.name}" in text and "## checkset" not in text
    rows = [line for line in text.splitlines() if line.startswith("| joint | 0 |")]
    assert len(rows) == 1 and len(rows[0].split("|")[3].split()) == 2  # two epochs of test accuracy


def test_the_preset_reaches_the_run_before_the_overrides(tiny_av, monkeypatch):
    seen = {}

    class Stop(Exception):
        pass

    def engine(config, run_dir, data):
        seen["optim"] = config.optim
        raise Stop

    monkeypatch.setattr(learning, "prepare_dataset", lambda data_config: seen.setdefault("recipe", data_config.recipe))
    monkeypatch.setattr("core.training.engine.Engine", engine)
    with pytest.raises(Stop):
        learning.train_curve(tiny_av, "tiny", "joint", 0, 1, ["optim.lr=0.01"], preset="ogm-ge-cremad")
    assert seen["recipe"] == "ogm-ge-cremad"
    assert seen["optim"].optimizer == "sgd" and seen["optim"].lr == 0.01  # the preset's optimiser, then --set


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--data", "{tmp}"], "no manifest.csv there"), (["--preset", "nope"], "unknown preset 'nope'")],
)
def test_usage_errors_exit_with_status_2(extra, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        learning.main([arg.format(tmp=tmp_path) for arg in extra] + ["--out", "-"])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_two_datasets_of_one_name_are_a_usage_error(tiny_av, capsys):
    with pytest.raises(SystemExit) as stop:
        learning.main(["--data", str(tiny_av), "--data", str(tiny_av), "--out", "-"])
    assert stop.value.code == 2 and "already in this run" in capsys.readouterr().err


def test_a_report_without_joint_checks_no_target():
    """The targets are joint's: a run list without joint (e.g. ``--runs ensemble``) still gets its report."""
    curve = learning.Curve("tiny", "ensemble", 0, train=[0.5, 0.9], val=[0.4, 0.8], test=[0.4, 0.7])
    assert learning.targets([curve], 0.5) == ["- not checked: the targets are joint's, and joint was not run"]
