"""Resuming a report: whether an existing file can be continued, and trimming the rows a resumed run redoes."""

from __future__ import annotations

import h5py
import numpy as np

from core.report import layout
from core.report.format import FORMAT_NAME, FORMAT_VERSION, attr_text

DYNAMIC_GROUPS = ("training", "mi", "resampling", "valuation")
"""The groups that grow while a run writes (copied from the old file on resume)."""


def not_resumable(src: h5py.File) -> str:
    """Why an existing file cannot be resumed ("" when it can)."""
    if attr_text(src.attrs.get("format", "")) != FORMAT_NAME:
        return "is not a ModaLens report"
    if int(src.attrs.get("format_version", -1)) != FORMAT_VERSION:
        return f"has report format version {src.attrs.get('format_version')}, not {FORMAT_VERSION}"
    missing = [name for name in (*DYNAMIC_GROUPS, "overview", "environment") if name not in src]
    return f"lacks {', '.join(missing)}" if missing else ""


def trim_for_resume(f: h5py.File, start_epoch: int, start_step: int = 0) -> None:
    """Drop rows the resumed run redoes: epoch >= start_epoch, but for step tables the steps of
    start_epoch before start_step stay (a run stopped mid-epoch continues there), and for re-sampling
    plans epoch > start_epoch (the plan for start_epoch was made before it; a re-sent plan replaces it)."""
    for table in layout.tables(f):
        rows = min([layout.committed_rows(table)] + [ds.shape[0] for ds in layout.row_datasets(table)])
        epochs = table["epoch"][:rows]
        if table.name == "/resampling":
            redone = epochs > start_epoch
        elif table.name.endswith("/step") and start_step > 0:
            steps = table["step"][:rows]
            redone = (epochs > start_epoch) | ((epochs == start_epoch) & (steps >= start_step))
        else:
            redone = epochs >= start_epoch
        later = np.flatnonzero(redone)
        layout.truncate_table(table, int(later[0]) if len(later) else rows)
