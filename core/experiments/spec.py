"""An experiment as typed TOML: datasets × strategies × parameter values × seeds under one protocol.

The protocol is a whole :class:`~core.config.RunConfig` (the ``[protocol]`` table; keys left out take
their defaults) that every run starts from; a dataset may change some of its keys (``set``), a grid
crosses config keys (``[grid]``) and a strategy its own parameters (``grid`` of a ``[[strategies]]``
entry). The spec round-trips TOML like ``RunConfig`` and is stored as ``EXP/experiment.toml``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from core.config import MAX_SEED, SPLITS, ConfigError, RunConfig, _build, parse_toml, read_toml_text

SPEC_NAME = "experiment.toml"
EPOCH_RULES = ("best", "last")
"""Which epoch of a run the table reads: the best validation epoch (the last when there is no val
split), or the last epoch."""
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass
class DatasetSpec:
    """One dataset: an existing folder (``path``) or a demo generated once per seed (``demo``)."""

    name: str = ""
    path: str = ""
    demo: str = ""
    """A demo scenario (`modalens demo --scenario`); seed s of the grid trains on the demo generated with seed s."""
    samples: int = 0
    """Samples of the generated demo (0: the generator's default)."""
    unique_ratio: float = 1.0
    """`vectors` and `mcr-synthetic` demos only: samples carrying the label in one modality per sample
    carrying it in both."""
    set: dict[str, Any] = field(default_factory=dict)
    """Protocol keys changed for this dataset, e.g. ``{"optim.epochs" = 16}``."""
    strategy_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Strategy parameters for this dataset only, by strategy label."""


@dataclass
class StrategySpec:
    """One strategy: registered name, parameters, and parameter values to cross (``grid``)."""

    name: str = ""
    label: str = ""
    """The name shown in folders and tables (default: ``name``); tells two entries of one strategy apart."""
    params: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    init_from: str = ""
    """The label of another strategy of the spec: each run starts its encoders from that strategy's run
    of the same dataset, grid values and seed (its best checkpoint), which then runs first."""

    @property
    def key(self) -> str:
        return self.label or self.name


@dataclass
class TableSpec:
    """How ``modalens experiment table`` summarises the runs."""

    baseline: str = ""
    """The strategy label paired differences are taken against (default: the first strategy)."""
    epoch: str = "best"
    phi_split: str = "test"
    """The split whose mean φ, φ gap and tie share are shown."""
    bootstrap: int = 2000
    """Bootstrap replicates of the paired differences."""


@dataclass
class SlurmSpec:
    """Resources of each SLURM task (passed to submitit; empty or 0 leaves the cluster's default)."""

    partition: str = ""
    timeout_min: int = 60
    cpus_per_task: int = 2
    gpus_per_task: int = 0
    mem_gb: int = 0
    array_parallelism: int = 0
    """At most this many tasks of the array at once (0: no limit)."""
    additional: dict[str, Any] = field(default_factory=dict)
    """Further ``#SBATCH`` options, e.g. ``{account = "lab", qos = "normal"}``."""


@dataclass
class ExperimentSpec:
    """The whole experiment."""

    name: str = "experiment"
    seeds: list[int] = field(default_factory=lambda: [0])
    datasets: list[DatasetSpec] = field(default_factory=list)
    strategies: list[StrategySpec] = field(default_factory=list)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    """Config keys crossed over every run, e.g. ``{"optim.lr" = [0.001, 0.0003]}``."""
    table: TableSpec = field(default_factory=TableSpec)
    slurm: SlurmSpec = field(default_factory=SlurmSpec)
    protocol: RunConfig = field(default_factory=RunConfig)

    @property
    def baseline(self) -> str:
        return self.table.baseline or (self.strategies[0].key if self.strategies else "")

    def to_toml(self) -> str:
        return tomli_w.dumps(dataclasses.asdict(self))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_toml(), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "experiment") -> ExperimentSpec:
        """Build and :meth:`validate` a spec; ``ConfigError`` names the first wrong key. Tables under
        ``grid`` and a dataset's ``set`` may be written with dotted keys quoted or not."""
        data = dict(data)
        if isinstance(data.get("grid"), dict):
            data["grid"] = _flatten(data["grid"])
        if isinstance(data.get("datasets"), list):
            data["datasets"] = [
                {**d, "set": _flatten(d["set"])}
                if isinstance(d, dict) and isinstance(d.get("set"), dict)
                else d
                for d in data["datasets"]
            ]
        return _build(cls, data, source).validate(source)

    @classmethod
    def from_toml(cls, text: str, source: str = "experiment") -> ExperimentSpec:
        return cls.from_dict(parse_toml(text, source), source)

    @classmethod
    def load(cls, path: str | Path) -> ExperimentSpec:
        """Read a spec file; relative dataset and protocol paths are taken from the file's folder."""
        path = Path(path)
        text = read_toml_text(path, "experiment spec")
        return cls.from_toml(text, str(path)).resolve_paths(path.resolve().parent)

    def resolve_paths(self, folder: str | Path) -> ExperimentSpec:
        """Make relative dataset and protocol paths absolute, taken from ``folder``; return self."""
        for dataset in self.datasets:
            if dataset.path:
                dataset.path = str(Path(folder, Path(dataset.path).expanduser()).absolute())
        self.protocol.resolve_paths(folder)
        return self

    def validate(self, source: str = "experiment") -> ExperimentSpec:
        """Raise ``ConfigError`` for the first wrong key; return self."""
        from core.demo.presets import DEMO_PRESETS
        from core.strategies import STRATEGIES

        self.protocol.validate(f"{source}.protocol")
        _require(
            NAME_PATTERN.match(self.name), f"{source}.name", "a name of letters, digits, _ . + -", self.name
        )
        _require(self.seeds, f"{source}.seeds", "at least one seed", self.seeds)
        for i, seed in enumerate(self.seeds):
            _require(0 <= seed <= MAX_SEED, f"{source}.seeds[{i}]", f"an integer from 0 to {MAX_SEED}", seed)
        _require(len(set(self.seeds)) == len(self.seeds), f"{source}.seeds", "distinct seeds", self.seeds)
        _require(self.datasets, f"{source}.datasets", "at least one [[datasets]] entry", [])
        _require(self.strategies, f"{source}.strategies", "at least one [[strategies]] entry", [])
        _unique([d.name for d in self.datasets], f"{source}.datasets", "dataset names")
        _unique([s.key for s in self.strategies], f"{source}.strategies", "strategy labels (set `label`)")
        for i, dataset in enumerate(self.datasets):
            where = f"{source}.datasets[{i}]"
            _require(
                NAME_PATTERN.match(dataset.name),
                f"{where}.name",
                "a name of letters, digits, _ . + -",
                dataset.name,
            )
            _require(
                bool(dataset.path) != bool(dataset.demo),
                where,
                "exactly one of `path` and `demo`",
                dataset.path or None,
            )
            _require(
                not dataset.demo or dataset.demo in DEMO_PRESETS,
                f"{where}.demo",
                f"one of {', '.join(DEMO_PRESETS)}",
                dataset.demo,
            )
            _require(
                dataset.samples >= 0, f"{where}.samples", "an integer >= 0 (0: the default)", dataset.samples
            )
            _check_keys(dataset.set, f"{where}.set")
            unknown = sorted(set(dataset.strategy_params) - {s.key for s in self.strategies})
            _require(not unknown, f"{where}.strategy_params", "strategy labels of this spec", unknown)
        for i, strategy in enumerate(self.strategies):
            where = f"{source}.strategies[{i}]"
            _require(
                strategy.name in STRATEGIES.names(),
                f"{where}.name",
                f"one of {', '.join(STRATEGIES.names())}",
                strategy.name,
            )
            _require(
                NAME_PATTERN.match(strategy.key),
                f"{where}.label",
                "a name of letters, digits, _ . + -",
                strategy.key,
            )
            _check_grid(strategy.grid, f"{where}.grid")
        _check_init_from(self.strategies, source)
        _check_keys(self.grid, f"{source}.grid")
        _check_grid(self.grid, f"{source}.grid")
        table = self.table
        keys = [s.key for s in self.strategies]
        _require(
            not table.baseline or table.baseline in keys,
            f"{source}.table.baseline",
            f"one of {', '.join(keys)}",
            table.baseline,
        )
        baseline = next(s for s in self.strategies if s.key == self.baseline)
        _require(
            not baseline.grid, f"{source}.table.baseline", "a strategy without its own grid", baseline.key
        )
        _require(
            table.epoch in EPOCH_RULES,
            f"{source}.table.epoch",
            f"one of {', '.join(EPOCH_RULES)}",
            table.epoch,
        )
        _require(
            table.phi_split in SPLITS,
            f"{source}.table.phi_split",
            f"one of {', '.join(SPLITS)}",
            table.phi_split,
        )
        _require(table.bootstrap >= 100, f"{source}.table.bootstrap", "an integer >= 100", table.bootstrap)
        return self


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"optim": {"lr": x}}`` -> ``{"optim.lr": x}`` (what an unquoted dotted TOML key reads as)."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _require(ok: Any, key: str, expected: str, value: Any) -> None:
    if not ok:
        raise ConfigError(f"{key}: expected {expected}, got {value!r}")


