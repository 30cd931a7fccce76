"""File → Export figure… and a plot's context menu write the plot as PNG, SVG and PDF at the chosen size;
the browser and the contribution view show each sample's pair interactions."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QDialogButtonBox

from app.figure_export import MENU_TEXT
from app.views.browser import SampleBrowser
from app.views.contribution import ContributionView
from core.valuation.interaction import pair_interactions
from core.valuation.result import ValuationResult
from tests.app.test_window import action_by_text
from tests.app.views.helpers import make_dataset, session_with


def save(dialog, path, width_in: float, height_in: float) -> None:
    dialog.width_in.setValue(width_in)
    dialog.height_in.setValue(height_in)
    dialog.format.setCurrentIndex(dialog.format.findData(path.suffix[1:]))
    dialog.path.setText(str(path))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()


def test_export_figure_from_the_file_menu_and_a_plots_menu(make_window, tmp_path):
    window = make_window()
    exporter = window.figure_exporter
    tmp_path = tmp_path / "figures"  # (the window's settings live in tmp_path)
    tmp_path.mkdir()
    action_by_text(window, "File", "Export figure…").trigger()
    dialog = exporter.dialog
    assert dialog is not None and dialog.isVisible()
    names = [dialog.figure.itemText(k) for k in range(dialog.figure.count())]
    assert "Contributions" in names and any(name.startswith("Curves") for name in names)
    dialog.figure.setCurrentIndex(names.index("Contributions"))

    save(dialog, tmp_path / "c.png", 3.5, 2.5)
    data = (tmp_path / "c.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1050, 750)  # 300 dpi
    assert not dialog.isVisible()

    contribution = window.contribution.plots  # no plot menu of its own: the view's menu has the entry
    menu = exporter.context_menu(contribution, QPoint(5, 5))
    assert [a.text() for a in menu.actions()] == [MENU_TEXT]
    menu.actions()[0].trigger()
    dialog = exporter.dialog
    assert dialog.figure.currentText() == "Contributions"
    save(dialog, tmp_path / "c.svg", 3.5, 2.5)
    root = ET.parse(tmp_path / "c.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.attrib["viewBox"] == "0 0 336 240"

    exporter.open_dialog(contribution)
    save(exporter.dialog, tmp_path / "c.pdf", 3.5, 2.5)
    data = (tmp_path / "c.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert [float(v) for v in data.split(b"/MediaBox [")[1].split(b"]")[0].split()] == [0, 0, 252, 180]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pdf", "c.png", "c.svg"]  # no temporaries
    assert contribution.centralWidget.geometry().size() == contribution.viewport().size()  # laid out back


def test_browser_and_contribution_show_pair_interactions(qtbot):
    modalities = ["audio", "video", "text"]
    dataset = make_dataset(8, modalities=modalities)
    session = session_with(dataset)
    values = np.random.default_rng(0).random((4, 8)).astype(np.float32)
    values[:, 0] = 0
    index = np.array([0, 2, 5, 6])
    session.add_valuation(ValuationResult(
        epoch=0, split="train", value_fn="probability", modalities=modalities, sample_index=index,
        phi=values[:, [1, 2, 4]], coalition_values=values, prediction=dataset.labels[index],
        correct=np.ones(4, bool)))
    expected = pair_interactions(values)

    browser = SampleBrowser(session)
    qtbot.addWidget(browser)
    browser.show()
    model = browser.model
    assert [c.title for c in model.columns if c.kind == "interaction"] == ["I audio×video", "I audio×text",
                                                                         "I video×text"]
    column = model.column_index("interaction:video×text")
    shown = {model.dataset_index(r): model.data(model.index(r, column)) for r in range(model.rowCount())}
    assert shown[1] == "" and [float(shown[i]) for i in index] == [round(float(v), 3) for v in expected[:, 2]]
    model.sort(column)
    assert model.order[:4].tolist() == index[np.argsort(expected[:, 2])].tolist()  # unvalued rows last

    view = ContributionView(session)
    qtbot.addWidget(view)
    view.show()
    session.set_current(5)
    np.testing.assert_allclose(view.displayed_interaction(), expected[2])
    assert "interaction audio×video" in view.heading.text()
