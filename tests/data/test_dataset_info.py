"""dataset.toml: written by an import, read back, and bad contents refused with one clear line."""

from pathlib import Path

import pytest

from core.data.dataset_info import DatasetInfo, read_dataset_info, write_dataset_info


def test_round_trip_and_missing_file(tmp_path):
    assert read_dataset_info(tmp_path) == DatasetInfo()
    info = DatasetInfo(
        Path("/data/ave"), "ave", {"seed": 0, "classes": None, "out": Path("/x")}, {"audio": "audio"}
    )
    write_dataset_info(tmp_path, info)
    text = (tmp_path / "dataset.toml").read_text()
    assert 'media_root = "/data/ave"' in text and "classes" not in text
    assert read_dataset_info(tmp_path) == DatasetInfo(
        Path("/data/ave"), "ave", {"seed": 0, "out": "/x"}, {"audio": "audio"}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("media_root = [", "cannot read"),
        ('[kinds]\naudio = "sound"', "maps column names to one of video, audio, vector"),
        ('media_root = "relative/dir"', "media_root must be an absolute folder path"),
    ],
)
def test_bad_dataset_toml_is_one_clear_error(tmp_path, text, message):
    (tmp_path / "dataset.toml").write_text(text)
    with pytest.raises(ValueError, match=message):
        read_dataset_info(tmp_path)
