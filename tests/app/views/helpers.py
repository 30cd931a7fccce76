"""Hand-built sessions, valuations and media files for the view tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import soundfile

from app.session import Session
from app.state.samples import SampleSet
from core.data.samples import Samples
from core.valuation.result import ValuationResult, coalition_members

MODALITIES = ["audio", "video"]


def make_dataset(n: int = 12, root: Path = Path("."), modalities: list[str] | None = None,
                 kinds: dict[str, str] | None = None, seed: int = 0) -> SampleSet:
    """``n`` samples with ids s0.., labels cycling over 3 classes, splits train/val/test, a metadata column."""
    modalities = list(modalities or MODALITIES)
    kinds = kinds or {m: m if m in ("audio", "video") else "vector" for m in modalities}
    extension = {"audio": "wav", "video": "mp4", "vector": "npy", "image": "png", "flow": "mp4"}
    return SampleSet(
        root=root,
        samples=Samples(
            ids=np.array([f"s{i}" for i in range(n)], dtype=object),
            rows=np.arange(2, n + 2),
            labels=np.arange(n, dtype=np.int64) % 3,
            class_names=["cat", "dog", "bird"],
            splits=np.array([("train", "train", "val", "test")[i % 4] for i in range(n)], dtype=object),
            modalities=modalities,
            modality_kinds=kinds,
            media={m: np.array([f"{m}/{i}.{extension[kinds[m]]}" for i in range(n)], dtype=object) for m in modalities},
            metadata={"speaker": np.array([f"spk{i % 5}" for i in range(n)], dtype=object),
                      "snr": np.array([str(10 - i) for i in range(n)], dtype=object)},
        ),
    )


def make_result(epoch: int, split: str, index: np.ndarray, phi: np.ndarray, labels: np.ndarray,
                prediction: np.ndarray | None = None, value_fn: str = "benefit",
                modalities: list[str] | None = None) -> ValuationResult:
    """A valuation whose coalition values are consistent with ``phi`` for two modalities (v(∅)=0)."""
    modalities = list(modalities or MODALITIES)
    index = np.asarray(index, np.int64)
    phi = np.asarray(phi, np.float32)
    prediction = labels[index] if prediction is None else np.asarray(prediction, np.int64)
    members = coalition_members(len(modalities))
    # v(S) = sum of φ over S is additive, so its Shapley values are exactly φ.
    values = (phi[:, None, :] * members[None, :, :]).sum(axis=2).astype(np.float32)
    return ValuationResult(
        epoch=epoch, split=split, value_fn=value_fn, modalities=modalities, sample_index=index, phi=phi,
        coalition_values=values, prediction=prediction, correct=prediction == labels[index],
    )


def session_with(dataset: SampleSet) -> Session:
    session = Session()
    session.set_dataset(dataset)
    return session


def write_video(path: Path, count: int = 10, fps: float = 10.0, size: tuple[int, int] = (48, 32)) -> Path:
    """A clip whose frame i is uniformly grey with level 20 * i (so a decoded frame tells its index)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), f"cannot write {path}"
    for i in range(count):
        writer.write(np.full((size[1], size[0], 3), 20 * i, np.uint8))
    writer.release()
    return path


def frame_number(frame: np.ndarray) -> int:
    return int(round(float(frame.mean()) / 20))


def write_tone(path: Path, seconds: float = 1.0, rate: int = 8000, freq: float = 440.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(rate * seconds)) / rate
    soundfile.write(str(path), (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)
    return path
