"""``modalens train``: train a model with a strategy and value every sample after every epoch."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from core.config import RunConfig

if TYPE_CHECKING:
    from core.training.engine import Engine

def register(subparsers: argparse._SubParsersAction) -> None:
    from core.presets import PRESETS
    from core.recipes import DEFAULT_RECIPE, RECIPES

    defaults = RunConfig()
    parser = subparsers.add_parser(
        "train",
        description="Train a model with a strategy and value every training sample after every epoch. "
        "Unset options come from the --config file, the --resume checkpoint, or the defaults shown.",
    )
    parser.add_argument("--data", help="dataset folder holding manifest.csv")
    parser.add_argument(
        "--media-root",
        metavar="DIR",
        help="approve reading the dataset's media from DIR, a folder outside the dataset folder (remembered "
        "for that dataset in your config folder; never / or a system folder)",
    )
    parser.add_argument(
        "--strategy", help=f"training strategy, see `modalens strategies` (default: {defaults.strategy.name})"
    )
    parser.add_argument("--epochs", type=int, help=f"number of epochs (default: {defaults.optim.epochs})")
    parser.add_argument(
        "--device", help=f"auto, cpu, cuda, cuda:N or mps (default: {defaults.runtime.device})"
    )
    parser.add_argument(
        "--config", help="TOML config file (see config.toml in any run folder); relative paths in it are "
        "taken from its folder"
    )
    parser.add_argument(
        "--preset",
        choices=PRESETS.names(),
        help="a model preset: a reference's recipe, encoders and optimiser in one (see docs/recipes.md)",
    )
    parser.add_argument(
        "--recipe",
        choices=RECIPES.names(),
        help=f"preprocessing recipe (default: {DEFAULT_RECIPE}, or the preset's; see docs/recipes.md)",
    )
    parser.add_argument("--seed", type=int, help=f"random seed (default: {defaults.runtime.seed})")
    parser.add_argument(
        "--workers", type=int, help="processes decoding media into the store (default: one per core)"
    )
    parser.add_argument("--out", help="run folder (default: runs/<time>-<strategy>, or the resumed run's)")
    parser.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue the run saved in this checkpoint, or in this run folder (its checkpoints/last.pt)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --out (its report, checkpoints and logs are removed first)",
    )
    parser.add_argument(
        "--trust-checkpoint",
        action="store_true",
        help="also read checkpoints of ModaLens 0.1 (--resume, model.init_encoders_from); such files are "
        "full pickles, and reading one runs any code it holds: use only for files you made yourself",
    )
    parser.add_argument(
        "--tensorboard",
        action="store_true",
        help="also write TensorBoard event files to RUN/tensorboard/ (runtime.tensorboard)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="strategy parameter (e.g. alpha=0.5) or any config value (e.g. optim.lr=3e-4); repeatable",
    )
    parser.set_defaults(func=run)


def build_config(args: argparse.Namespace, checkpoint: dict[str, Any] | None = None) -> RunConfig:
    """Config from the checkpoint, the --config file or defaults, then the command-line overrides."""
    if checkpoint is not None:
        config = RunConfig.from_toml(checkpoint["config_toml"], f"{args.resume} (config)")
    elif args.config:
        config = RunConfig.load(args.config)
    else:
        config = RunConfig()
    if args.preset:
        from core.presets import PRESETS

        config = PRESETS.get(args.preset).apply(config)
    if args.recipe:
        config.data = config.data.with_recipe(args.recipe)
    if args.strategy and args.strategy != config.strategy.name:
        config.strategy.name, config.strategy.params = args.strategy, {}
    for value, section, key in (
        (args.data, config.data, "path"),
        (args.epochs, config.optim, "epochs"),
        (args.device, config.runtime, "device"),
        (args.seed, config.runtime, "seed"),
        (args.tensorboard or None, config.runtime, "tensorboard"),
        (args.workers, config.data, "workers"),
    ):
        if value is not None:
            setattr(section, key, value)
    sets = [item if "." in item.partition("=")[0] else f"strategy.params.{item.strip()}" for item in args.set]
    config = config.with_overrides(sets)
    # absolute paths, each in its own meaning, so that the run's config.toml works from any folder
    config.resolve_paths(Path.cwd(), keys=(("data", "path"), ("model", "init_encoders_from")))
    if config.data.path:
        config.resolve_paths(config.data.path, keys=(("data", "cache_dir"),))
    return config


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
DEFAULT_RUNS_DIR = "runs"


def run(args: argparse.Namespace) -> int:
    from core.cli.checks import check_run
    from core.cli.progress import TerminalProgress
    from core.run_files.identity import check_same_strategy
    from core.runs.folder import RunFolder
    from core.runs.start import start_run
    from core.training.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(args.resume, trusted=args.trust_checkpoint) if args.resume else None
    config = build_config(args, checkpoint)
    if checkpoint is not None and args.strategy:  # the dataset is checked once prepared, by the engine
        trained = RunConfig.from_toml(checkpoint["config_toml"], f"{args.resume} (config)").strategy.name
        check_same_strategy(trained, args.strategy, args.resume)
    resumed = RunFolder.of_checkpoint(args.resume) if args.resume else None
    if args.out:
        folder = RunFolder(args.out)
    elif resumed is not None:
        folder = resumed
    else:
        folder = RunFolder.new(DEFAULT_RUNS_DIR, config.strategy.name)
    if args.media_root:
        from core.data.trust import approve_media_root

        approve_media_root(config.data.path or ".", args.media_root)
    check_run(config, folder.path, checkpoint, args.resume)  # every user error before the run folder exists
    resuming_here = resumed is not None and folder.path.resolve() == resumed.path
    if folder.holder() is None:  # a live run's folder: the engine names its holder when refused
        folder.check(resuming_here=resuming_here, overwrite=args.overwrite)
        if args.overwrite and not resuming_here and folder.holds_run():
            with folder.lock():
                folder.clear()
    rank0 = int(os.environ.get("RANK", "0")) == 0  # under torchrun only rank 0 reports
    listeners = [TerminalProgress()] if rank0 else [_print_failure]
    engine = start_run(
        config, folder.path, listeners, resume_from=args.resume, trust_checkpoints=args.trust_checkpoint,
        report=rank0,
    )
    with StopOnSignals(engine) as signals:
        outcome = engine.run()
    if outcome.failed:
        return 1
    if outcome.stopped:
        return 128 + (signals.received or signal.SIGINT)
    return 0


def _print_failure(event: object) -> None:
    from core.events import RunFailed

    if isinstance(event, RunFailed):
        print(event.error, file=sys.stderr)


_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
"""What ``signal.signal`` takes and returns."""


class StopOnSignals:
    """Ctrl-C, SIGTERM (cluster preemption) and SIGHUP (a closed terminal) ask the run to stop at the
    next clean point, where it saves a checkpoint and closes its report as stopped. A second signal does
    not interrupt that: the run still ends once its checkpoint and report are written."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.received: int | None = None
        self._previous: dict[int, _Handler] = {}

    def __enter__(self) -> StopOnSignals:
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)

    def _handle(self, signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if self.received is None:
            self.received = signum
            print(f"\n{name}: stopping at the next step, saving a checkpoint and the report...", file=sys.stderr, flush=True)
            self.engine.request_stop()
        else:
            print(f"\n{name}: already stopping; waiting for the checkpoint and report to be written", file=sys.stderr, flush=True)
