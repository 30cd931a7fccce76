"""Persistent preferences of the window: layout, palette, recent files, folders (QSettings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from core.demo import data_home
from resources import APP_NAME, ORGANIZATION_NAME

MAX_RECENT = 10
RECENT_KINDS = ("dataset", "report")


@dataclass(frozen=True)
class RecentFile:
    """A dataset folder or report file opened before."""

    kind: str
    path: str


class AppSettings:
    """Typed access to the window's QSettings; ``path`` selects an INI file (tests, one-off runs)."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            self.store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION_NAME, APP_NAME)
        else:
            self.store = QSettings(str(path), QSettings.Format.IniFormat)

    # -- window layout -------------------------------------------------------------------------
    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)
        self.store.sync()

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # -- look -----------------------------------------------------------------------------------
    @property
    def palette(self) -> str:
        return str(self.store.value("look/palette", "light"))

    @palette.setter
    def palette(self, name: str) -> None:
        self.store.setValue("look/palette", name)

    # -- folders ----------------------------------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        """Where new runs are written (default: ``<user data folder>/runs``)."""
        value = self.store.value("folders/runs", "")
        return Path(str(value)) if value else data_home() / "runs"

    @runs_dir.setter
    def runs_dir(self, path: str | Path) -> None:
        self.store.setValue("folders/runs", str(path))

    @property
    def last_folder(self) -> str:
        """The folder a file dialog last opened in."""
        return str(self.store.value("folders/last", str(Path.home())))

    @last_folder.setter
    def last_folder(self, path: str | Path) -> None:
        self.store.setValue("folders/last", str(path))

    # -- recent files -----------------------------------------------------------------------------
    def recent_files(self) -> list[RecentFile]:
        """Most recent first; entries whose file is gone are kept (the menu shows them disabled)."""
        raw = self.store.value("recent/files", [])
        items = raw if isinstance(raw, list) else [raw] if raw else []
        recent = []
        for item in items:
            kind, _, path = str(item).partition(":")
            if kind in RECENT_KINDS and path:
                recent.append(RecentFile(kind, path))
        return recent

    def add_recent(self, kind: str, path: str | Path) -> None:
        if kind not in RECENT_KINDS:
            raise ValueError(f"recent file kind must be one of {RECENT_KINDS}, got {kind!r}")
        entry = RecentFile(kind, str(Path(path).absolute()))
        items = [entry] + [r for r in self.recent_files() if r != entry]
        self.store.setValue("recent/files", [f"{r.kind}:{r.path}" for r in items[:MAX_RECENT]])

    def clear_recent(self) -> None:
        self.store.remove("recent/files")

    def sync(self) -> None:
        self.store.sync()
