"""Command-line start-up benchmark: median wall time of `modalens --version` and `modalens --help`.

Prints one JSON object: the median and every run's seconds per command, plus the bare interpreter's
start-up (``python -c pass``) as the floor. The command is the ``modalens`` script installed next to this
Python when there is one (what a user types), else ``python -m core.cli``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def modalens_command() -> list[str]:
    script = Path(sys.executable).with_name("modalens")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "core.cli"]


def wall_times(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default: 5)")
    args = parser.parse_args()
    command = modalens_command()
    results: dict[str, object] = {"command": " ".join(command), "runs": args.runs}
    for name, argv in (
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("modalens --version", [*command, "--version"]),
        ("modalens --help", [*command, "--help"]),
    ):
        times = wall_times(argv, args.runs)
        results[name] = {
            "median_s": round(statistics.median(times), 4),
            "runs_s": [round(t, 4) for t in times],
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
