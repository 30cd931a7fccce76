"""folder: ROOT/<class>/<clip>.(mp4|mkv|webm|avi|flv), video and audio from each clip."""

from collections import Counter
from pathlib import Path

from tests.data.av_clips import write_clip
from tests.data.helpers import tone
from tests.data.sources.common import manifest_rows, run_import, skip_count

CLIPS = {
    "dog": ("a.mp4", "b.mkv", "c.webm", "d.flv", "e.mp4"),
    "cat": ("f.mp4", "g.mkv", "h.mp4", "i.flv", "j.mkv"),
}


def _write_folder(root: Path) -> Path:
    for label, names in CLIPS.items():
        for name in names:
            rate = 48000 if name.endswith(".webm") else 16000
            write_clip(root / label / name, audio=tone(440.0, rate, 1.0), rate=rate)
    write_clip(root / "dog" / "silent.avi")  # no audio stream
    write_clip(root / "loose.mp4", audio=tone(440.0, 16000, 1.0))  # not in a class folder
    (root / "dog" / "notes.txt").write_text("not a clip")
    return root


def test_folder_stratified_split_and_skips(tmp_path, capsys):
    root = _write_folder(tmp_path / "clips")
    out = tmp_path / "data"
    code, printed = run_import(capsys, "folder", root, "--out", out, "--val-ratio", 0.2, "--test-ratio", 0.2)
    assert code == 0, printed
    rows = manifest_rows(out)
    assert sorted(rows) == sorted(f"{label}/{Path(n).stem}" for label, names in CLIPS.items() for n in names)
    for clip_id, row in rows.items():
        assert row["label"] == clip_id.split("/")[0] and row["video"] == row["audio"]
    per_class = Counter((r["label"], r["split"]) for r in rows.values())
    assert per_class == {(c, s): n for c in CLIPS for s, n in (("train", 3), ("val", 1), ("test", 1))}
    assert skip_count(out, "no audio stream in the file") == 1
    assert skip_count(out, "not directly inside a class folder ROOT/<class>/") == 1

    again = tmp_path / "again"
    assert run_import(capsys, "folder", root, "--out", again, "--val-ratio", 0.2, "--test-ratio", 0.2)[0] == 0
    assert manifest_rows(again) == rows  # the seeded split is reproducible


def test_folder_split_file_and_video_only(tmp_path, capsys):
    root = _write_folder(tmp_path / "clips")
    split_file = tmp_path / "splits.csv"
    split_file.write_text(
        "path,split\ndog/a.mp4,train\ncat/f.mp4,test\ndog/zzz.mp4,train\ncat/g.mkv,holdout\n"
    )
    out = tmp_path / "data"
    code, printed = run_import(capsys, "folder", root, "--out", out, "--split-file", split_file)
    assert code == 0, printed
    assert {k: r["split"] for k, r in manifest_rows(out).items()} == {"dog/a": "train", "cat/f": "test"}
    assert skip_count(out, "listed in the split file but absent on disk (or left out above)") == 1
    assert skip_count(out, "unknown split (expected train, val, test)") == 1

    video_only = tmp_path / "video-only"
    assert run_import(capsys, "folder", root, "--out", video_only, "--video-only")[0] == 0
    rows = manifest_rows(video_only)
    assert "dog/silent" in rows and "audio" not in rows["dog/silent"]


def test_default_ratios_give_small_folders_val_and_test_clips(tmp_path, capsys):
    """4 clips per class: 10 % of each class rounds to none, but 10 % of all 8 clips is one val, one test."""
    root = tmp_path / "clips"
    for label, names in (("dog", "abcd"), ("cat", "efgh")):
        for name in names:
            write_clip(root / label / f"{name}.mp4", frames=4, size=16, audio=tone(440.0, 16000, 0.5))
    out = tmp_path / "data"
    code, printed = run_import(capsys, "folder", root, "--out", out)
    assert code == 0, printed
    assert Counter(r["split"] for r in manifest_rows(out).values()) == {"train": 6, "val": 1, "test": 1}

    tiny = tmp_path / "tiny"
    (tiny / "dog").mkdir(parents=True)
    write_clip(tiny / "dog" / "a.mp4", frames=4, size=16, audio=tone(440.0, 16000, 0.5))
    code, printed = run_import(capsys, "folder", tiny, "--out", tmp_path / "tiny-data")
    assert code == 0, printed
    assert "too few for --val-ratio 0.1: no val clip" in printed
