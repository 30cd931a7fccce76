"""The on-disk tensor store: records, checksums, torn tails, full disks, interrupted builds, concurrency."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from core.atomic import WriteError
from core.config import AudioConfig, DataConfig, VideoConfig
from core.data.batches import iterate_batches
from core.data.kinds.audio_decoder import preprocess_audio
from core.data.manifest import ManifestError
from core.data.prepare import NONFINITE, BuildStopped, build_store, prepare_dataset
from core.data.store import SEGMENT_SUFFIX, DamagedEntryError, FileKey, StoredRows, TensorStore, cache_folder
from tests.data.helpers import make_sample, tone, write_manifest, write_vector, write_wav
from tests.data.store_procs import entry_array, entry_key

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.data.store_procs", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def _vector_dataset(root: Path, count: int) -> None:
    for i in range(count):
        write_vector(root / f"feat/v{i}.npy", np.arange(4) + i)
    rows = [[f"v{i}", "ab"[i % 2], "train", f"feat/v{i}.npy"] for i in range(count)]
    write_manifest(root, ["id", "label", "split", "feat"], rows)


def test_records_are_found_by_file_version_and_the_last_one_wins(tmp_path):
    key = FileKey("a.wav", 10, 5)
    with TensorStore(tmp_path) as store:
        store.append_failure(key, "cannot decode audio")
        store.append(FileKey("b.wav", 1, 1), np.arange(6, dtype=np.uint8).reshape(2, 3))
    with TensorStore(tmp_path) as store:
        assert store.lookup(key).failure == "cannot decode audio"
        assert store.lookup(FileKey("a.wav", 10, 6)) is None and store.lookup(FileKey("a.wav", 11, 5)) is None
        store.append(key, np.ones(3, np.float32))  # e.g. decoded again after a fix
    store = TensorStore(tmp_path)
    entry = store.lookup(key)
    assert entry.failure is None and entry.shape == (3,) and entry.dtype == "<f4"
    rows = StoredRows(tmp_path, [entry, store.lookup(FileKey("b.wav", 1, 1))][1:], ["b"], ["b.wav"])
    assert rows.dtype == np.uint8 and rows[0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert len(list(tmp_path.glob(f"*{SEGMENT_SUFFIX}"))) == 2  # one segment per writer, never rewritten


def test_a_torn_last_record_is_ignored_and_the_earlier_ones_kept(tmp_path):
    with TensorStore(tmp_path) as store:
        for k in range(3):
            store.append(entry_key(k), entry_array(k))
    (segment,) = tmp_path.glob(f"*{SEGMENT_SUFFIX}")
    segment.write_bytes(segment.read_bytes()[:-100])  # as a writer killed in its last write leaves it
    store = TensorStore(tmp_path)
    assert sorted(key.size for key in store.file_keys()) == [0, 1]


def test_a_full_disk_is_one_line_and_keeps_what_was_stored(tmp_path, monkeypatch):
    store = TensorStore(tmp_path)
    store.append(entry_key(0), entry_array(0))
    real_write = os.write

    def half_then_full(fd, data):
        if len(data) > 1000:
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(WriteError, match="the disk is full") as raised:
        store.append(entry_key(1), entry_array(1))
    monkeypatch.undo()
    assert "\n" not in str(raised.value) and SEGMENT_SUFFIX in str(raised.value)
    store.close()
    again = TensorStore(tmp_path)
    assert again.file_keys() == [entry_key(0)]
    (segment,) = tmp_path.glob(f"*{SEGMENT_SUFFIX}")
    assert segment.stat().st_size == again.lookup(entry_key(0)).offset + entry_array(0).nbytes  # cut back


def test_a_damaged_entry_is_reported_discarded_and_decoded_again(tmp_path):
    _vector_dataset(tmp_path, 3)
    first = prepare_dataset(DataConfig(path=str(tmp_path)))
    rows = first.arrays["feat"]
    expected = [rows[i].copy() for i in range(3)]
    (segment,) = cache_folder(tmp_path).glob(f"*/*{SEGMENT_SUFFIX}")
    store = TensorStore(segment.parent)
    entry = store.lookup(FileKey.of(tmp_path, "feat/v1.npy"))
    damaged = bytearray(segment.read_bytes())
    damaged[entry.offset + 2] ^= 0xFF
    segment.write_bytes(bytes(damaged))

    messages: list[str] = []
    data = prepare_dataset(DataConfig(path=str(tmp_path)), log=messages.append)
    batch = data.arrays["feat"][np.array([0, 1, 2])]
    np.testing.assert_array_equal(batch, np.stack(expected))
    (warning,) = [m for m in messages if "checksum" in m]
    assert "sample 'v1', file 'feat/v1.npy'" in warning and "decoded again" in warning
    fresh = TensorStore(segment.parent).lookup(FileKey.of(tmp_path, "feat/v1.npy"))
    assert fresh.segment != segment.name  # the re-decoded array was appended, and is the newest record

    plain = StoredRows(segment.parent, [entry], ["v1"], ["feat/v1.npy"])  # no way to decode again
    with pytest.raises(DamagedEntryError, match="sample 'v1', file 'feat/v1.npy'.*checksum"):
        plain[0]
    np.testing.assert_array_equal(prepare_dataset(DataConfig(path=str(tmp_path))).arrays["feat"][1], expected[1])


def test_an_interrupted_build_resumes_and_ends_with_the_same_tensors(tmp_path):
    dataset, reference = tmp_path / "killed", tmp_path / "reference"
    _vector_dataset(dataset, 40)
    _vector_dataset(reference, 40)
    build = _run("build", str(dataset))
    for line in build.stdout:
        if line.strip() == "stored 10":
            build.send_signal(signal.SIGKILL)
            break
    build.wait()
    assert build.returncode == -signal.SIGKILL
    kept = TensorStore(next(cache_folder(dataset).iterdir()))
    assert 10 <= len(kept) < 40

    messages: list[str] = []
    resumed = prepare_dataset(DataConfig(path=str(dataset), workers=1), log=messages.append)
    assert any(f"decoding {40 - len(kept)} file(s)" in m for m in messages)
    whole = prepare_dataset(DataConfig(path=str(reference), workers=1))
    np.testing.assert_array_equal(resumed.arrays["feat"][:], whole.arrays["feat"][:])
    np.testing.assert_array_equal(resumed.arrays["feat"][:, 0], np.arange(40))


def test_two_processes_read_while_a_third_appends(tmp_path):
    with TensorStore(tmp_path) as store:
        for k in range(20):
            store.append(entry_key(k), entry_array(k))
    writer = _run("append", str(tmp_path), "20", "400")
    readers = [_run("read", str(tmp_path), "3") for _ in range(2)]
    writer.wait(timeout=120)
    outputs = [reader.communicate(timeout=120)[0] for reader in readers]
    assert writer.returncode == 0 and all(reader.returncode == 0 for reader in readers)
    for output in outputs:
        rounds, fewest, most = (int(v) for v in output.split()[1:])
        assert rounds >= 1 and fewest >= 20 and most <= 420
    assert len(TensorStore(tmp_path)) == 420


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_a_tensor_with_nan_or_inf_is_an_exclusion_that_is_remembered(tmp_path):
    video, audio = make_sample(tmp_path, "s0", 0)
    write_manifest(tmp_path, ["id", "label", "split", "video", "audio"], [["s0", "x", "train", video, audio],
                                                                          ["s1", "y", "train", video, "audio/s1.wav"]])
    make_sample(tmp_path, "s1", 1)
    config = DataConfig(path=str(tmp_path), video=VideoConfig(frames=2, height=8, width=8),
                        audio=AudioConfig(duration_s=0.25, norm_scale=1e-45))  # log power / 1e-45: -inf
    with pytest.raises(ManifestError, match="no usable sample") as raised:
        prepare_dataset(config)
    assert NONFINITE in str(raised.value.problems)
    messages: list[str] = []
    with pytest.raises(ManifestError, match="no usable sample"):
        prepare_dataset(config, log=messages.append)
    assert any("0 file(s) decoded" in m and "4 from the cache" in m for m in messages)


def test_cache_folder_locations(tmp_path):
    assert cache_folder(tmp_path) == tmp_path / ".modalens-cache"
    shared = tmp_path / "shared"
    one, two = cache_folder(tmp_path / "d1", str(shared)), cache_folder(tmp_path / "d2", str(shared))
    assert one.parent == shared == two.parent and one != two and one.name.startswith("d1-")
    assert cache_folder(tmp_path, "rel").parent == tmp_path / "rel"


def test_a_stop_request_ends_the_build_and_ranks_build_their_shares(tmp_path):
    _vector_dataset(tmp_path, 6)
    calls: list[int] = []
    with pytest.raises(BuildStopped, match="2 of 6 file"):
        prepare_dataset(DataConfig(path=str(tmp_path)), progress=lambda d, t: calls.append(d), stop=lambda: 2 in calls)
    folder = next(cache_folder(tmp_path).iterdir())
    assert len(TensorStore(folder)) == 2

    messages: list[str] = []
    build_store(DataConfig(path=str(tmp_path)), (1, 2), messages.append)  # files 1, 3, 5: 1 is stored
    assert any("decoding 2 file(s)" in m for m in messages) and len(TensorStore(folder)) == 4
    messages.clear()
    build_store(DataConfig(path=str(tmp_path)), (0, 2), messages.append)  # files 0, 2, 4: 0 is stored
    assert any("decoding 2 file(s)" in m for m in messages) and len(TensorStore(folder)) == 6
    messages.clear()
    prepare_dataset(DataConfig(path=str(tmp_path)), log=messages.append)
    assert not any("decoding" in m for m in messages)


def test_dataloader_workers_read_batches_from_the_store_in_their_stored_dtype(tmp_path):
    for i in range(4):
        make_sample(tmp_path, f"s{i}", i % 2)
    rows = [[f"s{i}", "ab"[i % 2], "train", f"video/s{i}.mp4", f"audio/s{i}.wav"] for i in range(4)]
    write_manifest(tmp_path, ["id", "label", "split", "video", "audio"], rows)
    config = DataConfig(path=str(tmp_path), video=VideoConfig(frames=2, height=8, width=8),
                        audio=AudioConfig(duration_s=0.25))
    data = prepare_dataset(config)
    assert isinstance(data.arrays["video"], StoredRows)
    index = np.array([3, 0, 2, 1])
    cpu = torch.device("cpu")
    local = list(iterate_batches(data, index, 3, cpu))
    workers = list(iterate_batches(data, index, 3, cpu, num_workers=1))  # spawn: the rows are pickled
    assert [b.index.tolist() for b in workers] == [[3, 0, 2], [1]]
    for a, b in zip(local, workers):
        assert a.inputs["video"].dtype == torch.uint8 and torch.equal(a.inputs["video"], b.inputs["video"])
        assert torch.equal(a.inputs["audio"], b.inputs["audio"])
    sample = data.sample(2)
    np.testing.assert_array_equal(local[0].inputs["video"][2].numpy(), sample["video"])
    np.testing.assert_array_equal(sample["audio"], preprocess_audio(tmp_path / "audio/s2.wav", config.audio))


def test_a_pool_of_processes_stores_what_one_process_does(tmp_path):
    rows = []
    for i in range(32):  # two processes need 2 × MIN_FILES_PER_WORKER files to decode
        write_wav(tmp_path / f"audio/{i}.wav", tone(200.0 + 10 * i, 8000, 0.25), 8000)
        rows.append([f"a{i}", "ab"[i % 2], "train", f"audio/{i}.wav"])
    write_manifest(tmp_path, ["id", "label", "split", "audio"], rows)
    audio = AudioConfig(duration_s=0.25)
    messages: list[str] = []
    pooled = prepare_dataset(DataConfig(path=str(tmp_path), audio=audio, workers=2, cache_dir="pool"),
                             log=messages.append)
    assert any("decoding 32 file(s) with 2 process(es)" in m for m in messages)
    single = prepare_dataset(DataConfig(path=str(tmp_path), audio=audio, workers=1, cache_dir="one"))
    np.testing.assert_array_equal(pooled.arrays["audio"][:], single.arrays["audio"][:])
    np.testing.assert_array_equal(pooled.arrays["audio"][5], preprocess_audio(tmp_path / "audio/5.wav", audio))
