"""Decoding one media file into the fixed-shape array a model consumes: ``preprocess_sample`` hands the
file to its modality kind's own decoder and ``preprocessing_params`` gives that decoder's cache key (see
``core.data.kinds``; the decoders are ``kinds.*_decoder``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.config import DataConfig
from core.data.kinds import get_kind
from core.data.kinds.base import Window


def preprocess_sample(
    kind: str, path: str | Path, config: DataConfig, window: Window | None = None
) -> np.ndarray:
    """Preprocess one file (or folder) of modality ``kind`` with the settings in ``config``, through the
    kind's decoder (see ``core.data.kinds``); kinds a window does not apply to ignore ``window``."""
    return get_kind(kind).decode(Path(path), config, window)


def preprocessing_params(kind: str, config: DataConfig) -> dict[str, Any]:
    """The settings the output of ``preprocess_sample(kind, ...)`` depends on (its cache key)."""
    return get_kind(kind).params(config)
