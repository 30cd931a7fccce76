"""Colours shared by every view (one per modality, one for right and one for wrong predictions), and the
plot conventions that go with them: axes in plain units, colour keys in titles rather than legends.

The colours come from the Okabe–Ito palette, which stays distinguishable under the common forms of
colour blindness. Audio and video always get the same two colours; any other modality takes the next
free palette colour by its position among the non-fixed modalities of the dataset. Plot backgrounds and
text follow the widget's palette so the views read well in light and dark themes.
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette

AUDIO_COLOR = "#E69F00"  # orange
VIDEO_COLOR = "#0072B2"  # blue
FIXED_COLORS = {"audio": AUDIO_COLOR, "video": VIDEO_COLOR}
# Remaining Okabe–Ito colours, ordered so the first ones contrast best with audio and video.
PALETTE = ("#56B4E9", "#CC79A7", "#009E73", "#D55E00", "#F0E442", "#999999")
CORRECT_COLOR = "#009E73"  # bluish green
INCORRECT_COLOR = "#D55E00"  # vermillion
NEUTRAL_COLOR = "#999999"
GRID_ALPHA = 0.25  # opacity of plot grid lines, in every view and palette


def modality_color(name_or_index: str | int, modalities: Sequence[str] | None = None) -> QColor:
    """The colour of one modality, the same in every view.

    ``"audio"`` and ``"video"`` (any case) have fixed colours. Another name takes the palette colour of
    its position among the non-fixed names of ``modalities`` (a stable hash of the name when it is not
    listed). An integer picks the palette colour at that position (wrapping around).
    """
    if isinstance(name_or_index, bool) or not isinstance(name_or_index, (str, int)):
        raise TypeError(f"modality_color takes a modality name or index, got {name_or_index!r}")
    if isinstance(name_or_index, int):
        return QColor(PALETTE[name_or_index % len(PALETTE)])
    key = name_or_index.lower()
    if key in FIXED_COLORS:
        return QColor(FIXED_COLORS[key])
    others = [m for m in (modalities or []) if m.lower() not in FIXED_COLORS]
    position = others.index(name_or_index) if name_or_index in others else zlib.crc32(key.encode())
    return QColor(PALETTE[position % len(PALETTE)])


def modality_colors(modalities: Sequence[str]) -> list[QColor]:
    """``modality_color`` of each modality of a dataset, in order."""
    return [modality_color(m, modalities) for m in modalities]


def correctness_color(correct: bool) -> QColor:
    """Colour of a right (True) or wrong (False) prediction."""
    return QColor(CORRECT_COLOR if correct else INCORRECT_COLOR)


def with_alpha(color: QColor, alpha: int) -> QColor:
    """A copy of ``color`` with opacity ``alpha`` (0–255)."""
    out = QColor(color)
    out.setAlpha(alpha)
    return out


def text_color(palette: QPalette) -> QColor:
    """The palette's ordinary text colour (for labels drawn inside plots)."""
    return palette.color(QPalette.ColorRole.WindowText)


def apply_plot_palette(widget: pg.GraphicsView, palette: QPalette) -> None:
    """Give a pyqtgraph widget the palette's base colour as background and its text colour on axes,
    titles and legends (call again when the palette changes)."""
    widget.setBackground(palette.color(QPalette.ColorRole.Base))
    color = text_color(palette)
    pen = pg.mkPen(color)
    for item in widget.scene().items():
        if isinstance(item, pg.AxisItem):
            item.setPen(pen)
            item.setTextPen(pen)
        elif isinstance(item, pg.LegendItem):
            item.setLabelTextColor(color)
            for _, label in item.items:
                label.setText(label.text)
        elif isinstance(item, pg.PlotItem) and item.titleLabel.text:
            item.titleLabel.setText(item.titleLabel.text, color=color)


def plain_axes(plot: pg.PlotItem | pg.PlotWidget) -> None:
    """Axes that show values in the plot's own units: no automatic SI prefix or "(x0.001)" multiplier
    added to the label (pyqtgraph's default when values are small or large)."""
    for name in ("left", "bottom", "right", "top"):
        plot.getAxis(name).enableAutoSIPrefix(False)


def steady_label_room(plot: pg.PlotItem | pg.PlotWidget) -> None:
    """Axes whose room for tick labels grows but never shrinks: in a plot redrawn for each selection,
    a sample with shorter labels does not re-lay out the plot and redraw every axis beside it."""
    for name in ("left", "bottom", "right", "top"):
        plot.getAxis(name).setStyle(autoReduceTextSpace=False)


def color_key(names: Sequence[str], colors: Sequence[QColor]) -> str:
    """Rich text naming each series in its colour ("■ audio  ■ video"): a key in a plot's title, where it
    cannot cover the data as a legend inside the plot can."""
    return "&nbsp;&nbsp;".join(
        f"<span style='color:{QColor(color).name()}'>■&nbsp;{html.escape(name)}</span>"
        for name, color in zip(names, colors, strict=True)
    )
