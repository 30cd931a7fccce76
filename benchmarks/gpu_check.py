"""One prepared check for a lent GPU machine: the ResNet-18 audio + video preset at 224² on a generated fixture.

Prints ONE JSON object:
- ``train``: per precision (fp32, bf16 autocast) the median seconds of a training step (forward, loss,
  backward, SGD step) at ``--batch`` samples, samples/s and the peak device memory (CUDA: the allocator's
  peak; CPU: null);
- ``valuation``: value_samples over every sample ÷ one no-grad inference pass over them, at the batch size
  ``valuation.batch_size = 0`` resolves to on the device and at each size of a small sweep;
- ``store``: samples/s of reading batches from an on-disk sample store onto the device (as training reads
  them) ÷ the samples/s a fp32 training step consumes (above 1: the GPU never waits on data);
- ``torchrun``: a ``torch.distributed.run`` launch on every visible GPU (NCCL; with ``--device cpu``, two
  processes on Gloo): all-reduce bandwidth and the median DDP training step.

Shapes follow the ``ogm-ge-cremad`` preset (docs/recipes.md): spectrogram 257 × 188, one 3 × 224 × 224 frame,
feature width 512. ``--device cpu --quick`` runs the same code paths small (32² frames, 64 × 48
spectrograms, a few samples) so the suite can check the script.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.valuation_overhead import inference_pass, stored  # noqa: E402
from core.config import ModelConfig  # noqa: E402
from core.data.batches import iterate_batches  # noqa: E402
from core.data.samples import Samples  # noqa: E402
from core.data.tensors import PreparedData  # noqa: E402
from core.models.multimodal import build_model_for_data  # noqa: E402
from core.presets import PRESETS  # noqa: E402
from core.training.device import autocast  # noqa: E402
from core.valuation.valuate import ValuationSettings, resolve_batch_size, value_samples  # noqa: E402

PRESET = "ogm-ge-cremad"
FULL = {"audio": (257, 188), "video": (1, 3, 224, 224), "samples": 512, "batch": 64, "steps": 20, "repeats": 3}
QUICK = {"audio": (32, 24), "video": (1, 3, 32, 32), "samples": 8, "batch": 4, "steps": 2, "repeats": 1}
CLASSES = 6


def fixture(size: dict, seed: int = 0) -> PreparedData:
    """Random spectrograms and uint8 frames of the preset's shapes, all in the train split."""
    rng = np.random.default_rng(seed)
    n = size["samples"]
    arrays = {
        "audio": rng.normal(size=(n, *size["audio"])).astype(np.float32),
        "video": rng.integers(0, 256, (n, *size["video"]), dtype=np.uint8),
    }
    return PreparedData(
        root=Path("."),
        samples=Samples(
            ids=np.arange(n).astype(str).astype(object),
            rows=np.arange(n),
            labels=rng.integers(0, CLASSES, n),
            class_names=[str(c) for c in range(CLASSES)],
            splits=np.array(["train"] * n, dtype=object),
            modalities=["audio", "video"],
            modality_kinds={"audio": "audio", "video": "video"},
            media={m: np.array([""] * n, dtype=object) for m in arrays},
            metadata={},
        ),
        arrays=arrays,
    )


def model_config() -> ModelConfig:
    preset = PRESETS.get(PRESET)
    return ModelConfig(kind_encoders=dict(preset.kind_encoders), feature_dim=preset.feature_dim)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def train_step(model, optimizer, batch, device: torch.device, precision: str) -> None:
    optimizer.zero_grad(set_to_none=True)
    with autocast(device, precision):
        output = model(batch.inputs)
    unimodal = output.unimodal_logits.float()  # the unimodal heads too, so DDP sees every parameter used
    labels = batch.labels.repeat_interleave(unimodal.shape[1])
    loss = torch.nn.functional.cross_entropy(output.logits.float(), batch.labels)
    (loss + torch.nn.functional.cross_entropy(unimodal.flatten(0, 1), labels)).backward()
    optimizer.step()


def check_training(data: PreparedData, device: torch.device, size: dict) -> dict:
    out = {}
    batch = next(iter(iterate_batches(data, np.arange(size["batch"]), size["batch"], device)))
    for precision in ("fp32", "bf16"):
        torch.manual_seed(0)
        model = build_model_for_data(data, model_config()).to(device)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        train_step(model, optimizer, batch, device, precision)  # warm-up (cuDNN picks its algorithms)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        step_once = functools.partial(train_step, model, optimizer, batch, device, precision)
        times = [timed(step_once, device) for _ in range(size["steps"])]
        step = statistics.median(times)
        out[precision] = {
            "step_s": round(step, 5),
            "samples_per_s": round(size["batch"] / step, 1),
            "peak_memory_mb": round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
            if device.type == "cuda" else None,
        }  # fmt: skip
    return out


