"""``modalens experiment``: run a grid of datasets × strategies × parameter values × seeds under one
protocol (``run``), summarise it over seeds against a baseline (``table``) and draw its standard figures
(``figure``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "experiment",
        description="Run a grid of runs under one protocol and summarise it. Every run is an ordinary run "
        "folder under EXP/runs/; running the same command again skips finished runs, continues interrupted "
        "ones and retries failed ones.",
    )
    commands = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    commands.required = True
    run = commands.add_parser(
        "run",
        help="run every unfinished run of a grid, then write the table",
        description="Run a grid from a spec file (see benchmarks/strategies.toml), or the quick form: one "
        "dataset, a list of strategies, N seeds. With neither, continue the grid stored in --out.",
    )
    run.add_argument("spec", nargs="?", metavar="SPEC.toml", help="experiment spec")
    run.add_argument("--out", required=True, metavar="EXP", help="experiment folder")
    run.add_argument("--data", help="quick form: dataset folder holding manifest.csv")
    run.add_argument(
        "--strategies", help="quick form: comma-separated strategy names, the first is the baseline"
    )
    run.add_argument("--seeds", type=int, help="quick form: number of seeds (0..N-1) (default: 1)")
    run.add_argument("--epochs", type=int, help="quick form: epochs of every run")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="quick form: a config value of every run (e.g. optim.lr=3e-4); repeatable",
    )
    run.add_argument(
        "--jobs", type=int, help="runs at once here (default: one per GPU, else one per two cores)"
    )
    run.add_argument("--backend", choices=("local", "slurm"), default="local", help="where the runs train")
    run.set_defaults(func=run_command)
    table = commands.add_parser(
        "table",
        help="write EXP/results.md and results.csv and print the table",
        description="Per cell, mean ± 95 % t-interval over seeds; paired differences against the baseline.",
    )
    table.add_argument("exp", metavar="EXP", help="experiment folder")
    _table_options(table)
    table.set_defaults(func=table_command)
    figure = commands.add_parser(
        "figure",
        help="write the experiment's standard figures (no display needed)",
        description="Per dataset: φ gap and test accuracy per strategy (mean ± 95 % t-interval over seeds), "
        "paired Δ test accuracy against the baseline (bootstrap interval), the pooled histogram of pair "
        "interactions, and per strategy a fixed/broken scatter of each modality's φ against the baseline "
        "(first common seed); paper-column size.",
    )
    figure.add_argument("exp", metavar="EXP", help="experiment folder")
    figure.add_argument("--out", required=True, metavar="DIR", help="folder the figures are written to")
    figure.add_argument(
        "--format", default="png,svg,pdf", help="comma-separated formats among png, svg, pdf (default: all three)"
    )
    _table_options(figure)
    figure.set_defaults(func=figure_command)


def _table_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--baseline", help="strategy label to compare against (default: the spec's)")
    parser.add_argument(
        "--epoch", choices=("best", "last"), help="epoch read from each run (default: the spec's)"
    )


QUICK_OPTIONS = ("data", "strategies", "seeds", "epochs")


def quick_spec(args: argparse.Namespace):
    """The spec of the quick form's options."""
    from core.config import ConfigError, RunConfig, parse_value
    from core.experiments.spec import DatasetSpec, ExperimentSpec, StrategySpec

    if not args.data or not args.strategies:
        raise ConfigError(
            "the quick form needs both --data DIR and --strategies NAME,NAME (or give a SPEC.toml)"
        )
    seeds = 1 if args.seeds is None else args.seeds
    if seeds < 1:
        raise ConfigError(f"--seeds: expected an integer >= 1, got {seeds}")
    protocol = RunConfig()
    if args.epochs is not None:
        if args.epochs < 1:
            raise ConfigError(f"--epochs: expected an integer >= 1, got {args.epochs}")
        protocol.optim.epochs = args.epochs
    values = {}
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep or "." not in key:
            raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. optim.lr=0.001")
        values[key.strip()] = parse_value(raw)
    data = Path(args.data).expanduser().absolute()
    name = "".join(c if c.isalnum() or c in "_+-" else "-" for c in data.name) or "data"
    spec = ExperimentSpec(
        name="quick",
        seeds=list(range(seeds)),
        datasets=[DatasetSpec(name=name, path=str(data), set=values)],
        strategies=[StrategySpec(name=s.strip()) for s in args.strategies.split(",") if s.strip()],
        protocol=protocol,
    )
    return spec.validate("command line")


def chosen_spec(args: argparse.Namespace):
    from core.config import ConfigError
    from core.experiments.experiment import stored_spec
    from core.experiments.spec import ExperimentSpec

    quick = [f"--{name}" for name in QUICK_OPTIONS if getattr(args, name) is not None] + (
        ["--set"] if args.set else []
    )
    if args.spec:
        if quick:
            raise ConfigError(
                f"give either SPEC.toml or the quick form's options, not both ({', '.join(quick)})"
            )
        return ExperimentSpec.load(args.spec)
    if quick:
        return quick_spec(args)
    return stored_spec(args.out)


def run_command(args: argparse.Namespace) -> int:
    from core.experiments.experiment import run_experiment
    from core.experiments.outcome import STATES
    from core.experiments.table import RESULTS_MD
    from core.run_files.state import RunState

    spec = chosen_spec(args)
    results = run_experiment(spec, args.out, jobs=args.jobs, backend=args.backend)
    failed = [r for r in results if r.state == RunState.FAILED]
    stopped = [r for r in results if r.state == RunState.STOPPED]
    counts = {state: sum(1 for r in results if r.state == state) for state in STATES}
    print(
        ", ".join(f"{n} {state}" for state, n in counts.items()) + f"; table: {Path(args.out) / RESULTS_MD}"
    )
    if stopped:
        print("stopped runs continue where they stopped when the same command runs again", file=sys.stderr)
        return 130
    return 1 if failed else 0


def table_spec(args: argparse.Namespace):
    """The experiment's stored spec with the command's --baseline and --epoch."""
    from core.config import ConfigError
    from core.experiments.experiment import stored_spec

    spec = stored_spec(args.exp)
    if args.baseline:
        labels = [s.key for s in spec.strategies]
        if args.baseline not in labels:
            raise ConfigError(f"--baseline: expected one of {', '.join(labels)}, got {args.baseline!r}")
        spec.table.baseline = args.baseline
    if args.epoch:
        spec.table.epoch = args.epoch
    return spec.validate(str(args.exp))


def table_command(args: argparse.Namespace) -> int:
    from core.experiments.table import write_table

    print(write_table(table_spec(args), args.exp))
    return 0


def figure_command(args: argparse.Namespace) -> int:
    from core.config import ConfigError
    from core.experiments.figures import experiment_figures
    from core.figures import FORMATS

    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        raise ConfigError(f"--format {args.format!r}: expected some of {', '.join(FORMATS)}, comma-separated")
    spec = table_spec(args)
    written = experiment_figures(spec, args.exp, args.out, formats)
    if not written:
        print(f"{args.exp}: no finished run to draw", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
