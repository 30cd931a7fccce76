"""The data of a grid, made before any run starts: each demo dataset generated once per seed under
``EXP/data/`` (kept when already there), and each dataset's decode cache filled once, so that runs in
parallel never decode the same files at the same time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.experiments.grid import Cell, data_folder
from core.experiments.spec import ExperimentSpec


def make_data(spec: ExperimentSpec, exp: Path, cells: list[Cell], log: Callable[[str], None]) -> None:
    """Generate the missing demos, then fill the decode cache of every (folder, data settings) pair."""
    from core.data.prepare import prepare_dataset
    from core.demo import default_samples, generate_demo
    from core.demo.folder import MARKER
    from core.demo.presets import RATIO_PRESETS

    for dataset in (d for d in spec.datasets if d.demo):
        for seed in spec.seeds:
            folder = data_folder(exp, dataset, seed)
            extra: dict[str, Any] = {"unique_ratio": dataset.unique_ratio} if dataset.demo in RATIO_PRESETS else {}
            samples = dataset.samples or default_samples(dataset.demo)
            if _is_same_demo(folder / MARKER, dataset.demo, samples, seed, extra):
                continue
            log(f"generating the {dataset.demo} demo for seed {seed} -> {folder}")
            generate_demo(folder, dataset.demo, samples, seed, **extra)
    prepared: set[str] = set()
    for cell in cells:
        key = json.dumps(cell.config.to_dict()["data"], sort_keys=True)
        if key not in prepared:
            prepared.add(key)
            prepare_dataset(cell.config.data, log=log)


def _is_same_demo(marker: Path, preset: str, samples: int, seed: int, extra: dict) -> bool:
    """True when ``marker`` records a finished demo of these settings."""
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    wanted = {"preset": preset, "samples": samples, "seed": seed, **extra}
    return isinstance(found, dict) and all(found.get(k) == v for k, v in wanted.items())
