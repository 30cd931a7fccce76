"""Shared by the source tests: run ``modalens import``/``train`` and read what an import wrote."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from core.cli.main import main

TRAIN_SETTINGS = (
    "--set",
    "optim.batch_size=4",
    "--set",
    "data.video.frames=2",
    "--set",
    "data.audio.duration_s=0.5",
)


def run_import(capsys, *args) -> tuple[int, str]:
    """``modalens import ARGS`` in this process: exit code and everything it printed."""
    code = main(["import", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def train_one_epoch(data: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "core.cli",
            "train",
            "--data",
            str(data),
            "--epochs",
            "1",
            "--out",
            str(out),
            "--device",
            "cpu",
            *TRAIN_SETTINGS,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def manifest_rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def dataset_toml(out: Path) -> dict:
    return tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))


def skip_count(out: Path, reason: str) -> int:
    """How many items ``import.txt`` lists as skipped for ``reason`` (0 when none)."""
    text = (out / "import.txt").read_text(encoding="utf-8")
    section = text.split("\nskipped: ", 1)[1].split("\n\n", 1)[0]
    match = re.search(rf"^  (\d+) {re.escape(reason)}: ", section, re.M)
    return int(match.group(1)) if match else 0


def total_skipped(out: Path) -> int:
    text = (out / "import.txt").read_text(encoding="utf-8")
    return int(re.search(r"^skipped: (\d+)$", text, re.M).group(1))
