"""``import --force`` writes into a temporary folder and swaps it in whole: an import that dies half-way
leaves the earlier import as it was, never its manifest beside new files."""

import numpy as np
import pytest

from core.data.manifest import load_manifest
from core.data.sources import writer
from core.data.sources.base import Sample, Source
from core.data.store import CACHE_DIR_NAME


class WritesFeatures(Source):
    """A source that writes files of its own into the dataset folder (as ``mosei`` does)."""

    name, summary, layout = "writes-features", "test source", "any folder"
    value = 1.0

    def scan(self, root, out, options, log):
        (out / "feat").mkdir(exist_ok=True)
        samples = []
        for i, label in enumerate("ab"):
            np.save(out / "feat" / f"{i}.npy", np.full(3, self.value, np.float32))
            samples.append(Sample(f"s{i}", label, "train", {"x": f"feat/{i}.npy"}))
        return samples


def test_a_forced_import_that_dies_leaves_the_earlier_one_whole(tmp_path, monkeypatch):
    source, out = tmp_path / "source", tmp_path / "dataset"
    source.mkdir()
    writer.import_dataset(WritesFeatures, source, out)
    (out / CACHE_DIR_NAME).mkdir()
    monkeypatch.setattr(WritesFeatures, "value", 2.0)
    monkeypatch.setattr(writer, "_write_manifest", lambda path, samples: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        writer.import_dataset(WritesFeatures, source, out, force=True)
    assert np.load(out / "feat" / "0.npy")[0] == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset", "source"]
    monkeypatch.undo()
    monkeypatch.setenv("MODALENS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setattr(WritesFeatures, "value", 3.0)
    writer.import_dataset(WritesFeatures, source, out, force=True)
    assert np.load(out / "feat" / "0.npy")[0] == 3.0 and (out / CACHE_DIR_NAME).is_dir()
    assert list(load_manifest(out).samples.ids) == ["s0", "s1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config", "dataset", "source"]