def _check_init_from(strategies: list[StrategySpec], source: str) -> None:
    """``init_from`` names another strategy of the spec that has no grid of its own and starts from scratch."""
    by_key = {s.key: s for s in strategies}
    for i, strategy in enumerate(strategies):
        if not strategy.init_from:
            continue
        where = f"{source}.strategies[{i}].init_from"
        others = [k for k in by_key if k != strategy.key]
        origin = by_key.get(strategy.init_from)
        _require(
            origin is not None and origin is not strategy,
            where,
            f"the label of another strategy ({', '.join(others) or 'none in this spec'})",
            strategy.init_from,
        )
        assert origin is not None
        _require(not origin.grid, where, "a strategy without its own grid", strategy.init_from)
        _require(not origin.init_from, where, "a strategy that starts from scratch", strategy.init_from)


def _unique(names: list[str], key: str, what: str) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    _require(not repeated, key, f"distinct {what}", repeated)


def _check_keys(values: dict[str, Any], key: str) -> None:
    """Keys of config assignments are dotted config keys (``section.key``)."""
    for name in values:
        _require(
            "." in name and not name.startswith("strategy."),
            f"{key}.{name!r}",
            "a dotted config key such as optim.lr (strategy parameters go in [[strategies]])",
            name,
        )


def _check_grid(grid: dict[str, Any], key: str) -> None:
    for name, values in grid.items():
        _require(isinstance(values, list) and values, f"{key}.{name!r}", "a non-empty list of values", values)
