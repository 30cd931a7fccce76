"""Paired comparisons of two strategies of a finished experiment, per dataset: B − A in test accuracy (the
same test samples and seeds, two-level bootstrap as `modalens experiment table`), the share of (sample,
seed) pairs on which the two disagree and the standard error it gives, sqrt(discordant / pairs); and the
per-seed paired differences of each modality's head accuracy and of the φ gap, with a t-interval over
seeds (head accuracy is stored per epoch, not per sample).

    nice .venv/bin/python benchmarks/effects/paired.py EXP A B [A B ...] [--epoch best]

A grid's runs are labelled with their settings, quoted on the command line: "ogm-ge[alpha=1.0, ge=true]".
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.experiments import stats  # noqa: E402
from core.experiments.experiment import stored_spec  # noqa: E402
from core.experiments.grid import expand, settings_text  # noqa: E402
from core.experiments.readout import RunFigures, run_figures  # noqa: E402
from core.experiments.table import align  # noqa: E402


def figures_by_cell(exp: Path, rule: str) -> dict[tuple[str, str], dict[int, RunFigures]]:
    """(dataset, strategy label) -> seed -> the run's figures, for every finished run; a grid's runs are
    labelled with their settings, e.g. ``ogm-ge[alpha=1.0, ge=true]``."""
    found: dict[tuple[str, str], dict[int, RunFigures]] = {}
    for cell in expand(stored_spec(exp), exp):
        try:
            label = f"{cell.strategy}[{settings_text(cell.settings)}]" if cell.settings else cell.strategy
            found.setdefault((cell.dataset, label), {})[cell.seed] = run_figures(cell.run_dir, rule)
        except Exception as exc:  # an unfinished or failed run is left out, and said so
            print(f"left out {cell.name}: {exc}", file=sys.stderr)
    return found


def compare(a: dict[int, RunFigures], b: dict[int, RunFigures]) -> dict[str, object]:
    """The paired figures of B − A over their common seeds."""
    seeds = sorted(set(a) & set(b))
    pairs, discordant, total = [], 0, 0
    for seed in seeds:
        aligned = align(a[seed].test, b[seed].test)
        if aligned is None:
            raise SystemExit(f"seed {seed}: the two runs' test samples differ")
        pairs.append((aligned[0].arrays(), aligned[1].arrays()))
        discordant += int((aligned[0].correct != aligned[1].correct).sum())
        total += len(aligned[0].correct)
    share = discordant / total if total else math.nan
    out: dict[str, object] = {
        "seeds": len(seeds),
        "pairs": total,
        "d_acc": stats.paired_bootstrap(pairs, stats.accuracy),
        "d_phi_gap": stats.paired_bootstrap(pairs, stats.phi_gap),
        "discordant": share,
        "two_se": 2 * math.sqrt(share / total) if total else math.nan,
    }
    modalities = a[seeds[0]].modalities if seeds else []
    for m in modalities:
        key = f"head_acc/{m}"
        out[f"d_head/{m}"] = stats.t_interval([b[s].values[key] - a[s].values[key] for s in seeds])
    return out


def interval(i: stats.Interval) -> str:
    if math.isnan(i.low):
        return f"{i.value:+.3f}"
    return f"{i.value:+.3f} [{i.low:+.3f}, {i.high:+.3f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exp", help="experiment folder")
    parser.add_argument("pairs", nargs="+", help="strategy labels A B, A B, ...")
    parser.add_argument("--epoch", default="best", choices=("best", "last"))
    args = parser.parse_args(argv)
    if len(args.pairs) % 2:
        parser.error("strategy labels come in pairs A B")
    found = figures_by_cell(Path(args.exp), args.epoch)
    labels = sorted({label for _, label in found})
    unknown = [label for label in dict.fromkeys(args.pairs) if label not in labels]
    if unknown:
        parser.error(f"no finished runs labelled {', '.join(map(repr, unknown))} in {args.exp}; known: {', '.join(labels)}")
    datasets = sorted({d for d, _ in found}, key=lambda d: [c[0] for c in found].index(d))
    print("| dataset | B − A | pairs | Δ acc [95 % CI] | discordant | 2 s.e. | Δ φ gap | Δ head acc per modality |")
    print("|---|---|---|---|---|---|---|---|")
    for dataset in datasets:
        for a, b in zip(args.pairs[::2], args.pairs[1::2], strict=True):
            if (dataset, a) not in found or (dataset, b) not in found:
                continue
            r = compare(found[(dataset, a)], found[(dataset, b)])
            heads = "; ".join(f"{k.split('/', 1)[1]} {interval(v)}" for k, v in r.items() if k.startswith("d_head/"))
            print(
                f"| {dataset} | {b} − {a} | {r['pairs']} ({r['seeds']} seeds) | {interval(r['d_acc'])} "
                f"| {r['discordant']:.3f} | {r['two_se']:.3f} | {interval(r['d_phi_gap'])} | {heads} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