def check_valuation(data: PreparedData, device: torch.device, size: dict, quick: bool) -> dict:
    torch.manual_seed(0)
    model = build_model_for_data(data, model_config()).to(device)
    index = np.arange(len(data))
    auto = resolve_batch_size(0, device)
    sizes = sorted({auto, *((4,) if quick else (32, 128, 256, 512))})
    inference_pass(model, data, index, auto, device)  # warm-up
    rows = {}
    for batch in sizes:
        infer = functools.partial(inference_pass, model, data, index, batch, device)
        value = functools.partial(value_samples, model, data, index, ValuationSettings(batch_size=batch), device)
        plain = statistics.median(timed(infer, device) for _ in range(size["repeats"]))
        valued = statistics.median(timed(value, device) for _ in range(size["repeats"]))
        rows[str(batch)] = {"inference_s": round(plain, 4), "valuation_s": round(valued, 4),
                           "ratio_vs_inference": round(valued / plain, 3)}  # fmt: skip
    return {"auto_batch_size": auto, "auto_ratio_vs_inference": rows[str(auto)]["ratio_vs_inference"],
            "by_batch_size": rows}  # fmt: skip


def check_store(data: PreparedData, device: torch.device, size: dict, consumed_per_s: float, folder: Path) -> dict:
    from_store = dataclasses.replace(data, arrays=stored(data.arrays, folder / "store"))
    index = np.arange(len(data))

    def read_all() -> None:
        for batch in iterate_batches(from_store, index, size["batch"], device, pin_memory=device.type == "cuda"):
            batch.labels.sum().item()

    read_all()  # warm-up (page cache)
    seconds = statistics.median(timed(read_all, device) for _ in range(size["repeats"]))
    read_per_s = len(index) / seconds
    return {
        "read_samples_per_s": round(read_per_s, 1),
        "train_consumes_samples_per_s": round(consumed_per_s, 1),
        "read_over_consumption": round(read_per_s / consumed_per_s, 2),
    }


def check_torchrun(device: torch.device, quick: bool, folder: Path) -> dict:
    processes = 2 if device.type == "cpu" else max(1, torch.cuda.device_count())
    result = folder / "torchrun.json"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
        str(Path(__file__).resolve()), "--ddp-worker", str(result), "--device", device.type,
        *(["--quick"] if quick else []),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=540)
    if done.returncode != 0 or not result.exists():
        errors = [line for line in done.stderr.splitlines() if "Error" in line]
        return {"processes": processes, "ok": False, "error": (errors or done.stderr.splitlines() or [""])[0][:300]}
    return {"processes": processes, "ok": True, **json.loads(result.read_text())}


def ddp_worker(result: Path, device_type: str, quick: bool) -> None:
    """One torchrun rank: all-reduce bandwidth and DDP training steps; rank 0 writes ``result``."""
    import torch.distributed as dist

    size = QUICK if quick else FULL
    rank, local = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    backend = "nccl" if device_type == "cuda" else "gloo"
    device = torch.device(f"cuda:{local}" if device_type == "cuda" else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend)
    try:
        payload = torch.ones((1 << 18) if quick else (1 << 26), device=device)  # 1 MiB or 256 MiB of fp32
        dist.all_reduce(payload)
        reduce_s = statistics.median(timed(lambda: dist.all_reduce(payload), device) for _ in range(5))
        data = fixture(size, seed=rank)
        model = build_model_for_data(data, model_config()).to(device)
        ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local] if device.type == "cuda" else None)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=1e-3, momentum=0.9)
        batch = next(iter(iterate_batches(data, np.arange(size["batch"]), size["batch"], device)))
        train_step(ddp, optimizer, batch, device, "fp32")
        steps = [timed(lambda: train_step(ddp, optimizer, batch, device, "fp32"), device) for _ in range(size["steps"])]
        if rank == 0:
            result.write_text(json.dumps({
                "backend": backend,
                "all_reduce_gb_per_s": round(payload.numel() * 4 / reduce_s / 1e9, 2),
                "ddp_step_s": round(statistics.median(steps), 5),
                "ddp_samples_per_s": round(dist.get_world_size() * size["batch"] / statistics.median(steps), 1),
            }))  # fmt: skip
    finally:
        dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--quick", action="store_true", help="small shapes and few samples (for the test suite)")
    parser.add_argument("--ddp-worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ddp_worker is not None:
        ddp_worker(args.ddp_worker, args.device, args.quick)
        return
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.exit(2, "gpu_check: no CUDA device is visible (use --device cpu --quick to check the script)\n")
    device = torch.device(args.device)
    size = QUICK if args.quick else FULL
    if device.type == "cpu":
        torch.set_num_threads(1)  # as each torchrun rank; several threads crawl on a busy small machine
    data = fixture(size)
    report = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "preset": PRESET,
        "quick": args.quick,
        "batch": size["batch"],
        "samples": size["samples"],
        "torch": torch.__version__,
    }
    report["train"] = check_training(data, device, size)
    report["valuation"] = check_valuation(data, device, size, args.quick)
    with tempfile.TemporaryDirectory(prefix="modalens-gpu-check-") as folder:
        consumed = report["train"]["fp32"]["samples_per_s"]
        report["store"] = check_store(data, device, size, consumed, Path(folder))
        report["torchrun"] = check_torchrun(device, args.quick, Path(folder))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
