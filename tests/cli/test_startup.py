"""`modalens --version`, `--help` and `report ...` start without importing torch; a closed stdout pipe
ends a command quietly. Timings: benchmarks/cli_startup.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys
from core.cli.main import main
try:
    code = main({argv!r})
except SystemExit as stop:
    code = stop.code
heavy = sorted(m for m in ("torch", "cv2", "PySide6") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
sys.exit(code)
"""


def imported_heavy(argv: list[str]) -> tuple[int, str, str]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(argv=argv)], capture_output=True, text=True, timeout=600
    )
    marker = next(line for line in result.stdout.splitlines() if line.startswith("HEAVY="))
    return result.returncode, marker.removeprefix("HEAVY="), result.stdout + result.stderr


@pytest.mark.parametrize(
    "argv, code",
    [
        (["--version"], 0),
        (["--help"], 0),
        (["-v"], 2),  # no command: the command list, status 2
        (["report", "--help"], 0),
        (["report", "summary", "/no/such/report.h5"], 2),
        (["train", "--help"], 0),
        (["strategies", "--help"], 0),
    ],
)
def test_quick_commands_do_not_import_torch(argv, code):
    status, heavy, output = imported_heavy(argv)
    assert status == code, output
    assert heavy == "", f"{argv} imported {heavy}"


def test_the_command_list_names_every_command():
    status, _, output = imported_heavy(["--help"])
    for name in ("demo", "train", "value", "strategies", "report", "gui"):
        assert f"    {name} " in output


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`modalens value ... | head` style: the reader goes away before the command writes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "strategies"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()  # before the command (which needs a second to start) prints anything
    err = process.stderr.read().decode()
    assert process.wait(timeout=600) == 1
    assert err == ""
