"""What a run holds while it trains, and the part of it a checkpoint keeps: the epoch under way (so a
stopped run resumes mid-epoch) and the progress clock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core import events as ev
from core.data.tensors import PreparedData
from core.models.multimodal import MultimodalModel
from core.run_files.identity import identity_of
from core.strategies import Strategy
from core.training.checkpoint import load_model_state
from core.training.plan import EpochPlan
from core.valuation.valuate import ValuationSettings


@dataclass
class TrainingRun:
    """Everything one run holds while it trains."""

    data: PreparedData
    train_index: np.ndarray
    device: torch.device
    precision: str
    model: MultimodalModel
    train_model: torch.nn.Module
    strategy: Strategy
    extras: torch.nn.ModuleDict
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler | None
    rng: np.random.Generator
    valuation: ValuationSettings
    label_entropy: float
    steps_per_epoch: int
    static_metrics: dict[str, float]
    """The model's cost, the same every epoch: ``model/params`` and ``model/flops_per_sample``."""
    start_epoch: int = 0
    train_time_s: float = 0.0
    """Seconds of the epochs so far (training and evaluation, as ``epoch_time_s``), summed across resumes."""
    global_step: int = 0
    best_epoch: int | None = None
    best_accuracy: float = -1.0
    clock: Clock = field(default_factory=lambda: Clock(time.monotonic(), 0, 0))
    partial: PartialEpoch | None = None
    """The epoch under way: its plan and how far training has gone (None between epochs)."""

    def checkpoint(self, next_epoch: int) -> dict[str, Any]:
        """The run's part of a checkpoint: weights, optimiser, RNG states, progress and the epoch under way
        (``partial`` set: a stop mid-epoch, saved so that a resume continues it)."""
        cuda = self.device.type == "cuda"
        return {
            "model": self.model.state_dict(),
            "extras": self.extras.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "next_epoch": next_epoch,
            "best_epoch": self.best_epoch,
            "best_val_accuracy": self.best_accuracy,
            "numpy_rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if cuda else [],
            "global_step": self.global_step,
            "train_time_s": self.train_time_s,
            "partial_epoch": self.partial.to_plain() if self.partial is not None else None,
            "dataset": identity_of(self.data),
        }

    def restore(self, state: dict[str, Any], source: str) -> None:
        """Continue from a checkpoint's run part (see :meth:`checkpoint`); ``source`` names it in errors."""
        load_model_state(self.model, state["model"], source)
        self.extras.load_state_dict(state["extras"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.start_epoch = state["next_epoch"]
        self.best_epoch, self.best_accuracy = state.get("best_epoch"), state.get("best_val_accuracy", -1.0)
        self.rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"].cpu())
        if state.get("cuda_rng") and self.device.type == "cuda":
            torch.cuda.set_rng_state_all([t.cpu() for t in state["cuda_rng"]])
        self.global_step = int(state.get("global_step", self.start_epoch * self.steps_per_epoch))
        self.train_time_s = float(state.get("train_time_s", 0.0))
        partial = state.get("partial_epoch")
        if partial is not None:
            self.partial = PartialEpoch.from_plain(partial)

    def best_fields(self) -> dict:
        return {
            "best_epoch": self.best_epoch,
            "best_val_accuracy": None if self.best_accuracy < 0 else self.best_accuracy,
        }


@dataclass
class PartialEpoch:
    """An epoch under way: its plan, the next step to run, and the step metrics summed so far."""

    epoch: int
    plan: EpochPlan
    step: int = 0
    count: int = 0
    skipped: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    """Each head's class counts so far, for the epoch's macro-F1 (see core.training.metrics.head_counts)."""

    _PLAN_FIELDS = ("index", "keep", "copy_sample", "copy_modality", "copy_count", "copy_user")

    def to_plain(self) -> dict:
        plan = {name: torch.from_numpy(np.ascontiguousarray(getattr(self.plan, name))) for name in self._PLAN_FIELDS}
        counts = {k: torch.from_numpy(v) for k, v in self.counts.items()}
        return {"epoch": self.epoch, "step": self.step, "count": self.count, "skipped": self.skipped,
                "sums": dict(self.sums), "counts": counts, "plan": plan}

    @classmethod
    def from_plain(cls, plain: dict) -> PartialEpoch:
        plan = EpochPlan(**{name: plain["plan"][name].numpy() for name in cls._PLAN_FIELDS})
        counts = {str(k): v.numpy().astype(np.float64) for k, v in plain.get("counts", {}).items()}
        return cls(int(plain["epoch"]), plan, int(plain["step"]), int(plain["count"]), int(plain["skipped"]),
                   {str(k): float(v) for k, v in plain["sums"].items()}, counts)


@dataclass
class Clock:
    start: float
    done: int
    total: int

    def progress(self, epoch: int, step: int) -> ev.Progress:
        elapsed = time.monotonic() - self.start
        remaining = elapsed / self.done * max(self.total - self.done, 0) if self.done else None
        return ev.Progress(epoch, step, self.done, self.total, elapsed, remaining)
