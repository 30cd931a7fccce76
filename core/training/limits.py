"""Settings bounded by what the machine can use: worker processes, and the model's size in memory.

``data.workers`` and ``runtime.num_workers`` above the cores this process may run on are lowered to
that many (every extra process only costs memory); a model whose parameters, gradients and optimiser
state alone exceed the free memory of its device is refused before it is allocated.
"""

from __future__ import annotations

import os

import torch

from core.config import ModelConfig, RunConfig
from core.data.prepare import available_cores
from core.data.tensors import PreparedData
from core.models.multimodal import build_model_for_data

TRAINING_COPIES = 4
"""Copies of every parameter while training: the weights, their gradients and Adam's two moments."""


def cap_workers(config: RunConfig, cores: int | None = None) -> list[str]:
    """Lower ``data.workers`` and ``runtime.num_workers`` to ``cores`` (default: the cores this process
    may use); one line per setting changed."""
    cores = cores or available_cores()
    notes = []
    for section, key, what in (
        (config.data, "workers", "decoding processes"),
        (config.runtime, "num_workers", "batch-loading processes"),
    ):
        asked = getattr(section, key)
        if asked > cores:
            setattr(section, key, cores)
            name = "data.workers" if section is config.data else "runtime.num_workers"
            notes.append(f"{name} = {asked} lowered to {cores}: {what} beyond the {cores} core(s) here only cost memory")
    return notes


def check_model_size(data: PreparedData, config: ModelConfig, device: torch.device) -> None:
    """Raise ``ValueError`` (one line) when training the model for ``data`` cannot fit ``device``'s free
    memory: its parameters, counted without allocating them, times :data:`TRAINING_COPIES`."""
    try:
        with torch.device("meta"):
            model = build_model_for_data(data, config)
    except Exception:  # noqa: BLE001 - an encoder that cannot be built without memory: the real build says why
        return
    params = sum(p.numel() for p in model.parameters())
    need = sum(p.numel() * p.element_size() for p in model.parameters()) * TRAINING_COPIES
    free = available_memory(device)
    if free is not None and need > free:
        raise ValueError(
            f"model.feature_dim = {config.feature_dim}: the model has {params:,} parameters; training needs at "
            f"least {_size(need)} for them, their gradients and the optimiser's state, more than the {_size(free)} "
            f"free on {device}; lower model.feature_dim (or choose smaller encoders)"
        )


def available_memory(device: torch.device) -> int | None:
    """Free bytes on ``device`` (for the CPU: the memory the system can still give), None when unknown."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _size(count: int) -> str:
    value, unit = float(count), "bytes"
    for bigger in ("KB", "MB", "GB", "TB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"
