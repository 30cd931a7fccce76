"""``flow``: optical flow, ``float32 [T, 2, H, W]``: per sampled time step the displacement (u, v) in
pixels per frame of the source, T = ``data.video.frames``, resized to ``data.video.height × width``
(the values are not rescaled with the image).

A cell names either a video file, whose flow is computed here with OpenCV's Farneback method between
each of T evenly spaced frames and the frame after it (at the video's own resolution, clipped to
±``data.flow.bound``), or a folder of flow images as the extraction tools write them, read back by
mapping 0..255 linearly onto -bound..+bound:

- ``<clip>/flow_x_00001.jpg`` + ``<clip>/flow_y_00001.jpg`` (denseflow, TSN, mmaction), or
- ``<root>/u/<clip>/frame000001.jpg`` + ``<root>/v/<clip>/frame000001.jpg`` (the cell names the ``u``
  folder; the ``v`` one beside it is found by name).

T flow images are taken evenly spaced over the pairs found. A folder ignores a window; a video's flow
is taken from the window's frames.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.config import DataConfig
from core.data.kinds.base import Kind, Window, register, with_windows
from core.data.kinds.image import read_image
from core.data.media import MediaError, VideoClip, frame_positions
from core.data.preprocess import window_span

FLOW_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# calcOpticalFlowFarneback(pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags)
FARNEBACK = (0.5, 3, 15, 3, 5, 1.2, 0)
_XY_NAME = re.compile(r"flow_([xy])_(\w+)")


def farneback(previous: np.ndarray, following: np.ndarray) -> np.ndarray:
    """Dense flow from one grey ``uint8 [H, W]`` frame to the next: ``float32 [H, W, 2]`` (u, v) such
    that ``previous[y, x]`` moves to ``following[y + v, x + u]``."""
    return cv2.calcOpticalFlowFarneback(previous, following, None, *FARNEBACK)


def flow_from_video(path: str | Path, config: DataConfig, window: Window | None = None) -> np.ndarray:
    """Farneback flow at T evenly spaced frames of the clip (or of its window): ``float32 [T, 2, H, W]``."""
    video, bound = config.video, config.flow.bound
    with VideoClip(path) as clip:
        if clip.frame_count < 2:
            raise MediaError(path, "optical flow needs at least two frames; the video has one")
        first, end = (0, clip.frame_count) if window is None else window_span(clip, window)
        flows = []
        for position in first + frame_positions(end - first, video.frames):
            start = min(int(position), clip.frame_count - 2)
            grey = [cv2.cvtColor(clip.read(i), cv2.COLOR_RGB2GRAY) for i in (start, start + 1)]
            pair = farneback(*grey)
            flows.append(cv2.resize(pair, (video.width, video.height), interpolation=cv2.INTER_AREA))
    stacked = np.clip(np.stack(flows), -bound, bound)
    return np.ascontiguousarray(stacked.transpose(0, 3, 1, 2), dtype=np.float32)


def is_uv_folder(folder: Path) -> bool:
    """Whether ``folder`` is ``<root>/u/<clip>`` (its v images are in ``<root>/v/<clip>``)."""
    return folder.parent.name.lower() == "u"


def flow_folders(folder: Path) -> tuple[Path, ...]:
    """The folders a flow cell naming ``folder`` reads: itself, and its ``v`` folder for the u/v layout."""
    return (folder, folder.parent.parent / "v" / folder.name) if is_uv_folder(folder) else (folder,)


def flow_image_pairs(folder: str | Path) -> list[tuple[Path, Path]]:
    """The (x, y) flow image files of a flow folder in time order (see the module docstring)."""
    folder = Path(folder)
    if is_uv_folder(folder):
        u_files = _images(folder)
        v_folder = flow_folders(folder)[1]
        pairs = [(u, v_folder / u.name) for u in u_files.values()]
        missing = [v.name for _, v in pairs if not v.is_file()]
        if missing:
            raise MediaError(
                folder, f"{len(missing)} u image(s) have no v image in {v_folder} (first: {missing[0]})"
            )
    else:
        named: dict[str, dict[str, Path]] = {"x": {}, "y": {}}
        for name, path in _images(folder).items():
            match = _XY_NAME.fullmatch(Path(name).stem)
            if match:
                named[match[1]][match[2]] = path
        pairs = [(named["x"][i], named["y"][i]) for i in sorted(named["x"], key=_natural) if i in named["y"]]
    if not pairs:
        raise MediaError(
            folder,
            "no flow images (expected flow_x_00001.jpg + flow_y_00001.jpg, or u/<clip>/ + v/<clip>/ folders)",
        )
    return pairs


def flow_from_folder(folder: str | Path, config: DataConfig) -> np.ndarray:
    """T evenly spaced precomputed flow image pairs mapped back to pixels: ``float32 [T, 2, H, W]``."""
    video, bound = config.video, config.flow.bound
    pairs = flow_image_pairs(folder)
    frames = []
    for index in frame_positions(len(pairs), video.frames):
        frames.append(
            [
                cv2.resize(_read_inside(path), (video.width, video.height), interpolation=cv2.INTER_AREA)
                for path in pairs[index]
            ]
        )
    flow = np.asarray(frames, dtype=np.float32) * np.float32(2 * bound / 255) - np.float32(bound)
    return np.ascontiguousarray(flow)


def _images(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise MediaError(folder, "flow folder not found")
    files = [p for p in folder.iterdir() if p.suffix.lower() in FLOW_IMAGE_SUFFIXES]
    return {p.name: p for p in sorted(files, key=lambda p: _natural(p.stem))}


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _read_inside(path: Path) -> np.ndarray:
    """The grey image at ``path``, refused when it resolves outside its folder (a symlink elsewhere)."""
    if not path.resolve().is_relative_to(path.parent.resolve()):
        raise MediaError(path, f"the flow image leads outside its folder {path.parent}")
    return read_image(path, cv2.IMREAD_GRAYSCALE)


def _decode(path: Path, config: DataConfig, window: Window | None) -> np.ndarray:
    return flow_from_folder(path, config) if path.is_dir() else flow_from_video(path, config, window)


def flow_params(config: DataConfig) -> dict[str, Any]:
    """The frame count and size, the bound, and the window columns when set."""
    video = config.video
    params = {"frames": video.frames, "height": video.height, "width": video.width}
    return with_windows({**params, "bound": config.flow.bound}, config)


FLOW = register(
    Kind(
        name="flow",
        summary="optical flow (u, v) from a video (Farneback) or flow-image folder, float32 [T, 2, H, W]",
        decode=_decode,
        params=flow_params,
        default_encoder="flow-cnn",
        player="image",
        also_reads=("video",),
        folder_parts=flow_folders,
    )
)
