"""Generate a demo dataset folder (``manifest.csv`` plus media files) for one preset."""

from __future__ import annotations

import csv
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np

from core.demo import audio, video
from core.demo.av_classes import AV_CLASSES
from core.demo.folder import default_demo_dir, staged_folder
from core.demo.plan import balanced_labels, quota_draw, stratified_splits
from core.demo.presets import (
    INFO_LEVELS,
    INFO_MIX,
    RATIO_PRESETS,
    VECTOR_PRESETS,
    check_preset,
    default_samples,
)
from core.demo.vector_presets import vector_samples
from core.demo.vectors import check_unique_ratio

Progress = Callable[[int, int], None]
_POOL_MIN_SAMPLES = 100
_POOL_CHUNK = 8


@dataclass(frozen=True)
class _AVSample:
    index: int
    sample_id: str
    label: int
    video_info: str
    audio_info: str


def generate_demo(
    out: str | Path,
    preset: str = "balanced",
    samples: int | None = None,
    seed: int = 0,
    unique_ratio: float = 1.0,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Path:
    """Write a demo dataset of ``samples`` samples (default: the preset's own count) for ``preset`` into
    folder ``out``; return ``out``.

    The same ``seed`` gives the same manifest and byte-identical WAV and NPY files. ``unique_ratio``
    (vectors and mcr-synthetic only) is the ratio of samples carrying the label in one modality to
    samples carrying it in both. ``progress(done, total)`` is called as samples are written. ``workers``
    processes render audio-visual media (default: up to 2). ``out`` must be absent, empty or an
    earlier demo (raises ``DemoFolderError`` otherwise); it is replaced only once the new demo is complete.
    """
    check_preset(preset)
    samples = default_samples(preset) if samples is None else samples
    if isinstance(samples, bool) or not isinstance(samples, Integral) or samples < 1:
        raise ValueError(f"samples must be a whole number >= 1, got {samples!r}")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    samples, seed = int(samples), int(seed)
    out = Path(out).expanduser().absolute()
    marker = {"generator": "modalens demo", "preset": preset, "samples": samples, "seed": seed}
    if preset in RATIO_PRESETS:
        check_unique_ratio(unique_ratio)
        marker["unique_ratio"] = unique_ratio
    with staged_folder(out, marker) as staging:
        if preset in VECTOR_PRESETS:
            header, rows = _write_vectors(staging, preset, samples, seed, unique_ratio, progress)
        else:
            header, rows = _write_audio_visual(staging, preset, samples, seed, progress, workers)
        _write_manifest(staging / "manifest.csv", header, rows)
    return out


def ensure_demo(
    path: str | Path | None = None,
    preset: str = "balanced",
    samples: int | None = None,
    progress: Progress | None = None,
) -> Path:
    """Return the demo folder ``path`` (default: ``default_demo_dir(preset)``), generating it first
    (seed 0, ``samples`` samples, default the preset's own count) if it has no ``manifest.csv``."""
    folder = Path(path).expanduser() if path is not None else default_demo_dir(preset)
    if (folder / "manifest.csv").is_file():
        return folder
    return generate_demo(folder, preset=preset, samples=samples, progress=progress)


def _write_audio_visual(
    root: Path, preset: str, n: int, seed: int, progress: Progress | None, workers: int | None
) -> tuple[list[str], list[list[str]]]:
    rng = np.random.default_rng([seed, 0])
    labels = balanced_labels(n, len(AV_CLASSES), rng)
    splits = stratified_splits(labels, rng)
    mix = INFO_MIX[preset]
    video_info = quota_draw(n, INFO_LEVELS, mix["video"], rng)
    audio_info = quota_draw(n, INFO_LEVELS, mix["audio"], rng)
    ids = _sample_ids(n)
    tasks = [_AVSample(i, ids[i], int(labels[i]), str(video_info[i]), str(audio_info[i])) for i in range(n)]
    (root / "video").mkdir()
    (root / "audio").mkdir()
    jobs = [(str(root), seed, task) for task in tasks]
    for done, _ in enumerate(_run_jobs(jobs, workers), start=1):
        if progress is not None:
            progress(done, n)
    header = ["id", "label", "split", "video", "audio", "video_info", "audio_info"]
    rows = [
        [
            t.sample_id,
            AV_CLASSES[t.label].name,
            splits[t.index],
            f"video/{t.sample_id}.mp4",
            f"audio/{t.sample_id}.wav",
            t.video_info,
            t.audio_info,
        ]
        for t in tasks
    ]
    return header, rows


def _run_jobs(jobs: list[tuple[str, int, _AVSample]], workers: int | None) -> Iterable[int]:
    count = min(2, os.cpu_count() or 1) if workers is None else workers
    if count <= 1 or len(jobs) < _POOL_MIN_SAMPLES:
        return map(_write_av_sample, jobs)
    return _pooled(jobs, count)


def _pooled(jobs: list[tuple[str, int, _AVSample]], count: int) -> Iterator[int]:
    # "spawn": forking a process that runs Qt or torch threads (the app) can deadlock the children.
    context = multiprocessing.get_context("spawn")
    with context.Pool(count, initializer=_quiet_opencv) as pool:
        yield from pool.imap_unordered(_write_av_sample, jobs, chunksize=_POOL_CHUNK)


def _quiet_opencv() -> None:
    import cv2

    cv2.setNumThreads(1)


def _write_av_sample(job: tuple[str, int, _AVSample]) -> int:
    root, seed, task = job
    cls = AV_CLASSES[task.label]
    frames = video.render_clip(cls, task.video_info, np.random.default_rng([seed, 3, task.index, 0]))
    video.write_mp4(Path(root) / "video" / f"{task.sample_id}.mp4", frames)
    sound = audio.synth_sound(cls, task.audio_info, np.random.default_rng([seed, 3, task.index, 1]))
    audio.write_wav(Path(root) / "audio" / f"{task.sample_id}.wav", sound)
    return task.index


def _write_vectors(
    root: Path, preset: str, n: int, seed: int, unique_ratio: float, progress: Progress | None
) -> tuple[list[str], list[list[str]]]:
    drawn = vector_samples(preset, n, seed, unique_ratio)
    ids = _sample_ids(n)
    modalities = list(drawn.features)
    for m in modalities:
        (root / m).mkdir()
    for i, sample_id in enumerate(ids):
        for m in modalities:
            np.save(root / m / f"{sample_id}.npy", drawn.features[m][i])
        if progress is not None:
            progress(i + 1, n)
    header = ["id", "label", "split", *modalities, *drawn.metadata]
    rows = [
        [
            sample_id,
            f"class{drawn.labels[i]}",
            str(drawn.splits[i]),
            *(f"{m}/{sample_id}.npy" for m in modalities),
            *(str(column[i]) for column in drawn.metadata.values()),
        ]
        for i, sample_id in enumerate(ids)
    ]
    return header, rows


def _sample_ids(n: int) -> list[str]:
    width = max(4, len(str(n - 1)))
    return [f"s{i:0{width}d}" for i in range(n)]


def _write_manifest(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
