"""Plain-text views of a report: the per-epoch summary table and the per-sample φ CSV."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.report.errors import ReportError
from core.report.files import replace_durably, tmp_path
from core.report.reader import Report, SplitValuation
from core.text import plural
from core.valuation.interaction import pair_interactions, pair_labels

ACCURACY_NAMES = ("acc", "accuracy")
ALL_SPLITS = "all"  # write_phi_csv's split for the rows of every valued split
CSV_BLOCK_BYTES = 4 << 20  # φ values per block of rows: about ten times that as Python objects while written


def summary_text(report: Report) -> str:
    """Header lines and an aligned per-epoch table: mean φ per modality and split, accuracies, re-sampled copies."""
    data = report.dataset
    per_split = ", ".join(f"{s} {c}" for s, c in data.split_counts().items())
    lines = [
        f"{report.path}: ModaLens report format {report.format_version}, state {report.state}, "
        f"created {report.created} by {report.creator}",
        f"modalities: {', '.join(report.modalities)}; classes: {len(data.class_names)}; "
        f"samples: {len(data)} ({per_split or 'none'}); excluded: {data.num_excluded_samples}",
    ]
    for valuation in report.valuation.values():
        lines.append(
            f"valuation {valuation.split}: {plural(valuation.num_samples, 'sample')}, {plural(len(valuation.epochs), 'epoch')}, "
            f"value function {valuation.value_fn}, {valuation.method}"
        )
    if report.failure:
        lines.append(f"failed: {report.failure[0]}")
    lines.extend(last_epoch_lines(report))
    lines.extend(best_epoch_lines(report))
    table = summary_rows(report)
    lines.append("")
    lines.extend(align(table) if len(table) > 1 else ["no complete epoch yet"])
    return "\n".join(lines)


def summary_rows(report: Report) -> list[list[str]]:
    """The summary table as text cells, header row first."""
    columns: list[tuple[str, dict[int, float]]] = []
    for valuation in report.valuation.values():
        for j, modality in enumerate(valuation.modalities):
            values = dict(zip(valuation.epochs.tolist(), valuation.mean_phi[:, j].tolist(), strict=True))
            columns.append((f"phi {modality} [{valuation.split}]", values))
    metrics = report.epoch_metrics
    epochs_of_metrics = metrics.get("epoch", np.zeros(0)).tolist()
    for key in sorted(k for k in metrics if k.split("/")[-1] in ACCURACY_NAMES and k.count("/") <= 1):
        columns.append((key, dict(zip(epochs_of_metrics, metrics[key].tolist(), strict=True))))
    copies = report.copies_per_epoch()
    epochs = sorted({int(e) for e in report.epochs()} | set(copies))
    header = ["epoch", *(name for name, _ in columns), "re-sampled copies"]
    rows = [header]
    for epoch in epochs:
        cells = [str(epoch + 1)]  # users count epochs from 1, the file from 0
        cells += [_number(values.get(epoch)) for _, values in columns]
        cells.append(str(copies.get(epoch, 0)))
        rows.append(cells)
    return rows


def align(rows: list[list[str]]) -> list[str]:
    """Right-aligned columns separated by two spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]


