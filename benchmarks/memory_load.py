"""Peak memory of a first training run as the dataset grows, on a quiet and on a loaded machine.

For each condition (quiet; every core kept busy by ``stress-ng --cpu N``, or by one busy-loop process
per core where stress-ng is missing) and each size, a fresh ``modalens demo --samples N`` is written and
``modalens train --epochs 1`` run on it (the store is built during that run). The peak RSS of the train
process (``wait4``: the largest of it and its waited-for children) is taken, and the ratio large ÷ small
printed per condition (target <= 1.3).

    PYTHONPATH=. python benchmarks/memory_load.py --sizes 500,4000 --folder /tmp/memory_load
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

MODALENS = [sys.executable, "-m", "core.cli.main"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,4000", help="demo sizes, small first")
    parser.add_argument("--folder", default="/tmp/memory_load", help="scratch folder (emptied)")
    parser.add_argument("--conditions", default="quiet,load", help="quiet, load or both")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(args.folder)
    results: dict[str, dict[str, float]] = {}
    for condition in args.conditions.split(","):
        load = _start_load() if condition == "load" else []
        print(f"{condition}: load average before {os.getloadavg()[0]:.1f}", flush=True)
        try:
            results[condition] = {str(n): _peak_mb(folder, n) for n in sizes}
        finally:
            for process in load:
                process.kill()
                process.wait()
        peaks = results[condition]
        results[condition]["load_average_after"] = round(os.getloadavg()[0], 1)
        results[condition]["ratio"] = round(peaks[str(sizes[-1])] / peaks[str(sizes[0])], 3)
        print(f"{condition}: peak RSS " + ", ".join(f"{n} samples {peaks[str(n)]:.0f} MB" for n in sizes)
              + f"; ratio {peaks['ratio']:.2f}", flush=True)
    print(json.dumps({"cores": os.cpu_count(), "load": _load_tool(), "results": results}))
    return 0


def _peak_mb(folder: Path, samples: int) -> float:
    """Peak RSS (MB) of a first ``train --epochs 1`` on a fresh demo of ``samples`` samples."""
    shutil.rmtree(folder, ignore_errors=True)
    data, run = folder / f"demo-{samples}", folder / f"run-{samples}"
    subprocess.run([*MODALENS, "demo", "--samples", str(samples), "--out", str(data)], check=True,
                   stdout=subprocess.DEVNULL)
    started = time.monotonic()
    process = subprocess.Popen([*MODALENS, "train", "--data", str(data), "--epochs", "1", "--out", str(run)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"train on {samples} samples failed ({process.returncode}): {stderr[-2000:]}")
    print(f"  {samples} samples: {usage.ru_maxrss / 1024:.0f} MB, {time.monotonic() - started:.0f} s", flush=True)
    return usage.ru_maxrss / 1024  # KiB on Linux


def _load_tool() -> str:
    return "stress-ng" if shutil.which("stress-ng") else "busy loops"


def _start_load() -> list[subprocess.Popen]:
    cores = os.cpu_count() or 1
    if shutil.which("stress-ng"):
        return [subprocess.Popen(["stress-ng", "--cpu", str(cores), "--quiet"])]
    loop = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(cores)]


if __name__ == "__main__":
    sys.exit(main())
