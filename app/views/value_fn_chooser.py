"""A combo box choosing the value function the valuations are shown under; the choice lives in the session."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from app.session import Session


class ValueFnChooser(QComboBox):
    """Lists :meth:`Session.value_functions` (only the written one for a format-1 report) and shows the
    session's valuations under the chosen one; every chooser follows the session's choice."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.setToolTip(
            "Value function the Shapley values are shown under (recomputed from the stored coalition "
            "statistics, no retraining; a report without them offers only its own)"
        )
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.update_choices()
        self.currentTextChanged.connect(self._chosen)
        for signal in (session.valuation_added, session.value_fn_changed):
            signal.connect(lambda *_: self.update_choices())
        session.dataset_changed.connect(self.update_choices)

    def update_choices(self) -> None:
        """Refill the list from the session and show its current value function."""
        names = self._session.value_functions()
        self.blockSignals(True)
        if [self.itemText(i) for i in range(self.count())] != names:
            self.clear()
            self.addItems(names)
        self.setCurrentIndex(max(self.findText(self._session.shown_value_fn), 0))
        self.blockSignals(False)
        self.setEnabled(len(names) > 1)

    def _chosen(self, name: str) -> None:
        if name and name != self._session.shown_value_fn:
            self._session.set_value_fn(name)
