import os

import numpy as np
import pytest

from core.data.manifest import ManifestError, load_manifest
from tests.data.helpers import make_sample, write_manifest, write_vector, write_wav

HEADER = ["id", "label", "split", "video", "audio", "video_info"]


def _valid_rows(root, labels=("cat", "dog", "cat")):
    rows = []
    for i, label in enumerate(labels):
        video, audio = make_sample(root, f"s{i}", i)
        rows.append([f"s{i}", label, "train" if i else "val", video, audio, f"clip {i}"])
    return rows


def test_valid_manifest_is_read_with_kinds_classes_and_metadata(tmp_path):
    write_manifest(tmp_path, HEADER, _valid_rows(tmp_path))
    manifest = load_manifest(tmp_path)

    assert list(manifest.samples.ids) == ["s0", "s1", "s2"]
    assert list(manifest.samples.rows) == [2, 3, 4]  # header is line 1
    assert manifest.samples.class_names == ["cat", "dog"]
    assert manifest.samples.labels.dtype == np.int64 and list(manifest.samples.labels) == [0, 1, 0]
    assert list(manifest.samples.splits) == ["val", "train", "train"]
    assert manifest.samples.modalities == ["video", "audio"]
    assert manifest.samples.modality_kinds == {"video": "video", "audio": "audio"}
    assert list(manifest.samples.media["audio"]) == ["audio/s0.wav", "audio/s1.wav", "audio/s2.wav"]
    assert list(manifest.samples.metadata) == ["video_info"]
    assert manifest.samples.metadata["video_info"].dtype == object
    assert list(manifest.samples.metadata["video_info"]) == ["clip 0", "clip 1", "clip 2"]
    assert manifest.excluded == []


def test_bom_whitespace_and_integer_labels_sorted_numerically(tmp_path):
    rows = _valid_rows(tmp_path, labels=("10", "2", "1"))
    padded = [[f"  {cell} " for cell in row] for row in rows]
    write_manifest(tmp_path, [f" {h} " for h in HEADER], padded, bom=True)
    manifest = load_manifest(tmp_path)

    assert manifest.samples.class_names == ["1", "2", "10"]
    assert list(manifest.samples.labels) == [2, 1, 0]
    assert list(manifest.samples.ids) == ["s0", "s1", "s2"]
    assert "id" not in manifest.samples.metadata and "video_info" in manifest.samples.metadata


def test_every_row_problem_is_reported_with_its_row(tmp_path):
    rows = _valid_rows(tmp_path, labels=("a", "b"))
    (tmp_path / "audio" / "empty.wav").write_bytes(b"")
    (tmp_path / "audio" / "folder.wav").mkdir()
    write_vector(tmp_path / "audio" / "feature.npy", [1.0, 2.0])
    rows += [
        ["m", "a", "train", "video/missing.mp4", rows[0][4], ""],  # row 4
        ["e", "a", "test", rows[0][3], "audio/empty.wav", ""],  # row 5
        ["w", "a", "training", rows[0][3], rows[0][4], ""],  # row 6
        ["s1", "b", "val", rows[0][3], rows[0][4], ""],  # row 7: duplicate of row 3
        ["l", "", "train", rows[0][3], rows[0][4], ""],  # row 8
        ["c", "a", "train", "", rows[0][4], ""],  # row 9
        ["k", "a", "train", rows[0][3], "audio/feature.npy", ""],  # row 10
        ["d", "a", "train", rows[0][3], "audio/folder.wav", ""],  # row 11
        ["", "a", "train", rows[0][3], rows[0][4], ""],  # row 12
    ]
    write_manifest(tmp_path, HEADER, rows)
    manifest = load_manifest(tmp_path)

    assert list(manifest.samples.ids) == ["s0", "s1"]
    found = {(e.row, e.column): e for e in manifest.excluded}
    assert len(found) == len(manifest.excluded) == 9
    assert found[4, "video"].reason == "file 'video/missing.mp4' not found"
    assert found[4, "video"].file == "video/missing.mp4" and found[4, "video"].sample_id == "m"
    assert found[5, "audio"].reason == "file 'audio/empty.wav' is empty (0 bytes)"
    assert "unknown split 'training'" in found[6, "split"].reason
    assert found[7, "id"].reason == "duplicate id 's1' (first used in row 3)"
    assert found[8, "label"].reason == "empty label"
    assert found[9, "video"].reason == "empty media cell"
    assert found[10, "audio"].reason.startswith("unknown modality kind")
    assert "vector" in found[10, "audio"].reason
    assert found[11, "audio"].reason == "'audio/folder.wav' is not a file"
    assert found[12, "id"].reason == "empty id"
    assert str(found[4, "video"]) == (
        "row 4, id 'm', column 'video' (video/missing.mp4): file 'video/missing.mp4' not found"
    )


