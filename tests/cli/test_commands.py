"""The `modalens` command end to end: demo → train → value → report, and clear errors for bad input."""

import csv
import shutil
import subprocess
import sys

import numpy as np
import pytest

from core.cli.main import main
from core.report.reader import open_report
from core.training.checkpoint import load_checkpoint
from tests.cli.test_startup import imported_heavy


def modalens(*args, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *map(str, args)], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    demo = modalens("demo", "--out", root / "D", "--samples", 48)
    assert demo.returncode == 0, demo.stderr
    train = modalens(
        "train",
        "--data",
        root / "D",
        "--epochs",
        2,
        "--out",
        root / "R",
        "--device",
        "cpu",
        "--set",
        "optim.batch_size=16",
    )
    assert train.returncode == 0, train.stderr[-2000:]
    return root


def test_demo_then_train_leaves_checkpoints_config_and_per_sample_values(trained):
    run = trained / "R"
    assert (run / "config.toml").is_file()
    assert load_checkpoint(run / "checkpoints" / "last.pt")["next_epoch"] == 2
    assert (run / "checkpoints" / "best.pt").is_file()
    with open_report(run / "report.h5") as report:
        valuation = report.valuation["train"]
        assert list(valuation.epochs) == [0, 1]
        train = np.flatnonzero(report.dataset.splits == "train")
        np.testing.assert_array_equal(np.sort(valuation.sample_index), train)
        phi = valuation.phi
        assert phi.shape == (2, len(train), 2) and not np.isnan(phi).any()
        np.testing.assert_allclose(phi.sum(axis=2), valuation.coalition_values[..., -1], atol=1e-5)


def test_value_command_writes_per_sample_csv(trained):
    out = trained / "values.csv"
    result = modalens(
        "value",
        "--checkpoint",
        trained / "R" / "checkpoints" / "best.pt",
        "--data",
        trained / "D",
        "--split",
        "val",
        "--value-fn",
        "probability",
        "--out",
        out,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    with open_report(trained / "R" / "report.h5") as report:
        assert len(rows) == int((report.dataset.splits == "val").sum())
    assert set(rows[0]) >= {"id", "label", "prediction", "correct", "phi_video", "phi_audio"}
    assert "mean phi" in result.stderr


def test_value_of_a_run_folder_labels_rows_as_the_report_export_does(trained, capsys):
    values, export = trained / "values-train.csv", trained / "export.csv"
    run, report = str(trained / "R"), str(trained / "R" / "report.h5")
    assert main(["value", "--checkpoint", run, "--data", str(trained / "D"), "--out", str(values)]) == 0
    assert main(["report", "export", report, "--csv", str(export), "--epoch", "2"]) == 0
    valued = {row["id"]: row for row in csv.DictReader(values.open())}
    exported = {row["id"]: row for row in csv.DictReader(export.open())}
    assert valued.keys() == exported.keys() and len(valued) > 0
    with open_report(trained / "R" / "report.h5") as report:
        names = report.dataset.class_names
    for sample_id, row in exported.items():
        assert row["label"] == valued[sample_id]["label"] == names[int(row["label_index"])]
    assert list(exported[next(iter(exported))])[4:] == ["phi/video/e2", "phi/audio/e2"]
    # the last checkpoint is the run's end: its φ for epoch 2 are the report's epoch 2
    for sample_id, row in exported.items():
        assert float(row["phi/video/e2"]) == pytest.approx(float(valued[sample_id]["phi_video"]), abs=1e-4)


def test_summary_counts_epochs_from_1(trained, capsys):
    assert main(["report", "summary", str(trained / "R" / "report.h5")]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("epoch"))
    assert [line.split()[0] for line in lines[header + 1 :]] == ["1", "2"]


def test_resuming_a_finished_run_says_how_to_continue(trained, capsys):
    before = sorted(p.name for p in (trained / "R").iterdir())
    assert main(["train", "--resume", str(trained / "R")]) == 2
    err = capsys.readouterr().err
    assert "already finished all its 2 epochs; to continue it, pass --epochs N with N > 2" in err
    assert main(["train", "--resume", str(trained / "R" / "checkpoints" / "last.pt"), "--epochs", "1"]) == 2
    assert "already trained 2 epochs, not 1" in capsys.readouterr().err
    assert sorted(p.name for p in (trained / "R").iterdir()) == before


def test_report_summary_into_a_closed_pipe_ends_quietly(trained):
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "report", "summary", str(trained / "R" / "report.h5")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=600) == 1 and err == ""


def test_strategies_lists_parameters(capsys):
    assert main(["strategies"]) == 0
    listing = capsys.readouterr().out
    for name in ("joint", "mcr", "sample-resampling", "ogm-ge"):
        assert f"{name}:" in listing
    assert "warmup_epochs = 5" in listing


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--epochs", "x"], "invalid int value: 'x'"),
        (["train"], "no dataset: pass --data DIR"),
        (["train", "--data", "/no/such/folder"], "dataset folder not found"),
        (["value", "--checkpoint", "/no/ckpt.pt", "--data", "."], "checkpoint not found"),
        (["train", "--data", ".", "--set", "optim.lrr=1"], "unknown key optim.lrr (did you mean 'optim.lr'?)"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_wrong_arguments_get_one_clear_line(args, message):
    result = modalens(*args, timeout=600)
    assert result.returncode == 2
    assert message in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_bad_media_are_reported_with_their_rows_and_training_goes_on(trained, tmp_path):
    data = tmp_path / "D"
    shutil.copytree(trained / "D", data, ignore=shutil.ignore_patterns(".modalens-cache"))
    lines = (data / "manifest.csv").read_text().splitlines()
    header = lines[0].split(",")
    video, audio, split = header.index("video"), header.index("audio"), header.index("split")
    rows = [line.split(",") for line in lines[1:]]
    train_rows = [i for i, r in enumerate(rows) if r[split] == "train"]
    missing, truncated, empty, wrong = train_rows[:4]
    (data / rows[missing][video]).unlink()
    mp4 = data / rows[truncated][video]
    mp4.write_bytes(mp4.read_bytes()[: mp4.stat().st_size // 2])
    (data / rows[empty][audio]).write_bytes(b"")
    rows[wrong][split] = "training"
    (data / "manifest.csv").write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")

    result = modalens("train", "--data", data, "--epochs", 1, "--out", tmp_path / "R", "--device", "cpu")
    assert result.returncode == 0, result.stderr[-2000:]
    report_text = (tmp_path / "R" / "excluded.txt").read_text()
    for index, what in (
        (missing, "not found"),
        (truncated, rows[truncated][video]),
        (empty, "empty"),
        (wrong, "training"),
    ):
        line = next(line for line in report_text.splitlines() if f"row {index + 2}," in line)
        assert what in line, (what, line)
    with open_report(tmp_path / "R" / "report.h5") as report:
        assert len(report.dataset.excluded) == 4
        assert len(report.dataset.ids) == len(rows) - 4
        assert report.valuation["train"].phi.shape[1] == len(train_rows) - 4


def test_report_commands_on_a_real_report_do_not_import_torch(trained):
    report = str(trained / "R" / "report.h5")
    csv_out = str(trained / "t.csv")
    for argv in (["report", "summary", report], ["report", "export", report, "--csv", csv_out]):
        status, heavy, output = imported_heavy(argv)
        assert status == 0 and heavy == "", (argv, heavy, output)
