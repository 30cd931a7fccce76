"""Optical flow for the ``flow`` kind: Farneback flow of video frames, and flow images read back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.config import DataConfig
from core.data.kinds.base import Window
from core.data.kinds.flow_layout import flow_folders, is_uv_folder
from core.data.kinds.image_decoder import read_image
from core.data.kinds.video_decoder import window_span
from core.data.media import MediaError, VideoClip, frame_positions

FLOW_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# calcOpticalFlowFarneback(pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags)
FARNEBACK = (0.5, 3, 15, 3, 5, 1.2, 0)
_XY_NAME = re.compile(r"flow_([xy])_(\w+)")


def decode_flow(path: Path, config: DataConfig, window: Window | None = None) -> np.ndarray:
    """The flow of a video file (computed) or a flow folder (read back); see ``core.data.kinds.flow``."""
    return flow_from_folder(path, config) if path.is_dir() else flow_from_video(path, config, window)


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
