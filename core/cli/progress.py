"""Terminal output of a run: a progress bar with time remaining on a TTY, plain lines otherwise."""

from __future__ import annotations

import shlex
import sys
from typing import IO

from core import events as ev
from core.events import Listener, handles
from core.run_files.state import ended_state
from core.text import format_seconds, plural


class TerminalProgress(Listener):
    """An event listener that prints the run's progress (each event type by its ``@handles`` method)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.total_epochs = 0
        self.selected_on = "val"  # the split whose accuracy picks the best epoch
        self.run_dir = ""
        self.test_accuracy: dict[int, float] = {}  # epoch -> test accuracy, for the closing line

    @handles(ev.RunStarted)
    def _started(self, event: ev.RunStarted) -> None:
        self.total_epochs = event.total_epochs
        self.run_dir = str(event.run_dir)
        self.selected_on = "val" if event.num_val else "train"
        if not event.num_val:
            self._line("warning: the dataset has no val samples: the best epoch is chosen on train accuracy")
        self._line(
            f"training on {event.device}: {event.num_train} train / {event.num_val} val samples, "
            f"modalities {', '.join(event.modalities)}, {len(event.class_names)} classes -> {event.run_dir}"
        )

    @handles(ev.Progress)
    def _progress(self, event: ev.Progress) -> None:
        if not self.tty:
            return
        fraction = event.done_steps / max(event.total_steps, 1)
        bar = "#" * int(30 * fraction)
        self.stream.write(
            f"\repoch {event.epoch + 1}/{self.total_epochs} [{bar:<30}] {100 * fraction:5.1f}% "
            f"elapsed {format_seconds(event.elapsed_s)} left {format_seconds(event.remaining_s)}"
        )
        self.stream.flush()

    @handles(ev.EpochMetrics)
    def _epoch(self, event: ev.EpochMetrics) -> None:
        m = event.metrics
        if "test/acc" in m:
            self.test_accuracy[event.epoch] = m["test/acc"]
        parts = [f"epoch {event.epoch + 1}/{self.total_epochs}"]
        for key in ("train/loss", "train/acc", "val/loss", "val/acc", "test/acc"):
            if key in m:
                parts.append(f"{key} {m[key]:.4f}")
        self._line("  ".join(parts))

    @handles(ev.ValuationReady)
    def _valuation(self, event: ev.ValuationReady) -> None:
        r = event.result
        means = "  ".join(f"phi_{name} {value:+.3f}" for name, value in zip(r.modalities, r.mean_phi))
        self._line(f"  valuation ({r.split}, {r.value_fn}, {len(r.sample_index)} samples): {means}")

    @handles(ev.LogMessage)
    def _log(self, event: ev.LogMessage) -> None:
        if event.level != "debug":
            self._line(event.text if event.level == "info" else f"{event.level}: {event.text}")

    @handles(ev.RunFinished)
    def _finished(self, event: ev.RunFinished) -> None:
        state = ended_state(event.stopped)
        best = (
            f", best {self.selected_on} acc {event.best_val_accuracy:.4f} (epoch {event.best_epoch + 1})"
            if event.best_epoch is not None
            else ""
        )
        self._line(f"run {state} after {plural(event.epochs_done, 'epoch')}{best}{self._test_figures(event)}")
        if event.stopped and self.run_dir:
            self._line(f"to continue it: modalens train --resume {shlex.quote(self.run_dir)}")

    @handles(ev.RunFailed)
    def _failed(self, event: ev.RunFailed) -> None:
        self._line(f"run failed: {event.error}")

    def _test_figures(self, event: ev.RunFinished) -> str:
        """'; test acc X at the best epoch, Y at the last' for the epochs this run reported."""
        if event.best_epoch not in self.test_accuracy:
            return ""
        last = max(self.test_accuracy)
        return (
            f"; test acc {self.test_accuracy[event.best_epoch]:.4f} at the best epoch, "
            f"{self.test_accuracy[last]:.4f} at the last (epoch {last + 1})"
        )

    def _line(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()
