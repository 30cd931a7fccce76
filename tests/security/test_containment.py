"""A manifest row names files only inside its dataset folder (or the folder it was imported from):
every escape is a per-row error with row and column, and nothing outside is ever opened."""

import os
from pathlib import Path

import numpy as np
import pytest

from core.config import DataConfig
from core.data.manifest import ManifestError, load_manifest
from core.data.prepare import prepare_dataset
from core.data.trust import approve_media_root
from tests.data.helpers import write_manifest, write_vector

HEADER = ["id", "label", "split", "x"]


@pytest.fixture
def layout(tmp_path):
    """dataset/ with two good vectors; outside/ holds a secret vector a manifest must not reach."""
    dataset, outside = tmp_path / "dataset", tmp_path / "outside"
    dataset.mkdir(), outside.mkdir()
    for i in range(2):
        write_vector(dataset / "x" / f"{i}.npy", np.full(3, i, np.float32))
    write_vector(outside / "secret.npy", np.full(3, 7.0, np.float32))
    return dataset, outside


def rows_with(dataset, bad_path):
    return [["s0", "a", "train", "x/0.npy"], ["s1", "b", "train", "x/1.npy"], ["evil", "a", "train", bad_path]]


def excluded_row(dataset, bad_path):
    write_manifest(dataset, HEADER, rows_with(dataset, bad_path))
    manifest = load_manifest(dataset)
    assert list(manifest.samples.ids) == ["s0", "s1"]
    [problem] = manifest.excluded
    assert (problem.row, problem.column, problem.sample_id) == (4, "x", "evil")
    assert "leads outside the dataset" in problem.reason
    return problem


def test_dot_dot_path_is_rejected(layout):
    dataset, _ = layout
    excluded_row(dataset, "../outside/secret.npy")


def test_dot_dot_inside_a_path_is_rejected(layout):
    dataset, _ = layout
    excluded_row(dataset, "x/../../outside/secret.npy")


def test_absolute_path_elsewhere_is_rejected(layout):
    dataset, outside = layout
    excluded_row(dataset, str(outside / "secret.npy"))


def test_symlinked_file_to_outside_is_rejected(layout):
    dataset, _ = layout
    os.symlink("/etc/passwd", dataset / "x" / "passwd.npy")
    problem = excluded_row(dataset, "x/passwd.npy")
    assert "/etc/passwd" in problem.reason


def test_symlinked_folder_to_outside_is_rejected(layout):
    dataset, outside = layout
    os.symlink(outside, dataset / "linked")
    excluded_row(dataset, "linked/secret.npy")


def test_symlink_and_absolute_path_inside_the_dataset_are_fine(layout):
    dataset, _ = layout
    os.symlink(dataset / "x" / "1.npy", dataset / "x" / "alias.npy")
    write_manifest(
        dataset, HEADER, [["s0", "a", "train", str(dataset / "x" / "0.npy")], ["s1", "b", "train", "x/alias.npy"]]
    )
    assert load_manifest(dataset).excluded == []


def test_the_approved_import_root_is_allowed_and_nothing_else(layout, tmp_path, monkeypatch):
    dataset, outside = layout
    monkeypatch.setenv("MODALENS_CONFIG_DIR", str(tmp_path / "config"))
    (dataset / "dataset.toml").write_text(f'media_root = "{outside}"\n', encoding="utf-8")
    approve_media_root(dataset, outside)
    elsewhere = tmp_path / "elsewhere"
    write_vector(elsewhere / "v.npy", np.zeros(3, np.float32))
    write_manifest(
        dataset,
        HEADER,
        [["s0", "a", "train", str(outside / "secret.npy")], ["s1", "b", "train", str(elsewhere / "v.npy")]],
    )
    manifest = load_manifest(dataset)
    assert list(manifest.samples.ids) == ["s0"]
    assert [(p.row, p.column) for p in manifest.excluded] == [(3, "x")]


def test_a_bad_dataset_toml_is_a_clear_error(layout):
    dataset, _ = layout
    (dataset / "dataset.toml").write_text('media_root = "relative/path"\n', encoding="utf-8")
    write_manifest(dataset, HEADER, rows_with(dataset, "x/0.npy")[:2])
    with pytest.raises(ManifestError, match="media_root must be an absolute folder path"):
        load_manifest(dataset)


def test_nothing_outside_is_read_when_preparing(layout, monkeypatch):
    dataset, outside = layout
    write_manifest(dataset, HEADER, rows_with(dataset, "../outside/secret.npy"))
    opened = []
    real_load = np.load
    monkeypatch.setattr(np, "load", lambda path, *a, **k: opened.append(Path(path).resolve()) or real_load(path, *a, **k))
    data = prepare_dataset(DataConfig(path=str(dataset), cache_dir=str(dataset / ".cache")))
    assert len(data) == 2
    assert all(outside not in p.parents for p in opened)


@pytest.mark.parametrize("column,value", [("id", "ev\x00il"), ("id", "a\tb"), ("label", "c\x1bat"), ("label", "x\ny")])
def test_control_characters_in_ids_and_labels_are_row_errors(layout, column, value):
    dataset, _ = layout
    rows = rows_with(dataset, "x/0.npy")[:2] + [["s2", "a", "train", "x/1.npy"]]
    rows[2][HEADER.index(column)] = value
    write_manifest(dataset, HEADER, rows)
    manifest = load_manifest(dataset)
    assert len(manifest) == 2
    [problem] = manifest.excluded
    assert problem.column == column and "control character" in problem.reason
