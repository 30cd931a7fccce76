"""File → Import dataset…: the options form, and an import of the ``folder`` source that opens the result."""

from __future__ import annotations

from pathlib import Path

from app.import_dialog import ImportChoice, ImportDialog, OptionsForm
from app.prompts import AutoPrompter
from core.data.sources import SOURCES
from tests.app.helpers import LOAD_TIMEOUT_MS
from tests.data.av_clips import write_clip
from tests.data.helpers import tone

CLIPS = {"dog": ("a", "b", "c", "d"), "cat": ("e", "f", "g", "h")}


def _write_folder(root: Path) -> Path:
    for label, names in CLIPS.items():
        for name in names:
            write_clip(root / label / f"{name}.mp4", frames=4, size=16, audio=tone(440.0, 16000, 0.5))
    return root


def test_options_form_gives_only_the_changed_options(qtbot):
    form = OptionsForm()
    qtbot.addWidget(form)
    form.set_options(SOURCES.get("folder").options)
    assert form.values() == {}
    form.editor("val_ratio").setValue(0.25)
    form.editor("seed").setValue(7)
    form.editor("video_only").setChecked(True)
    assert form.values() == {"val_ratio": 0.25, "seed": 7, "video_only": True}


def test_import_dialog_lists_every_source(qtbot):
    dialog = ImportDialog(None, "/data")
    qtbot.addWidget(dialog)
    assert [dialog.source.itemText(i) for i in range(dialog.source.count())] == SOURCES.names()
    dialog.source.setCurrentText("folder")
    dialog.out.setText("/tmp/out")
    dialog.options.editor("test_ratio").setValue(0.5)
    assert dialog.choice() == ImportChoice("folder", "/data", "/tmp/out", {"test_ratio": 0.5}, False)


def test_importing_the_folder_source_opens_the_dataset(qtbot, make_controller, tmp_path):
    root = _write_folder(tmp_path / "clips")
    out = tmp_path / "imported"
    choice = ImportChoice("folder", str(root), str(out), {"val_ratio": 0.25, "test_ratio": 0.25})
    controller = make_controller(AutoPrompter(import_=choice))
    activities = []
    controller.activity_changed.connect(activities.append)
    task = controller.import_dataset_dialog()
    assert task is not None
    assert activities[0].text.startswith("Importing folder") and activities[0].total == 0  # a busy bar
    qtbot.waitUntil(lambda: controller.session.dataset is not None and not controller.loading, timeout=LOAD_TIMEOUT_MS)
    dataset = controller.session.dataset
    assert dataset.root == out and (out / "manifest.csv").is_file()
    assert sorted(dataset.ids.astype(str).tolist()) == sorted(f"{c}/{n}" for c, names in CLIPS.items() for n in names)
    splits = sorted(dataset.splits.astype(str).tolist())
    assert splits.count("val") == 2 and splits.count("test") == 2  # a quarter of each class


def test_a_failed_import_says_why(qtbot, make_controller, tmp_path):
    prompter = AutoPrompter(import_=ImportChoice("folder", str(tmp_path / "missing"), str(tmp_path / "out")))
    controller = make_controller(prompter)
    task = controller.import_dataset_dialog()
    qtbot.waitUntil(task.finished, timeout=LOAD_TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(prompter.messages), timeout=LOAD_TIMEOUT_MS)
    kind, title, text = prompter.messages[-1]
    assert kind == "error" and title == "Cannot import dataset" and "not found" in text
    assert controller.session.dataset is None


def shown_text(label) -> str:
    """What a QLabel shows, as plain text (rich text rendered, plain text as it is)."""
    from PySide6.QtGui import Qt, QTextDocument  # QtGui's Qt carries mightBeRichText

    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(text))
    document = QTextDocument()
    document.setHtml(text) if rich else document.setPlainText(text)
    return document.toPlainText()


def test_import_dialog_shows_each_sources_description_as_text_not_markup(qtbot):
    dialog = ImportDialog(None, "/data")
    qtbot.addWidget(dialog)
    for name in SOURCES.names():
        dialog.source.setCurrentText(name)
        source = SOURCES.get(name)
        assert shown_text(dialog.about) == f"{source.summary}\nlayout: {source.layout}", name
