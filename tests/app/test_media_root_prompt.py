"""Opening a dataset whose media lie in an unapproved folder outside it: the window asks whether to
approve that folder, remembers the answer through core's approval store, and opens the dataset again."""

from __future__ import annotations

import numpy as np
import pytest

from app.dataset_actions import unapproved_media_root
from app.prompts import AutoPrompter
from core.data.trust import approved_media_roots
from tests.app.helpers import wait_loaded
from tests.data.helpers import write_manifest, write_vector

HEADER = ["id", "label", "split", "x"]


@pytest.fixture
def received(tmp_path, monkeypatch):
    """A received dataset whose manifest names vectors in ``media/`` beside it (its dataset.toml's
    media_root), which this user has not approved; the approvals live in a fresh config folder."""
    monkeypatch.setenv("MODALENS_CONFIG_DIR", str(tmp_path / "config"))
    dataset, media = tmp_path / "dataset", tmp_path / "media"
    dataset.mkdir()
    rows = []
    for i, (label, split) in enumerate([("a", "train"), ("b", "train"), ("a", "val"), ("b", "val")]):
        write_vector(media / f"{i}.npy", np.full(3, i, np.float32))
        rows.append([f"s{i}", label, split, str(media / f"{i}.npy")])
    write_manifest(dataset, HEADER, rows)
    (dataset / "dataset.toml").write_text(f'media_root = "{media}"\n', encoding="utf-8")
    return dataset, media


def _questions(prompter: AutoPrompter) -> list[str]:
    return [text for kind, _title, text in prompter.messages if kind == "question"]


def test_approving_the_media_root_remembers_it_and_opens_the_dataset(qtbot, make_controller, received):
    dataset, media = received
    prompter = AutoPrompter(answer=True)
    controller = make_controller(prompter)
    assert controller.open_dataset(dataset)
    qtbot.waitUntil(lambda: controller.session.dataset is not None and not controller.loading, timeout=30_000)
    [question] = _questions(prompter)
    assert str(media.resolve()) in question
    assert approved_media_roots(dataset) == [media.resolve()]
    assert len(controller.session.dataset) == 4
    assert not [m for m in prompter.messages if m[0] == "error"]


def test_declining_leaves_the_dataset_closed_and_nothing_approved(qtbot, make_controller, received):
    dataset, _ = received
    prompter = AutoPrompter(answer=False)
    controller = make_controller(prompter)
    assert controller.open_dataset(dataset)
    qtbot.waitUntil(lambda: any(m[0] == "error" for m in prompter.messages), timeout=30_000)
    wait_loaded(qtbot, controller)
    assert len(_questions(prompter)) == 1
    [(_, title, text)] = [m for m in prompter.messages if m[0] == "error"]
    assert title == "Cannot open dataset" and "--media-root" in text
    assert controller.session.dataset is None and approved_media_roots(dataset) == []


def test_a_system_folder_is_never_offered(received):
    dataset, _ = received
    for forbidden in ("/", "/etc"):
        (dataset / "dataset.toml").write_text(f'media_root = "{forbidden}"\n', encoding="utf-8")
        assert unapproved_media_root(dataset) is None
