"""`modalens gui --smoke` and `--screenshot` in a subprocess, as a user or a CI job runs them."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest

TIMEOUT_S = 600


def modalens(*args: str, data_home) -> subprocess.CompletedProcess:
    env = {**os.environ, "MODALENS_DATA_DIR": str(data_home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "core.cli.main", *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, env=env)


def png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", header[16:24])


def test_smoke_opens_the_data_and_shows_a_sample(av_demo, tmp_path):
    result = modalens("gui", "--smoke", "--data", str(av_demo), data_home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--smoke: OK (40 samples, showed s0000)" in result.stdout
    assert not (tmp_path / "runs").exists(), "a smoke run writes nothing in the user's folders"


def test_smoke_fails_with_the_reason(tmp_path):
    result = modalens("gui", "--smoke", "--data", str(tmp_path / "nowhere"), data_home=tmp_path)
    assert result.returncode == 1
    assert "cannot open dataset" in result.stderr and "nowhere" in result.stderr
    assert "Traceback" not in result.stderr


def test_screenshot_trains_one_epoch_and_saves_a_png(av_demo, tmp_path):
    out = tmp_path / "shots" / "window.png"
    result = modalens("gui", "--screenshot", str(out), "--data", str(av_demo), data_home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert png_size(out) == (1440, 900)
    assert out.stat().st_size > 50_000, "a real window, not a blank image"
    assert not list(out.parent.glob("*.tmp*"))


def test_the_window_without_a_display_says_so_instead_of_hanging(tmp_path):
    env = {**os.environ, "MODALENS_DATA_DIR": str(tmp_path)}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "core.cli.main"], capture_output=True, text=True,
                            timeout=TIMEOUT_S, env=env)
    assert result.returncode == 1
    assert "no display" in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.glob("demo-*"))


def test_screenshot_size_is_width_x_height():
    from app.main import parse_size

    assert parse_size("1280x720") == (1280, 720) and parse_size("1440×900") == (1440, 900)
    for bad in ("1280", "1280x", "x720", "wide x tall", "100x100"):
        with pytest.raises(ValueError, match="WIDTHxHEIGHT|200 to 10000"):
            parse_size(bad)


def test_a_bad_screenshot_size_is_one_clear_error(tmp_path):
    result = modalens("gui", "--screenshot", str(tmp_path / "x.png"), "--size", "big", data_home=tmp_path)
    assert result.returncode == 2
    assert "window size must be WIDTHxHEIGHT" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.slow
def test_screenshot_at_a_given_size(av_demo, tmp_path):
    out = tmp_path / "small.png"
    result = modalens("gui", "--screenshot", str(out), "--size", "1280x720", "--data", str(av_demo), data_home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert png_size(out) == (1280, 720)