def last_epoch_lines(report: Report) -> list[str]:
    """The run's cost and its last epoch's figures: parameters, FLOPs per sample, train time, accuracy and
    macro-F1 per head and split, and each valued split's φ imbalance; only what the report holds."""
    metrics = report.epoch_metrics
    if not len(metrics.get("epoch", ())):
        return []
    last = {k: float(v[-1]) for k, v in metrics.items() if k != "epoch" and not math.isnan(float(v[-1]))}
    cost = [
        f"{label} {format(last[key], spec)}{unit}"
        for key, label, spec, unit in (
            ("model/params", "parameters", ",.0f", ""),
            ("model/flops_per_sample", "FLOPs/sample", ",.0f", ""),
            ("train_time_s", "train time", ".1f", " s"),
        )
        if key in last
    ]
    last_epoch = int(metrics["epoch"][-1]) + 1  # users count epochs from 1, the file from 0
    lines = [f"last epoch {last_epoch}" + (f": {', '.join(cost)}" if cost else "")]
    heads = ["", *(f"/{m}" for m in report.modalities)]
    for split in ("train", "val", "test"):
        figures = [
            f"{name}{head} {last[f'{split}/{name}{head}']:.4f}"
            for name in ("acc", "f1")
            for head in heads
            if f"{split}/{name}{head}" in last
        ]
        if figures:
            lines.append(f"  {split}: {', '.join(figures)}")
        imbalance = [f"phi_gap {last[f'{split}/phi_gap']:.4f}"] if f"{split}/phi_gap" in last else []
        if f"{split}/phi_diff" in last and len(report.modalities) == 2:
            first, second = report.modalities
            imbalance.append(f"phi {first} - {second} {last[f'{split}/phi_diff']:+.4f}")
        imbalance += [
            f"{key.removeprefix(split + '/')} {last[key]:.3f}"
            for key in [*(f"{split}/dominant/{m}" for m in report.modalities), f"{split}/phi_ties"]
            if key in last
        ]
        if imbalance:
            lines.append(f"  {split} imbalance: {', '.join(imbalance)}")
    return lines


@dataclass(frozen=True)
class BestEpoch:
    """The epoch ``checkpoints/best.pt`` keeps and the test accuracy there and at the last epoch (epochs
    counted from 1; test accuracy None where the run has no test split)."""

    epoch: int
    chosen_by: str
    score: float
    test_at_best: float | None
    last_epoch: int
    test_at_last: float | None

    def text(self) -> str:
        line = f"best epoch {self.epoch} (by {self.chosen_by.replace('/', ' ')} {self.score:.4f})"
        if self.test_at_best is None and self.test_at_last is None:
            return line
        return f"{line}: test acc {_number(self.test_at_best)}; last epoch {self.last_epoch}: test acc {_number(self.test_at_last)}"


