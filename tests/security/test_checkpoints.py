"""A checkpoint is data: crafted pickles are refused at every entry point without running, and a
checkpoint of release 0.1 is read only when the user says it is trusted."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from core.training.checkpoint import (
    LEGACY_FORMAT,
    CheckpointError,
    UntrustedCheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from core.valuation.result import ValuationResult


def modalens(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *map(str, args)], capture_output=True, text=True, timeout=timeout
    )


class Payload:
    """Unpickling this creates a marker file: proof that code from the file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def crafted_checkpoint(path, marker):
    torch.save({"format": "modalens-checkpoint-2", "model": {}, "config_toml": "", "x": Payload(marker)}, path)
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpt")
    assert modalens("demo", "--scenario", "vectors", "--samples", 48, "--out", root / "D").returncode == 0
    train = modalens("train", "--data", root / "D", "--epochs", 1, "--out", root / "R", "--device", "cpu")
    assert train.returncode == 0, train.stderr[-2000:]
    return root


def entry_points(root, evil, tmp_path):
    config = tmp_path / "evil.toml"
    config.write_text(f'[data]\npath = "{root / "D"}"\n[model]\ninit_encoders_from = "{evil}"\n', encoding="utf-8")
    data = ["--data", root / "D", "--device", "cpu", "--epochs", 1]
    return {
        "value --checkpoint": ["value", "--checkpoint", evil, "--data", root / "D"],
        "train --resume": ["train", "--resume", evil, "--out", tmp_path / "r1"],
        "init_encoders_from": ["train", *data, "--out", tmp_path / "r2", "--set", f"model.init_encoders_from={evil}"],
        "--config": ["train", "--config", config, "--device", "cpu", "--epochs", 1, "--out", tmp_path / "r3"],
    }


def test_crafted_pickle_is_refused_at_every_entry_point_without_running(run, tmp_path):
    marker = tmp_path / "PWNED"
    evil = crafted_checkpoint(tmp_path / "evil.pt", marker)
    for name, args in entry_points(run, evil, tmp_path).items():
        result = modalens(*args)
        assert result.returncode != 0, name
        assert not marker.exists(), f"{name}: the payload ran"
        assert "refused" in result.stderr and "--trust-checkpoint" in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr, name


def test_checkpoints_hold_only_tensors_and_plain_values(run):
    path = run / "R" / "checkpoints" / "last.pt"
    state = torch.load(path, weights_only=True)  # would raise on any pickled object
    assert state["format"] == "modalens-checkpoint-2"
    latest = load_checkpoint(path)["latest_valuation"]
    assert isinstance(latest, ValuationResult) and latest.phi.shape[1] == 2


def test_valuation_round_trips_through_a_checkpoint(tmp_path):
    result = ValuationResult(
        epoch=3,
        split="train",
        value_fn="benefit",
        modalities=["a", "b"],
        sample_index=np.array([4, 7]),
        phi=np.array([[0.5, -0.25], [0.0, 1.0]], np.float32),
        coalition_values=np.zeros((2, 4), np.float32),
        prediction=np.array([1, 0]),
        correct=np.array([True, False]),
    )
    save_checkpoint(tmp_path / "c.pt", {"model": {}, "latest_valuation": result})
    back = load_checkpoint(tmp_path / "c.pt")["latest_valuation"]
    for name in ("sample_index", "phi", "coalition_values", "prediction", "correct"):
        np.testing.assert_array_equal(getattr(back, name), getattr(result, name))
    assert (back.epoch, back.split, back.modalities, back.phi_stderr) == (3, "train", ["a", "b"], None)
    assert not list(tmp_path.glob("*.tmp"))


def legacy_copy(path, out):
    """The checkpoint as release 0.1 wrote it: format 1, the valuation pickled as an object."""
    state = load_checkpoint(path)
    state["format"] = LEGACY_FORMAT
    for key in ("cuda_rng", "global_step", "partial_epoch"):
        state.pop(key)
    torch.save(state, out)
    return out


def test_release_0_1_checkpoint_needs_the_trust_flag(run, tmp_path, caplog):
    legacy = legacy_copy(run / "R" / "checkpoints" / "last.pt", tmp_path / "old.pt")
    with pytest.raises(UntrustedCheckpointError, match="refused"):
        load_checkpoint(legacy)
    state = load_checkpoint(legacy, trusted=True)
    assert isinstance(state["latest_valuation"], ValuationResult)
    assert "trusted checkpoint" in caplog.text

    refused = modalens("value", "--checkpoint", legacy, "--data", run / "D")
    assert refused.returncode == 2 and "refused" in refused.stderr
    trusted = modalens("value", "--checkpoint", legacy, "--data", run / "D", "--trust-checkpoint")
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.startswith("id,label,prediction,correct")
    resumed = modalens("train", "--resume", legacy, "--trust-checkpoint", "--epochs", 2, "--out", tmp_path / "R2")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert load_checkpoint(tmp_path / "R2" / "checkpoints" / "last.pt")["next_epoch"] == 2


def test_value_accepts_a_run_folder(run):
    result = modalens("value", "--checkpoint", run / "R", "--data", run / "D")
    assert result.returncode == 0, result.stderr


def test_not_a_checkpoint_is_one_clear_error(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"\x00not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"some": "dict"}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a ModaLens checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
