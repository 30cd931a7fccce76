"""Exporting any plot of the window as PNG, SVG or PDF at a chosen size.

The plot is laid out anew at the chosen size (``LOGICAL_DPI`` pixels per inch, so text keeps its point
size) for the moment it is drawn, then put back. SVG and PDF are vector drawings; a PNG is rendered at
the chosen resolution (its lines keep their width in screen pixels, so they are finer than on screen).
Every ``pg.GraphicsView`` of the window gets an "Export figure…" entry in its context menu.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QMarginsF, QObject, QPoint, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QAction, QImage, QPageSize, QPainter, QPdfWriter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QGraphicsWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QWidget,
)

from core.atomic import atomic_write, temporary_path

LOGICAL_DPI = 96.0
FORMATS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "pdf": "PDF document (*.pdf)"}
MENU_TEXT = "Export figure…"
INSTALLED = "figureExportInstalled"  # a dynamic property of the views that have the menu entry


def export_figure(view: pg.GraphicsView, path: str | Path, width_in: float, height_in: float, dpi: int = 300) -> Path:
    """Draw ``view``'s plot laid out ``width_in`` × ``height_in`` inches into ``path``; the format is the
    suffix (.png at ``dpi``, .svg, .pdf). The file is complete or absent. ValueError for a bad request."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path.name}: unknown figure format {path.suffix!r}; expected .png, .svg or .pdf")
    if width_in <= 0 or height_in <= 0 or dpi <= 0:
        raise ValueError(f"figure size {width_in} × {height_in} in at {dpi} dpi: each must be positive")
    size = QSizeF(width_in * LOGICAL_DPI, height_in * LOGICAL_DPI)
    tmp = temporary_path(path)
    with _laid_out(view, size) as source:
        if fmt == "png":
            _write_png(view, source, tmp, round(width_in * dpi), round(height_in * dpi), dpi)
        elif fmt == "svg":
            _write_svg(view, source, tmp, path.stem)
        else:
            _write_pdf(view, source, tmp, width_in, height_in, path.stem)
    if not tmp.exists():
        raise OSError(f"{path}: Qt could not write the {fmt.upper()} file")
    data = tmp.read_bytes()
    with atomic_write(path) as handle:  # its temporary is the same file: Qt's is read first
        handle.write(data)
    return path


@contextmanager
def _laid_out(view: pg.GraphicsView, size: QSizeF) -> Iterator[QRectF]:
    """The view's top item laid out at ``size`` (its source rectangle in the scene), restored afterwards."""
    item = view.centralWidget
    before = item.geometry()
    item.setGeometry(QRectF(before.topLeft(), size))
    _settle(item)
    items = [i for i in view.scene().items() if hasattr(i, "setExportMode")]
    for i in items:
        i.setExportMode(True, {"antialias": True, "background": view.backgroundBrush().color()})
    try:
        yield QRectF(before.topLeft(), size)
    finally:
        for i in items:
            i.setExportMode(False)
        item.setGeometry(before)
        _settle(item)


def _settle(item: QGraphicsWidget) -> None:
    """Lay out the item and every widget inside it now, top down (Qt would on later event loop passes)."""
    pending = [item]
    while pending:
        widget = pending.pop(0)
        layout = QGraphicsWidget.layout(widget)  # (pyqtgraph items shadow layout() with an attribute)
        if layout is not None:
            layout.activate()
        pending += [child for child in widget.childItems() if isinstance(child, QGraphicsWidget)]


def _render(view: pg.GraphicsView, painter: QPainter, target: QRectF, source: QRectF) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.fillRect(target, view.backgroundBrush())
    view.scene().render(painter, target, source, Qt.AspectRatioMode.IgnoreAspectRatio)
    painter.end()


