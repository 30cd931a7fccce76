"""CREMA-D: ``VideoFlash/*.flv`` (video without sound) and ``AudioWAV/*.wav``, clip names
``ActorID_Sentence_Emotion_Level`` (e.g. ``1001_IEO_HAP_LO``); the label is the emotion."""

from __future__ import annotations

import csv
import re
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
from core.data.sources.splits import carve_val, group_split

EMOTIONS = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")
_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")
SPLIT_LISTS = {"train": "train.csv", "test": "test.csv"}


@SOURCES.register
class CremaD(Source):
    name = "cremad"
    summary = "CREMA-D emotions: VideoFlash/*.flv + AudioWAV/*.wav, label = emotion (6 classes)"
    layout = "ROOT/VideoFlash/<id>.flv and ROOT/AudioWAV/<id>.wav, id = ActorID_Sentence_Emotion_Level"
    options = (
        Option(
            "--split-files",
            "folder holding OGM-GE-style train.csv and test.csv (rows id,EMOTION); "
            "default: a seeded split that keeps every actor in one split",
            metavar="DIR",
        ),
        Option(
            "--val-ratio",
            "fraction for val (seeded split: of the actors, default 0.1; "
            "with --split-files: of train.csv, default 0)",
            float,
            metavar="F",
        ),
        Option("--test-ratio", "fraction of the actors for test in the seeded split", float, 0.1, "F"),
        Option("--seed", "seed of the split", int, 0, "N"),
    )

    def scan(self, root: Path, out: Path, options: dict[str, Any], log: ImportLog) -> list[Sample]:
        videos = files_by_stem(root / "VideoFlash", [".flv"])
        audios = files_by_stem(root / "AudioWAV", [".wav"])
        if not videos and not audios:
            raise ValueError(f"{root}: no VideoFlash/*.flv nor AudioWAV/*.wav (expected {self.layout})")
        log.count("video clips (VideoFlash/*.flv)", len(videos))
        log.count("audio clips (AudioWAV/*.wav)", len(audios))
        clips: dict[str, Sample] = {}
        for stem in sorted(set(videos) | set(audios)):
            match = _NAME.match(stem)
            if not match:
                log.skip("name not ActorID_Sentence_Emotion_Level", stem)
                continue
            actor, sentence, emotion, level = match.groups()
            if emotion not in EMOTIONS:
                log.skip(f"unknown emotion (expected {' '.join(EMOTIONS)})", stem)
                continue
            if stem not in videos or stem not in audios:
                log.skip("no video file" if stem not in videos else "no audio file", stem)
                continue
            problem = media_problem(videos[stem]) or media_problem(audios[stem])
            if problem:
                log.skip(problem, stem)
                continue
            clips[stem] = Sample(
                stem,
                emotion,
                "",
                {"video": str(videos[stem]), "audio": str(audios[stem])},
                {"actor": actor, "sentence": sentence, "level": level},
            )
        if options["split_files"]:
            folder = Path(options["split_files"]).expanduser()
            return _split_from_lists(clips, set(videos) | set(audios), folder, options, log)
        val = 0.1 if options["val_ratio"] is None else options["val_ratio"]
        samples = list(clips.values())
        splits = group_split(
            [s.metadata["actor"] for s in samples], val, options["test_ratio"], options["seed"]
        )
        for sample, split in zip(samples, splits):
            sample.split = split
        log.note(f"seeded split by actor (seed {options['seed']}): no actor appears in two splits")
        return samples


def _split_from_lists(
    clips: dict[str, Sample], on_disk: set[str], folder: Path, options: dict[str, Any], log: ImportLog
) -> list[Sample]:
    """Splits (and labels) from the list files; clips left out at scan time are not counted again."""
    samples: list[Sample] = []
    listed: set[str] = set()
    for split, name in SPLIT_LISTS.items():
        lines = read_lines(folder / name, log)
        for row in csv.reader(lines or []):
            if not row or not row[0].strip():
                continue
            clip, label = row[0].strip(), (row[1].strip() if len(row) > 1 else "")
            if clip in listed:
                log.skip("listed twice (first listing kept)", clip)
                continue
            listed.add(clip)
            if label not in EMOTIONS:
                log.skip(f"unknown label in {name}", f"{clip} ({label or 'empty'})")
            elif clip not in clips:
                if clip not in on_disk:
                    log.skip(f"listed in {name} but absent on disk", clip)
            else:
                sample = clips[clip]
                sample.label, sample.split = label, split
                samples.append(sample)
    for clip in sorted(set(clips) - listed):
        log.skip("on disk but in no split list", clip)
    carve_val(samples, options["val_ratio"] or 0.0, options["seed"])
    return samples
