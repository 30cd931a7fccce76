"""Model presets: a reference's recipe, encoders and optimiser in one name (``--preset NAME``).

A preset sets ``data`` from its recipe, ``model.kind_encoders`` and ``model.feature_dim``, and the
``optim`` values the reference fixes; everything else keeps its value. docs/recipes.md gives the sources.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from core.config import RunConfig
from core.recipes import RECIPES
from core.registry import Registry

RESNET18_AV = {"audio": "resnet18-audio", "video": "resnet18-video"}


@dataclass(frozen=True)
class Preset:
    """A recipe, encoders per modality kind, a feature width and optimiser settings."""

    name: str
    summary: str
    recipe: str
    kind_encoders: dict[str, str] = field(default_factory=dict)
    feature_dim: int = 512
    optim: dict[str, Any] = field(default_factory=dict)

    def apply(self, config: RunConfig) -> RunConfig:
        """A copy of ``config`` with this preset's settings."""
        out = RunConfig.from_dict(config.to_dict())
        out.data = out.data.with_recipe(self.recipe)
        out.model.kind_encoders = dict(self.kind_encoders)
        out.model.feature_dim = self.feature_dim
        out.optim = dataclasses.replace(out.optim, **self.optim)
        out.preset = self.name
        return out


def _check_recipe(preset: Preset) -> None:
    """Refuse a preset whose recipe does not exist (``UnknownNameError`` naming the known recipes)."""
    RECIPES.get(preset.recipe)


PRESETS: Registry[Preset] = Registry("preset", check=_check_recipe)


# OGM-GE main.py: SGD, lr 1e-3, momentum 0.9, weight decay 1e-4, batch 64, 100 epochs, StepLR(70, 0.1).
_OGM_GE_OPTIM = {
    "optimizer": "sgd",
    "lr": 1e-3,
    "momentum": 0.9,
    "weight_decay": 1e-4,
    "batch_size": 64,
    "epochs": 100,
    "lr_step_epochs": 70,
    "lr_gamma": 0.1,
    "lr_warmup_epochs": 0.0,
}

for _name, _dataset in (
    ("ogm-ge-cremad", "CREMA-D"),
    ("kinetics-fbank", "Kinetics-Sounds"),
    ("vggsound", "VGGSound"),
):
    PRESETS.register(
        Preset(
            _name,
            f"OGM-GE on {_dataset}: ResNet-18 audio + video, SGD",
            _name,
            RESNET18_AV,
            512,
            _OGM_GE_OPTIM,
        )
    )
# MCR configs/AVE/default_config_ave_res.json: Adam, lr 1e-3, weight decay 1e-4, batch 32.
PRESETS.register(
    Preset(
        "ave-mcr",
        "MCR on AVE: ResNet-18 audio + video, Adam",
        "ave-mcr",
        RESNET18_AV,
        512,
        {
            "optimizer": "adam",
            "lr": 1e-3,
            "weight_decay": 1e-4,
            "batch_size": 32,
            "lr_step_epochs": 0,
            "lr_schedule": "constant",
            "lr_warmup_epochs": 0.0,
        },
    )
)
