"""Writing a figure as PNG, SVG and PDF files, each complete or absent."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from core.atomic import atomic_write
from core.figures.style import paper_style

FORMATS = ("png", "svg", "pdf")
DPI = 300
_METADATA = {  # no creation dates: the same figure gives the same SVG and PDF
    "png": {"Software": "ModaLens"},
    "svg": {"Creator": "ModaLens", "Date": None},
    "pdf": {"Creator": "ModaLens", "Producer": "ModaLens", "CreationDate": None},
}


def save_figure(figure: Figure, stem: str | Path, formats: Sequence[str] = FORMATS, dpi: int = DPI) -> list[Path]:
    """Write ``figure`` to ``<stem>.<format>`` for each format (png, svg, pdf; PNG at ``dpi``) through a
    temporary file and a rename; returns the paths written. ValueError for an unknown format."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown figure format(s) {', '.join(unknown)}; expected some of {', '.join(FORMATS)}")
    stem = Path(stem)
    written = []
    with paper_style():
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_write(path) as handle:
                figure.savefig(handle, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
            written.append(path)
    return written
