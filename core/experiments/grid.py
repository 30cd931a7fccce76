"""Expanding a spec into cells: one run per dataset × strategy × parameter values × seed, each with a
stable folder name under ``EXP/runs/`` and the whole config it trains with."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from core.config import ConfigError, RunConfig
from core.experiments.spec import DatasetSpec, ExperimentSpec
from core.run_files.layout import BEST_CHECKPOINT

RUNS_DIR = "runs"
DATA_DIR = "data"
PARAM_PREFIX = "strategy.params."
UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]+")


@dataclass(frozen=True)
class Cell:
    """One run of the grid."""

    dataset: str
    strategy: str
    """The strategy's label."""
    settings: tuple[tuple[str, Any], ...]
    """The grid's values of this run, (dotted key, value) sorted by key; strategy parameters as
    ``strategy.params.<name>``."""
    seed: int
    run_dir: Path
    config: RunConfig = field(compare=False, hash=False)
    after: str = ""
    """The run this one starts its encoders from (``init_from``), which must finish first."""

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def group(self) -> tuple[str, str, str]:
        """The cell of the table this run is one seed of: (dataset, strategy, settings text)."""
        return self.dataset, self.strategy, settings_text(self.settings)


def settings_text(settings: tuple[tuple[str, Any], ...]) -> str:
    """``lr=0.001, alpha=0.5`` (strategy parameters without their prefix); "" for none."""
    return ", ".join(f"{short_key(k)}={format_value(v)}" for k, v in settings)


def short_key(key: str) -> str:
    return key.removeprefix(PARAM_PREFIX)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str | int):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def folder_name(dataset: str, strategy: str, settings: tuple[tuple[str, Any], ...], seed: int) -> str:
    """``<dataset>.<strategy>[.<key>=<value>...].seed<s>``: the same spec always gives the same names."""
    parts = [dataset, strategy, *(f"{short_key(k)}={format_value(v)}" for k, v in settings), f"seed{seed}"]
    return ".".join(UNSAFE.sub("-", part) for part in parts)


def data_folder(exp: Path, dataset: DatasetSpec, seed: int) -> Path:
    """Where a run of ``dataset`` with ``seed`` reads its data: the given folder, or the seed's demo."""
    return Path(dataset.path) if dataset.path else exp / DATA_DIR / f"{dataset.name}-seed{seed}"


def expand(spec: ExperimentSpec, exp: str | Path) -> list[Cell]:
    """Every run of ``spec`` under the experiment folder ``exp``, in spec order (datasets, strategies,
    grid values, strategy grid values, seeds); ``ConfigError`` names the first run whose config is wrong."""
    from core.strategies import STRATEGIES
    from core.strategies.base import build_params

    exp = Path(exp).absolute()
    cells: list[Cell] = []
    for dataset in spec.datasets:
        base = with_values(spec.protocol, dataset.set, f"datasets {dataset.name!r} set")
        for strategy in spec.strategies:
            params = {**strategy.params, **dataset.strategy_params.get(strategy.key, {})}
            for shared in _combinations(spec.grid):
                for own in _combinations(strategy.grid):
                    settings = tuple(
                        sorted([*shared.items(), *((PARAM_PREFIX + k, v) for k, v in own.items())])
                    )
                    for seed in spec.seeds:
                        name = folder_name(dataset.name, strategy.key, settings, seed)
                        config = with_values(base, shared, name)
                        config.data.path = str(data_folder(exp, dataset, seed))
                        config.strategy.name = strategy.name
                        config.strategy.params = {**params, **own}
                        config.runtime.seed = seed
                        try:
                            build_params(STRATEGIES.get(strategy.name), config.strategy.params)
                        except ValueError as exc:
                            raise ConfigError(f"run {name}: {exc}") from None
                        cells.append(
                            Cell(dataset.name, strategy.key, settings, seed, exp / RUNS_DIR / name, config)
                        )
    cells = [_linked(cell, cells, spec) for cell in cells]
    names = [cell.name for cell in cells]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ConfigError(f"runs {', '.join(clashes[:3])}: two grid values give the same folder name")
    return cells


def _linked(cell: Cell, cells: list[Cell], spec: ExperimentSpec) -> Cell:
    """``cell`` starting from its ``init_from`` strategy's run of the same dataset, grid values and seed."""
    origin = next(s for s in spec.strategies if s.key == cell.strategy).init_from
    if not origin:
        return cell
    shared = tuple((k, v) for k, v in cell.settings if not k.startswith(PARAM_PREFIX))
    source = next(
        c
        for c in cells
        if (c.dataset, c.strategy, c.settings, c.seed) == (cell.dataset, origin, shared, cell.seed)
    )
    cell.config.model.init_encoders_from = str(source.run_dir / BEST_CHECKPOINT)
    return replace(cell, after=source.name)


def ordered(cells: list[Cell]) -> list[list[Cell]]:
    """``cells`` in waves that can run in any order inside: runs others start from come first."""
    first = [cell for cell in cells if not cell.after]
    return [wave for wave in (first, [cell for cell in cells if cell.after]) if wave]


def with_values(config: RunConfig, values: dict[str, Any], where: str) -> RunConfig:
    """A copy of ``config`` with dotted keys set to typed values (as ``--set KEY=VALUE`` would)."""
    assignments = [
        f"{key}={tomli_w.dumps({'v': value}).partition('=')[2].strip()}" for key, value in values.items()
    ]
    try:
        return RunConfig.from_dict(config.to_dict()).with_overrides(assignments)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _combinations(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every choice of one value per key (one empty choice for an empty grid)."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]