def test_several_problems_of_one_row_are_all_reported(tmp_path):
    rows = _valid_rows(tmp_path, labels=("a",))
    rows.append(["x", "", "nope", "video/gone.mp4", "audio/gone.wav", ""])
    write_manifest(tmp_path, HEADER, rows)
    reasons = {e.column for e in load_manifest(tmp_path).excluded if e.row == 3}
    assert reasons == {"label", "split", "video", "audio"}


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions")
def test_unreadable_file_is_a_row_problem(tmp_path):
    rows = _valid_rows(tmp_path, labels=("a", "b"))
    (tmp_path / rows[1][4]).chmod(0)
    write_manifest(tmp_path, HEADER, rows)
    (problem,) = load_manifest(tmp_path).excluded
    assert problem.row == 3 and "unreadable" in problem.reason


def test_modality_selection_restricts_checks(tmp_path):
    rows = _valid_rows(tmp_path, labels=("a", "b"))
    rows[1][4] = "audio/missing.wav"
    write_manifest(tmp_path, HEADER, rows)

    only_video = load_manifest(tmp_path, ["video"])
    assert only_video.samples.modalities == ["video"] and len(only_video) == 2
    assert "audio" not in only_video.samples.media and "audio" not in only_video.samples.metadata
    assert len(load_manifest(tmp_path)) == 1

    with pytest.raises(
        ValueError, match=r"unknown modality 'flow'; available: video \(video\), audio \(audio\)"
    ):
        load_manifest(tmp_path, ["flow"])


def test_extra_modalities_and_vectors_are_detected(tmp_path):
    rows = _valid_rows(tmp_path, labels=("a", "b"))
    for i, row in enumerate(rows):
        write_vector(tmp_path / f"feat/{i}.npy", np.arange(3.0))
        write_wav(tmp_path / f"flow/{i}.flac", np.zeros(100, np.float32), 8000)
        row += [f"feat/{i}.npy", f"flow/{i}.flac", "note.txt"]
    write_manifest(tmp_path, [*HEADER, "feat", "flow", "notes"], rows)
    manifest = load_manifest(tmp_path)
    assert manifest.samples.modality_kinds == {"video": "video", "audio": "audio", "feat": "vector", "flow": "audio"}
    assert list(manifest.samples.metadata) == ["video_info", "notes"]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("no_folder", "dataset folder not found"),
        ("no_manifest", "has no manifest.csv"),
        ("empty", "the file is empty"),
        ("latin1", "not UTF-8"),
        ("columns", "required column 'label' is missing"),
        ("no_media", "no column names media files"),
        ("all_bad", "no valid row left"),
    ],
)
def test_fatal_problems_raise_manifest_error(tmp_path, setup, expected):
    root = tmp_path / "data"
    if setup != "no_folder":
        root.mkdir()
    if setup == "empty":
        (root / "manifest.csv").write_text("")
    elif setup == "latin1":
        (root / "manifest.csv").write_bytes("id,label,split,audio\n1,caf\xe9,train,a.wav\n".encode("latin-1"))
    elif setup == "columns":
        write_manifest(root, ["id", "video"], [["a", "v.mp4"]])
    elif setup == "no_media":
        write_manifest(root, ["id", "label", "split", "text"], [["a", "x", "train", "hello"]])
    elif setup == "all_bad":
        write_manifest(root, ["id", "label", "split", "audio"], [["a", "x", "train", "gone.wav"]])
    with pytest.raises(ManifestError) as caught:
        load_manifest(root)
    assert any(expected in p for p in caught.value.problems) or expected in str(caught.value)
    if setup == "columns":
        assert "required column 'split' is missing" in caught.value.problems
    if setup == "all_bad":
        assert caught.value.problems == [
            "row 2, id 'a', column 'audio' (gone.wav): file 'gone.wav' not found"
        ]


def test_row_with_extra_cells_is_excluded(tmp_path):
    rows = _valid_rows(tmp_path, labels=("a", "b"))
    rows[1].append("surplus")
    write_manifest(tmp_path, HEADER, rows)
    (problem,) = load_manifest(tmp_path).excluded
    assert problem.row == 3 and problem.reason == "has 7 cells but the header has 6 columns"
