"""A folder of class sub-folders of video clips: ``ROOT/<class>/<clip>.mp4`` (mkv, webm, avi, flv);
each clip gives its frames (``video``) and its audio stream (``audio``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from core.data.manifest import SPLITS
from core.data.sources.base import SOURCES, ImportLog, Option, Sample, Source, media_problem, read_lines
from core.data.sources.splits import stratified_split

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".flv")


@SOURCES.register
class Folder(Source):
    name = "folder"
    summary = "any clips sorted into class folders: ROOT/<class>/<clip>.mp4|mkv|webm|avi|flv, video + audio"
    layout = "ROOT/<class>/<clip>.(mp4|mkv|webm|avi|flv)"
    kinds = {"audio": "audio"}
    options = (
        Option(
            "--split-file",
            "CSV of <class>/<clip file>,<train|val|test> rows; default: a seeded stratified split",
            metavar="FILE",
        ),
        Option("--val-ratio", "fraction of each class for val (seeded split)", float, 0.1, "F"),
        Option("--test-ratio", "fraction of each class for test (seeded split)", float, 0.1, "F"),
        Option("--seed", "seed of the split", int, 0, "N"),
        Option("--video-only", "import the frames only (clips without audio are kept)", switch=True),
    )

    def scan(self, root: Path, out: Path, options: dict[str, Any], log: ImportLog) -> list[Sample]:
        if not root.is_dir():
            raise ValueError(f"{root}: not a folder (expected {self.layout})")
        samples: list[Sample] = []
        clips = ignored = 0
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in VIDEO_SUFFIXES:
                ignored += path.is_file()
                continue
            clips += 1
            relative = path.relative_to(root)
            if len(relative.parts) != 2:
                log.skip("not directly inside a class folder ROOT/<class>/", relative.as_posix())
                continue
            problem = media_problem(path, need_audio=not options["video_only"])
            if problem:
                log.skip(problem, relative.as_posix())
                continue
            media = (
                {"video": str(path)} if options["video_only"] else {"video": str(path), "audio": str(path)}
            )
            samples.append(Sample(relative.with_suffix("").as_posix(), relative.parts[0], "", media))
        log.count("video clips", clips)
        if ignored:
            log.count("other files (ignored)", ignored)
        if options["split_file"]:
            return _split_from_file(samples, Path(options["split_file"]).expanduser(), log)
        splits = stratified_split(
            [s.label for s in samples], options["val_ratio"], options["test_ratio"], options["seed"]
        )
        for sample, split in zip(samples, splits):
            sample.split = split
        log.note(f"seeded stratified split (seed {options['seed']})")
        for split in ("val", "test"):
            ratio = options[f"{split}_ratio"]
            if ratio > 0 and split not in splits:
                log.note(f"warning: {len(samples)} clip(s) are too few for --{split}-ratio {ratio}: no {split} clip")
        return samples


def _split_from_file(samples: list[Sample], path: Path, log: ImportLog) -> list[Sample]:
    by_name = {Path(s.media["video"]).parent.name + "/" + Path(s.media["video"]).name: s for s in samples}
    kept: list[Sample] = []
    for row in csv.reader(read_lines(path, log) or []):
        if len(row) < 2:
            log.skip("malformed split row (expected <class>/<clip file>,<split>)", ",".join(row))
            continue
        name, split = row[0].strip().replace("\\", "/"), row[1].strip().lower()
        if split not in SPLITS:
            if kept or name.lower() not in ("path", "clip", "file", "id"):  # not a header line
                log.skip(f"unknown split (expected {', '.join(SPLITS)})", f"{name} ({split})")
            continue
        sample = by_name.pop(name, None)
        if sample is None:
            log.skip("listed in the split file but absent on disk (or left out above)", name)
            continue
        sample.split = split
        kept.append(sample)
    for name in sorted(by_name):
        log.skip("on disk but not in the split file", name)
    return kept
