"""``flow``: optical flow, ``float32 [T, 2, H, W]``: per sampled time step the displacement (u, v) in
pixels per frame of the source, T = ``data.video.frames``, resized to ``data.video.height × width``
(the values are not rescaled with the image).

A cell names either a video file, whose flow is computed with OpenCV's Farneback method between
each of T evenly spaced frames and the frame after it (at the video's own resolution, clipped to
±``data.flow.bound``), or a folder of flow images as the extraction tools write them, read back by
mapping 0..255 linearly onto -bound..+bound:

- ``<clip>/flow_x_00001.jpg`` + ``<clip>/flow_y_00001.jpg`` (denseflow, TSN, mmaction), or
- ``<root>/u/<clip>/frame000001.jpg`` + ``<root>/v/<clip>/frame000001.jpg`` (the cell names the ``u``
  folder; the ``v`` one beside it is found by name).

T flow images are taken evenly spaced over the pairs found. A folder ignores a window; a video's flow
is taken from the window's frames. The decoding is in ``core.data.kinds.flow_decoder``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.config import DataConfig
from core.data.kinds.base import KINDS, Kind, Window, with_windows
from core.data.kinds.flow_layout import flow_folders


def _decode(path: Path, config: DataConfig, window: Window | None) -> np.ndarray:
    from core.data.kinds.flow_decoder import decode_flow  # imported here: only decoding needs OpenCV

    return decode_flow(path, config, window)


def flow_params(config: DataConfig) -> dict[str, Any]:
    """The frame count and size, the bound, and the window columns when set."""
    video = config.video
    params = {"frames": video.frames, "height": video.height, "width": video.width}
    return with_windows({**params, "bound": config.flow.bound}, config)


FLOW = KINDS.register(
    Kind(
        name="flow",
        summary="optical flow (u, v) from a video (Farneback) or flow-image folder, float32 [T, 2, H, W]",
        decode=_decode,
        params=flow_params,
        default_encoder="flow-cnn",
        player="image",
        priority=50,
        also_reads=("video",),
        folder_parts=flow_folders,
    )
)
