"""Rewrite a check set (benchmarks/checkset.py) in CREMA-D's distributed layout, for the real importer.

Writes ``OUT/VideoFlash/<id>.flv`` (the clip re-encoded as FLV / Sorenson H.263, frame size and rate
kept, no sound), ``OUT/AudioWAV/<id>.wav`` (the wav copied) and ``OUT/mapping.csv`` (which check-set
sample each clip came from). The labels are a stand-in: only the digits zero..five are kept, mapped in
order to CREMA-D's emotions ANG DIS FEA HAP NEU SAD (zero -> ANG, ..., five -> SAD); nothing about the
clips is emotional. Ids are ``ActorID_Sentence_Emotion_XX``: the check set records no speaker, so the
clips, grouped by emotion and in manifest order within one, are dealt round-robin to ``--actors``
pseudo-actors (1001, 1002, ...), and an actor's n-th clip of an emotion gets the n-th of twelve real
CREMA-D sentence codes, which keeps ids unique (more actors are used when an emotion has over 12
clips per actor). The
check set's own split is not carried over: the importer's seeded split keeps each actor in one split.

    nice .venv/bin/python benchmarks/cremad_layout.py --checkset /tmp/cs224 --out /tmp/cremad-fixture
    .venv/bin/modalens import cremad /tmp/cremad-fixture --out /tmp/cremad-imported
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from core.atomic import fsync_folder
from core.data.media import MediaError, open_video

DIGITS = ("zero", "one", "two", "three", "four", "five")
EMOTIONS = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")
SENTENCES = ("IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI")
FIRST_ACTOR = 1001
LEVEL = "XX"
DEFAULT_FPS = 10
BIT_RATE = 400_000


class LayoutError(Exception):
    """Bad input or output folder; the message is one line."""


@dataclass(frozen=True)
class Clip:
    """One check-set sample to write: its source id, media paths and CREMA-D id."""

    source_id: str
    source_split: str
    digit: str
    video: Path
    audio: Path
    cremad_id: str


def read_checkset(checkset: Path) -> list[dict[str, str]]:
    """The rows of ``checkset/manifest.csv`` whose label is one of ``DIGITS``."""
    manifest = checkset / "manifest.csv"
    if not manifest.is_file():
        raise LayoutError(f"{manifest}: not found (expected a check set written by benchmarks/checkset.py)")
    with manifest.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"id", "label", "split", "video", "audio"} - set(reader.fieldnames or [])
        if missing:
            raise LayoutError(f"{manifest}: missing column(s) {', '.join(sorted(missing))}")
        return [row for row in reader if row["label"] in DIGITS]


def plan(rows: list[dict[str, str]], checkset: Path, actors: int) -> list[Clip]:
    """A CREMA-D id per row: each emotion's clips dealt round-robin to the actors (see the docstring)."""
    by_digit = {digit: [row for row in rows if row["label"] == digit] for digit in DIGITS}
    actors = max(actors, math.ceil(max(len(group) for group in by_digit.values()) / len(SENTENCES)))
    clips: list[Clip] = []
    for digit, emotion in zip(DIGITS, EMOTIONS, strict=True):
        for n, row in enumerate(by_digit[digit]):
            actor = FIRST_ACTOR + len(clips) % actors  # one deal over all emotions: actors of even size
            sentence = SENTENCES[n // actors]  # the actor's (n // actors)-th clip of this emotion
            clips.append(Clip(
                row["id"], row["split"], digit, checkset / row["video"], checkset / row["audio"],
                f"{actor}_{sentence}_{emotion}_{LEVEL}",
            ))  # fmt: skip
    return clips


def transcode_flv(source: Path, target: Path) -> int:
    """Re-encode the first video stream of ``source`` as FLV (flv1) at its size and rate; the frame count.

    The result is decoded back with ModaLens's reader; a clip that does not read back whole raises."""
    try:
        with av.open(str(source)) as inp:
            stream = inp.streams.video[0]
            rate = Fraction(stream.average_rate or DEFAULT_FPS).limit_denominator(1000)
            frames = [frame.to_ndarray(format="rgb24") for frame in inp.decode(stream)]
    except (av.error.FFmpegError, IndexError) as exc:
        raise LayoutError(f"{source}: cannot decode the video ({exc})") from exc
    if not frames:
        raise LayoutError(f"{source}: the video has no frame")
    height, width = frames[0].shape[:2]
    with av.open(str(target), "w", format="flv") as out:
        encoder = out.add_stream("flv", rate=rate)
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
        encoder.bit_rate = BIT_RATE
        for index, array in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            frame.pts, frame.time_base = index, 1 / rate
            out.mux(encoder.encode(frame))
        out.mux(encoder.encode())
    try:
        with open_video(target) as clip:
            decoded = clip.frame_count
    except MediaError as exc:
        raise LayoutError(f"{target}: written but does not decode ({exc.reason})") from exc
    if decoded != len(frames):
        raise LayoutError(f"{target}: {decoded} frame(s) decode, {len(frames)} were written")
    return decoded


def write_layout(checkset: Path, out: Path, actors: int = 20) -> list[Clip]:
    """Write the CREMA-D layout of ``checkset`` into ``out`` (absent or empty) through a staging sibling."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LayoutError(f"{out}: exists and is not an empty folder; choose another --out")
    clips = plan(read_checkset(checkset), checkset, actors)
    if not clips:
        raise LayoutError(f"{checkset / 'manifest.csv'}: no sample labelled {', '.join(DIGITS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.cremad-", dir=out.parent))
    try:
        (staging / "VideoFlash").mkdir()
        (staging / "AudioWAV").mkdir()
        for clip in clips:
            if not clip.audio.is_file():
                raise LayoutError(f"{clip.audio}: not found (audio of check-set sample {clip.source_id})")
            transcode_flv(clip.video, staging / "VideoFlash" / f"{clip.cremad_id}.flv")
            shutil.copyfile(clip.audio, staging / "AudioWAV" / f"{clip.cremad_id}.wav")
        with (staging / "mapping.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["cremad_id", "source_id", "source_label", "source_split"])
            writer.writerows([c.cremad_id, c.source_id, c.digit, c.source_split] for c in clips)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; the fixture is a plain folder
        if out.exists():
            out.rmdir()
        os.rename(staging, out)
        fsync_folder(out.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return clips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkset", required=True, type=Path, help="check-set folder (manifest.csv)")
    parser.add_argument("--out", required=True, type=Path, help="folder to write (absent or empty)")
    parser.add_argument("--actors", type=int, default=20, help="pseudo-actors (at least; default 20)")
    args = parser.parse_args(argv)
    if args.actors < 1:
        parser.error("--actors must be >= 1")
    try:
        clips = write_layout(args.checkset.expanduser().absolute(), args.out.expanduser().absolute(), args.actors)
    except LayoutError as exc:
        print(f"cremad_layout: error: {exc}", file=sys.stderr)
        return 2
    actors = len({c.cremad_id[:4] for c in clips})
    print(f"{len(clips)} clip(s), {actors} actor(s) written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
