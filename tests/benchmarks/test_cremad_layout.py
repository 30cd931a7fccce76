"""benchmarks/cremad_layout.py writes a check set in CREMA-D's layout that the real cremad importer reads
whole: digits zero..five become ANG..SAD, the other digits are left out, and every .flv decodes."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from core.cli.main import main as modalens
from core.data.media import open_video, read_audio
from core.demo.video import write_mp4

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import cremad_layout  # noqa: E402

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven")


def _fake_checkset(root: Path) -> Path:
    """Ten clips: digits zero..seven once, zero and three twice (the check set's file layout)."""
    (root / "video").mkdir(parents=True)
    (root / "audio").mkdir()
    rows = [["id", "label", "split", "video", "audio", "degraded"]]
    for i, word in enumerate([*WORDS, "zero", "three"]):
        frames = np.full((5, 64, 64, 3), 20 * i, dtype=np.uint8)
        frames[:, 16:48, 8 + 4 * i : 24 + 4 * i] = 255
        write_mp4(root / "video" / f"d{i:04d}.mp4", frames, 10)
        tone = 0.3 * np.sin(2 * np.pi * (200 + 40 * i) * np.arange(4000) / 8000)
        soundfile.write(str(root / "audio" / f"d{i:04d}.wav"), tone.astype(np.float32), 8000)
        rows.append([f"d{i:04d}", word, "train", f"video/d{i:04d}.mp4", f"audio/d{i:04d}.wav", "none"])
    with (root / "manifest.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return root


def test_layout_imports_with_the_stand_in_labels_and_every_clip_decodes(tmp_path, capsys):
    checkset = _fake_checkset(tmp_path / "cs")
    fixture, imported = tmp_path / "cremad", tmp_path / "imported"
    assert cremad_layout.main(["--checkset", str(checkset), "--out", str(fixture), "--actors", "4"]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind
    assert len(list((fixture / "VideoFlash").glob("*.flv"))) == 8
    args = ["import", "cremad", str(fixture), "--out", str(imported), "--val-ratio", "0.25", "--test-ratio", "0.25"]
    assert modalens(args) == 0
    with (imported / "manifest.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    with (fixture / "mapping.csv").open(newline="") as handle:
        source_of = {row["cremad_id"]: row["source_id"] for row in csv.DictReader(handle)}
    expected = {"d0000": "ANG", "d0001": "DIS", "d0002": "FEA", "d0003": "HAP", "d0004": "NEU",
                "d0005": "SAD", "d0008": "ANG", "d0009": "HAP"}  # fmt: skip
    assert {source_of[row["id"]]: row["label"] for row in rows} == expected
    assert {row["split"] for row in rows} == {"train", "val", "test"}
    assert "skipped: 0" in (imported / "import.txt").read_text()
    for row in rows:
        with open_video(row["video"]) as clip:
            assert clip.frame_count == 5 and clip.size == (64, 64)
            assert clip.read(4).shape == (64, 64, 3)
        waveform, rate = read_audio(row["audio"])
        assert rate == 8000 and waveform.shape == (4000,)


def test_refuses_a_non_empty_out_with_status_2(tmp_path, capsys):
    checkset = _fake_checkset(tmp_path / "cs")
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert cremad_layout.main(["--checkset", str(checkset), "--out", str(out)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert str(out) in line and "not an empty folder" in line
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("clips_per_emotion", [5, 30])
def test_ids_are_unique_and_spread_over_the_actors(clips_per_emotion):
    rows = [{"id": f"d{i}", "label": w, "split": "train", "video": "v", "audio": "a"}
            for i in range(clips_per_emotion) for w in cremad_layout.DIGITS]  # fmt: skip
    clips = cremad_layout.plan(rows, Path("/cs"), actors=2)
    ids = [c.cremad_id for c in clips]
    assert len(set(ids)) == len(ids) == 6 * clips_per_emotion
    assert len({i[:4] for i in ids}) == max(2, -(-clips_per_emotion // 12))
