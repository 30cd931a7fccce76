"""What ``modalens train`` checks before it creates a run folder: the strategy and its parameters, the
registered names in the config, the device, the dataset's manifest and, on resume, that epochs are left.

Each check raises ``ValueError`` with one line for the user; nothing here decodes media or writes files.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.data.manifest import MANIFEST_NAME, REQUIRED_COLUMNS
from core.text import plural


def check_run(config: RunConfig, out: Path, checkpoint: dict[str, Any] | None, resume: str | None) -> None:
    """Raise ``ValueError`` for the first argument or configuration error of a run writing to ``out``."""
    check_names(config)
    columns = check_dataset(config.data.path, config.data.modalities)
    unknown = sorted(set(config.model.encoders) - set(columns))
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise ValueError(f"model.encoders: {names} is no column of {config.data.path}'s manifest")
    if checkpoint is not None:
        check_epochs_left(config, checkpoint, resume or "")
    elif config.model.init_encoders_from and not Path(config.model.init_encoders_from).exists():
        raise ValueError(f"model.init_encoders_from: {config.model.init_encoders_from}: no such checkpoint")
    elif config.model.pretrained and not config.model.init_encoders_from:
        check_pretrained(config.model.pretrained)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: is a file, not a folder")


def check_names(config: RunConfig) -> None:
    """Strategy, parameters, value function, encoders, device and precision name things that exist."""
    from core.models.encoders import ENCODERS
    from core.registry import UnknownNameError
    from core.strategies import STRATEGIES
    from core.strategies.base import build_params
    from core.training.device import resolve_device, resolve_precision
    from core.valuation.value_functions import VALUE_FUNCTIONS

    try:
        strategy = STRATEGIES.get(config.strategy.name)
        VALUE_FUNCTIONS.get(config.valuation.value_fn)
        for name in config.model.encoders.values():
            ENCODERS.get(name)
    except UnknownNameError as exc:
        raise ValueError(str(exc)) from None
    build_params(strategy, config.strategy.params)
    if strategy.uses_valuation and "train" not in config.valuation.splits:
        raise ValueError(
            f"strategy {strategy.name!r} re-samples from the training split's Shapley values, but "
            f"valuation.splits = {list(config.valuation.splits)} leaves 'train' out; add it"
        )
    resolve_precision(config.runtime.precision, resolve_device(config.runtime.device))


def check_pretrained(source: str) -> None:
    """The weights file ``model.pretrained`` names is there (read once the data is prepared)."""
    from core.models.encoders.pretrained import IMAGENET, IMAGENET_URL, weights_path

    path = weights_path(source)
    if not path.is_file():
        hint = f"download {IMAGENET_URL} and put it there" if source == IMAGENET else "check the path"
        raise ValueError(f"model.pretrained = {source!r}: no weights file at {path} ({hint})")


def check_dataset(path: str, modalities: list[str]) -> list[str]:
    """The folder exists and holds a readable ``manifest.csv`` whose header has the required columns and
    the modalities asked for (the rows and media are checked when the run loads them); returns the header."""
    if not path:
        raise ValueError(
            "no dataset: pass --data DIR (a folder holding manifest.csv) or set data.path in --config"
        )
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{root}: dataset folder not found")
    manifest = root / MANIFEST_NAME
    if not manifest.is_file():
        raise ValueError(f"{root}: no {MANIFEST_NAME} in this folder")
    try:
        with manifest.open(encoding="utf-8-sig", newline="") as handle:
            header = [name.strip() for name in next(csv.reader(handle), [])]
    except UnicodeDecodeError:
        raise ValueError(f"{manifest}: not UTF-8 text") from None
    except (OSError, csv.Error) as exc:
        raise ValueError(f"{manifest}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    missing = [name for name in (*REQUIRED_COLUMNS, *modalities) if name not in header]
    if missing:
        names, columns = ", ".join(map(repr, missing)), ", ".join(header) or "empty"
        raise ValueError(f"{manifest}: no column {names} in the header ({columns})")
    return header


def check_epochs_left(config: RunConfig, checkpoint: dict[str, Any], resume: str) -> None:
    """A resumed run must have epochs left to train."""
    done, wanted = int(checkpoint["next_epoch"]), config.optim.epochs
    if wanted <= done:
        state = f"trained {plural(done, 'epoch')}, not {wanted}"
        if wanted == done:
            state = f"finished all its {plural(done, 'epoch')}"
        raise ValueError(
            f"{resume}: this run has already {state}; to continue it, pass --epochs N with N > {done}"
        )
