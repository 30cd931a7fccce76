"""Every registered strategy: parameters round-trip, bad values are rejected clearly, and a few steps train."""

import dataclasses
import math

import pytest
import torch

from core.strategies import STRATEGIES, create_strategy, describe_params
from core.strategies.base import build_params
from tests.strategies.helpers import tiny_batch, tiny_model, train_step

ALL = STRATEGIES.names()


def test_every_paper_strategy_is_registered():
    expected = {
        "joint", "multi-loss", "unimodal", "ensemble", "uni-pretrain", "ogm-ge",
        "mmpareto", "sample-resampling", "modality-resampling", "mcr",
    }  # fmt: skip
    assert expected <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_params_round_trip_through_build_and_describe(name):
    cls = STRATEGIES.get(name)
    described = describe_params(cls)
    if cls.Params is type(None):
        assert described == [] and build_params(cls, {}) is None
        return
    assert [d[0] for d in described] == [f.name for f in dataclasses.fields(cls.Params)]
    assert all(help_text for _, _, help_text in described), f"{name}: every parameter needs a help text"
    rebuilt = build_params(cls, {key: default for key, default, _ in described})
    assert rebuilt == cls.Params()


@pytest.mark.parametrize("name", [n for n in ALL if STRATEGIES.get(n).Params is not type(None)])
def test_unknown_and_mistyped_parameters_are_rejected(name):
    cls = STRATEGIES.get(name)
    with pytest.raises(ValueError, match="unknown parameter"):
        build_params(cls, {"no_such_parameter": 1})
    key = describe_params(cls)[0][0]
    with pytest.raises(ValueError, match=key):
        build_params(cls, {key: [1, 2]})


def test_bool_is_not_accepted_for_a_number():
    with pytest.raises(ValueError, match="warmup_epochs"):
        build_params(STRATEGIES.get("sample-resampling"), {"warmup_epochs": True})


@pytest.mark.parametrize(
    ("name", "values", "key"),
    [
        ("mcr", {"game": "selfish"}, "game"),
        ("mcr", {"permutations": 0}, "permutations"),
        ("mcr", {"detach_mode": "inputs"}, "detach_mode"),
        ("ogm-ge", {"coefficient": "soft"}, "coefficient"),
        ("sample-resampling", {"rule": "cubic"}, "rule"),
        ("modality-resampling", {"part_ratio": 0.0}, "part_ratio"),
        ("modality-resampling", {"function": "exp"}, "function"),
        ("multi-loss", {"lambda_uni": -1.0}, "lambda_uni"),
    ],
)
def test_out_of_domain_values_name_the_parameter(name, values, key):
    with pytest.raises(ValueError, match=key):
        build_params(STRATEGIES.get(name), values)


def test_integer_given_for_a_float_is_accepted():
    params = build_params(STRATEGIES.get("mcr"), {"lambda_m": 1})
    assert params.lambda_m == 1.0 and isinstance(params.lambda_m, float)


@pytest.mark.parametrize("name", ALL)
def test_a_few_steps_train_with_finite_loss(name):
    model = tiny_model()
    strategy = create_strategy(name, {}, model)
    extras = torch.nn.ModuleDict(strategy.extra_modules())
    optimizer = torch.optim.Adam(list(model.parameters()) + list(extras.parameters()), lr=1e-2)
    trained = torch.nn.ModuleDict({"model": model, "extras": extras})  # e.g. `umt` trains teachers first
    before = {k: v.clone() for k, v in trained.state_dict().items()}
    batch = tiny_batch(model)
    for _ in range(3):
        terms = train_step(strategy, model, batch, optimizer)
        assert math.isfinite(terms["loss"].item())
        assert all(v.numel() == 1 for v in terms.values()), "every term must be a scalar the engine can log"
    assert any(not torch.equal(before[k], v) for k, v in trained.state_dict().items())