def _write_png(view: pg.GraphicsView, source: QRectF, tmp: Path, width: int, height: int, dpi: int) -> None:
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    _render(view, QPainter(image), QRectF(0, 0, width, height), source)
    image.setDotsPerMeterX(round(dpi / 0.0254))  # only now: while painting, points become pixels at this
    image.setDotsPerMeterY(round(dpi / 0.0254))  # resolution, which would scale the text twice
    image.save(str(tmp), "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide6 wants str


def _write_svg(view: pg.GraphicsView, source: QRectF, tmp: Path, title: str) -> None:
    generator = QSvgGenerator()
    generator.setFileName(str(tmp))
    generator.setSize(QSize(round(source.width()), round(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setResolution(round(LOGICAL_DPI))
    generator.setTitle(title)
    generator.setDescription("Exported from ModaLens")
    _render(view, QPainter(generator), QRectF(0, 0, source.width(), source.height()), source)


def _write_pdf(view: pg.GraphicsView, source: QRectF, tmp: Path, width_in: float, height_in: float, title: str) -> None:
    writer = QPdfWriter(str(tmp))
    writer.setResolution(round(LOGICAL_DPI))  # device units = layout pixels: pens and text keep their size
    page = QPageSize(QSizeF(width_in, height_in), QPageSize.Unit.Inch, "", QPageSize.SizeMatchPolicy.ExactMatch)
    writer.setPageSize(page)
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    writer.setTitle(title)
    writer.setCreator("ModaLens")
    _render(view, QPainter(writer), QRectF(0, 0, source.width(), source.height()), source)


def figure_name(view: pg.GraphicsView) -> str:
    """The pane the view sits in, and the title of its plot when it has one: "Curves", "Sample: waveform"."""
    widget, pane = view.parentWidget(), ""
    while widget is not None and not pane:
        pane = widget.windowTitle() if isinstance(widget, QDockWidget) else ""
        widget = widget.parentWidget()
    central = view.centralWidget
    title = central.titleLabel.text if isinstance(central, pg.PlotItem) else ""
    return ": ".join(part for part in (pane or "Figure", _plain(title)) if part)


def _plain(text: str) -> str:
    """A plot title without its rich-text markup."""
    return " ".join(re.sub(r"<[^>]*>", " ", text).split())


class FigureExportDialog(QDialog):
    """Which figure, its size in inches, the PNG resolution and the file; ``export`` runs on OK."""

    def __init__(self, parent: QWidget | None, figures: list[tuple[str, pg.GraphicsView]], current: int,
                 browse: Callable[[str], str], export: Callable[[pg.GraphicsView, Path, float, float, int], bool]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export figure")
        self._figures, self._browse, self._export = figures, browse, export
        self.figure = QComboBox()
        self.figure.addItems([name for name, _ in figures])
        self.width_in, self.height_in = QDoubleSpinBox(), QDoubleSpinBox()
        for box in (self.width_in, self.height_in):
            box.setRange(0.5, 40.0)
            box.setSingleStep(0.1)
            box.setDecimals(2)
            box.setSuffix(" in")
        self.dpi = QSpinBox()
        self.dpi.setRange(50, 1200)
        self.dpi.setValue(300)
        self.dpi.setSuffix(" dpi")
        self.dpi.setToolTip("Resolution of a PNG; SVG and PDF are vector drawings")
        self.format = QComboBox()
        for fmt, label in FORMATS.items():
            self.format.addItem(label.split(" (")[0], fmt)
        self.path = QLineEdit()
        browse_button = QPushButton("Browse…")
        browse_button.clicked.connect(self._choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse_button)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_in)
        size_row.addWidget(self.height_in)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Figure", self.figure)
        form.addRow("Width × height", size_row)
        form.addRow("Resolution", self.dpi)
        form.addRow("Format", self.format)
        form.addRow("File", file_row)
        form.addRow(buttons)
        self.figure.currentIndexChanged.connect(self._figure_chosen)
        self.format.currentIndexChanged.connect(self._format_chosen)
        self.figure.setCurrentIndex(current)
        self._figure_chosen(current)

    def _figure_chosen(self, index: int) -> None:
        """Start from the figure's size on screen, and a file named after it."""
        if not 0 <= index < len(self._figures):
            return
        name, view = self._figures[index]
        self.width_in.setValue(max(view.width(), 48) / LOGICAL_DPI)
        self.height_in.setValue(max(view.height(), 48) / LOGICAL_DPI)
        folder = Path(self.path.text()).parent if self.path.text() else Path.cwd()
        stem = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "figure"
        self.path.setText(str(folder / f"{stem}.{self.format.currentData()}"))

    def _format_chosen(self) -> None:
        if self.path.text():
            self.path.setText(str(Path(self.path.text()).with_suffix(f".{self.format.currentData()}")))

    def _choose_file(self) -> None:
        chosen = self._browse(self.path.text())
        if chosen:
            self.path.setText(chosen)
            position = self.format.findData(Path(chosen).suffix.lower().lstrip("."))
            if position >= 0:
                self.format.setCurrentIndex(position)

    def accept(self) -> None:
        path = Path(self.path.text())
        if path.suffix.lower().lstrip(".") not in FORMATS:
            path = path.with_name(f"{path.name}.{self.format.currentData()}")
        view = self._figures[self.figure.currentIndex()][1]
        if self._export(view, path, self.width_in.value(), self.height_in.value(), self.dpi.value()):
            super().accept()


class FigureExporter(QObject):
    """Gives every plot of ``window`` an "Export figure…" context-menu entry and runs the export dialog.
    ``prompter`` asks for file names and reports failures."""

    def __init__(self, window: QWidget, prompter) -> None:
        super().__init__(window)
        self.window, self.prompter = window, prompter
        self.dialog: FigureExportDialog | None = None
        self.last_written: Path | None = None
        self.views()

    def views(self) -> list[pg.GraphicsView]:
        """Every plot of the window (those added since get their menu entry now)."""
        found = self.window.findChildren(pg.GraphicsView)
        for view in found:
            if not view.property(INSTALLED):
                view.setProperty(INSTALLED, True)
                self.install(view)
        return found

    def figures(self) -> list[tuple[str, pg.GraphicsView]]:
        """Every plot of the window, named (the same name numbered when a pane holds several)."""
        views = self.views()
        names = [figure_name(v) for v in views]
        return [(name if names.count(name) == 1 else f"{name} ({names[:k + 1].count(name)})", view)
                for k, (name, view) in enumerate(zip(names, views, strict=True))]

    def install(self, view: pg.GraphicsView) -> None:
        """The entry in pyqtgraph's own plot menus (in place of its "Export..."), and a menu of its own
        where a plot has none."""
        action = QAction(MENU_TEXT, view)
        action.triggered.connect(lambda _=False, v=view: self.open_dialog(v))
        view.scene().contextMenu = [action]
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))

    def context_menu(self, view: pg.GraphicsView, pos: QPoint) -> QMenu | None:
        """The menu a right click at ``pos`` gets from this exporter: None over a plot area whose own menu
        (holding the entry) opens there."""
        for item in view.items(pos):
            if isinstance(item, pg.ViewBox) and item.menuEnabled():
                return None
        menu = QMenu(view)
        menu.addActions(view.scene().contextMenu)
        return menu

    def _context_menu(self, view: pg.GraphicsView, pos: QPoint) -> None:
        menu = self.context_menu(view, pos)
        if menu is not None:
            menu.popup(view.mapToGlobal(pos))

    def open_dialog(self, view: pg.GraphicsView | None = None) -> FigureExportDialog:
        """Show the export dialog (not blocking) with ``view`` chosen (default: the first plot shown)."""
        figures = self.figures()
        shown = [k for k, (_, v) in enumerate(figures) if v.isVisible()]
        current = next((k for k, (_, v) in enumerate(figures) if v is view), shown[0] if shown else 0)
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = FigureExportDialog(self.window, figures, current, self._browse, self._export)
        self.dialog.open()
        return self.dialog

    def _browse(self, start: str) -> str:
        return self.prompter.save_file(self.window, "Export figure", start, ";;".join(FORMATS.values()))

    def _export(self, view: pg.GraphicsView, path: Path, width_in: float, height_in: float, dpi: int) -> bool:
        try:
            self.last_written = export_figure(view, path, width_in, height_in, dpi)
        except (OSError, ValueError) as exc:
            self.prompter.error(self.window, "Export figure", str(exc))
            return False
        return True
