"""AVE (audio-visual events): ``AVE/*.mp4`` with the sound inside, ``Annotations.txt`` and
``trainSet.txt`` / ``valSet.txt`` / ``testSet.txt``, rows ``Category&VideoID&Quality&StartTime&EndTime``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.data.sources.base import (
    SOURCES,
    ImportLog,
    Option,
    Sample,
    Source,
    files_by_stem,
    media_problem,
    missing_list,
    read_lines,
)
from core.data.sources.splits import stratified_split

ANNOTATIONS = "Annotations.txt"
SPLIT_LISTS = {"train": "trainSet.txt", "val": "valSet.txt", "test": "testSet.txt"}


@SOURCES.register
class Ave(Source):
    name = "ave"
    summary = "AVE audio-visual events: AVE/*.mp4 (audio inside) + split lists, label = event category (28)"
    layout = "ROOT/AVE/<VideoID>.mp4, ROOT/Annotations.txt, ROOT/trainSet.txt, valSet.txt, testSet.txt"
    kinds = {"audio": "audio"}
    options = (
        Option(
            "--event-window",
            "keep only the annotated event: write its start and end (seconds) as the start_s and end_s "
            "columns: the time window to cut each clip to",
            switch=True,
        ),
        Option(
            "--val-ratio", "without any split list: fraction for val (seeded, stratified)", float, 0.1, "F"
        ),
        Option("--test-ratio", "without any split list: fraction for test", float, 0.1, "F"),
        Option("--seed", "seed of the split", int, 0, "N"),
    )

    def scan(self, root: Path, out: Path, options: dict[str, Any], log: ImportLog) -> list[Sample]:
        folder = root / "AVE" if (root / "AVE").is_dir() else root
        clips = files_by_stem(folder, [".mp4"])
        log.count(f"clips ({folder}/*.mp4)", len(clips))
        annotations = _rows(root / ANNOTATIONS, log) if (root / ANNOTATIONS).is_file() else None
        if annotations is None:
            log.note(f"{root / ANNOTATIONS} not found: categories are not checked")
        categories = {row[0] for row in annotations} if annotations else None
        present = {split: name for split, name in SPLIT_LISTS.items() if (root / name).is_file()}
        if present:
            for name in set(SPLIT_LISTS.values()) - set(present.values()):
                missing_list(root / name, log)
            listed = [(split, row) for split, name in present.items() for row in _rows(root / name, log)]
        elif annotations:
            splits = stratified_split(
                [r[0] for r in annotations], options["val_ratio"], options["test_ratio"], options["seed"]
            )
            listed = list(zip(splits, annotations))
            log.note(
                f"no split list found: seeded stratified split of {ANNOTATIONS} (seed {options['seed']})"
            )
        else:
            raise ValueError(f"{root}: neither split lists nor {ANNOTATIONS} found (expected {self.layout})")

        samples: list[Sample] = []
        for split, (category, video_id, quality, start, end) in listed:
            if categories is not None and category not in categories:
                log.skip(f"unknown label (not a category of {ANNOTATIONS})", f"{video_id} ({category})")
                continue
            if video_id not in clips:
                log.skip("listed but absent on disk", video_id)
                continue
            problem = media_problem(clips[video_id], need_audio=True)
            if problem:
                log.skip(problem, video_id)
                continue
            metadata = {"quality": quality}
            if options["event_window"]:
                metadata |= {"start_s": start, "end_s": end}
            path = str(clips[video_id])
            samples.append(Sample(video_id, category, split, {"video": path, "audio": path}, metadata))
        for video_id in sorted(set(clips) - {row[1] for _, row in listed}):
            log.skip("on disk but in no list", video_id)
        return samples


def _rows(path: Path, log: ImportLog) -> list[tuple[str, str, str, str, str]]:
    """The ``&``-separated rows of a list file, without a header line; malformed rows are logged."""
    rows: list[tuple[str, str, str, str, str]] = []
    for number, line in enumerate(read_lines(path, log) or [], start=1):
        fields = [f.strip() for f in line.split("&")]
        if len(fields) == 5 and _is_number(fields[3]) and _is_number(fields[4]):
            category, video_id, quality, start, end = fields
            rows.append((category, video_id, quality, start, end))
        elif number > 1 or fields[0].lower() != "category":
            log.skip(
                "malformed list row (expected Category&VideoID&Quality&StartTime&EndTime)",
                f"{path.name} line {number}",
            )
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
