"""TensorBoard event files of a run, beside its report: ``tensorboard --logdir runs`` shows every run.

An optional listener (``runtime.tensorboard``): the HDF5 report stays the source of truth, and a failure
here is logged by the event bus without stopping the run. Needs the ``tensorboard`` package
(``pip install modalens[tensorboard]``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import events as ev

FOLDER_NAME = "tensorboard"


class TensorBoardWriter(ev.Listener):
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
        self._writer: Any = None

    def dispatch(self, handler: Callable[[Any], None], event: Any) -> None:
        """Events before the run starts (or after it ended) are ignored: the folder is not the run's yet."""
        if self._writer is not None or isinstance(event, ev.RunStarted):
            handler(event)

    @ev.handles(ev.RunStarted)
    def _open(self, event: ev.RunStarted) -> None:
        if self._writer is not None:
            self._writer.close()
        self._writer = self._make_writer(log_dir=str(self.path))

    @ev.handles(ev.StepMetrics)
    def _step(self, event: ev.StepMetrics) -> None:
        for key, value in event.metrics.items():
            self._writer.add_scalar(f"step/{key}", value, event.global_step, walltime=event.wall_time)

    @ev.handles(ev.EpochMetrics)
    def _epoch(self, event: ev.EpochMetrics) -> None:
        for key, value in event.metrics.items():
            self._writer.add_scalar(f"epoch/{key}", value, event.epoch + 1, walltime=event.wall_time)

    @ev.handles(ev.ValuationReady)
    def _valuation(self, event: ev.ValuationReady) -> None:
        result = event.result
        for name, value in zip(result.modalities, result.mean_phi, strict=True):
            self._writer.add_scalar(f"phi/{result.split}/{name}", float(value), result.epoch + 1)

    @ev.handles(ev.ResamplingPlanned)
    def _resampling(self, event: ev.ResamplingPlanned) -> None:
        write, epoch = self._writer.add_scalar, event.epoch + 1
        write("resampling/copies", float(event.copies.sum()), epoch)
        write("resampling/user_requested_copies", float(event.copies[event.user_requested].sum()), epoch)

    @ev.handles(ev.RunFinished, ev.RunFailed)
    def _close(self, event: ev.RunFinished | ev.RunFailed) -> None:
        self._writer.close()
        self._writer = None
