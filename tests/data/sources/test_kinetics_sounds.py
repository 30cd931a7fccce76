"""kinetics-sounds: cvdfoundation layout, filtered to the Kinetics-Sounds classes."""

from pathlib import Path

from core.data.sources.kinetics_sounds import KINETICS_SOUNDS_31
from tests.data.av_clips import write_clip
from tests.data.helpers import tone
from tests.data.sources.common import manifest_rows, run_import, skip_count

HEADER = "label,youtube_id,time_start,time_end,split,is_cc"


def _write_kinetics(root: Path) -> None:
    rows = {"train": [], "val": []}
    clips = [
        ("train", "playing bagpipes", "abc-_123xyz", 10),
        ("train", "playing bagpipes", "q_w-e", 0),
        ("train", "tapping pen", "tp1", 5),
        ("train", "tapping pen", "tp2", 7),
        ("train", "abseiling", "ab1", 3),
        ("val", "playing bagpipes", "vb1", 20),
        ("val", "tapping pen", "vt1", 30),
        ("train", "tapping pen", "gone", 1),
        ("train", "playing bagpipes", "mute", 2),
    ]
    for split, label, video_id, start in clips:
        stem = f"{video_id}_{start:06d}_{start + 10:06d}"
        rows[split].append(
            f'"{label}",{video_id},{start},{start + 10},{split},0'
            if " " in label
            else f"{label},{video_id},{start},{start + 10},{split},0"
        )
        if video_id != "gone":
            audio = None if video_id == "mute" else tone(500.0, 16000, 1.0)
            write_clip(root / split / f"{stem}.mp4", audio=audio, rate=16000)
    (root / "annotations").mkdir(parents=True)
    for split, lines in rows.items():
        (root / "annotations" / f"{split}.csv").write_text("\n".join([HEADER, *lines]) + "\n")


def test_default_classes_filter_the_annotations(tmp_path, capsys):
    _write_kinetics(tmp_path / "k400")
    out = tmp_path / "data"
    code, printed = run_import(capsys, "kinetics-sounds", tmp_path / "k400", "--out", out)
    assert code == 0, printed
    rows = manifest_rows(out)
    assert {k: (r["label"], r["split"]) for k, r in rows.items()} == {
        "abc-_123xyz_000010_000020": ("playing bagpipes", "train"),
        "q_w-e_000000_000010": ("playing bagpipes", "train"),
        "tp1_000005_000015": ("tapping pen", "train"),
        "tp2_000007_000017": ("tapping pen", "train"),
        "vb1_000020_000030": ("playing bagpipes", "val"),
        "vt1_000030_000040": ("tapping pen", "val"),
    }
    assert skip_count(out, "listed in the annotations but absent on disk") == 1
    assert skip_count(out, "no audio stream in the file") == 1
    assert len(KINETICS_SOUNDS_31) == 31 and "abseiling" not in KINETICS_SOUNDS_31


def test_class_file_and_val_as_test(tmp_path, capsys):
    _write_kinetics(tmp_path / "k400")
    classes = tmp_path / "classes.txt"
    classes.write_text("tapping_pen\nabseiling\n")
    out = tmp_path / "data"
    code, printed = run_import(
        capsys, "kinetics-sounds", tmp_path / "k400", "--out", out, "--classes", classes, "--val-as-test"
    )
    assert code == 0, printed
    rows = manifest_rows(out)
    assert {r["label"] for r in rows.values()} == {"tapping pen", "abseiling"}
    assert rows["vt1_000030_000040"]["split"] == "test"
    assert (
        skip_count(out, "listed in the annotations but absent on disk") == 1
    )  # "gone" is a tapping pen clip
