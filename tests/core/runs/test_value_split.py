"""value_split: the checkpoint's model (in its strategy's form) values a split as the run did; into the
report only for the run's own dataset."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from core.config import RunConfig
from core.models.multimodal import build_model
from core.report.reader import open_report
from core.runs.restore import open_checkpoint
from core.runs.value import value_split
from core.strategies.base import prepare_model
from core.valuation.settings import valuation_settings


def phi_in_order(sample_index, phi):
    order = np.argsort(sample_index)
    return np.asarray(sample_index)[order], np.asarray(phi)[order]


def test_the_split_is_valued_as_the_run_valued_it_at_its_last_epoch(started_run):
    saved = open_checkpoint(started_run.run_dir)
    assert saved.epoch == 1
    valued = value_split(saved, "val")
    assert valued.report is None and valued.result.epoch == 1
    with open_report(started_run.run_dir / "report.h5") as report:
        stored = report.valuation["val"]
        expected = phi_in_order(stored.sample_index, stored.phi[-1])
    got = phi_in_order(valued.result.sample_index, valued.result.phi)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], atol=1e-5)  # wrong without mmcosine's cosine head


def test_values_go_into_the_report_under_the_checkpoints_epoch(tmp_path, started_run):
    run = tmp_path / "run"
    shutil.copytree(started_run.run_dir, run, ignore=shutil.ignore_patterns("*.lock"))
    alone = value_split(open_checkpoint(run), "test").result
    valued = value_split(open_checkpoint(run / "checkpoints" / "last.pt"), "test", into_report=True)
    assert valued.report == (run / "report.h5").resolve()
    with open_report(run / "report.h5") as report:
        stored = report.valuation["test"]
        assert stored.epochs.tolist() == [1]
        np.testing.assert_allclose(
            phi_in_order(stored.sample_index, stored.phi[-1])[1], phi_in_order(alone.sample_index, alone.phi)[1],
            atol=1e-6,
        )


def test_another_dataset_or_no_report_is_refused(tmp_path, started_run):
    from core.demo import generate_demo

    other = generate_demo(tmp_path / "other", preset="vectors", samples=60)
    with pytest.raises(ValueError, match="not this run's dataset"):
        value_split(open_checkpoint(started_run.run_dir, data_path=other), "test", into_report=True)
    bare = tmp_path / "bare"
    shutil.copytree(started_run.run_dir / "checkpoints", bare / "checkpoints")
    with pytest.raises(ValueError, match="no report.h5"):
        value_split(open_checkpoint(bare), "test", into_report=True)


def test_prepare_model_gives_the_strategys_form_without_creating_it():
    model = build_model({"a": "vector", "b": "vector"}, {"a": (4,), "b": (4,)}, 3, 8)
    prepare_model("joint", {}, model)
    assert model.cosine_scale is None
    prepare_model("mmcosine", {"scaling": 3.0}, model)
    assert model.cosine_scale == 3.0
    with torch.no_grad():
        logits = model({"a": torch.randn(2, 4), "b": torch.randn(2, 4)}).logits
    assert logits.abs().max() <= 3.0 * 2 + 1e-5  # scaled cosines


def test_valuation_settings_come_from_the_config_with_overrides():
    config = RunConfig()
    config.valuation.value_fn, config.valuation.mc_permutations, config.valuation.batch_size = "probability", 17, 5
    settings = valuation_settings(config)
    assert (settings.value_fn, settings.absence, settings.mc_permutations, settings.batch_size, settings.seed) == (
        "probability", "feature", 17, 5, 0)
    settings = valuation_settings(config, value_fn="benefit", absence="input", seed=3)
    assert (settings.value_fn, settings.absence, settings.mc_permutations, settings.seed) == ("benefit", "input", 17, 3)
