import json
import os
import socket
import subprocess
import sys

import h5py
import numpy as np
import pytest
from core.data.cache import FileKey, MediaCache, cache_folder

from core.atomic import WriteError
from core.config import AudioConfig, DataConfig, VideoConfig
from core.data.prepare import prepare_dataset
from tests.data.helpers import make_sample, write_manifest


def _key(root, name="a.bin", content=b"abc"):
    (root / name).write_bytes(content)
    return FileKey.of(root, name)


def test_entries_round_trip_and_are_checked_against_size_and_mtime(tmp_path):
    key = _key(tmp_path)
    with MediaCache(tmp_path, "vector", {}) as cache:
        assert cache.lookup(key) is None
        cache.store(key, np.arange(3, dtype=np.float32))
        assert cache.lookup(key).array.tolist() == [0, 1, 2]  # visible before the flush
    with MediaCache(tmp_path, "vector", {}) as cache:
        np.testing.assert_array_equal(cache.lookup(key).array, [0, 1, 2])
        assert cache.lookup(FileKey(key.path, key.size, key.mtime_ns + 1)) is None
        assert cache.lookup(FileKey(key.path, key.size + 1, key.mtime_ns)) is None
        assert cache.lookup(FileKey("other.bin", key.size, key.mtime_ns)) is None


def test_failures_are_remembered_and_replaced_by_later_successes(tmp_path):
    key = _key(tmp_path)
    with MediaCache(tmp_path, "audio", {"rate": 1}) as cache:
        cache.store_failure(key, "cannot decode audio")
    with MediaCache(tmp_path, "audio", {"rate": 1}) as cache:
        hit = cache.lookup(key)
        assert hit.array is None and hit.failure == "cannot decode audio"
        newer = FileKey(key.path, key.size, key.mtime_ns + 10)
        cache.store(newer, np.ones(2, np.float32))
    with MediaCache(tmp_path, "audio", {"rate": 1}) as cache:
        assert cache.lookup(key) is None
        assert cache.lookup(newer).array.tolist() == [1, 1]
    with h5py.File(cache.path, "r") as handle:
        assert len(handle["ok"]) == 1
        assert json.loads(handle["index"].asstr()[()]) == {
            newer.entry_name: [newer.path, newer.size, newer.mtime_ns, None]
        }


def test_other_settings_and_kinds_get_their_own_file(tmp_path):
    paths = {
        MediaCache(tmp_path, "video", {"frames": 4}).path,
        MediaCache(tmp_path, "video", {"frames": 8}).path,
        MediaCache(tmp_path, "audio", {"frames": 4}).path,
    }
    assert len(paths) == 3


def test_corrupt_cache_file_is_discarded_and_rebuilt(tmp_path):
    key = _key(tmp_path)
    with MediaCache(tmp_path, "vector", {}) as cache:
        cache.store(key, np.arange(4, dtype=np.float32))
    path = cache.path
    path.write_bytes(path.read_bytes()[:100])
    messages: list[str] = []
    with MediaCache(tmp_path, "vector", {}, log=messages.append) as cache:
        assert cache.lookup(key) is None
        cache.store(key, np.arange(2, dtype=np.float32))
    assert any("discarding it and rebuilding" in m for m in messages)
    with MediaCache(tmp_path, "vector", {}) as cache:
        assert cache.lookup(key).array.tolist() == [0, 1]


def test_a_full_disk_stops_with_one_line_and_keeps_the_previous_file(tmp_path, monkeypatch):
    first, second = _key(tmp_path, "a.bin"), _key(tmp_path, "b.bin")
    with MediaCache(tmp_path, "vector", {}) as cache:
        cache.store(first, np.zeros(1, np.float32))

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(WriteError, match="the disk is full") as raised, MediaCache(tmp_path, "vector", {}) as cache:
        cache.store(second, np.ones(1, np.float32))
    monkeypatch.undo()

    assert str(cache.path) in str(raised.value) and "\n" not in str(raised.value)
    assert not list(tmp_path.glob("*.tmp"))
    with MediaCache(tmp_path, "vector", {}) as cache:
        assert cache.lookup(first) is not None and cache.lookup(second) is None


def test_temporaries_of_dead_writers_are_removed_at_once(tmp_path):
    path = MediaCache(tmp_path, "vector", {}).path
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname().replace(".", "_")
    stale = path.with_name(f"{path.name}.{host}.{int(dead.stdout)}.tmp")
    live = path.with_name(f"{path.name}.{host}.{os.getpid()}.tmp")
    other_host = path.with_name(f"{path.name}.elsewhere.{int(dead.stdout)}.tmp")
    for tmp in (stale, live, other_host):
        tmp.write_bytes(b"partial")
    MediaCache(tmp_path, "vector", {}).close()
    assert not stale.exists() and live.exists() and other_host.exists()


def test_memory_only_cache_without_folder(tmp_path):
    key = _key(tmp_path)
    with MediaCache(None, "vector", {}) as cache:
        cache.store(key, np.zeros(1, np.float32))
        assert cache.lookup(key) is not None
    assert cache.path is None


def test_cache_folder_locations(tmp_path):
    assert cache_folder(tmp_path) == tmp_path / ".modalens-cache"
    shared = tmp_path / "shared"
    one, two = cache_folder(tmp_path / "d1", str(shared)), cache_folder(tmp_path / "d2", str(shared))
    assert one.parent == shared == two.parent and one != two and one.name.startswith("d1-")
    assert cache_folder(tmp_path, "rel").parent == tmp_path / "rel"


def test_prepare_survives_a_corrupt_cache_and_uses_a_custom_cache_dir(tmp_path):
    root = tmp_path / "data"
    video, audio = make_sample(root, "s0", 0)
    write_manifest(root, ["id", "label", "split", "video", "audio"], [["s0", "x", "train", video, audio]])
    config = DataConfig(
        path=str(root),
        cache_dir=str(tmp_path / "cache"),
        video=VideoConfig(frames=2, height=8, width=8),
        audio=AudioConfig(duration_s=0.25),
    )
    reference = prepare_dataset(config)
    (cache_file,) = cache_folder(root, config.cache_dir).glob("video-*.h5")
    cache_file.write_bytes(b"garbage")
    messages: list[str] = []
    again = prepare_dataset(config, log=messages.append)
    assert any("discarding" in m for m in messages)
    np.testing.assert_array_equal(again.arrays["video"], reference.arrays["video"])
    assert not (root / ".modalens-cache").exists()
