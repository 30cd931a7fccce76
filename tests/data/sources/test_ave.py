"""ave: AVE/*.mp4 with AAC audio inside, Annotations.txt (header) and &-separated split lists."""

from pathlib import Path

from tests.data.av_clips import write_clip
from tests.data.helpers import tone
from tests.data.sources.common import dataset_toml, manifest_rows, run_import, skip_count, train_one_epoch

CATEGORIES = ("Church bell", "Male speech, man speaking", "Dog")
HEADER = "Category&VideoID&Quality&StartTime&EndTime"


def _write_ave(root: Path) -> dict[str, list[str]]:
    """Three split lists of 3, 2 and 2 clips; returns the ids per split as listed."""
    rows, listed = [], {"train": [], "val": [], "test": []}
    splits = ["train"] * 4 + ["val"] * 2 + ["test"] * 3
    for index, split in enumerate(splits):
        video_id = f"vid{index:02d}-x_{index}"
        category = CATEGORIES[index % 3]
        rows.append((split, f"{category}&{video_id}&good&{index % 3}&{index % 3 + 5}"))
        listed[split].append(video_id)
        if index == 7:
            continue  # listed, never downloaded
        audio = None if index == 8 else tone(300.0 + 100 * (index % 3), 16000, 1.0)
        write_clip(root / "AVE" / f"{video_id}.mp4", audio=audio, rate=16000)
    write_clip(root / "AVE" / "stray.mp4", audio=tone(300.0, 16000, 1.0))  # in no list
    rows.append(("test", "Helicopter&vid99&good&0&10"))  # a category Annotations.txt does not know
    (root / "Annotations.txt").write_text("\n".join([HEADER] + [r for _, r in rows[:-1]]) + "\n")
    for split, name in (("train", "trainSet.txt"), ("val", "valSet.txt"), ("test", "testSet.txt")):
        (root / name).write_text("\n".join(r for s, r in rows if s == split) + "\n")
    return listed


def test_ave_lists_give_labels_splits_and_event_windows(tmp_path, capsys):
    listed = _write_ave(tmp_path / "AVE_Dataset")
    out = tmp_path / "data"
    code, printed = run_import(capsys, "ave", tmp_path / "AVE_Dataset", "--out", out, "--event-window")
    assert code == 0, printed
    rows = manifest_rows(out)
    expected = {v: s for s, ids in listed.items() for v in ids if v not in ("vid07-x_7", "vid08-x_8")}
    assert {v: r["split"] for v, r in rows.items()} == expected
    for video_id, row in rows.items():
        index = int(video_id[3:5])
        assert row["label"] == CATEGORIES[index % 3]
        assert (row["start_s"], row["end_s"]) == (str(index % 3), str(index % 3 + 5))
        assert (
            row["video"]
            == row["audio"]
            == str((tmp_path / "AVE_Dataset" / "AVE" / f"{video_id}.mp4").resolve())
        )
    assert dataset_toml(out)["kinds"] == {"audio": "audio"}
    assert skip_count(out, "listed but absent on disk") == 1
    assert skip_count(out, "no audio stream in the file") == 1
    assert skip_count(out, "unknown label (not a category of Annotations.txt)") == 1
    assert skip_count(out, "on disk but in no list") == 1

    result = train_one_epoch(out, tmp_path / "run")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tmp_path / "run" / "excluded.txt").exists()


def test_ave_without_window_option_and_with_a_missing_list(tmp_path, capsys):
    _write_ave(tmp_path / "AVE_Dataset")
    (tmp_path / "AVE_Dataset" / "valSet.txt").unlink()
    out = tmp_path / "data"
    code, printed = run_import(capsys, "ave", tmp_path / "AVE_Dataset", "--out", out)
    assert code == 0, printed
    rows = manifest_rows(out)
    assert "start_s" not in next(iter(rows.values()))
    assert {r["split"] for r in rows.values()} == {"train", "test"}
    assert skip_count(out, "list file(s) not found (their samples are not imported)") == 1
    assert skip_count(out, "on disk but in no list") == 3  # the stray clip and the two val clips
    assert "list file(s) not found" in printed
