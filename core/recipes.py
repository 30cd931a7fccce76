"""Named preprocessing recipes: the video and audio settings of one public pipeline each.

``--recipe NAME`` (or ``data.recipe`` in a config) copies a recipe's settings into ``data.video``,
``data.audio``, ``data.augment`` and ``data.window_columns``, where they are stored with the run and can
still be overridden one by one. docs/recipes.md gives the source of every number.

A recipe holds plain values (the ``data.video`` and ``data.audio`` keys it sets; the others keep their
defaults), so ``core.config`` fills a data table from its recipe without this module importing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.registry import Registry

DEFAULT_RECIPE = "small"


@dataclass(frozen=True)
class Recipe:
    """A named set of preprocessing settings and the pipeline it reproduces."""

    name: str
    summary: str
    video: Mapping[str, Any] = field(default_factory=dict)
    """The ``data.video`` keys this recipe sets (the others keep their defaults)."""
    audio: Mapping[str, Any] = field(default_factory=dict)
    """The ``data.audio`` keys this recipe sets (the others keep their defaults)."""
    augment: bool = False
    window_columns: tuple[str, ...] = ()

    def settings(self) -> dict[str, Any]:
        """The ``data`` config keys this recipe sets, as fresh plain values."""
        return {
            "augment": self.augment,
            "window_columns": list(self.window_columns),
            "video": dict(self.video),
            "audio": dict(self.audio),
        }


RECIPES: Registry[Recipe] = Registry("recipe")


def under_recipe(table: Mapping[str, Any]) -> dict[str, Any]:
    """A ``data`` table on top of the settings of the recipe it names: the keys it leaves out (and the
    keys of ``video`` / ``audio`` it leaves out) take the recipe's values."""
    merged = dict(table)
    for key, value in RECIPES.get(table["recipe"]).settings().items():
        given = table.get(key)
        if isinstance(value, dict) and isinstance(given, dict):
            merged[key] = {**value, **given}
        elif key not in table:
            merged[key] = value
    return merged


_IMAGENET_FRAMES = {"height": 224, "width": 224, "normalize": "imagenet"}

RECIPES.register(Recipe(DEFAULT_RECIPE, "small frames and spectrograms, fast on a CPU (the defaults; no augmentation)"))
RECIPES.register(
    Recipe(
        "ogm-ge-cremad",
        "OGM-GE's CREMA-D loader: 22,050 Hz, 3 s, log|STFT| 512/353 → 257 × 188; 1 frame (set 3) at 224²",
        video={"frames": 1, **_IMAGENET_FRAMES},
        audio=dict(
            sample_rate=22050, duration_s=3.0, n_fft=512, hop_length=353, log_offset=1e-7, clip=True
        ),
        augment=True,
    )
)
RECIPES.register(
    Recipe(
        "kinetics-fbank",
        "OGM-GE's Kinetics-Sounds audio: Kaldi log-mel fbank, 128 bins × 1,024 frames, normalised; 3 frames",
        video={"frames": 3, **_IMAGENET_FRAMES},
        audio=dict(
            sample_rate=16000,
            duration_s=10.255,  # 400 + 1023 · 160 samples: exactly the 1,024 frames kept
            n_fft=400,
            hop_length=160,
            transform="fbank",
            tile=False,
            remove_mean=True,
            n_mels=128,
            frames=1024,
            norm_mean=-4.503877,
            norm_scale=2 * 5.141276,
        ),
        augment=True,
    )
)
RECIPES.register(
    Recipe(
        "vggsound",
        "OGM-GE's VGGSound loader: 16 kHz, 10 s, 5 s crop, log|STFT| 256/128 → 129 × 626; 3 frames",
        video={"frames": 3, **_IMAGENET_FRAMES},
        audio=dict(
            sample_rate=16000,
            duration_s=10.0,
            n_fft=256,
            hop_length=128,
            log_offset=1e-7,
            clip=True,
            crop_s=5.0,
        ),
        augment=True,
    )
)
RECIPES.register(
    Recipe(
        "ave-mcr",
        "MCR's AVE preprocessing: event window, 16 kHz, 10 s, log periodogram 512/353 → 257 × 1004; 4 frames",
        video={"frames": 4, **_IMAGENET_FRAMES},
        audio=dict(
            sample_rate=16000,
            duration_s=10.0,
            n_fft=512,
            hop_length=512 - 353,
            log_offset=1e-7,
            transform="spectrogram",
            clip=True,
        ),
        augment=True,
        window_columns=("start_s", "end_s"),
    )
)
