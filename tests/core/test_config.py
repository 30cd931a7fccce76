import pytest

from core.config import ConfigError, RunConfig


def test_round_trip_through_toml(tmp_path):
    config = RunConfig()
    config.optim.lr = 3e-4
    config.strategy.name = "mcr"
    config.strategy.params = {"game": "greedy", "permutations": 16}
    config.data.modalities = ["audio", "video"]
    path = tmp_path / "run.toml"
    config.save(path)
    assert RunConfig.load(path) == config


def test_overrides_parse_types():
    config = RunConfig().with_overrides(["optim.lr=0.01", "strategy.params.alpha=0.5", "runtime.device=cpu"])
    assert (
        config.optim.lr == 0.01
        and config.strategy.params == {"alpha": 0.5}
        and config.runtime.device == "cpu"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("[optim]\nlrr = 1\n", "config.optim: unknown key(s) lrr"),
        ("[optim]\nepochs = 'ten'\n", "config.optim.epochs: expected int"),
        ("optim = 3\n", "config.optim: expected a table"),
        ("[optim\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RunConfig.from_toml(text)
