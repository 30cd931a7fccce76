"""vggsound: vggsound.csv without header and clips named by different downloaders."""

from pathlib import Path

import pytest

from core.data.sources.vggsound import clip_keys
from tests.data.av_clips import write_clip
from tests.data.helpers import tone
from tests.data.sources.common import manifest_rows, run_import, skip_count


@pytest.mark.parametrize(
    ("stem", "keys"),
    [
        ("abc_30", [("abc", 30)]),
        ("abc_000030", [("abc", 30)]),
        ("a_b-c_30000_40000", [("a_b-c", 30)]),
        ("a_b-c_000030_000040", [("a_b-c", 30)]),
        ("x_12_30", [("x_12", 30)]),
        ("nodigits", []),
    ],
)
def test_clip_names_give_id_and_start(stem, keys):
    assert clip_keys(stem) == keys


def _write_vggsound(root: Path) -> None:
    rows = [
        ("abc", 30, "dog barking", "train", "video/abc_30.mp4"),
        ("d_e-f", 40, "male speech, man speaking", "train", "video/d_e-f_000040.mp4"),
        ("ghi", 10, "dog barking", "test", "clips/deep/ghi_10000_20000.mp4"),
        ("jkl", 0, "male speech, man speaking", "test", "video/jkl_000000_000010.mkv"),
        ("nofile", 5, "dog barking", "train", None),
        ("mute", 7, "dog barking", "train", "video/mute_7.mp4"),
    ]
    lines = []
    for video_id, start, label, split, clip in rows:
        lines.append(
            f'{video_id},{start},"{label}",{split}' if "," in label else f"{video_id},{start},{label},{split}"
        )
        if clip:
            write_clip(root / clip, audio=None if video_id == "mute" else tone(600.0, 16000, 1.0), rate=16000)
    (root / "vggsound.csv").write_text("\n".join(lines) + "\n")


def test_vggsound_matches_clips_tolerantly_and_reports_rows_without_clip(tmp_path, capsys):
    _write_vggsound(tmp_path / "vgg")
    out = tmp_path / "data"
    code, printed = run_import(capsys, "vggsound", tmp_path / "vgg", "--out", out)
    assert code == 0, printed
    rows = manifest_rows(out)
    assert {k: (r["label"], r["split"], Path(r["video"]).name) for k, r in rows.items()} == {
        "abc_30": ("dog barking", "train", "abc_30.mp4"),
        "d_e-f_40": ("male speech, man speaking", "train", "d_e-f_000040.mp4"),
        "ghi_10": ("dog barking", "test", "ghi_10000_20000.mp4"),
        "jkl_0": ("male speech, man speaking", "test", "jkl_000000_000010.mkv"),
    }
    assert skip_count(out, "row with no clip file") == 1
    assert skip_count(out, "no audio stream in the file") == 1
    assert "row with no clip file" in printed
