"""A combo box choosing which epoch's valuation a view shows: "latest" (the default) or one epoch."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from app.session import Session
from app.views.queries import valued_epochs


def epoch_label(epoch: int) -> str:
    """How an epoch is named on screen: 1-based, like the training curves' epoch axis."""
    return f"epoch {epoch + 1}"


class EpochChooser(QComboBox):
    """Lists the valued epochs of the session; ``epoch()`` is None for "latest"."""

    epoch_changed = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.setToolTip("Which epoch's Shapley values to show (latest: the most recent valuation)")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.update_epochs()
        self.currentIndexChanged.connect(lambda _: self.epoch_changed.emit())
        session.valuation_added.connect(lambda *_: self.update_epochs())
        session.dataset_changed.connect(self.update_epochs)

    def epoch(self) -> int | None:
        return self.currentData()

    def set_epoch(self, epoch: int | None) -> None:
        """Choose an epoch (None: latest); raises ValueError for an epoch without a valuation."""
        position = self.findData(epoch) if epoch is not None else 0
        if position < 0:
            raise ValueError(f"no valuation for epoch {epoch} (valued epochs: {valued_epochs(self._session)})")
        self.setCurrentIndex(position)

    def update_epochs(self) -> None:
        """Refill the list from the session, keeping the current choice when it still exists."""
        chosen = self.epoch()
        self.blockSignals(True)
        self.clear()
        self.addItem("latest", None)
        for epoch in valued_epochs(self._session):
            self.addItem(epoch_label(epoch), epoch)
        position = self.findData(chosen) if chosen is not None else 0
        self.setCurrentIndex(max(position, 0))
        self.blockSignals(False)
        if chosen is not None and position < 0:
            self.epoch_changed.emit()
