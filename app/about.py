"""Help → About: what ModaLens is and the versions of everything it runs on."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import core

DESCRIPTION = "See and fix how a multimodal model uses each of its modalities, sample by sample."
_MODULE_VERSIONS = (
    ("torch", "torch", "__version__"),
    ("pyqtgraph", "pyqtgraph", "__version__"),
    ("NumPy", "numpy", "__version__"),
    ("h5py", "h5py", "__version__"),
    ("HDF5", "h5py", "version.hdf5_version"),
    ("OpenCV", "cv2", "__version__"),
)


def versions() -> dict[str, str]:
    """Name → version of ModaLens, Python, Qt and the libraries it uses (``"not installed"`` if missing)."""
    import PySide6
    from PySide6 import QtCore

    found = {
        "ModaLens": core.__version__,
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "PySide6": PySide6.__version__,
        "Qt": QtCore.qVersion(),
    }
    for label, module, attribute in _MODULE_VERSIONS:
        found[label] = _module_version(module, attribute)
    found["soundfile"] = _distribution_version("soundfile")
    found["Platform"] = f"{platform.system()} {platform.release()} ({platform.machine()})"
    return found


def _module_version(module: str, attribute: str) -> str:
    try:
        value: object = __import__(module)
    except ImportError:
        return "not installed"
    for part in attribute.split("."):
        value = getattr(value, part, None)
    return str(value) if value is not None else "unknown"


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions_text() -> str:
    return "\n".join(f"{name}: {version}" for name, version in versions().items())


class AboutDialog(QDialog):
    """Name, one-line description and a table of versions, with a button to copy them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About ModaLens")
        title = QLabel(f"<h2>ModaLens {core.__version__}</h2><p>{DESCRIPTION}</p>")
        title.setWordWrap(True)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        table = QTableWidget(0, 2, self)
        table.setObjectName("versionsTable")
        table.setHorizontalHeaderLabels(["Component", "Version"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        for name, version in versions().items():
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(version))
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = QPushButton("Copy versions", self)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(versions_text()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(table)
        layout.addWidget(QLabel(f"Python executable: {sys.executable}", wordWrap=True))
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 70, self.fontMetrics().height() * 26)
