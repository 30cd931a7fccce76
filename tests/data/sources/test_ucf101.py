"""ucf101: UCF-101/<Class>/v_*.avi and the official list files of three folds."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.data.manifest import load_manifest
from tests.data.av_clips import write_clip
from tests.data.sources.common import dataset_toml, manifest_rows, run_import, skip_count

CLASSES = ("ApplyEyeMakeup", "Archery")


def _write_ucf(root: Path) -> None:
    for name in CLASSES:
        for group in (1, 2, 8, 9):
            write_clip(root / "UCF-101" / name / f"v_{name}_g{group:02d}_c01.avi", frames=4, fps=4)
    lists = root / "ucfTrainTestlist"
    lists.mkdir(parents=True)
    (lists / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Archery\n")
    for fold, test_groups in ((1, (1, 2)), (2, (8, 9))):
        train = [
            f"{c}/v_{c}_g{g:02d}_c01.avi {i + 1}"
            for i, c in enumerate(CLASSES)
            for g in (1, 2, 8, 9)
            if g not in test_groups
        ]
        test = [f"{c}/v_{c}_g{g:02d}_c01.avi" for c in CLASSES for g in test_groups]
        extra = ["Archery/v_Archery_g25_c07.avi 2"] if fold == 1 else ["Bowling/v_Bowling_g01_c01.avi 3"]
        (lists / f"trainlist0{fold}.txt").write_text("\r\n".join(train + extra) + "\r\n")
        (lists / f"testlist0{fold}.txt").write_text("\r\n".join(test) + "\r\n")


def test_folds_give_their_splits(tmp_path, capsys):
    _write_ucf(tmp_path / "ucf")
    out1, out2 = tmp_path / "fold1", tmp_path / "fold2"
    assert run_import(capsys, "ucf101", tmp_path / "ucf", "--out", out1)[0] == 0
    code, printed = run_import(capsys, "ucf101", tmp_path / "ucf", "--out", out2, "--fold", 2)
    assert code == 0, printed
    for out, test_groups in ((out1, ("g01", "g02")), (out2, ("g08", "g09"))):
        rows = manifest_rows(out)
        assert len(rows) == 8
        for clip, row in rows.items():
            assert row["label"] == clip.split("_")[1] and row["group"] == clip.split("_")[2]
            assert row["split"] == ("test" if row["group"] in test_groups else "train")
            assert Path(row["rgb"]).name == f"{clip}.avi"
    assert skip_count(out1, "listed in trainlist01.txt but absent on disk") == 1
    assert skip_count(out2, "unknown label in trainlist02.txt (not in classInd.txt)") == 1


def test_fold_must_be_one_two_or_three(tmp_path, capsys):
    _write_ucf(tmp_path / "ucf")
    with pytest.raises(SystemExit) as exit_info:
        run_import(capsys, "ucf101", tmp_path / "ucf", "--out", tmp_path / "x", "--fold", 4)
    assert exit_info.value.code == 2
    assert "invalid choice: 4" in capsys.readouterr().err


def test_flow_adds_a_flow_column_of_the_videos(tmp_path, capsys):
    _write_ucf(tmp_path / "ucf")
    out = tmp_path / "out"
    code, printed = run_import(capsys, "ucf101", tmp_path / "ucf", "--out", out, "--flow")
    assert code == 0, printed
    rows = manifest_rows(out)
    assert len(rows) == 8 and all(row["flow"] == row["rgb"] for row in rows.values())
    assert dataset_toml(out)["kinds"] == {"flow": "flow"}
    manifest = load_manifest(out)
    assert manifest.samples.modality_kinds == {"rgb": "video", "flow": "flow"}


def _write_uv(flow_dir: Path, stem: str) -> None:
    for axis in "uv":
        (flow_dir / axis / stem).mkdir(parents=True)
        cv2.imwrite(str(flow_dir / axis / stem / "frame000001.jpg"), np.full((8, 8), 128, np.uint8))


def test_flow_dir_adds_the_clips_flow_folders(tmp_path, capsys):
    root = tmp_path / "ucf"
    _write_ucf(root)
    stems = [f"v_{c}_g{g:02d}_c01" for c in CLASSES for g in (1, 2, 8, 9)]
    for stem in stems[1:]:
        _write_uv(root / "tvl1_flow", stem)
    out = tmp_path / "out"
    code, printed = run_import(capsys, "ucf101", root, "--out", out, "--flow-dir", "tvl1_flow")
    assert code == 0, printed
    rows = manifest_rows(out)
    assert sorted(rows) == sorted(stems[1:])
    for stem, row in rows.items():
        assert Path(row["flow"]) == (root / "tvl1_flow" / "u" / stem).resolve()
    assert skip_count(out, f"no flow folder in {(root / 'tvl1_flow').resolve()}") == 1
    assert dataset_toml(out)["kinds"] == {"flow": "flow"}
    manifest = load_manifest(out)
    assert manifest.samples.modality_kinds == {"rgb": "video", "flow": "flow"} and manifest.excluded == []


def test_flow_options_are_checked(tmp_path, capsys):
    root = tmp_path / "ucf"
    _write_ucf(root)
    (root / "flows").mkdir()
    (tmp_path / "outside").mkdir()
    for args, message in (
        (["--flow", "--flow-dir", "flows"], "--flow and --flow-dir exclude each other"),
        (["--flow-dir", "nowhere"], "--flow-dir nowhere: not a folder"),
        (["--flow-dir", tmp_path / "outside"], "must lie inside"),
    ):
        code, printed = run_import(capsys, "ucf101", root, "--out", tmp_path / "x", *args)
        assert code == 2 and message in printed, printed
