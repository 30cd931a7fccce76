"""Valuing a split of a trained run afterwards (``modalens value`` and the window's "Value split now"): the
model restored from a checkpoint, the split's Shapley values, optionally added to the run's report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.data.prepare import prepare_dataset
from core.data.tensors import PreparedData
from core.report.reader import open_report
from core.report.writer import ReportWriter
from core.run_files.identity import check_same_data, dataset_identity, identity_of
from core.run_files.layout import REPORT_NAME
from core.runs.folder import RunFolder
from core.runs.restore import SavedRun, restore_model
from core.training.device import resolve_device
from core.valuation.result import ValuationResult
from core.valuation.settings import valuation_settings
from core.valuation.valuate import value_samples


class Steps(Protocol):
    """Where a long job says what it is doing and learns that it should give up (``check`` raises)."""

    def progress(self, done: int, total: int, text: str = "") -> None: ...

    def check(self) -> None: ...


class _Quiet:
    def progress(self, done: int, total: int, text: str = "") -> None:
        pass

    def check(self) -> None:
        pass


@dataclass(frozen=True)
class ValuedSplit:
    result: ValuationResult
    data: PreparedData
    report: Path | None
    """The report the values were added to, if any."""


def value_split(
    run: SavedRun,
    split: str,
    value_fn: str | None = None,
    absence: str | None = None,
    device: str | None = None,
    into_report: bool = False,
    steps: Steps | None = None,
) -> ValuedSplit:
    """Value ``split`` of the run's dataset with the checkpoint's model; ``value_fn``, ``absence`` and
    ``device`` replace the run's when given. ``into_report`` adds the values to the run's report, under the
    run folder's lock, after checking the dataset is the one the report describes."""
    steps = steps or _Quiet()
    folder = RunFolder.of_checkpoint(run.source)
    if into_report and not folder.report.is_file():
        raise ValueError(f"{folder.path}: no {REPORT_NAME} to add the values to")
    steps.progress(0, 0, "reading the dataset")
    data = prepare_dataset(run.config.data)
    if into_report:
        check_report_data(folder.report, data, str(run.config.data.path))
    index = data.samples.split_indices(split)
    if len(index) == 0:
        raise ValueError(f"{run.config.data.path}: split {split!r} has no usable samples")
    steps.check()
    torch_device = resolve_device(device or run.config.runtime.device)
    model = restore_model(run, data, torch_device)
    settings = valuation_settings(run.config, value_fn, absence)
    steps.progress(0, 0, f"valuing {len(index)} {split} samples")
    result = value_samples(model, data, index, settings, torch_device, epoch=run.epoch, split=split)
    steps.check()
    if not into_report:
        return ValuedSplit(result, data, None)
    with folder.lock():
        ReportWriter(folder.report).add_valuation(result)
    return ValuedSplit(result, data, folder.report)


def check_report_data(report: Path, data: PreparedData, data_path: str) -> None:
    """Values go into a run's report only for the dataset that report describes (one line otherwise)."""
    with open_report(report) as opened:
        stored = opened.dataset
        identity = dataset_identity(stored.ids, stored.labels, stored.splits, stored.class_names, opened.modalities)
    check_same_data(identity, identity_of(data), str(report), data_path)
