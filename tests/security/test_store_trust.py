"""The decoded-tensor store travels with a dataset folder: only records this user's installation wrote
are used, nothing in it that is not a regular file is opened, a symlinked store is never followed, and a
media file changed in place (same size, mtime restored) is decoded again."""

import os
import threading

import numpy as np
import pytest

from core.config import DataConfig
from core.data.prepare import prepare_dataset
from core.data.store import CACHE_DIR_NAME, SEGMENT_SUFFIX, FileKey, TensorStore, cache_folder
from tests.data.helpers import write_manifest, write_vector

HEADER = ["id", "label", "split", "x"]


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    monkeypatch.setenv("MODALENS_CONFIG_DIR", str(tmp_path / "me"))


def dataset(tmp_path, count=4):
    root = tmp_path / "dataset"
    for i in range(count):
        write_vector(root / "x" / f"{i}.npy", np.full(3, i, np.float32))
    write_manifest(root, HEADER, [[f"s{i}", "ab"[i % 2], "train", f"x/{i}.npy"] for i in range(count)])
    return root


def prepare(root, messages=None):
    return prepare_dataset(DataConfig(path=str(root), workers=1), log=(messages if messages is not None else []).append)


def test_records_written_by_someone_else_are_discarded_and_said(tmp_path, monkeypatch):
    root = dataset(tmp_path)
    prepare(root)
    [store] = list(cache_folder(root).iterdir())
    monkeypatch.setenv("MODALENS_CONFIG_DIR", str(tmp_path / "sender"))  # the one who shipped the dataset
    with TensorStore(store) as foreign:
        for i in range(4):
            foreign.append(FileKey.of(root, f"x/{i}.npy"), np.full(3, 99.0, np.float32))
    monkeypatch.setenv("MODALENS_CONFIG_DIR", str(tmp_path / "me"))
    messages: list[str] = []
    data = prepare(root, messages)
    np.testing.assert_array_equal(data.arrays["x"][:][:, 0], [0, 1, 2, 3])
    [said] = [m for m in messages if "not written by this installation" in m]
    assert "4 record(s)" in said and str(store) in said


def test_a_fifo_named_like_a_segment_is_skipped_not_opened(tmp_path):
    root = dataset(tmp_path)
    prepare(root)
    [store] = list(cache_folder(root).iterdir())
    fifo = store / f"0000-trap{SEGMENT_SUFFIX}"
    os.mkfifo(fifo)
    done: list = []
    worker = threading.Thread(target=lambda: done.append(prepare(root)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # release the reader stuck on the FIFO so the test process can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(10)
        pytest.fail("opening the store blocked on a FIFO named *.seg")
    np.testing.assert_array_equal(done[0].arrays["x"][:][:, 0], [0, 1, 2, 3])


def test_a_symlinked_cache_folder_is_not_written_through(tmp_path):
    root = dataset(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, root / CACHE_DIR_NAME)
    messages: list[str] = []
    data = prepare(root, messages)
    np.testing.assert_array_equal(data.arrays["x"][:][:, 0], [0, 1, 2, 3])
    assert list(elsewhere.iterdir()) == []
    assert any("symbolic link" in m for m in messages)


def test_a_file_changed_in_place_with_its_mtime_restored_is_decoded_again(tmp_path):
    root = dataset(tmp_path)
    prepare(root)
    path = root / "x" / "2.npy"
    info = path.stat()
    write_vector(path, np.full(3, 42.0, np.float32))  # same size
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns
    np.testing.assert_array_equal(prepare(root).arrays["x"][2], np.full(3, 42.0, np.float32))
