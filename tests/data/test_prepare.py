import os

import numpy as np
import pytest

import core.data.prepare as prepare_module
from core.config import AudioConfig, DataConfig, VideoConfig
from core.data.manifest import ManifestError
from core.data.prepare import format_exclusions, prepare_dataset
from tests.data.helpers import make_sample, truncate, write_manifest, write_numbered_video, write_vector

HEADER = ["id", "label", "split", "video", "audio", "audio_info", "video_info"]
SMALL = {"video": VideoConfig(frames=2, height=8, width=8), "audio": AudioConfig(duration_s=0.25)}


def _config(root, **changes) -> DataConfig:
    return DataConfig(path=str(root), **{**SMALL, **changes})


@pytest.fixture
def decode_counter(monkeypatch):
    """Names of the files prepare_dataset actually decodes."""
    decoded: list[str] = []
    original = prepare_module.preprocess_sample

    def counting(kind, path, config):
        decoded.append(path.name)
        return original(kind, path, config)

    monkeypatch.setattr(prepare_module, "preprocess_sample", counting)
    return decoded


def _clean_dataset(root, count=4):
    rows = []
    for i in range(count):
        video, audio = make_sample(root, f"s{i}", i % 2)
        rows.append(
            [f"s{i}", "ab"[i % 2], ["train", "val"][i % 2], video, audio, f"{220 * (i % 2 + 1)} Hz", "grey"]
        )
    write_manifest(root, HEADER, rows)
    return rows


def test_problem_dataset_gives_one_report_and_the_valid_rows(tmp_path, decode_counter):
    rows = _clean_dataset(tmp_path, 3)
    good_video, good_audio = rows[0][3], rows[0][4]
    truncate(write_numbered_video(tmp_path / "video/cut.mp4"))
    (tmp_path / "audio/empty.wav").write_bytes(b"")
    rows += [
        ["missing", "a", "train", "video/nowhere.mp4", good_audio, "", ""],  # row 5
        ["cut", "a", "train", "video/cut.mp4", good_audio, "", ""],  # row 6
        ["silent", "b", "train", good_video, "audio/empty.wav", "", ""],  # row 7
        ["badsplit", "a", "dev", good_video, good_audio, "", ""],  # row 8
        ["s1", "a", "train", good_video, good_audio, "", ""],  # row 9
        ["nolabel", "", "test", good_video, good_audio, "", ""],  # row 10
    ]
    write_manifest(tmp_path, HEADER, rows)
    progress: list[tuple[int, int]] = []
    messages: list[str] = []

    data = prepare_dataset(
        _config(tmp_path), progress=lambda d, t: progress.append((d, t)), log=messages.append
    )

    assert list(data.samples.ids) == ["s0", "s1", "s2"]
    assert list(data.samples.rows) == [2, 3, 4]
    assert data.samples.class_names == ["a", "b"] and list(data.samples.labels) == [0, 1, 0]
    assert data.arrays["video"].shape == (3, 2, 3, 8, 8) and data.arrays["video"].dtype == np.uint8
    assert data.arrays["audio"].shape == (3, 128, 9) and data.arrays["audio"].dtype == np.float32
    assert list(data.samples.metadata) == ["audio_info", "video_info"]
    assert list(data.samples.metadata["audio_info"]) == ["220 Hz", "440 Hz", "220 Hz"]
    assert list(data.samples.media["video"]) == ["video/s0.mp4", "video/s1.mp4", "video/s2.mp4"]
    assert list(data.samples.split_indices("val")) == [1]
    assert progress[0] == (0, 7) and progress[-1] == (7, 7)  # 7 distinct files of the 4 rows that pass
    assert "cut.mp4" in decode_counter

    report = format_exclusions(data.excluded)
    lines = report.splitlines()
    assert lines[0] == "6 problem(s), 6 sample(s) left out:"
    expected = {
        5: "column 'video' (video/nowhere.mp4): file 'video/nowhere.mp4' not found",
        6: "column 'video' (video/cut.mp4): cannot open the video",
        7: "column 'audio' (audio/empty.wav): file 'audio/empty.wav' is empty (0 bytes)",
        8: "column 'split': unknown split 'dev'",
        9: "column 'id': duplicate id 's1' (first used in row 3)",
        10: "column 'label': empty label",
    }
    for line, (row, text) in zip(lines[1:], sorted(expected.items()), strict=True):
        assert line.startswith(f"  row {row}, id ") and text in line
    assert any("1 failed" in m for m in messages)


