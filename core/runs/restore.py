"""A trained run read back from one of its checkpoints: its config, and its model with the weights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from core.config import RunConfig
from core.data.tensors import PreparedData
from core.models.multimodal import MultimodalModel, build_model_for_data
from core.strategies.base import prepare_model
from core.training.checkpoint import load_checkpoint, load_model_state


@dataclass
class SavedRun:
    """A checkpoint read (``state``), the config the run was trained with, and where it came from."""

    source: Path
    """The checkpoint file, or the run folder that stands for its last checkpoint."""
    state: dict[str, Any]
    config: RunConfig

    @property
    def epoch(self) -> int:
        """The last epoch the checkpoint's weights trained."""
        return int(self.state["next_epoch"]) - 1


def open_checkpoint(
    checkpoint: str | Path, data_path: str | Path | None = None, recipe: str | None = None, trusted: bool = False
) -> SavedRun:
    """Read ``checkpoint`` (a file, or a run folder: its last checkpoint) and its run's config; the dataset
    is read from ``data_path`` and with ``recipe`` when given. ``trusted`` reads old full-pickle files."""
    source = Path(checkpoint)
    state = load_checkpoint(source, trusted=trusted)
    config = RunConfig.from_toml(state["config_toml"], f"{source} (config)")
    if data_path is not None:
        config.data.path = str(data_path)
    if recipe:
        config.data = config.data.with_recipe(recipe)
    return SavedRun(source, state, config)


def restore_model(run: SavedRun, data: PreparedData, device: torch.device) -> MultimodalModel:
    """The run's model for ``data`` on ``device``, in the form its strategy trained it, with the weights."""
    model = build_model_for_data(data, run.config.model).to(device)
    prepare_model(run.config.strategy.name, run.config.strategy.params, model)
    load_model_state(model, run.state["model"], run.source)
    return model
