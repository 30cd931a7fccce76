"""mosei: BalanceBenchmark's feature pickle, read by an unpickler that admits only arrays."""

import os
import pickle

import numpy as np
import pytest

from core.data.sources.mosei import binary_label, pool_sequence
from tests.data.sources.common import manifest_rows, run_import, train_one_epoch

DIMS = {"text": 6, "audio": 3, "vision": 2}


def _split(rng, count: int, labels: list[float]) -> dict:
    part = {m: rng.normal(size=(count, 4, d)).astype(np.float32) for m, d in DIMS.items()}
    part["text"][:, 3] = 0  # padding step
    part["audio"][0, 1, 0] = -np.inf
    part["labels"] = np.array(labels, np.float32).reshape(count, 1, 1)
    part["id"] = np.array([[f"v{i}".encode(), b"0", b"3"] for i in range(count)])
    return part


def _write_pickle(path, rng) -> dict:
    data = {
        "train": _split(rng, 6, [1.5, -0.5, 0.0, 2.0, -3.0, 0.4]),
        "valid": _split(rng, 2, [-1.0, 1.0]),
        "test": _split(rng, 2, [0.2, -0.2]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(data))
    return data


def test_acc2_labels_and_pooling():
    assert [binary_label(v) for v in (-0.1, 0.0, 0.1)] == ["negative", "positive", "positive"]
    sequence = np.array([[1.0, 2.0], [3.0, 6.0], [0.0, 0.0]], np.float32)
    np.testing.assert_array_equal(pool_sequence(sequence, "mean"), [2.0, 4.0])  # the zero step is padding
    np.testing.assert_array_equal(pool_sequence(sequence, "none"), sequence)


def test_mosei_writes_three_vector_modalities(tmp_path, capsys):
    data = _write_pickle(tmp_path / "mosei" / "mosei_senti_data_noalign.pkl", np.random.default_rng(0))
    out = tmp_path / "data"
    code, printed = run_import(capsys, "mosei", tmp_path / "mosei", "--out", out)
    assert code == 0, printed
    rows = manifest_rows(out)
    assert len(rows) == 10
    assert [rows[f"train-{i:05d}"]["label"] for i in range(6)] == [
        "positive",
        "negative",
        "positive",
        "positive",
        "negative",
        "positive",
    ]
    assert {r["split"] for r in rows.values()} == {"train", "val", "test"}
    assert rows["val-00000"]["segment"] == "v0_0_3"
    audio = data["train"]["audio"][0].copy()
    audio[np.isneginf(audio)] = 0
    np.testing.assert_allclose(np.load(out / rows["train-00000"]["audio"]), audio.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(
        np.load(out / rows["train-00001"]["text"]), data["train"]["text"][1, :3].mean(axis=0), rtol=1e-6
    )
    assert not os.path.isabs(rows["train-00000"]["vision"])  # written inside the dataset folder

    result = train_one_epoch(out, tmp_path / "run")
    assert result.returncode == 0, result.stderr[-2000:]


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch pwned-marker",))


def test_a_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "mosei_senti_data_noalign.pkl").write_bytes(
        pickle.dumps({"train": {"id": _Payload()}})
    )
    code, printed = run_import(capsys, "mosei", tmp_path / "evil", "--out", tmp_path / "data")
    assert code == 2
    assert "refuses to load posix.system" in printed and len(printed.strip().splitlines()) == 1
    assert not (tmp_path / "pwned-marker").exists()


@pytest.mark.parametrize("drop", [False, True])
def test_drop_neutral(tmp_path, capsys, drop):
    _write_pickle(tmp_path / "m" / "mosei_senti_data_noalign.pkl", np.random.default_rng(1))
    args = ["--drop-neutral"] if drop else []
    assert run_import(capsys, "mosei", tmp_path / "m", "--out", tmp_path / "d", *args)[0] == 0
    assert ("train-00002" in manifest_rows(tmp_path / "d")) is not drop


def test_a_pickle_written_by_numpy_1_with_protocol_0_loads(tmp_path):
    from core.data.sources.mosei import load_arrays_pickle

    data = {"train": {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "id": np.array([[b"a", b"1"]])}}
    path = tmp_path / "old.pkl"
    path.write_bytes(pickle.dumps(data, protocol=0).replace(b"numpy._core", b"numpy.core"))
    assert (
        b"cnumpy.core.multiarray\n_reconstruct" in path.read_bytes()
        and b"c_codecs\nencode" in path.read_bytes()
    )
    loaded = load_arrays_pickle(path)
    np.testing.assert_array_equal(loaded["train"]["x"], data["train"]["x"])
    assert loaded["train"]["id"].tolist() == [[b"a", b"1"]]
