"""The samples the window shows: one numpy column per field, one row per sample."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.data import Exclusion, Samples

SUMMARY_KINDS = 8  # kinds of problem the dataset summary lists one by one
SUMMARY_EXAMPLES = 3  # rows named per kind


@dataclass
class SampleSet:
    """A dataset's samples as the window shows them: a :class:`core.data.samples.Samples` table whose ids,
    splits and metadata are ``str`` columns, converted once when the set is made (for a report, in the task
    that reads it), not by each view that shows them.

    Made from a manifest, from the data a run trains on, or from a report (all three hold the same table)."""

    root: Path
    samples: Samples
    excluded: list[Exclusion] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.samples
        self.samples = dataclasses.replace(
            s, ids=_text(s.ids), labels=np.asarray(s.labels, np.int64), splits=_text(s.splits),
            metadata={name: _text(c) for name, c in s.metadata.items()},
        )

    def __len__(self) -> int:
        return len(self.samples)

    # The table's columns, as the views read them.
    @property
    def ids(self) -> np.ndarray:
        return self.samples.ids

    @property
    def labels(self) -> np.ndarray:
        return self.samples.labels

    @property
    def class_names(self) -> list[str]:
        return self.samples.class_names

    @property
    def splits(self) -> np.ndarray:
        return self.samples.splits

    @property
    def modalities(self) -> list[str]:
        return self.samples.modalities

    @property
    def modality_kinds(self) -> dict[str, str]:
        return self.samples.modality_kinds

    @property
    def media(self) -> dict[str, np.ndarray]:
        return self.samples.media

    @property
    def metadata(self) -> dict[str, np.ndarray]:
        return self.samples.metadata

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

    def same_samples(self, holder) -> bool:
        """Whether ``holder`` (anything with a ``samples`` table) lists the same sample ids and modalities as
        this set."""
        other = holder.samples
        return list(self.modalities) == list(other.modalities) and np.array_equal(self.ids, np.asarray(other.ids).astype(str))

    @classmethod
    def from_samples(cls, holder) -> SampleSet:
        """From a :class:`core.data.manifest.Manifest` (no media decoded) or a
        :class:`core.data.tensors.PreparedData` (as carried by ``RunStarted``): both hold a sample table."""
        return cls(root=Path(holder.root), samples=holder.samples, excluded=list(holder.excluded))

    @classmethod
    def from_report(cls, dataset, modalities: list[str]) -> SampleSet:
        """From a report's :class:`core.report.report_dataset.ReportDataset` (no media access)."""
        root = Path(dataset.root) if dataset.root else Path(".")
        return cls(root=root, samples=dataset.samples(modalities), excluded=list(dataset.excluded))


def _kind(reason: str) -> str:
    """A problem's kind: its reason with quoted names and numbers left out ("file … not found")."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?", "…", reason)


def _text(column: np.ndarray) -> np.ndarray:
    """``column`` as a numpy ``str`` array (itself when it already is one)."""
    return np.asarray(column, dtype=str)
