"""The demos of a grid are generated with each preset's own size and, where the preset takes one, its ratio."""

from __future__ import annotations

import core.demo
from core.experiments.data import make_data
from core.experiments.spec import DatasetSpec
from tests.experiments.tiny import tiny_spec


def test_ratio_presets_get_their_ratio_and_presets_their_default_size(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(core.demo, "generate_demo", lambda out, preset, samples, seed, **extra: calls.append(
        (preset, samples, seed, extra)))
    spec = tiny_spec(seeds=(3,))
    spec.datasets = [
        DatasetSpec(name="mcr", demo="mcr-synthetic", unique_ratio=2.0),
        DatasetSpec(name="vec", demo="vectors", samples=40, unique_ratio=0.5),
        DatasetSpec(name="per", demo="per-sample"),
    ]
    make_data(spec.validate(), tmp_path, [], log=lambda _: None)
    assert calls == [
        ("mcr-synthetic", 14000, 3, {"unique_ratio": 2.0}),
        ("vectors", 40, 3, {"unique_ratio": 0.5}),
        ("per-sample", 2000, 3, {}),
    ]