def test_second_run_decodes_nothing_and_gives_the_same_arrays(tmp_path, decode_counter):
    _clean_dataset(tmp_path)
    first = prepare_dataset(_config(tmp_path))
    assert len(decode_counter) == 8
    assert list((tmp_path / ".modalens-cache").glob("*/*.seg"))

    decode_counter.clear()
    messages: list[str] = []
    second = prepare_dataset(_config(tmp_path), log=messages.append)
    assert decode_counter == []
    assert any("0 file(s) decoded, 8 from the cache" in m for m in messages)
    for modality in ("video", "audio"):
        np.testing.assert_array_equal(first.arrays[modality], second.arrays[modality])


def test_changed_file_is_decoded_again(tmp_path, decode_counter):
    _clean_dataset(tmp_path)
    prepare_dataset(_config(tmp_path))
    decode_counter.clear()

    changed = tmp_path / "audio/s2.wav"
    info = changed.stat()
    os.utime(changed, ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))
    prepare_dataset(_config(tmp_path))
    assert decode_counter == ["s2.wav"]

    decode_counter.clear()
    prepare_dataset(_config(tmp_path))
    assert decode_counter == []


def test_changed_settings_use_another_cache_file(tmp_path, decode_counter):
    _clean_dataset(tmp_path, 2)
    prepare_dataset(_config(tmp_path))
    decode_counter.clear()
    bigger = prepare_dataset(_config(tmp_path, video=VideoConfig(frames=3, height=6, width=6)))
    assert sorted(decode_counter) == ["s0.mp4", "s1.mp4"]  # audio still cached
    assert bigger.arrays["video"].shape == (2, 3, 3, 6, 6)
    assert len(list((tmp_path / ".modalens-cache").glob("video-*/"))) == 2


def test_decode_failures_are_cached(tmp_path, decode_counter):
    rows = _clean_dataset(tmp_path, 2)
    truncate(write_numbered_video(tmp_path / "video/cut.mp4"))
    rows.append(["cut", "a", "train", "video/cut.mp4", rows[0][4], "", ""])
    write_manifest(tmp_path, HEADER, rows)
    prepare_dataset(_config(tmp_path))
    decode_counter.clear()

    again = prepare_dataset(_config(tmp_path))
    assert decode_counter == []
    (problem,) = again.excluded
    assert problem.row == 4 and problem.file == "video/cut.mp4" and "cannot open" in problem.reason


def test_modality_selection(tmp_path):
    _clean_dataset(tmp_path, 2)
    data = prepare_dataset(_config(tmp_path, modalities=["audio"]))
    assert data.samples.modalities == ["audio"] and list(data.arrays) == ["audio"] and list(data.samples.media) == ["audio"]
    with pytest.raises(
        ValueError, match=r"unknown modality 'depth'; available: video \(video\), audio \(audio\)"
    ):
        prepare_dataset(_config(tmp_path, modalities=["video", "depth"]))


def test_vectors_with_an_odd_length_are_excluded(tmp_path):
    rows = []
    for i, length in enumerate([5, 5, 3, 5, 7]):
        write_vector(tmp_path / f"feat/{i}.npy", np.full(length, float(i)))
        rows.append([f"v{i}", str(i % 2), "train", f"feat/{i}.npy"])
    write_vector(tmp_path / "feat/nan.npy", [1.0, np.nan, 0, 0, 0])
    rows.append(["nan", "1", "test", "feat/nan.npy"])
    write_manifest(tmp_path, ["id", "label", "split", "feat"], rows)

    data = prepare_dataset(_config(tmp_path))
    assert data.samples.modality_kinds == {"feat": "vector"}
    assert list(data.samples.ids) == ["v0", "v1", "v3"]
    assert data.arrays["feat"].shape == (3, 5) and data.arrays["feat"].dtype == np.float32
    np.testing.assert_array_equal(data.arrays["feat"][:, 0], [0, 1, 3])
    reasons = {e.sample_id: e.reason for e in data.excluded}
    assert reasons["v2"] == "vector has length 3, expected 5 (the most common length)"
    assert reasons["v4"] == "vector has length 7, expected 5 (the most common length)"
    assert "NaN or infinite" in reasons["nan"]


def test_nothing_usable_after_decoding_is_fatal(tmp_path):
    truncate(write_numbered_video(tmp_path / "cut.mp4"))
    write_manifest(tmp_path, ["id", "label", "split", "video"], [["a", "x", "train", "cut.mp4"]])
    with pytest.raises(ManifestError, match="no usable sample left") as caught:
        prepare_dataset(_config(tmp_path))
    assert "row 2" in caught.value.problems[0]
    with pytest.raises(ValueError, match="data.path is empty"):
        prepare_dataset(DataConfig())


def test_format_exclusions_without_problems():
    assert format_exclusions([]) == "no problems: every sample is used"
