"""Named preprocessing recipes: the video and audio settings of one public pipeline each.

``--recipe NAME`` (or ``data.recipe`` in a config) copies a recipe's settings into ``data.video``,
``data.audio``, ``data.augment`` and ``data.window_columns``, where they are stored with the run and can
still be overridden one by one. docs/recipes.md gives the source of every number.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from core.config import AudioConfig, DataConfig, VideoConfig
from core.registry import Registry

DEFAULT_RECIPE = "small"


@dataclass(frozen=True)
class Recipe:
    """A named set of preprocessing settings and the pipeline it reproduces."""

    name: str
    summary: str
    video: VideoConfig = field(default_factory=VideoConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    augment: bool = False
    window_columns: tuple[str, ...] = ()

    def settings(self) -> dict[str, Any]:
        """The ``data`` config keys this recipe sets, as plain values."""
        return {
            "augment": self.augment,
            "window_columns": list(self.window_columns),
            "video": dataclasses.asdict(self.video),
            "audio": dataclasses.asdict(self.audio),
        }


RECIPES: Registry[Recipe] = Registry("recipe")


def _add(recipe: Recipe) -> None:
    RECIPES.register(recipe.name)(recipe)


def apply_recipe(data: DataConfig, name: str) -> DataConfig:
    """``data`` with the recipe ``name``'s settings (the dataset path, cache, modalities and flow settings
    are kept)."""
    recipe = RECIPES.get(name)
    return DataConfig(
        path=data.path,
        cache_dir=data.cache_dir,
        modalities=list(data.modalities),
        recipe=name,
        augment=recipe.augment,
        window_columns=list(recipe.window_columns),
        video=dataclasses.replace(recipe.video),
        audio=dataclasses.replace(recipe.audio),
        flow=dataclasses.replace(data.flow),
    )


_IMAGENET_FRAMES = {"height": 224, "width": 224, "normalize": "imagenet"}

_add(Recipe(DEFAULT_RECIPE, "small frames and spectrograms, fast on a CPU (the defaults; no augmentation)"))
_add(
    Recipe(
        "ogm-ge-cremad",
        "OGM-GE's CREMA-D loader: 22,050 Hz, 3 s, log|STFT| 512/353 → 257 × 188; 1 frame (set 3) at 224²",
        video=VideoConfig(frames=1, **_IMAGENET_FRAMES),
        audio=AudioConfig(
            sample_rate=22050, duration_s=3.0, n_fft=512, hop_length=353, log_offset=1e-7, clip=True
        ),
        augment=True,
    )
)
_add(
    Recipe(
        "kinetics-fbank",
        "OGM-GE's Kinetics-Sounds audio: Kaldi log-mel fbank, 128 bins × 1,024 frames, normalised; 3 frames",
        video=VideoConfig(frames=3, **_IMAGENET_FRAMES),
        audio=AudioConfig(
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
_add(
    Recipe(
        "vggsound",
        "OGM-GE's VGGSound loader: 16 kHz, 10 s, 5 s crop, log|STFT| 256/128 → 129 × 626; 3 frames",
        video=VideoConfig(frames=3, **_IMAGENET_FRAMES),
        audio=AudioConfig(
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
_add(
    Recipe(
        "ave-mcr",
        "MCR's AVE preprocessing: event window, 16 kHz, 10 s, log periodogram 512/353 → 257 × 1004; 4 frames",
        video=VideoConfig(frames=4, **_IMAGENET_FRAMES),
        audio=AudioConfig(
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
