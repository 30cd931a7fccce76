"""CMU-MOSEI features as BalanceBenchmark reads them: one pickle holding, per split, ``text``, ``audio``
and ``vision`` feature sequences, ``labels`` (sentiment in [-3, 3]) and ``id``. Written out as three
``.npy`` vector modalities in the dataset folder (the one source that writes files)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from core.data.sources.base import SOURCES, ImportLog, Option, Sample, Source

PICKLE_NAME = "mosei_senti_data_noalign.pkl"
SPLITS = {"train": "train", "valid": "val", "val": "val", "test": "test"}
MODALITIES = ("text", "audio", "vision")
FEATURES_DIR = "features"
MAX_GROWTH = 4
"""An import writes at most this many times the pickle's size (float32 from float16 doubles it, a bare
sequence is written once) plus :data:`GROWTH_SLACK`; more means arrays shared between samples."""
GROWTH_SLACK = 8 * 2**20
NPY_HEADER = 128

# Everything a pickle of numpy arrays inside plain containers needs; nothing that can run code.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
    ("collections", "OrderedDict"),
}


class RefusedPickle(pickle.UnpicklingError):
    """The pickle names something other than numpy arrays and plain containers."""


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise RefusedPickle(
            f"refuses to load {module}.{name}: the pickle may only hold numpy arrays and plain containers"
        )


def load_arrays_pickle(path: Path) -> Any:
    """Unpickle ``path`` admitting only numpy arrays, numbers, strings and containers; else ``ValueError``."""
    try:
        with path.open("rb") as handle:
            return _ArraysOnly(handle, encoding="latin1").load()
    except RefusedPickle as exc:
        raise ValueError(f"{path}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a readable pickle ({exc})") from None


@SOURCES.register
class Mosei(Source):
    name = "mosei"
    summary = "CMU-MOSEI features (BalanceBenchmark's pickle): text, audio, vision vectors, binary sentiment"
    layout = (
        f"ROOT/{PICKLE_NAME} (or ROOT = the pickle file): splits train/valid/test holding "
        "vision, text, audio, labels, id"
    )
    options = (
        Option(
            "--pool",
            "mean: average each sequence over its non-padding time steps (text 300, audio 74, vision 35 "
            "values); none: keep the whole [time, feature] sequence, flattened",
            str,
            "mean",
            "MODE",
            choices=("mean", "none"),
        ),
        Option(
            "--drop-neutral",
            "leave out samples labelled exactly 0 (BalanceBenchmark counts them positive)",
            switch=True,
        ),
    )

    def scan(self, root: Path, out: Path, options: dict[str, Any], log: ImportLog) -> list[Sample]:
        path = root if root.is_file() else root / PICKLE_NAME
        if not path.is_file():
            candidates = sorted(root.glob("*.pkl")) if root.is_dir() else []
            if len(candidates) != 1:
                raise ValueError(f"{root}: no {PICKLE_NAME} (expected {self.layout})")
            path = candidates[0]
        data = load_arrays_pickle(path)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a dict of splits, got {type(data).__name__}")
        check_output_size(path, data, options["pool"])
        samples: list[Sample] = []
        for key, split in SPLITS.items():
            if key not in data:
                continue
            part = data[key]
            missing = [k for k in (*MODALITIES, "labels") if k not in part]
            if missing:
                raise ValueError(f"{path}: split {key!r} lacks {', '.join(missing)}")
            samples += _write_split(part, key, split, out, options, log)
        if not any(key in data for key in SPLITS):
            raise ValueError(
                f"{path}: no train/valid/test split in the pickle (keys: {', '.join(map(str, data))})"
            )
        return samples


def check_output_size(path: Path, data: dict, pool: str) -> None:
    """Refuse (``ValueError``, one line) a pickle whose features, written out, would exceed what its size
    can hold: a crafted file referencing one array from every sample would write it once per sample."""
    limit = MAX_GROWTH * path.stat().st_size + GROWTH_SLACK
    total = 0
    for key in SPLITS:
        part = data.get(key)
        if not isinstance(part, dict) or "labels" not in part:
            continue
        for modality in MODALITIES:
            sequences = part.get(modality, ())
            for index in range(min(len(part["labels"]), len(sequences))):
                shape = np.shape(sequences[index])
                kept = shape[1:] if pool == "mean" and len(shape) >= 2 else shape
                total += 4 * int(np.prod(kept, dtype=np.int64)) + NPY_HEADER
                if total > limit:
                    raise ValueError(
                        f"{path}: the import would write more than {_megabytes(limit)} of features, over "
                        f"{MAX_GROWTH} times what the pickle holds ({_megabytes(path.stat().st_size)}): its "
                        "samples share arrays; refused"
                    )


def _megabytes(count: int) -> str:
    return f"{count / 2**20:.1f} MB"


def binary_label(value: float) -> str:
    """BalanceBenchmark's acc2 classes: ``negative`` for a sentiment below 0, else ``positive``."""
    return "negative" if value < 0 else "positive"


def pool_sequence(sequence: np.ndarray, mode: str) -> np.ndarray:
    """``mean``: the average over time steps that are not all zero (padding); ``none``: unchanged."""
    if mode == "none" or sequence.ndim < 2:
        return sequence
    steps = sequence.reshape(sequence.shape[0], -1)
    used = np.abs(steps).sum(axis=1) > 0
    return (steps[used] if used.any() else steps).mean(axis=0)


def _write_split(part: dict, key: str, split: str, out: Path, options: dict[str, Any], log: ImportLog):
    labels = np.asarray(part["labels"], dtype=np.float64).reshape(len(part["labels"]), -1)[:, 0]
    ids = part.get("id")
    log.count(f"samples in split {key!r}", len(labels))
    samples = []
    for index, value in enumerate(labels):
        sample_id = f"{split}-{index:05d}"
        if not np.isfinite(value):
            log.skip("label is not a number", sample_id)
            continue
        if options["drop_neutral"] and value == 0:
            log.skip("neutral label (0) left out by --drop-neutral", sample_id)
            continue
        media = {}
        for modality in MODALITIES:
            features = np.asarray(part[modality][index], dtype=np.float32).copy()
            features[np.isneginf(features)] = 0.0  # as BalanceBenchmark does for the audio features
            relative = f"{FEATURES_DIR}/{modality}/{split}-{index:05d}.npy"
            (out / relative).parent.mkdir(parents=True, exist_ok=True)
            np.save(out / relative, pool_sequence(features, options["pool"]).astype(np.float32))
            media[modality] = relative
        metadata = {"segment": _segment(ids[index]) if ids is not None else "", "sentiment": f"{value:g}"}
        samples.append(Sample(sample_id, binary_label(value), split, media, metadata))
    return samples


def _segment(raw: Any) -> str:
    """The pickle's id of a sample (video id and segment bounds) as one string."""
    parts = np.asarray(raw).ravel().tolist()
    return "_".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in parts)
