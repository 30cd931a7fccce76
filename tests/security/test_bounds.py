"""Settings and inputs are bounded by what the machine and the data hold: worker counts, the model's
size, files that are not checkpoints, and what a MOSEI import writes."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pytest

import core.data.batches as batches
from core.cli.main import main
from core.data.prepare import available_cores
from core.demo import generate_demo
from tests.data.sources.common import run_import


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("bounds")
    generate_demo(root / "D", preset="vectors", samples=30)
    code = main(["train", "--data", str(root / "D"), "--out", str(root / "R"), "--epochs", "1", "--device", "cpu"])
    assert code == 0
    return root


def train(capsys, root, out, *extra) -> tuple[int, str]:
    code = main(["train", "--data", str(root / "D"), "--out", str(out), "--epochs", "1", "--device", "cpu", *extra])
    return code, capsys.readouterr().err


def test_worker_counts_are_capped_at_the_cores_and_said_once(root, tmp_path, capsys, monkeypatch):
    started = []

    def loader(planned, num_workers, **kwargs):  # no process is started: record what would be
        started.append(num_workers)
        return (planned[i] for i in range(len(planned)))

    monkeypatch.setattr(batches, "DataLoader", loader)
    code, err = train(capsys, root, tmp_path / "R", "--workers", "1000000", "--set", "runtime.num_workers=10000")
    assert code == 0, err
    cores = available_cores()
    assert started and max(started) <= cores
    assert err.count("data.workers = 1000000 lowered to") == 1
    assert err.count("runtime.num_workers = 10000 lowered to") == 1


def test_a_model_too_big_for_memory_is_one_line_before_allocating(root, tmp_path, capsys):
    code, err = train(capsys, root, tmp_path / "R", "--set", f"model.feature_dim={2**31}")
    assert code != 0
    lines = [line for line in err.splitlines() if line.startswith("run failed: ")]
    assert len(lines) == 1 and "model.feature_dim = 2147483648" in lines[0] and "free on cpu" in lines[0], err
    assert "allocate" not in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["report.h5", "config.toml"])
def test_value_of_a_file_that_is_not_a_checkpoint(root, capsys, name):
    code = main(["value", "--checkpoint", str(root / "R" / name), "--data", str(root / "D")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "not a checkpoint" in err, err
    assert "weights_only" not in err and "arbitrary code" not in err


def test_a_mosei_pickle_sharing_one_array_between_samples_is_refused(tmp_path, capsys):
    shared = np.ones((64, 128), np.float32)  # 32 kB, referenced by every sample of every modality
    count = 300
    part = {m: [shared] * count for m in ("text", "audio", "vision")}
    part["labels"] = np.ones((count, 1, 1), np.float32)
    source = tmp_path / "mosei"
    source.mkdir()
    (source / "mosei_senti_data_noalign.pkl").write_bytes(pickle.dumps({"train": part}))
    out = tmp_path / "data"
    code, printed = run_import(capsys, "mosei", source, "--out", out, "--pool", "none")
    assert code == 2
    assert "would write" in printed and "times what the pickle holds" in printed, printed
    written = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) if out.exists() else 0
    assert written < 1_000_000
    shutil.rmtree(out, ignore_errors=True)
