"""Row datasets an event does not fill get their fill value, written as whole arrays (h5py broadcasting a
scalar writes row by row: a 1M-sample report took minutes), also where a re-sent epoch overwrites a row."""

from __future__ import annotations

import dataclasses

import h5py
import numpy as np

from core.events import ValuationReady
from core.report import ReportWriter
from tests.report import run_events as ev


def with_coalition_stats(result):
    n, k = len(result.sample_index), 2 ** len(result.modalities)
    rng = np.random.default_rng(7)
    return dataclasses.replace(
        result,
        coalition_correct=np.ones((n, k), bool),
        coalition_log_p=-rng.random((n, k)).astype(np.float32),
        phi_stderr=rng.random((n, len(result.modalities))).astype(np.float32),
    )


def test_rows_without_values_read_as_fill_values_also_when_overwritten(tmp_path, data):
    path = tmp_path / "run.h5"
    writer = ReportWriter(path)
    writer(ev.run_started(data))
    writer(ValuationReady(with_coalition_stats(ev.valuation(data, "train", 0))))
    writer(ValuationReady(ev.valuation(data, "train", 0)))  # re-sent without them: row 0 is overwritten
    writer(ValuationReady(ev.valuation(data, "train", 1)))  # a new row without them
    writer.close()
    with h5py.File(path, "r") as f:
        group = f["valuation/train"]
        assert group["epoch"][:].tolist() == [0, 1]
        n = len(data.samples.split_indices("train"))
        assert group["coalition_log_p"].shape == (2, n, 4)
        assert np.isnan(group["coalition_log_p"][:]).all()
        assert not group["coalition_correct"][:].any()
        assert np.isnan(group["phi_stderr"][:]).all()
        np.testing.assert_array_equal(group["phi"][1], ev.valuation(data, "train", 1).phi)


def test_the_writer_never_makes_h5py_broadcast_a_value(tmp_path, data, monkeypatch):
    real_setitem = h5py.Dataset.__setitem__
    broadcast = []

    def setitem(self, key, value):
        if np.ndim(value) != self.ndim:
            broadcast.append(f"{self.name} <- {np.shape(value)}")
        return real_setitem(self, key, value)

    monkeypatch.setattr(h5py.Dataset, "__setitem__", setitem)
    writer = ReportWriter(tmp_path / "run.h5")
    for event in ev.run(data, epochs=2):
        writer(event)
    assert broadcast == []
