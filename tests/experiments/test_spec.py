"""The experiment spec round-trips TOML, rejects wrong keys with one line, and expands into cells with
stable folder names."""

import re

import pytest

from core.config import ConfigError
from core.experiments.grid import expand, ordered
from core.experiments.spec import ExperimentSpec
from tests.experiments.tiny import tiny_spec

SPEC = """
name = "sweep"
seeds = [0, 1]

[[datasets]]
name = "vec"
demo = "vectors"
samples = 40
set = { optim.epochs = 2 }

[[datasets]]
name = "mine"
path = "data/mine"

[[strategies]]
name = "joint"

[[strategies]]
name = "ogm-ge"
grid = { alpha = [0.1, 0.5] }

[grid]
optim.lr = [0.001, 0.0003]

[protocol.runtime]
device = "cpu"
"""


def test_a_spec_round_trips_toml(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    spec = ExperimentSpec.load(path)
    assert spec.grid == {"optim.lr": [0.001, 0.0003]}  # unquoted dotted keys read as config keys
    assert spec.datasets[0].set == {"optim.epochs": 2}
    assert spec.datasets[1].path == str(tmp_path / "data" / "mine")  # relative to the spec's folder
    assert spec.protocol.runtime.device == "cpu" and spec.protocol.optim.batch_size == 32  # defaults filled
    again = ExperimentSpec.from_toml(spec.to_toml())
    assert again == spec and again.to_toml() == spec.to_toml()


def test_the_grid_crosses_datasets_strategies_values_and_seeds(tmp_path):
    spec = ExperimentSpec.from_toml(SPEC).resolve_paths(tmp_path)
    cells = expand(spec, tmp_path / "EXP")
    # 2 datasets × (joint + ogm-ge × 2 alphas) × 2 learning rates × 2 seeds
    assert len(cells) == 2 * 3 * 2 * 2
    names = [c.name for c in cells]
    assert len(set(names)) == len(names)
    assert "vec.ogm-ge.optim.lr=0.0003.alpha=0.5.seed1" in names
    assert names == [c.name for c in expand(spec, tmp_path / "EXP")]  # stable
    cell = next(c for c in cells if c.name == "vec.ogm-ge.optim.lr=0.0003.alpha=0.5.seed1")
    assert cell.config.optim.lr == 0.0003 and cell.config.optim.epochs == 2
    assert cell.config.strategy.params == {"alpha": 0.5} and cell.config.runtime.seed == 1
    assert cell.config.data.path == str(tmp_path / "EXP" / "data" / "vec-seed1")
    assert cell.run_dir == tmp_path / "EXP" / "runs" / cell.name
    other = next(c for c in cells if c.dataset == "mine" and c.strategy == "joint")
    assert other.config.data.path == str(tmp_path / "data" / "mine") and other.config.optim.epochs == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('[[strategies]]\nname = "nope"\n', "experiment.strategies[2].name: expected one of"),
        ('[table]\nbaseline = "mcr"\n', "experiment.table.baseline: expected one of joint, ogm-ge"),
        (
            '[[datasets]]\nname = "x"\npath = "a"\ndemo = "vectors"\n',
            "experiment.datasets[2]: expected exactly one",
        ),
        ('[[strategies]]\nname = "joint"\n', "experiment.strategies: expected distinct strategy labels"),
        ("[protocol.optim]\nepochs = 0\n", "experiment.protocol.optim.epochs: expected an integer >= 1"),
        ("[grid]\n", None),
    ],
)
def test_wrong_keys_get_one_line_naming_them(change, message):
    text = SPEC + "\n" + change
    if message is None:
        ExperimentSpec.from_toml(text.replace("[grid]\noptim.lr = [0.001, 0.0003]\n", ""))
        return
    with pytest.raises(ConfigError) as raised:
        ExperimentSpec.from_toml(text)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_strategy_parameter_of_the_wrong_type_names_the_run(tmp_path):
    spec = tiny_spec()
    spec.strategies[1].grid = {"alpha": ["high"]}
    with pytest.raises(
        ConfigError, match=r"run vec\.ogm-ge\.alpha=high\.seed0: strategy 'ogm-ge': parameter 'alpha'"
    ):
        expand(spec, tmp_path)


def test_init_from_starts_each_seed_from_its_own_source_run(tmp_path):
    spec = ExperimentSpec.from_toml(
        SPEC.replace('name = "ogm-ge"\ngrid = { alpha = [0.1, 0.5] }', 'name = "ogm-ge"\ninit_from = "joint"')
    )
    cells = expand(spec, tmp_path / "EXP")
    started = [c for c in cells if c.strategy == "ogm-ge"]
    assert len(started) == 8
    for cell in started:
        source = next(c for c in cells if c.name == cell.after)
        assert (source.strategy, source.dataset, source.seed) == ("joint", cell.dataset, cell.seed)
        assert source.settings == cell.settings
        assert cell.config.model.init_encoders_from == str(source.run_dir / "checkpoints" / "best.pt")
    assert all(not c.after and not c.config.model.init_encoders_from for c in cells if c.strategy == "joint")
    waves = ordered(cells)
    assert [len(w) for w in waves] == [8, 8] and all(c.strategy == "joint" for c in waves[0])


@pytest.mark.parametrize(
    ("init_from", "message"),
    [
        ("ogm-ge", "init_from: expected the label of another strategy (joint), got 'ogm-ge'"),
        ("mcr", "init_from: expected the label of another strategy (joint), got 'mcr'"),
    ],
)
def test_init_from_must_name_another_strategy(init_from, message):
    text = SPEC.replace('name = "ogm-ge"\n', f'name = "ogm-ge"\ninit_from = "{init_from}"\n')
    with pytest.raises(ConfigError, match=re.escape(message)):
        ExperimentSpec.from_toml(text)


def test_init_from_a_strategy_with_its_own_grid_is_refused():
    text = SPEC + '\n[[strategies]]\nname = "mcr"\ninit_from = "ogm-ge"\n'
    with pytest.raises(
        ConfigError, match=r"strategies\[2\]\.init_from: expected a strategy without its own grid"
    ):
        ExperimentSpec.from_toml(text)
