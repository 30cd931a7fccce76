"""Kinetics-Sounds: the clips of a Kinetics-400/600/700 download (cvdfoundation layout) whose class is
one of the Kinetics-Sounds classes; audio from inside each mp4."""

from __future__ import annotations

import csv
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
    read_lines,
)
from core.data.sources.splits import carve_val

# The 31 classes most audio-visual papers use (OGM-GE and its followers; IBM/AdaMML lists them).
KINETICS_SOUNDS_31 = (
    "blowing nose",
    "blowing out candles",
    "bowling",
    "chopping wood",
    "dribbling basketball",
    "laughing",
    "mowing lawn",
    "playing accordion",
    "playing bagpipes",
    "playing bass guitar",
    "playing clarinet",
    "playing drums",
    "playing guitar",
    "playing harmonica",
    "playing keyboard",
    "playing organ",
    "playing piano",
    "playing saxophone",
    "playing trombone",
    "playing trumpet",
    "playing violin",
    "playing xylophone",
    "ripping paper",
    "shoveling snow",
    "shuffling cards",
    "singing",
    "stomping grapes",
    "tap dancing",
    "tapping guitar",
    "tapping pen",
    "tickling",
)
ANNOTATION_SPLITS = {"train": "train", "val": "val", "validate": "val", "test": "test"}


@SOURCES.register
class KineticsSounds(Source):
    name = "kinetics-sounds"
    summary = "Kinetics-Sounds: a Kinetics-400/600/700 download filtered to the Kinetics-Sounds classes"
    layout = (
        "ROOT/annotations/<split>.csv (label,youtube_id,time_start,time_end,split) and "
        "ROOT/<split>/<youtube_id>_<start:06d>_<end:06d>.mp4"
    )
    kinds = {"audio": "audio"}
    options = (
        Option(
            "--classes",
            "file with one class name per line; default: the 31 classes of OGM-GE (lists in the literature "
            "disagree: 31, 32 and 34 classes)",
            metavar="FILE",
        ),
        Option(
            "--val-as-test", "use Kinetics' val split as the test split (as most papers report)", switch=True
        ),
        Option("--val-ratio", "fraction of train moved to val (seeded, stratified)", float, 0.0, "F"),
        Option("--seed", "seed of the val split", int, 0, "N"),
    )

    def scan(self, root: Path, out: Path, options: dict[str, Any], log: ImportLog) -> list[Sample]:
        classes = _classes(options["classes"], log)
        annotations = sorted((root / "annotations").glob("*.csv"))
        annotations = [p for p in annotations if p.stem.lower() in ANNOTATION_SPLITS]
        if not annotations:
            raise ValueError(
                f"{root}: no annotations/train.csv, val.csv or test.csv (expected {self.layout})"
            )
        clips = {
            stem: path
            for stem, path in files_by_stem(root, [".mp4"], recursive=True).items()
            if "annotations" not in path.relative_to(root).parts
        }
        log.count("mp4 clips", len(clips))
        samples: list[Sample] = []
        seen_classes: set[str] = set()
        for path in annotations:
            split = ANNOTATION_SPLITS[path.stem.lower()]
            if split == "val" and options["val_as_test"]:
                split = "test"
            rows = list(csv.DictReader(read_lines(path, log) or []))
            log.count(f"rows in annotations/{path.name}", len(rows))
            for row in rows:
                label = _normal(row.get("label") or "")
                if not label:
                    log.skip(f"row without a label in {path.name}", row.get("youtube_id", "?"))
                    continue
                seen_classes.add(label)
                if label not in classes:
                    continue
                stem = _clip_stem(row)
                if stem is None:
                    log.skip(f"malformed row in {path.name}", str(row))
                elif stem not in clips:
                    log.skip("listed in the annotations but absent on disk", stem)
                elif problem := media_problem(clips[stem], need_audio=True):
                    log.skip(problem, stem)
                else:
                    media = {"video": str(clips[stem]), "audio": str(clips[stem])}
                    samples.append(Sample(stem, label, split, media))
        for name in sorted(set(classes) - seen_classes):
            log.note(
                f"class {name!r} is not in the annotations (class names differ between Kinetics versions)"
            )
        carve_val(samples, options["val_ratio"], options["seed"])
        return samples


def _classes(path: str | None, log: ImportLog) -> set[str]:
    if not path:
        log.note(f"classes: the default {len(KINETICS_SOUNDS_31)}-class Kinetics-Sounds list")
        return set(KINETICS_SOUNDS_31)
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValueError(f"--classes {file}: file not found (expected one class name per line)")
    names = {_normal(line) for line in file.read_text(encoding="utf-8-sig").splitlines() if line.strip()}
    log.note(f"classes: {len(names)} from {file}")
    return names


def _normal(label: str) -> str:
    """Class names as in Kinetics 400/600/700 csv files: quotes and underscores dropped, lower case."""
    return " ".join(label.strip().strip('"').replace("_", " ").lower().split())


def _clip_stem(row: dict[str, str]) -> str | None:
    try:
        start, end = int(float(row["time_start"])), int(float(row["time_end"]))
    except (KeyError, TypeError, ValueError):
        return None
    return f"{row.get('youtube_id', '')}_{start:06d}_{end:06d}" if row.get("youtube_id") else None
