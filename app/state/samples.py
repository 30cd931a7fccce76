"""The samples the window shows: one numpy column per field, one row per sample."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.data.prepared import Exclusion

SUMMARY_KINDS = 8  # kinds of problem the dataset summary lists one by one
SUMMARY_EXAMPLES = 3  # rows named per kind


@dataclass
class SampleSet:
    """A dataset's samples as the window shows them: one numpy column per field, one row per sample.

    Made from a manifest, from the data a run trains on, or from a report (all three list the same
    fields). Ids, splits and metadata are ``str`` columns, converted once when the set is made (for a
    report, in the task that reads it), not by each view that shows them."""

    root: Path
    ids: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    splits: np.ndarray
    modalities: list[str]
    modality_kinds: dict[str, str]
    media: dict[str, np.ndarray]
    metadata: dict[str, np.ndarray]
    excluded: list[Exclusion] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ids, self.splits = _text(self.ids), _text(self.splits)
        self.metadata = {name: _text(column) for name, column in self.metadata.items()}

    def __len__(self) -> int:
        return len(self.ids)

    def media_path(self, index: int, modality: str) -> Path:
        return self.root / str(self.media[modality][index])

    def media_found(self) -> bool:
        """True when the first sample's media files are where this set expects them."""
        if len(self) == 0 or not self.modalities:
            return True
        return all(self.media_path(0, m).is_file() for m in self.modalities)

    def summary_line(self) -> str:
        """"48 samples (train 32, val 8, test 8); 3 rows left out" in one line."""
        splits, counts = np.unique(self.splits, return_counts=True)
        per_split = ", ".join(f"{name} {count}" for name, count in zip(splits.tolist(), counts.tolist(), strict=True))
        left_out = len({e.row for e in self.excluded})
        line = f"{len(self)} usable sample{'' if len(self) == 1 else 's'}" + (f" ({per_split})" if per_split else "")
        return line + (f"; {left_out} row{'' if left_out == 1 else 's'} left out" if left_out else "; none left out")

    def summary_text(self) -> str:
        """The summary line, then the problems that left rows out, by kind: how many rows, the column, one
        reason as written and the first rows it names."""
        lines = [f"{self.root}: {self.summary_line()}"]
        kinds: dict[tuple[str, str], list[Exclusion]] = {}
        for item in self.excluded:
            kinds.setdefault((item.column, _kind(item.reason)), []).append(item)
        ranked = sorted(kinds.items(), key=lambda kind: len(kind[1]), reverse=True)
        for (_, kind), items in ranked[:SUMMARY_KINDS]:
            rows = sorted({e.row for e in items})
            named = ", ".join(str(row) for row in rows[:SUMMARY_EXAMPLES]) + (", …" if len(rows) > SUMMARY_EXAMPLES else "")
            count = f"{len(rows)} row{'' if len(rows) == 1 else 's'}"
            where = "row" if len(rows) == 1 else "rows"
            reason = items[0].reason if all(e.reason == items[0].reason for e in items) else kind
            lines.append(f"  {count}, column {items[0].column!r}: {reason} ({where} {named})")
        rest = sum(len(items) for _, items in ranked[SUMMARY_KINDS:])
        if rest:
            lines.append(f"  {rest} more problem(s) of {len(ranked) - SUMMARY_KINDS} other kind(s): see the Log pane")
        return "\n".join(lines)

    def with_root(self, root: str | Path) -> SampleSet:
        return dataclasses.replace(self, root=Path(root))

    def same_samples(self, samples) -> bool:
        """Whether ``samples`` (anything with ``ids`` and ``modalities``) lists the same sample ids and
        modalities as this set."""
        return list(self.modalities) == list(samples.modalities) and np.array_equal(
            self.ids, np.asarray(samples.ids).astype(str)
        )

    @classmethod
    def from_samples(cls, samples) -> SampleSet:
        """From a :class:`core.data.manifest.Manifest` (no media decoded) or a
        :class:`core.data.prepared.PreparedData` (as carried by ``RunStarted``): both list the samples
        with the same fields."""
        return cls(
            root=Path(samples.root),
            ids=samples.ids,
            labels=samples.labels,
            class_names=list(samples.class_names),
            splits=samples.splits,
            modalities=list(samples.modalities),
            modality_kinds=dict(samples.modality_kinds),
            media=dict(samples.media),
            metadata=dict(samples.metadata),
            excluded=list(samples.excluded),
        )

    @classmethod
    def from_report(cls, dataset, modalities: list[str]) -> SampleSet:
        """From a report's :class:`core.report.reader.ReportDataset` (no media access)."""
        media = dataset.media
        return cls(
            root=Path(dataset.root) if dataset.root else Path("."),
            ids=dataset.ids,
            labels=np.asarray(dataset.labels, np.int64),
            class_names=list(dataset.class_names),
            splits=dataset.splits,
            modalities=list(modalities),
            modality_kinds=dict(dataset.modality_kinds),
            media={m: media[m].astype(object) for m in modalities if m in media},
            metadata=dict(dataset.metadata),
            excluded=list(dataset.excluded),
        )


def _kind(reason: str) -> str:
    """A problem's kind: its reason with quoted names and numbers left out ("file … not found")."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?", "…", reason)


def _text(column: np.ndarray) -> np.ndarray:
    """``column`` as a numpy ``str`` array (itself when it already is one)."""
    return np.asarray(column, dtype=str)
