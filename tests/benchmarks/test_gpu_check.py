"""benchmarks/gpu_check.py runs its code paths small on the CPU (Gloo for the torchrun part) and prints
one JSON object with every figure the GPU machine will be asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]


def test_gpu_check_quick_on_cpu_prints_one_json_object():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--device", "cpu", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    [line] = done.stdout.strip().splitlines()
    result = json.loads(line)
    assert result["device"] == "cpu" and result["quick"] is True
    for precision in ("fp32", "bf16"):
        assert result["train"][precision]["step_s"] > 0 and result["train"][precision]["peak_memory_mb"] is None
    valuation = result["valuation"]
    assert valuation["auto_batch_size"] == 64 and str(valuation["auto_batch_size"]) in valuation["by_batch_size"]
    assert valuation["auto_ratio_vs_inference"] > 0
    assert result["store"]["read_over_consumption"] > 0
    torchrun = result["torchrun"]
    assert torchrun["ok"] is True, torchrun
    assert torchrun["processes"] == 2 and torchrun["backend"] == "gloo" and torchrun["ddp_step_s"] > 0


def test_gpu_check_without_a_gpu_says_so_in_one_line():
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")], cwd=ROOT, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "gpu_check: no CUDA device is visible (use --device cpu --quick to check the script)"
    ]
