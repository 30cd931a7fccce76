"""Screenshots of the Compare view and the experiment table (docs/screenshot-compare.png,
docs/screenshot-experiment.png), made offscreen as ``modalens gui --screenshot`` makes docs/screenshot.png.

Runs a small experiment (joint and ogm-ge, one seed, on the audio-visual demo) unless ``--exp`` names one,
opens it in the window, compares its first two runs, filters the browser to the samples B fixed and
selects one of them.

    python scripts/screenshot_compare.py [--exp EXP] [--out docs]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1440, 900)
COMPARE_HEIGHT = 400  # the Compare pane's height in the shot
TIMEOUT_S = 120


def make_experiment(exp: Path) -> None:
    from core.config import RunConfig
    from core.experiments.experiment import run_experiment
    from core.experiments.spec import DatasetSpec, ExperimentSpec, StrategySpec

    protocol = RunConfig()
    protocol.optim.epochs = 5
    protocol.optim.batch_size = 16
    protocol.runtime.device = "cpu"
    spec = ExperimentSpec(
        name="compare-shot",
        seeds=[0],
        datasets=[DatasetSpec(name="av", demo="balanced", samples=240)],
        strategies=[StrategySpec(name="joint"), StrategySpec(name="ogm-ge")],
        protocol=protocol,
    ).validate()
    run_experiment(spec, exp, jobs=1)


def wait(app, condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exp", type=Path, help="an experiment folder to show (default: run a small one)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder of the PNGs")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))

    from PySide6.QtCore import Qt

    from app.main import create_application, dispose
    from app.prompts import AutoPrompter
    from app.settings import AppSettings
    from app.views.lazy import frame_queue
    from app.window import MainWindow
    from core.experiments.compare import BROKEN, FIXED

    with tempfile.TemporaryDirectory(prefix="modalens-compare-shot-") as tmp:
        exp = args.exp or Path(tmp) / "EXP"
        if args.exp is None:
            make_experiment(exp)
        app = create_application()
        settings = AppSettings(Path(tmp) / "settings.ini")
        settings.runs_dir = Path(tmp) / "runs"
        window = MainWindow(settings=settings, prompter=AutoPrompter())
        try:
            window.resize(*SIZE)
            window.show()
            window.controller.open_experiment(exp)
            wait(app, lambda: window.experiment_table is not None, "the experiment")
            table = window.experiment_table
            finished = [run.name for run in table.runs.runs if run.state == "finished"]
            if len(finished) < 2:
                raise SystemExit(f"{exp}: fewer than two finished runs")
            table.choose(finished[0], finished[1])
            table.compare()
            wait(app, lambda: window.compare.result is not None and not window.controller.loading, "the comparison")
            wait(app, lambda: window.session.dataset is not None, "run B's report")
            window.resizeDocks([window.docks["compare"]], [COMPARE_HEIGHT], Qt.Orientation.Vertical)
            comparison = window.compare.result.comparison
            category = FIXED if comparison.count(FIXED) else BROKEN
            window.compare.set_browser_choice(category)
            rows = window.compare.rows_of(category)
            if len(rows):
                window.select_sample(int(rows[0]))
            wait(app, lambda: not frame_queue().pending, "the views' deferred refreshes")
            app.processEvents()
            args.out.mkdir(parents=True, exist_ok=True)
            for widget, name in ((window, "screenshot-compare.png"), (table, "screenshot-experiment.png")):
                if not widget.grab().save(str(args.out / name), "PNG"):
                    raise SystemExit(f"{args.out / name}: cannot write the PNG")
                print(f"saved {args.out / name}")
        finally:
            window.shutdown()
            dispose(window)
    return 0


if __name__ == "__main__":
    sys.exit(main())
