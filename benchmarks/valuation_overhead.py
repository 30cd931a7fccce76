"""Cost of one valuation pass over the training split, relative to plain inference and to brute force.

Prints JSON: for M = 2 (audio + video) and M = 4 (two of each), ``ratio_vs_inference`` (our valuation
÷ one no-grad inference pass over the same samples) and ``ratio_naive_vs_fast`` (re-running the whole
model once per coalition ÷ ours). Demo-sized inputs and encoders, CPU. By default both passes stream
the samples from an on-disk sample store, as training does (``--source memory``: from arrays in RAM).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from core.config import ModelConfig
from core.data.batches import iterate_batches
from core.data.samples import Samples
from core.data.store import FileKey, StoredRows, TensorStore
from core.data.tensors import PreparedData
from core.models.multimodal import build_model_for_data
from core.valuation.valuate import ValuationSettings, brute_force_values, value_samples

SHAPES = {"audio": (128, 65), "video": (4, 3, 48, 48)}


def stored(arrays: dict[str, np.ndarray], folder: Path) -> dict[str, StoredRows]:
    """The same arrays written to one sample store per modality under ``folder``, read back on demand."""
    rows = {}
    for name, array in arrays.items():
        files = [f"{name}/{i}" for i in range(len(array))]
        keys = [FileKey(file, array[i].nbytes, 0) for i, file in enumerate(files)]
        with TensorStore(folder / name) as store:
            for key, sample in zip(keys, array):
                store.append(key, sample)
        store = TensorStore(folder / name)
        rows[name] = StoredRows(folder / name, [store.lookup(key) for key in keys], files, files)
    return rows


def random_data(num_modalities: int, samples: int, seed: int = 0) -> PreparedData:
    rng = np.random.default_rng(seed)
    kinds = ["audio", "video"] * (num_modalities // 2)
    names = [f"{k}{i // 2}" if num_modalities > 2 else k for i, k in enumerate(kinds)]
    arrays = {}
    for name, kind in zip(names, kinds):
        if kind == "video":
            arrays[name] = rng.integers(0, 256, (samples, *SHAPES[kind]), dtype=np.uint8)
        else:
            arrays[name] = rng.normal(size=(samples, *SHAPES[kind])).astype(np.float32)
    return PreparedData(
        root=Path("."),
        samples=Samples(
            ids=np.arange(samples).astype(str).astype(object),
            rows=np.arange(samples),
            labels=rng.integers(0, 8, samples),
            class_names=[str(c) for c in range(8)],
            splits=np.array(["train"] * samples, dtype=object),
            modalities=names,
            modality_kinds=dict(zip(names, kinds)),
            media={n: np.array([""] * samples, dtype=object) for n in names},
            metadata={},
        ),
        arrays=arrays,
    )


@torch.no_grad()
def inference_pass(model, data, index, batch_size, device) -> None:
    model.eval()
    for batch in iterate_batches(data, index, batch_size, device):
        model(batch.inputs).logits.argmax(-1).cpu()


def interleaved_medians(fns: list, repeats: int) -> list[float]:
    """Median wall time of each function, run in turn so that load changes hit all of them alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]


def measure(num_modalities: int, samples: int, repeats: int, store: Path | None) -> dict:
    torch.manual_seed(0)
    data = random_data(num_modalities, samples)
    if store is not None:
        data = dataclasses.replace(data, arrays=stored(data.arrays, store / f"M{num_modalities}"))
    model = build_model_for_data(data, ModelConfig())
    device = torch.device("cpu")
    index = np.arange(samples)
    settings = ValuationSettings(batch_size=128)
    inference_pass(model, data, index, 128, device)  # warm-up
    plain, fast = interleaved_medians(
        [
            lambda: inference_pass(model, data, index, 128, device),
            lambda: value_samples(model, data, index, settings, device),
        ],
        repeats,
    )
    (naive,) = interleaved_medians([lambda: brute_force_values(model, data, index, settings, device)], 1)
    return {
        "modalities": num_modalities,
        "samples": samples,
        "inference_s": round(plain, 4),
        "valuation_s": round(fast, 4),
        "brute_force_s": round(naive, 4),
        "ratio_vs_inference": round(fast / plain, 3),
        "ratio_naive_vs_fast": round(naive / fast, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--source", choices=("store", "memory"), default="store",
                        help="where the samples are read from: an on-disk sample store, or arrays in RAM")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="modalens-valuation-") as folder:
        store = Path(folder) if args.source == "store" else None
        results = {f"M={m}": measure(m, args.samples, args.repeats, store) for m in (2, 4)}
    print(json.dumps({"device": "cpu", "threads": args.threads, "source": args.source, **results}, indent=2))


if __name__ == "__main__":
    main()
