"""Which value function shows which modality carried a sample: for finished two-modality runs, per value
function, the share of exact ties (φ_1 = φ_2) and how often the sign of φ_1 − φ_2 points at the modality
that carries the label, on the samples where one modality is known to be uninformative.

The known modality comes from a metadata column: ``degraded`` (the check set of benchmarks/checkset.py:
``none`` / ``video`` / ``audio``, the other modality is the informative one) or ``informative`` (the
``per-sample`` demo: the modality that carries the label). A tie counts as not pointing anywhere.

    nice .venv/bin/python benchmarks/effects/value_functions.py RUN [RUN ...] [--split test] [--epoch best]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.experiments.readout import chosen_epoch, report_path  # noqa: E402
from core.report.reader import open_report  # noqa: E402
from core.valuation.value_functions import VALUE_FUNCTIONS  # noqa: E402


def informative_modality(metadata: dict[str, np.ndarray], modalities: list[str]) -> np.ndarray:
    """Per sample, the index of the modality that carries the label, or -1 where neither is known to."""
    if "informative" in metadata:
        known = np.asarray(metadata["informative"]).astype(str)
        return np.array([modalities.index(m) if m in modalities else -1 for m in known])
    if "degraded" in metadata:
        degraded = np.asarray(metadata["degraded"]).astype(str)
        other = {m: 1 - j for j, m in enumerate(modalities)}
        return np.array([other.get(m, -1) for m in degraded])
    raise SystemExit("the dataset has neither an 'informative' nor a 'degraded' metadata column")


def measure(run: Path, split: str, rule: str) -> list[dict[str, object]]:
    """One row per value function: ties over the split, and agreement and ties on the known samples."""
    report = open_report(report_path(run))
    valuation = report.valuation[split]
    modalities = list(valuation.modalities)
    if len(modalities) != 2:
        raise SystemExit(f"{run}: {len(modalities)} modalities; this measure needs two")
    epoch = chosen_epoch(report, rule)
    row = int(np.flatnonzero(valuation.epochs == epoch)[0])
    index = valuation.sample_index
    truth = informative_modality(report.dataset.metadata, modalities)[index]
    correct = np.asarray(valuation.correct[row], bool)
    known = truth >= 0
    rows = []
    for name in VALUE_FUNCTIONS.names():
        phi = valuation.values_as(name)[0][row].astype(np.float64)
        diff = phi[:, 0] - phi[:, 1]
        tie = diff == 0
        points = np.where(tie, -1, np.where(diff > 0, 0, 1))
        rows.append(
            {
                "run": run.name,
                "epoch": epoch,
                "acc": float(correct.mean()),
                "value_fn": name,
                "ties": float(tie.mean()),
                "known": int(known.sum()),
                "agree": float((points[known] == truth[known]).mean()),
                "ties_known": float(tie[known].mean()),
                "agree_right": float((points[known & correct] == truth[known & correct]).mean()),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders (or their report.h5)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--epoch", default="best", choices=("best", "last"))
    args = parser.parse_args(argv)
    print(
        "| run | epoch | test acc | value function | ties (all) | known samples | points at the informative "
        "modality | ties (known) | points (known, fused right) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for run in args.runs:
        for r in measure(Path(run), args.split, args.epoch):
            print(
                f"| {r['run']} | {r['epoch']} | {r['acc']:.3f} | {r['value_fn']} | {r['ties']:.3f} | {r['known']} "
                f"| {r['agree']:.3f} | {r['ties_known']:.3f} | {r['agree_right']:.3f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
