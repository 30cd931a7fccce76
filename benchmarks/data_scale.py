"""How building the sample store and training from it scale with the number of clips.

Makes a synthetic audio-visual dataset per size (a few short mp4 clips and wav files, hard-linked to N
distinct names: frames decode to ``uint8 3×112×112``, spectrograms to ``float32 257×188``), then, each
step in a child process whose peak RSS it reads with ``resource.getrusage``:

- builds the store with all cores (and, at the sizes in ``--single-sizes``, with 1 and 2 workers);
- trains one epoch (joint strategy, small CNNs, CPU) with per-epoch valuation of the training split,
  reading every batch from the store; at the smallest size also with every sample stacked in memory
  (``--repeats`` runs of each, alternated, the fastest kept).

Prints JSON: per size the build seconds, files/s, peak RSS (builder process and its pool workers),
epoch seconds per sample and peak RSS; then the ratios the store is held to (RSS at the largest ÷
smallest size, build time per sample largest ÷ smallest, epoch per sample from disk ÷ from memory,
build speed-up with 2 workers). Run small sizes first: ``--sizes 200,1000``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TEMPLATES = 8
FPS = 10.0
CLIP_FRAMES = 10
RATE = 16000
SECONDS = 3.0


def data_config(folder: Path, cache: Path, workers: int):
    from core.config import AudioConfig, DataConfig, VideoConfig

    return DataConfig(
        path=str(folder),
        cache_dir=str(cache),
        workers=workers,
        video=VideoConfig(frames=1, height=112, width=112),
        audio=AudioConfig(sample_rate=RATE, duration_s=SECONDS, n_fft=512, hop_length=256),  # 257 × 188
    )


def make_dataset(folder: Path, n: int) -> None:
    """``n`` samples: templates hard-linked to distinct names (distinct store entries, no disk cost)."""
    import cv2
    import soundfile

    if (folder / "manifest.csv").exists():
        return
    templates = folder / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for k in range(TEMPLATES):
        writer = cv2.VideoWriter(str(templates / f"{k}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (160, 120))
        for _ in range(CLIP_FRAMES):
            writer.write(rng.integers(0, 256, (120, 160, 3), np.uint8))
        writer.release()
        t = np.arange(round(RATE * SECONDS)) / RATE
        wave = 0.3 * np.sin(2 * np.pi * 200 * (k + 1) * t) + 0.05 * rng.normal(size=t.shape)
        soundfile.write(str(templates / f"{k}.wav"), wave.astype(np.float32), RATE)
    (folder / "video").mkdir(exist_ok=True)
    (folder / "audio").mkdir(exist_ok=True)
    lines = ["id,label,split,video,audio"]
    for i in range(n):
        k = i % TEMPLATES
        os.link(templates / f"{k}.mp4", folder / "video" / f"{i}.mp4")
        os.link(templates / f"{k}.wav", folder / "audio" / f"{i}.wav")
        lines.append(f"c{i},class{k % 4},{'val' if i % 5 == 4 else 'train'},video/{i}.mp4,audio/{i}.wav")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def child_build(folder: Path, cache: Path, workers: int) -> dict:
    import torch

    from core.data.prepare import prepare_dataset

    if workers == 1:
        torch.set_num_threads(1)  # one worker, one core (pool workers run one thread each)
    started = time.perf_counter()
    data = prepare_dataset(data_config(folder, cache, workers))
    seconds = time.perf_counter() - started
    files = 2 * len(data)
    return {
        "seconds": seconds,
        "files": files,
        "files_per_s": files / seconds,
        "seconds_per_sample": seconds / len(data),
        "peak_rss_mb": _peak_mb(resource.RUSAGE_SELF),
        "worker_peak_rss_mb": _peak_mb(resource.RUSAGE_CHILDREN),
    }


def child_epoch(folder: Path, cache: Path, in_memory: bool, batch_size: int) -> dict:
    import dataclasses

    import torch

    from core.config import RunConfig
    from core.data.prepare import prepare_dataset
    from core.training.engine import Engine

    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    config = RunConfig()
    config.data = data_config(folder, cache, 1)
    config.optim.epochs, config.optim.batch_size = 1, batch_size
    config.runtime.device, config.runtime.mi_every_steps, config.runtime.log_every_steps = "cpu", 0, 0
    config.model.feature_dim = 32
    data = prepare_dataset(config.data)
    if in_memory:
        data = dataclasses.replace(data, arrays={m: data.arrays[m][:] for m in data.samples.modalities})
    with tempfile.TemporaryDirectory() as run_dir:
        engine = Engine(config, run_dir, data=data)
        samples: list[float] = []
        engine.bus.subscribe(
            lambda e: samples.append(e.metrics["train/samples_per_s"]) if hasattr(e, "metrics") and
            "train/samples_per_s" in e.metrics else None
        )
        started = time.perf_counter()
        outcome = engine.run()
        seconds = time.perf_counter() - started
    if outcome.failed:
        raise RuntimeError(outcome.error)
    return {
        "in_memory": in_memory,
        "samples": len(data),
        "epoch_seconds": seconds,
        "epoch_seconds_per_sample": seconds / len(data),
        "train_samples_per_s": samples[-1] if samples else None,
        "peak_rss_mb": _peak_mb(resource.RUSAGE_SELF),
    }


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _child(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,10000,40000", help="comma-separated numbers of clips")
    parser.add_argument("--single-sizes", default="", help="sizes also built with 1 and 2 workers (default: smallest)")
    parser.add_argument("--folder", default="", help="where the datasets go (default: a temporary folder)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2, help="epochs from memory and from the store at the "
                        "smallest size, alternated")
    parser.add_argument("--keep", action="store_true", help="keep the datasets and stores")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder, cache, value = args.child
        if kind == "build":
            print(json.dumps(child_build(Path(folder), Path(cache), int(value))))
        else:
            print(json.dumps(child_epoch(Path(folder), Path(cache), value == "memory", args.batch_size)))
        return

    sizes = sorted(int(s) for s in args.sizes.split(","))
    single = {int(s) for s in args.single_sizes.split(",") if s} or {sizes[0]}
    base = Path(args.folder or tempfile.mkdtemp(prefix="modalens-data-scale-"))
    cores = len(os.sched_getaffinity(0))
    results: dict = {"cores": cores, "load_average": os.getloadavg(), "sizes": {}}
    try:
        for n in sizes:
            folder = base / f"n{n}"
            make_dataset(folder, n)
            entry: dict = {}
            entry["build_all_cores"] = _child("build", str(folder), str(base / f"cache-{n}-all"), "0")
            if n in single:
                entry["build_1_worker"] = _child("build", str(folder), str(base / f"cache-{n}-1"), "1")
                entry["build_2_workers"] = _child("build", str(folder), str(base / f"cache-{n}-2"), "2")
                entry["build_speedup_2_workers"] = (
                    entry["build_1_worker"]["seconds"] / entry["build_2_workers"]["seconds"]
                )
                runs = {"memory": [], "store": []}
                for _ in range(args.repeats):  # alternated, the fastest of each kept: the machine may be shared
                    for mode in runs:
                        runs[mode].append(_child("epoch", str(folder), str(base / f"cache-{n}-all"), mode))
                fastest = {mode: min(r, key=lambda x: x["epoch_seconds"]) for mode, r in runs.items()}
                entry["epoch_in_memory"], entry["epoch_from_store"] = fastest["memory"], fastest["store"]
                entry["epoch_seconds_all_runs"] = {mode: [x["epoch_seconds"] for x in r] for mode, r in runs.items()}
            else:
                entry["epoch_from_store"] = _child("epoch", str(folder), str(base / f"cache-{n}-all"), "store")
            results["sizes"][n] = entry
            print(json.dumps({n: entry}), file=sys.stderr, flush=True)
        small, large = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
        results["ratios"] = {
            "sizes": [sizes[0], sizes[-1]],
            "build_peak_rss_large_over_small": large["build_all_cores"]["peak_rss_mb"]
            / small["build_all_cores"]["peak_rss_mb"],
            "epoch_peak_rss_large_over_small": large["epoch_from_store"]["peak_rss_mb"]
            / small["epoch_from_store"]["peak_rss_mb"],
            "build_seconds_per_sample_large_over_small": large["build_all_cores"]["seconds_per_sample"]
            / small["build_all_cores"]["seconds_per_sample"],
            "epoch_per_sample_store_over_memory": small["epoch_from_store"]["epoch_seconds_per_sample"]
            / small["epoch_in_memory"]["epoch_seconds_per_sample"],
            "build_speedup_2_workers": small["build_speedup_2_workers"],
        }
        results["load_average_after"] = os.getloadavg()
        print(json.dumps(results, indent=2))
    finally:
        if not args.keep and not args.folder:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
