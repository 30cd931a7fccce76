"""``vector``: a feature vector stored in a ``.npy`` file, ``float32 [D]`` (no window applies)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.config import DataConfig
from core.data.kinds.base import KINDS, Kind, Window


def _decode(path: Path, config: DataConfig, window: Window | None) -> np.ndarray:
    from core.data.media import load_vector  # imported here: only decoding needs the media libraries

    return load_vector(path)


def _params(config: DataConfig) -> dict[str, Any]:
    return {}


VECTOR = KINDS.register(
    Kind(
        name="vector",
        summary="feature vector in a .npy file, float32 [D]",
        decode=_decode,
        params=_params,
        default_encoder="mlp",
        player="vector",
        priority=30,
        extensions=(".npy",),
    )
)
