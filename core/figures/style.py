"""The look of paper figures: one column wide (3.5 in), 8 pt text, the window's modality colours."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

COLUMN_WIDTH_IN = 3.5
FONT_PT = 8
ROW_HEIGHT_IN = 2.2  # one row of panels
# Okabe-Ito colours, as in the window (app/style.py): audio and video fixed, other modalities by position
AUDIO_COLOR, VIDEO_COLOR = "#E69F00", "#0072B2"
FIXED_COLORS = {"audio": AUDIO_COLOR, "video": VIDEO_COLOR}
PALETTE = ("#56B4E9", "#CC79A7", "#009E73", "#D55E00", "#F0E442", "#999999")
CORRECT_COLOR, INCORRECT_COLOR, NEUTRAL_COLOR = "#009E73", "#D55E00", "#999999"

PAPER_RC: dict[Any, Any] = {
    "font.size": FONT_PT,
    "axes.titlesize": FONT_PT,
    "axes.labelsize": FONT_PT,
    "xtick.labelsize": FONT_PT - 1,
    "ytick.labelsize": FONT_PT - 1,
    "legend.fontsize": FONT_PT - 1,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "lines.linewidth": 1.2,
    "lines.markersize": 3.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.4,
    "pdf.fonttype": 42,  # TrueType in PDFs, as publishers ask (no Type 3 fonts)
    "svg.fonttype": "none",  # text stays text in SVGs
    "svg.hashsalt": "modalens",  # the same figure gives the same SVG
    "figure.dpi": 100,
    "savefig.dpi": 300,
}


@contextmanager
def paper_style() -> Iterator[None]:
    """Matplotlib settings of every paper figure, while the figure is made and while it is saved."""
    with matplotlib.rc_context(PAPER_RC):
        yield


def new_figure(
    rows: int = 1, cols: int = 1, height_in: float = ROW_HEIGHT_IN, width_in: float = COLUMN_WIDTH_IN
) -> tuple[Figure, list[Axes]]:
    """A figure (call inside :func:`paper_style`) with a grid of axes, laid out to fit its size."""
    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    return figure, [ax for row in axes for ax in row]


def modality_colors(modalities: Sequence[str]) -> list[str]:
    """The window's colour of each modality: audio and video fixed, others by their position."""
    others = [m for m in modalities if m.lower() not in FIXED_COLORS]
    return [
        FIXED_COLORS.get(m.lower()) or PALETTE[(others.index(m) if m in others else zlib.crc32(m.encode())) % len(PALETTE)]
        for m in modalities
    ]
