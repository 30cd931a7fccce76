"""TensorBoard event files of a run, beside its report: ``tensorboard --logdir runs`` shows every run.

An optional listener (``runtime.tensorboard``): the HDF5 report stays the source of truth, and a failure
here is logged by the event bus without stopping the run. Needs the ``tensorboard`` package
(``pip install modalens[tensorboard]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import events as ev

FOLDER_NAME = "tensorboard"


class TensorBoardWriter:
    """Writes step and epoch metrics, mean φ per split and modality, and re-sampling counts."""

    def __init__(self, run_dir: str | Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise ValueError(
                "runtime.tensorboard needs the tensorboard package: pip install 'modalens[tensorboard]'"
            ) from exc
        self.path = Path(run_dir) / FOLDER_NAME
        self._make_writer = SummaryWriter
        self._writer = None

    def __call__(self, event: Any) -> None:
        if isinstance(event, ev.RunStarted):  # the run holds its folder now: files may be written
            self._writer = self._make_writer(log_dir=str(self.path))
        if self._writer is None:
            return
        write = self._writer.add_scalar
        if isinstance(event, ev.StepMetrics):
            for key, value in event.metrics.items():
                write(f"step/{key}", value, event.global_step, walltime=event.wall_time)
        elif isinstance(event, ev.EpochMetrics):
            for key, value in event.metrics.items():
                write(f"epoch/{key}", value, event.epoch + 1, walltime=event.wall_time)
        elif isinstance(event, ev.ValuationReady):
            result = event.result
            for name, value in zip(result.modalities, result.mean_phi, strict=True):
                write(f"phi/{result.split}/{name}", float(value), result.epoch + 1)
        elif isinstance(event, ev.ResamplingPlanned):
            write("resampling/copies", float(event.copies.sum()), event.epoch + 1)
            write("resampling/user_requested_copies", float(event.copies[event.user_requested].sum()), event.epoch + 1)
        elif isinstance(event, (ev.RunFinished, ev.RunFailed)):
            self._writer.close()
            self._writer = None