def best_epoch(series: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> BestEpoch | None:
    """The first epoch with the highest val accuracy (train accuracy without a val split), from
    ``{metric: (epochs counted from 1, values)}``; None before an epoch is done."""
    chooser = "val/acc" if len(series.get("val/acc", ((), ()))[0]) else "train/acc"
    epochs, scores = (np.asarray(a, dtype=float) for a in series.get(chooser, ((), ())))
    if not len(epochs):
        return None
    best = int(np.argmax(np.nan_to_num(scores, nan=-1.0)))
    test_epochs, test = (np.asarray(a, dtype=float) for a in series.get("test/acc", ((), ())))

    def test_at(epoch: float) -> float | None:
        found = np.flatnonzero(test_epochs == epoch)
        return float(test[found[0]]) if len(found) else None

    last = float(max(epochs.max(), test_epochs.max() if len(test_epochs) else 0.0))
    return BestEpoch(int(epochs[best]), chooser, float(scores[best]), test_at(epochs[best]), int(last), test_at(last))


def best_epoch_lines(report: Report) -> list[str]:
    """The best epoch's line (see :func:`best_epoch`); nothing before an epoch is done."""
    metrics = report.epoch_metrics
    epochs = np.asarray(metrics.get("epoch", ()), dtype=float) + 1
    found = best_epoch({key: (epochs, np.asarray(metrics[key])) for key in ("val/acc", "train/acc", "test/acc")
                        if key in metrics})
    return [] if found is None else [found.text()]


def _number(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.4f}"


def default_split(report: Report, split: str | None) -> SplitValuation:
    """The valuation of ``split`` ("train" when present if None); ReportError naming the available ones."""
    if not report.valuation:
        raise ReportError(f"{report.path}: the report has no valuation yet")
    if split is None:
        split = "train" if "train" in report.valuation else next(iter(report.valuation))
    if split not in report.valuation:
        raise ReportError(f"{report.path}: no valuation of split {split!r} (splits: {', '.join(report.valuation)})")
    return report.valuation[split]


def csv_valuations(report: Report, split: str | None) -> list[SplitValuation]:
    """The valuations a CSV export covers: every valued split for ``ALL_SPLITS``, else the one of ``split``."""
    if split != ALL_SPLITS:
        return [default_split(report, split)]
    if not report.valuation:
        raise ReportError(f"{report.path}: the report has no valuation yet")
    return list(report.valuation.values())


def write_phi_csv(
    report: Report,
    out: str | Path,
    split: str | None = None,
    epoch: int | None = None,
    value_fn: str | None = None,
    interaction: bool = False,
    samples: np.ndarray | None = None,
) -> int:
    """One row per valued sample: id, label (class name), label_index, split, then ``phi/<modality>/e<k>``
    for each epoch (or only ``epoch``, a 0-based index; k counts from 1), then with ``interaction`` the
    Shapley interaction of each modality pair, ``interaction/<a>+<b>/e<k>``, under ``value_fn`` (default: the
    one the run valued with; another needs a format-2 report), read and written in blocks of
    samples; written to ``out.tmp``, synced and moved into place, so ``out`` is complete or untouched.
    ``split`` ``"all"`` writes the rows of every valued split (columns of the epochs any split valued, empty
    where a split did not value that epoch); ``samples`` (dataset indices) keeps only those samples.
    Returns the number of rows."""
    out = Path(out)
    valuations = csv_valuations(report, split)
    if epoch is not None and split == ALL_SPLITS:
        valuations = [v for v in valuations if epoch in v.epochs] or valuations  # none: the first one's error
    own = [v.epochs[v.epoch_rows(epoch)] for v in valuations]
    epochs = np.unique(np.concatenate(own)).astype(np.int64)
    modalities = valuations[0].modalities
    data = report.dataset
    names = data.class_names
    header = ["id", "label", "label_index", "split"]
    header += [f"phi/{m}/e{e + 1}" for e in epochs.tolist() for m in modalities]
    if interaction:
        header += [f"interaction/{pair}/e{e + 1}" for e in epochs.tolist() for pair in pair_labels(modalities, "+")]
    wanted = None if samples is None else np.asarray(samples, dtype=np.int64)
    tmp = tmp_path(out)
    rows = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for valuation, valued in zip(valuations, own, strict=True):
                columns = np.searchsorted(epochs, valued)
                for index, phi, *coalitions in _blocks(valuation, epoch, value_fn, interaction):
                    keep = slice(None) if wanted is None else np.isin(index, wanted)
                    index = index[keep]
                    if not len(index):
                        continue
                    parts = [phi[:, keep], *(pair_interactions(v[:, keep]) for v in coalitions)]
                    values = np.concatenate([_by_sample(a, columns, len(epochs)) for a in parts], axis=1)
                    rows += _write_rows(writer, data, names, index, values)
        replace_durably(tmp, out)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the CSV ({exc.strerror or exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return rows


def _by_sample(values: np.ndarray, columns: np.ndarray, num_epochs: int) -> np.ndarray:
    """``[epoch, sample, k]`` values of some epochs as ``[sample, num_epochs * k]`` rows, NaN where not valued."""
    full = np.full((num_epochs, *values.shape[1:]), np.nan, dtype=np.float64)
    full[columns] = values
    return np.transpose(full, (1, 0, 2)).reshape(values.shape[1], -1)


def _write_rows(writer, data, names: list[str], index: np.ndarray, values: np.ndarray) -> int:
    ids, labels, splits = (data.take(name, index) for name in ("ids", "labels", "splits"))
    for i, row in enumerate(values.tolist()):
        label = int(labels[i])
        class_name = names[label] if 0 <= label < len(names) else ""
        cells = ["" if math.isnan(v) else f"{v:.7g}" for v in row]
        writer.writerow([ids[i], class_name, label, splits[i], *cells])
    return len(index)


def _blocks(valuation: SplitValuation, epoch: int | None, value_fn: str | None, interaction: bool):
    """``(sample_index, phi)`` blocks, or with ``interaction`` ``(sample_index, phi, coalition values)``."""
    if interaction:
        return valuation.value_blocks(epoch, CSV_BLOCK_BYTES, value_fn)
    return valuation.phi_blocks(epoch, CSV_BLOCK_BYTES, value_fn)
