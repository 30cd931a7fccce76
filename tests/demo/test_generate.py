"""The demo generator: manifest layout, splits, media that decodes, planted metadata, determinism, safety."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile

from core.demo import DEMO_PRESETS, DemoFolderError, default_demo_dir, ensure_demo, generate_demo
from core.demo.folder import MARKER


def read_manifest(root: Path) -> tuple[list[str], list[dict[str, str]]]:
    with (root / "manifest.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def balanced(tmp_path_factory) -> Path:
    return generate_demo(tmp_path_factory.mktemp("b") / "demo", "balanced", samples=40, seed=3)


def test_presets_are_named():
    assert DEMO_PRESETS == ("balanced", "audio-dominant", "vectors", "greedy", "per-sample", "mcr-synthetic")


def test_audio_visual_manifest_columns_classes_and_splits(balanced):
    header, rows = read_manifest(balanced)
    assert header == ["id", "label", "split", "video", "audio", "video_info", "audio_info"]
    assert len(rows) == 40
    assert len({r["id"] for r in rows}) == 40
    labels = Counter(r["label"] for r in rows)
    assert len(labels) == 8 and set(labels.values()) == {5}
    assert Counter(r["split"] for r in rows) == {"train": 28, "val": 6, "test": 6}
    for r in rows:
        assert r["video_info"] in {"clear", "noisy", "none"} and r["audio_info"] in {"clear", "noisy", "none"}


def test_splits_are_stratified_at_a_larger_size(tmp_path):
    root = generate_demo(tmp_path / "v", "vectors", samples=500, seed=1)
    _, rows = read_manifest(root)
    for cls in {r["label"] for r in rows}:
        members = Counter(r["split"] for r in rows if r["label"] == cls)
        assert members["train"] == 70 and members["val"] == 15 and members["test"] == 15


def test_media_files_exist_and_decode_to_expected_sizes(balanced):
    _, rows = read_manifest(balanced)
    for r in rows[:6]:
        capture = cv2.VideoCapture(str(balanced / r["video"]))
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
        capture.release()
        assert len(frames) == 20
        assert frames[0].shape == (64, 64, 3)
        samples, rate = soundfile.read(balanced / r["audio"], dtype="int16")
        assert rate == 8000 and samples.shape == (16000,)
        assert np.abs(samples).max() > 20000  # normalised to a healthy peak, not silence
    assert len(list((balanced / "video").iterdir())) == 40
    assert len(list((balanced / "audio").iterdir())) == 40


def test_planted_informativeness_follows_the_preset(balanced, tmp_path):
    _, rows = read_manifest(balanced)
    video = Counter(r["video_info"] for r in rows)
    audio = Counter(r["audio_info"] for r in rows)
    assert video == audio == {"clear": 16, "noisy": 12, "none": 12}
    # the two modalities are drawn independently: not the same level on every sample
    assert any(r["video_info"] != r["audio_info"] for r in rows)

    dominant = generate_demo(tmp_path / "ad", "audio-dominant", samples=40, seed=3)
    _, rows = read_manifest(dominant)
    video = Counter(r["video_info"] for r in rows)
    audio = Counter(r["audio_info"] for r in rows)
    assert audio["clear"] == 28 and video["clear"] == 4
    assert video["none"] == 20 and audio["none"] == 4


def test_vectors_layout_and_carrier_share_follow_unique_ratio(tmp_path):
    for ratio, expected in (
        (0.0, {"both": 60}),
        (1.0, {"both": 30, "x1": 15, "x2": 15}),
        (3.0, {"both": 15, "x1": 23, "x2": 22}),
    ):
        root = generate_demo(tmp_path / f"v{ratio}", "vectors", samples=60, seed=0, unique_ratio=ratio)
        header, rows = read_manifest(root)
        assert header == ["id", "label", "split", "x1", "x2", "carrier"]
        assert dict(Counter(r["carrier"] for r in rows)) == expected
    assert len({r["label"] for r in rows}) == 5
    x1 = np.load(root / rows[0]["x1"])
    assert x1.shape == (100,) and x1.dtype == np.float32


def test_same_seed_gives_identical_manifest_wav_and_npy(tmp_path):
    first = generate_demo(tmp_path / "a", "balanced", samples=12, seed=7)
    second = generate_demo(tmp_path / "b", "balanced", samples=12, seed=7, workers=1)
    other = generate_demo(tmp_path / "c", "balanced", samples=12, seed=8)
    assert (first / "manifest.csv").read_bytes() == (second / "manifest.csv").read_bytes()
    for wav in (first / "audio").iterdir():
        assert wav.read_bytes() == (second / "audio" / wav.name).read_bytes()
    assert (first / "audio" / "s0000.wav").read_bytes() != (other / "audio" / "s0000.wav").read_bytes()

    v1 = generate_demo(tmp_path / "v1", "vectors", samples=20, seed=7)
    v2 = generate_demo(tmp_path / "v2", "vectors", samples=20, seed=7)
    assert (v1 / "manifest.csv").read_bytes() == (v2 / "manifest.csv").read_bytes()
    for npy in (v1 / "x2").iterdir():
        assert npy.read_bytes() == (v2 / "x2" / npy.name).read_bytes()


def test_worker_pool_writes_the_same_bytes_as_one_process(tmp_path):
    pooled = generate_demo(tmp_path / "p", "audio-dominant", samples=100, seed=2, workers=2)
    single = generate_demo(tmp_path / "s", "audio-dominant", samples=100, seed=2, workers=1)
    assert (pooled / "manifest.csv").read_bytes() == (single / "manifest.csv").read_bytes()
    for name in ("s0000.wav", "s0057.wav", "s0099.wav"):
        assert (pooled / "audio" / name).read_bytes() == (single / "audio" / name).read_bytes()
    assert len(list((pooled / "video").iterdir())) == 100


def test_progress_reports_every_sample(tmp_path):
    calls = []
    generate_demo(
        tmp_path / "d", "vectors", samples=9, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(i, 9) for i in range(1, 10)]


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(DemoFolderError, match="not a ModaLens demo"):
        generate_demo(foreign, "vectors", samples=5)
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no staging folder left behind

    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(DemoFolderError, match="is a file"):
        generate_demo(a_file, "vectors", samples=5)


def test_replaces_an_earlier_demo_and_fills_an_empty_folder(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    generate_demo(out, "vectors", samples=10)
    assert (out / MARKER).is_file()
    generate_demo(out, "vectors", samples=6)
    _, rows = read_manifest(out)
    assert len(rows) == 6 and len(list((out / "x1").iterdir())) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_an_interrupted_generation_leaves_nothing_that_looks_complete(tmp_path):
    out = tmp_path / "demo"

    def interrupt(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_demo(out, "balanced", samples=10, progress=interrupt)
    assert list(tmp_path.iterdir()) == []

    generate_demo(out, "vectors", samples=8)
    before = (out / "manifest.csv").read_bytes()
    with pytest.raises(KeyboardInterrupt):
        generate_demo(out, "vectors", samples=10, progress=interrupt)
    assert (out / "manifest.csv").read_bytes() == before  # the earlier demo is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_bad_arguments_are_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match="unknown demo preset 'nope'.*balanced, audio-dominant, vectors, greedy"):
        generate_demo(tmp_path / "x", "nope")
    with pytest.raises(ValueError, match="samples"):
        generate_demo(tmp_path / "x", samples=0)
    with pytest.raises(ValueError, match="seed"):
        generate_demo(tmp_path / "x", seed=-1)
    with pytest.raises(ValueError, match="unique_ratio"):
        generate_demo(tmp_path / "x", "vectors", unique_ratio=-0.5)
    assert list(tmp_path.iterdir()) == []


def test_default_demo_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("MODALENS_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_demo_dir() == tmp_path / "xdg" / "modalens" / "demo-balanced"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_demo_dir() == tmp_path / "home" / ".local" / "share" / "modalens" / "demo-balanced"
    monkeypatch.setenv("MODALENS_DATA_DIR", str(tmp_path / "data"))
    assert default_demo_dir() == tmp_path / "data" / "demo-balanced"
    assert default_demo_dir("vectors") == tmp_path / "data" / "demo-vectors"


def test_ensure_demo_generates_only_when_the_manifest_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("MODALENS_DATA_DIR", str(tmp_path))
    path = ensure_demo(preset="vectors", samples=7)
    assert path == tmp_path / "demo-vectors"
    stamp = (path / "manifest.csv").stat().st_mtime_ns
    assert ensure_demo(preset="vectors", samples=50) == path
    assert (path / "manifest.csv").stat().st_mtime_ns == stamp
    assert len(read_manifest(path)[1]) == 7
