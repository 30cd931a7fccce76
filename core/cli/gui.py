"""``modalens gui``: start the desktop app (the default when no command is given).

The window is found through the ``modalens.window`` entry point (pyproject.toml), so core never imports
the Qt layer."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

WINDOW_ENTRY_POINTS = "modalens.window"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gui", description="Open the desktop app (what `modalens` alone does).")
    parser.add_argument("--data", help="dataset folder to open (default: the built-in demo data)")
    parser.add_argument("--report", help="report file to open")
    parser.add_argument(
        "--smoke", action="store_true", help="start offscreen, load data, show a sample, exit"
    )
    parser.add_argument("--screenshot", metavar="FILE", help="train one epoch on the data, save a PNG, exit")
    parser.add_argument("--size", metavar="WxH", help="window size of --screenshot in pixels (default 1440x900)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    found = entry_points(group=WINDOW_ENTRY_POINTS, name="run")
    if not found:
        print(
            f"modalens gui: no desktop window is installed (entry point {WINDOW_ENTRY_POINTS}:run); "
            "reinstall modalens (pip install -e .)",
            file=sys.stderr,
        )
        return 1
    run_app = next(iter(found)).load()
    return run_app(data=args.data, report=args.report, smoke=args.smoke, screenshot=args.screenshot, size=args.size)
