"""Starting a run: an engine for the run folder with its report writer and the caller's listeners, the
same for the command line, the window and a grid."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from core.config import RunConfig
from core.events import ListenerFn
from core.report.writer import ReportWriter
from core.runs.folder import RunFolder
from core.training.engine import Engine


def start_run(
    config: RunConfig,
    run_dir: str | Path,
    listeners: Iterable[ListenerFn] = (),
    resume_from: str | Path | None = None,
    trust_checkpoints: bool = False,
    report: bool = True,
) -> Engine:
    """An engine ready to ``run()`` in ``run_dir``: its report writer first (critical: a run whose report
    fails stops), TensorBoard when the config asks, then ``listeners`` in order. ``report`` False (a
    torchrun rank other than 0) leaves the writing to another process. ``trust_checkpoints`` lets the run
    read old-format checkpoints, which can run code (only when the user said so)."""
    folder = RunFolder(run_dir)
    engine = Engine(config, folder.path, resume_from=resume_from, trust_checkpoints=trust_checkpoints)
    if report:
        engine.bus.subscribe(ReportWriter(folder.report), critical=True)
        if config.runtime.tensorboard:
            from core.report.tensorboard import TensorBoardWriter  # needs the optional tensorboard package

            engine.bus.subscribe(TensorBoardWriter(folder.path))
    for listener in listeners:
        engine.bus.subscribe(listener)
    return engine
