"""VGGSound: ``vggsound.csv`` (no header: ``youtube_id,start_seconds,label,train|test``) and a folder of
clips named by whichever downloader fetched them; audio from inside each clip."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from core.data.sources.base import SOURCES, ImportLog, Option, Sample, Source, media_problem, read_lines
from core.data.sources.splits import carve_val

CSV_NAME = "vggsound.csv"
CLIP_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".flv")
CLIP_SECONDS = 10


@SOURCES.register
class VggSound(Source):
    name = "vggsound"
    summary = "VGGSound: vggsound.csv + a folder of clips (audio inside), 309-310 classes"
    layout = (
        "ROOT/vggsound.csv and clips anywhere under ROOT named <id>_<start> (zero-padded or not) or "
        "<id>_<start*1000>_<end*1000> (or <id>_<start:06d>_<end:06d>)"
    )
    kinds = {"audio": "audio"}
    options = (
        Option("--csv", "the list file (default: ROOT/vggsound.csv)", metavar="FILE"),
        Option("--clips", "folder searched for the clips (default: ROOT)", metavar="DIR"),
        Option("--val-ratio", "fraction of train moved to val (seeded, stratified)", float, 0.0, "F"),
        Option("--seed", "seed of the val split", int, 0, "N"),
    )

    def scan(self, root: Path, out: Path, options: dict[str, Any], log: ImportLog) -> list[Sample]:
        list_file = Path(options["csv"]).expanduser() if options["csv"] else root / CSV_NAME
        if not list_file.is_file():
            raise ValueError(f"{list_file}: not found (expected {self.layout})")
        folder = Path(options["clips"]).expanduser() if options["clips"] else root
        clips = index_clips(folder)
        log.count(f"clip files under {folder}", len({p for p in clips.values()}))
        rows = list(csv.reader(read_lines(list_file, log) or []))
        log.count(f"rows in {list_file.name}", len(rows))
        samples: list[Sample] = []
        for number, row in enumerate(rows, start=1):
            parsed = _row(row)
            if parsed is None:
                log.skip(
                    "malformed row (expected youtube_id,start_seconds,label,train|test)", f"line {number}"
                )
                continue
            video_id, start, label, split = parsed
            sample_id = f"{video_id}_{start}"
            path = clips.get((video_id, start))
            if path is None:
                log.skip("row with no clip file", sample_id)
            elif problem := media_problem(path, need_audio=True):
                log.skip(problem, sample_id)
            else:
                samples.append(Sample(sample_id, label, split, {"video": str(path), "audio": str(path)}))
        carve_val(samples, options["val_ratio"], options["seed"])
        return samples


def index_clips(folder: Path) -> dict[tuple[str, int], Path]:
    """Clip files under ``folder`` by (youtube id, start second), read from the names' numeric tails."""
    index: dict[tuple[str, int], Path] = {}
    if not folder.is_dir():
        return index
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in CLIP_SUFFIXES and path.is_file():
            for key in clip_keys(path.stem):
                index.setdefault(key, path)
    return index


def clip_keys(stem: str) -> list[tuple[str, int]]:
    """The (id, start second) a clip name may stand for: ``<id>_<start>``, ``<id>_<start>_<end>`` with
    ``end - start`` the clip length in seconds, or ``<id>_<start ms>_<end ms>``."""
    head, _, last = stem.rpartition("_")
    if not head or not last.isdigit():
        return []
    before, _, middle = head.rpartition("_")
    if before and middle.isdigit():
        start, end = int(middle), int(last)
        if end - start == CLIP_SECONDS:
            return [(before, start)]
        if end - start == 1000 * CLIP_SECONDS or (start % 1000 == 0 and end % 1000 == 0 and end > start):
            return [(before, start // 1000)]
    return [(head, int(last))]


def _row(row: list[str]) -> tuple[str, int, str, str] | None:
    if len(row) < 4:
        return None
    video_id, start, label, split = (cell.strip() for cell in row[:4])
    split = split.lower()
    try:
        second = int(float(start))
    except ValueError:
        return None
    if not video_id or not label or split not in ("train", "test"):
        return None
    return video_id, second, label, split
