"""Starting the desktop app: ``run_app`` (called by ``modalens gui``), plus its smoke and screenshot modes.

- no data and no report: open the built-in demo (created first, in the background, if missing);
- ``smoke``: start offscreen, open the data, show one sample, exit 0 (non-zero with the reason on failure);
- ``screenshot``: train one epoch on the data, select a sample, save the window (``size`` pixels, default
  1440 × 900) as a PNG, exit.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path

import numpy as np

from core.run_files import RunState

SMOKE_TIMEOUT_MS = 120_000
SCREENSHOT_TIMEOUT_MS = 590_000
SCREENSHOT_SIZE = (1440, 900)
FRAME_WAIT_MS = 5_000


class AppFailure(RuntimeError):
    """A smoke or screenshot run failed; the message says why."""


def _no_display() -> bool:
    """True on Linux when there is no X11 or Wayland display and no Qt platform was chosen."""
    return (
        sys.platform.startswith("linux")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        and not os.environ.get("QT_QPA_PLATFORM")
    )


def _prepare_environment(headless: bool) -> None:
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    if headless or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import qInstallMessageHandler

        qInstallMessageHandler(_headless_messages)


_OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints()",)


def _headless_messages(kind, context, message: str) -> None:
    """Qt's messages, less the offscreen platform's notes about window features it does not have."""
    if message not in _OFFSCREEN_NOISE:
        print(message, file=sys.stderr)


def create_application():
    """The QApplication with ModaLens's name, organisation and icon (made once per process)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.theme import app_icon
    from resources import APP_ID, APP_NAME, ORGANIZATION_DOMAIN, ORGANIZATION_NAME

    if QApplication.instance() is None:
        # fractional scale factors (125 %, 150 %) as they are, rather than rounded: crisp on high-DPI screens
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "modalens"])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION_NAME)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    return app


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` as (1280, 720); ``ValueError`` naming the expected form otherwise."""
    width, sep, height = text.lower().replace("×", "x").partition("x")
    if not sep or not width.strip().isdigit() or not height.strip().isdigit():
        raise ValueError(f"window size must be WIDTHxHEIGHT in pixels, e.g. 1280x720, got {text!r}")
    size = int(width), int(height)
    if min(size) < 200 or max(size) > 10_000:
        raise ValueError(f"window size must be 200 to 10000 pixels each way, got {text!r}")
    return size


def run_app(data: str | None = None, report: str | None = None, smoke: bool = False, screenshot: str | None = None,
            size: str | None = None) -> int:
    """Open the window (on ``data``, a ``report`` or the demo) and run until it closes; returns the exit code.
    ``size`` ("WIDTHxHEIGHT") is the window size of a ``screenshot``."""
    try:
        shot_size = parse_size(size) if size else SCREENSHOT_SIZE
    except ValueError as exc:
        print(f"modalens gui: {exc}", file=sys.stderr)
        return 2
    headless = smoke or screenshot is not None
    if not headless and _no_display():
        print("modalens gui: no display (DISPLAY and WAYLAND_DISPLAY are unset). Run it on a desktop or over "
              "ssh -X, follow a server's run by opening its report from a desktop, or use the commands "
              "(modalens train / value / report) on the server.", file=sys.stderr)
        return 1
    _prepare_environment(headless)
    try:
        if smoke:
            return _smoke(data)
        if screenshot is not None:
            return _screenshot(data, Path(screenshot), shot_size)
        return _interactive(data, report)
    except AppFailure as exc:
        print(f"modalens gui: {exc}", file=sys.stderr)
        return 1


def _interactive(data: str | None, report: str | None) -> int:
    from app.window import MainWindow

    app = create_application()
    window = MainWindow()
    errors = _ErrorCollector(window)
    sys.excepthook = errors.hook
    window.show()
    if report:
        window.controller.open_report(report)
    elif data:
        window.controller.open_dataset(data)
    else:
        window.controller.open_demo()
    try:
        return app.exec()
    finally:
        sys.excepthook = sys.__excepthook__
        dispose(window)


def dispose(window) -> None:
    """Destroy the window and its plots now, while Python is fully alive.

    Left to interpreter exit, Qt would delete the plots' graphics items after Python has begun to
    tear itself down, and their Python-side event handlers would then crash the process.
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


class _ErrorCollector:
    """Unexpected exceptions in Qt callbacks: printed, logged in the window, and remembered."""

    def __init__(self, window) -> None:
        self.window = window
        self.errors: list[str] = []

    def hook(self, kind, value, tb) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        self.errors.append(f"{kind.__name__}: {value}")
        print(text, file=sys.stderr)
        self.window.session.log_message.emit("error", f"internal error: {kind.__name__}: {value}")


def _headless_window(runs_dir: Path):
    """A window with throw-away settings (nothing of the user's layout is read or written)."""
    from app.prompts import AutoPrompter
    from app.settings import AppSettings
    from app.window import MainWindow

    settings = AppSettings(runs_dir / "settings.ini")
    settings.runs_dir = runs_dir / "runs"
    window = MainWindow(settings=settings, prompter=AutoPrompter(answer=False))
    window.training.runs_folder.setText(str(runs_dir / "runs"))
    return window


def _wait(app, condition, timeout_ms: int, what: str) -> None:
    """Run the event loop until ``condition()`` holds (checked every 50 ms); AppFailure after ``timeout_ms``."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop, QTimer

    deadline = QDeadlineTimer(timeout_ms)
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: loop.quit() if condition() or deadline.hasExpired() else None)
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
    if not condition():
        raise AppFailure(f"timed out after {timeout_ms / 1000:.0f} s waiting for {what}")


def _data_folder(app, window, data: str | None) -> None:
    """Open ``data`` or the demo (creating it if needed); raise AppFailure when it cannot be opened."""
    control = window.controller
    if data:
        control.open_dataset(data)
        _wait(app, lambda: not control.loading, SMOKE_TIMEOUT_MS, "the dataset")
        if window.session.dataset is None:
            raise AppFailure(f"cannot open dataset {data}: {_last_message(window)}")
        return
    task = control.open_demo()
    _wait(app, lambda: task.finished() and not control.loading and window.session.dataset is not None
          or _last_message(window), SMOKE_TIMEOUT_MS * 5, "the demo data")
    if window.session.dataset is None:
        raise AppFailure(f"cannot open the demo data: {_last_message(window)}")


def _last_message(window) -> str:
    messages = [m for m in window.prompter.messages if m[0] in ("error", "warning")]
    return messages[-1][2] if messages else ""


def _show_sample(app, window, index: int) -> None:
    """Select a sample and wait until the player has drawn its first video frame (when it has video)."""
    dataset = window.session.dataset
    shown: list[int] = []
    window.player.frame_shown.connect(shown.append)
    window.select_sample(index)
    if "video" in dataset.modality_kinds.values():
        _wait(app, lambda: bool(shown) or bool(window.player.message_text()), FRAME_WAIT_MS, "the first video frame")
    if window.player.message_text():
        raise AppFailure(f"sample {dataset.ids[index]}: {window.player.message_text()}")


def _smoke(data: str | None) -> int:
    app = create_application()
    with tempfile.TemporaryDirectory(prefix="modalens-smoke-") as tmp:
        window = _headless_window(Path(tmp))
        errors = _ErrorCollector(window)
        sys.excepthook = errors.hook
        try:
            window.show()
            _data_folder(app, window, data)
            _show_sample(app, window, 0)
            app.processEvents()
            if errors.errors:
                raise AppFailure(f"unexpected error: {errors.errors[0]}")
            print(f"modalens gui --smoke: OK ({len(window.session.dataset)} samples, "
                  f"showed {window.session.dataset.ids[0]})")
        finally:
            window.close()
            sys.excepthook = sys.__excepthook__
            dispose(window)
    return 0


def _screenshot(data: str | None, out: Path, size: tuple[int, int]) -> int:
    from app.views.lazy import frame_queue

    app = create_application()
    with tempfile.TemporaryDirectory(prefix="modalens-shot-") as tmp:
        window = _headless_window(Path(tmp))
        errors = _ErrorCollector(window)
        sys.excepthook = errors.hook
        try:
            window.resize(*size)
            window.show()
            window.reset_layout()  # the first-launch arrangement, sized for this window
            _data_folder(app, window, data)
            window.training.epochs.setValue(1)
            if not window.start_training():
                raise AppFailure(f"cannot start training: {_last_message(window)}")
            _wait(app, lambda: not window.controller.training, SCREENSHOT_TIMEOUT_MS, "one epoch of training")
            if window.session.run_state != RunState.FINISHED:
                raise AppFailure(f"training did not finish: {window.session.last_error or window.session.run_state}")
            _show_sample(app, window, showcase_sample(window.session))
            window.curves.refresh()
            _wait(app, lambda: not frame_queue().pending, FRAME_WAIT_MS, "the views' deferred refreshes")
            app.processEvents()
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp_png = out.with_name(out.name + ".tmp.png")
            if not window.grab().save(str(tmp_png), "PNG"):
                raise AppFailure(f"{out}: cannot write the PNG")
            os.replace(tmp_png, out)
            print(f"modalens gui --screenshot: saved {out}")
        finally:
            window.close()
            sys.excepthook = sys.__excepthook__
            dispose(window)
    return 0


def showcase_sample(session) -> int:
    """A training sample worth showing: correctly predicted, with the clearest gap between modalities."""
    latest = session.latest("train")
    if latest is None or len(latest.sample_index) == 0:
        return 0
    spread = latest.phi.max(axis=1) - latest.phi.min(axis=1)
    score = np.where(latest.correct, spread, -np.inf)
    return int(latest.sample_index[int(np.argmax(score))])
