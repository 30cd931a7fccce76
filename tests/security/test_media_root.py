"""A dataset reads outside its folder only from a media root the user approved (``modalens import``,
``--media-root``), remembered in the user's config folder, and never from ``/`` or a system folder."""

import os

import numpy as np
import pytest

from core.cli.main import main
from core.data.manifest import ManifestError, load_manifest
from core.data.trust import MediaRootError, approve_media_root, approved_media_roots, config_home
from tests.data.helpers import write_manifest, write_vector

HEADER = ["id", "label", "split", "x"]


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    monkeypatch.setenv("MODALENS_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def received(tmp_path):
    """A received dataset whose dataset.toml points at a media folder outside it."""
    dataset, media = tmp_path / "dataset", tmp_path / "media"
    write_vector(dataset / "x" / "0.npy", np.zeros(3, np.float32))
    write_vector(media / "1.npy", np.ones(3, np.float32))
    (dataset / "dataset.toml").write_text(f'media_root = "{media}"\n', encoding="utf-8")
    write_manifest(dataset, HEADER, [["s0", "a", "train", "x/0.npy"], ["s1", "b", "train", str(media / "1.npy")]])
    return dataset, media


def test_a_media_root_the_user_did_not_approve_is_refused_in_one_line(received):
    dataset, media = received
    with pytest.raises(ManifestError) as caught:
        load_manifest(dataset)
    message = str(caught.value)
    assert "\n" not in message and str(media) in message and f"--media-root {media}" in message


def test_an_approved_media_root_is_read_and_remembered_outside_the_dataset(received):
    dataset, media = received
    before = sorted(p.name for p in dataset.iterdir())
    approve_media_root(dataset, media)
    assert list(load_manifest(dataset).samples.ids) == ["s0", "s1"]
    assert approved_media_roots(dataset) == [media.resolve()]
    assert any(config_home().iterdir()) and sorted(p.name for p in dataset.iterdir()) == before


def test_root_as_media_root_never_reaches_system_files(tmp_path):
    dataset = tmp_path / "dataset"
    write_vector(dataset / "x" / "0.npy", np.zeros(3, np.float32))
    os.symlink("/etc/passwd", dataset / "x" / "passwd.npy")
    (dataset / "dataset.toml").write_text('media_root = "/"\n', encoding="utf-8")
    write_manifest(dataset, HEADER, [["s0", "a", "train", "x/0.npy"], ["evil", "b", "train", "x/passwd.npy"]])
    with pytest.raises(ManifestError, match="never"):
        load_manifest(dataset)


@pytest.mark.parametrize("folder", ["/", "/etc", "/proc/self", "/usr/share", "~"])
def test_system_folders_cannot_be_approved(tmp_path, folder):
    with pytest.raises(MediaRootError, match="cannot be a media root"):
        approve_media_root(tmp_path, os.path.expanduser(folder))


def test_train_refuses_a_system_media_root_as_a_usage_error(received, capsys):
    dataset, _ = received
    assert main(["train", "--data", str(dataset), "--media-root", "/", "--epochs", "1"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "cannot be a media root" in line
