import numpy as np
import pytest

from core.data.samples import Samples


def table(n: int = 4, **changes) -> Samples:
    fields = dict(
        ids=np.array([f"s{i}" for i in range(n)], dtype=object), rows=np.arange(2, n + 2),
        labels=np.array([0, 1, 0, 5][:n]), class_names=["cat", "dog"],
        splits=np.array(["train", "val", "train", "test"][:n], dtype=object), modalities=["audio"],
        modality_kinds={"audio": "audio"}, media={"audio": np.array([f"a/{i}.wav" for i in range(n)], dtype=object)},
        metadata={"speaker": np.array(["x", "y", "x", "z"][:n], dtype=object)},
    )
    return Samples(**(fields | changes))


def test_split_helpers_take_and_label_names():
    samples = table()
    assert len(samples) == 4 and samples.num_classes == 2
    assert samples.split_mask("train").tolist() == [True, False, True, False]
    assert samples.split_indices("train").tolist() == [0, 2]
    assert [samples.label_name(int(k)) for k in samples.labels] == ["cat", "dog", "cat", "5"]
    part = samples.take(np.array([2, 1]))
    assert part.ids.tolist() == ["s2", "s1"] and part.rows.tolist() == [4, 3] and part.class_names == ["cat", "dog"]
    assert part.media["audio"].tolist() == ["a/2.wav", "a/1.wav"] and part.metadata["speaker"].tolist() == ["x", "y"]


def test_a_column_of_another_length_is_refused():
    with pytest.raises(ValueError, match="sample column metadata 'speaker' has 3 rows, expected 4"):
        table(metadata={"speaker": np.array(["x", "y", "x"], dtype=object)})
