"""A stop, at any clean point, then --resume gives exactly the model and report of an uninterrupted run."""

import numpy as np
import pytest
import torch

from core import events as ev
from core.report.reader import open_report
from core.report.writer import ReportWriter
from core.training.checkpoint import load_checkpoint
from core.training.engine import Engine
from tests.synthetic import vector_data
from tests.training.test_engine import small_config

TIMING = ("time", "samples_per_s")


def config():
    cfg = small_config(epochs=3, name="sample-resampling", warmup_epochs=1)
    cfg.valuation.splits = ["train", "val"]
    return cfg


def train(run_dir, data, stop_when=None, resume=False):
    cfg = config()
    resume_from = run_dir / "checkpoints" / "last.pt" if resume else None
    engine = Engine(cfg, run_dir, data=data, resume_from=resume_from)
    engine.bus.subscribe(ReportWriter(run_dir / "report.h5"), critical=True)
    if stop_when is not None:
        engine.bus.subscribe(lambda e: engine.request_stop() if stop_when(e) else None)
    outcome = engine.run()
    assert not outcome.failed, outcome.error
    return outcome


def untimed(table):
    return {k: v for k, v in table.items() if not any(t in k for t in TIMING)}


def assert_same_run(a, b):
    ma = load_checkpoint(a / "checkpoints" / "last.pt")["model"]
    mb = load_checkpoint(b / "checkpoints" / "last.pt")["model"]
    assert ma.keys() == mb.keys()
    for key in ma:
        assert torch.equal(ma[key], mb[key]), key
    with open_report(a / "report.h5") as ra, open_report(b / "report.h5") as rb:
        assert ra.state == rb.state == "finished"
        for table in ("step_metrics", "epoch_metrics", "mi_step", "mi_epoch"):
            ta, tb = untimed(getattr(ra, table)), untimed(getattr(rb, table))
            assert ta.keys() == tb.keys(), table
            for key in ta:
                np.testing.assert_array_equal(ta[key], tb[key], err_msg=f"{table}/{key}")
        for split in ("train", "val"):
            va, vb = ra.valuation[split], rb.valuation[split]
            for name in ("sample_index", "phi", "coalition_values", "prediction", "correct"):
                np.testing.assert_array_equal(getattr(va, name), getattr(vb, name), err_msg=f"{split}/{name}")
        for name in ("epoch", "sample_index", "modality", "copies"):
            np.testing.assert_array_equal(getattr(ra.resampling, name), getattr(rb.resampling, name))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    train(run_dir, vector_data(n=90))
    return run_dir


@pytest.mark.parametrize(
    "where,stop_when",
    [
        ("mid-epoch", lambda e: isinstance(e, ev.StepMetrics) and e.epoch == 1 and e.step == 1),
        ("during valuation", lambda e: isinstance(e, ev.ValuationReady) and e.result.epoch == 1 and e.result.split == "train"),
        ("first step", lambda e: isinstance(e, ev.StepMetrics) and e.epoch == 0 and e.step == 0),
    ],
)
def test_stop_then_resume_is_bit_identical(reference, tmp_path, where, stop_when):
    run_dir = tmp_path / "run"
    stopped = train(run_dir, vector_data(n=90), stop_when=stop_when)
    assert stopped.stopped
    with open_report(run_dir / "report.h5") as report:
        assert report.state == "stopped"
    train(run_dir, vector_data(n=90), resume=True)
    assert_same_run(reference, run_dir)


def test_a_mid_epoch_stop_saves_where_the_epoch_stands(tmp_path):
    run_dir = tmp_path / "run"
    train(run_dir, vector_data(n=90), stop_when=lambda e: isinstance(e, ev.StepMetrics) and e.epoch == 1 and e.step == 1)
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    assert state["next_epoch"] == 1
    assert state["partial_epoch"]["epoch"] == 1 and state["partial_epoch"]["step"] == 2
