import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.views.queries import epoch_values
from app.views.table_model import SampleTable, SampleTableModel
from tests.app.views.helpers import make_dataset


def model_for(session) -> SampleTableModel:
    model = SampleTableModel()
    table = SampleTable.from_dataset(session.dataset)
    table.set_values(epoch_values(session))
    model.set_table(table)
    return model


def cell(model, row: int, key: str) -> str:
    return model.data(model.index(row, model.column_index(key)))


def test_cells_show_the_row_values_and_blank_phi_for_unvalued_rows(valued_session):
    model = model_for(valued_session)
    assert model.rowCount() == 12 and model.order.tolist() == list(range(12))
    # sample 4 is the third train sample: φ audio = linspace(-1, 1, 6)[2] = -0.2, φ video = 1.2
    assert cell(model, 4, "id") == "s4"
    assert cell(model, 4, "phi:audio") == "-0.200"
    assert cell(model, 4, "phi:video") == "1.200"
    assert cell(model, 4, "dominant") == "video" and cell(model, 4, "low") == "audio"
    assert cell(model, 4, "label") == "dog" and cell(model, 4, "split") == "train"
    assert cell(model, 3, "phi:audio") == "" and cell(model, 3, "correct") == ""  # test split: never valued
    assert cell(model, 0, "correct").endswith("wrong") and cell(model, 1, "correct").endswith("right")
    assert cell(model, 2, "dominant") == "tie"  # val rows have φ = (0.5, 0.5)
    assert cell(model, 7, "meta:speaker") == "spk2"


def test_sorting_by_phi_orders_rows_and_puts_unvalued_last(valued_session):
    model = model_for(valued_session)
    column = model.column_index("phi:audio")
    phi = epoch_values(valued_session).phi[:, 0]
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        model.sort(column, order)
        shown = phi[model.order]
        valued = shown[~np.isnan(shown)]
        assert len(valued) == 9 and np.isnan(shown[9:]).all()
        expected = np.sort(valued) if order == Qt.SortOrder.AscendingOrder else np.sort(valued)[::-1]
        assert np.array_equal(valued, expected)
    assert cell(model, 0, "phi:audio") == "1.000"  # descending: the largest first


def test_sorting_text_and_numeric_metadata():
    dataset = make_dataset(12)
    model = SampleTableModel()
    model.set_table(SampleTable.from_dataset(dataset))
    model.sort(model.column_index("meta:snr"), Qt.SortOrder.AscendingOrder)  # snr = 10 - i, numeric
    assert model.order.tolist() == list(range(11, -1, -1))
    model.sort(model.column_index("id"), Qt.SortOrder.AscendingOrder)  # text order: s0, s1, s10, s11, s2...
    assert [cell(model, r, "id") for r in range(4)] == ["s0", "s1", "s10", "s11"]
    model.sort(-1)
    assert model.order.tolist() == list(range(12))


def test_mask_keeps_sort_order_and_maps_rows(valued_session):
    model = model_for(valued_session)
    model.sort(model.column_index("phi:video"), Qt.SortOrder.DescendingOrder)
    mask = np.zeros(12, bool)
    mask[[0, 1, 4]] = True
    model.set_mask(mask)
    assert model.order.tolist() == [0, 1, 4]  # φ video of train rows decreases with the index
    assert model.rows_of(np.array([4, 3])).tolist() == [2, -1]
    with pytest.raises(ValueError, match="filter mask has shape"):
        model.set_mask(np.ones(3, bool))


def test_copies_columns_follow_the_table():
    dataset = make_dataset(5)
    table = SampleTable.from_dataset(dataset)
    table.set_copies(np.array([0, 2, 0, 1, 0]), np.array([0, 1, 0, 0, 0]))
    model = SampleTableModel()
    model.set_table(table)
    model.sort(model.column_index("copies"), Qt.SortOrder.DescendingOrder)
    assert model.order[:2].tolist() == [1, 3]
    assert cell(model, 0, "copies") == "2" and cell(model, 0, "user_copies") == "1"


def test_a_new_table_is_sorted_by_its_own_values(valued_session):
    model = model_for(valued_session)
    model.sort(model.column_index("id"), Qt.SortOrder.DescendingOrder)
    bigger = make_dataset(20)
    model.set_table(SampleTable.from_dataset(bigger))
    assert model.rowCount() == 20
    shown = [cell(model, row, "id") for row in range(20)]
    assert shown == sorted(bigger.ids.tolist(), reverse=True)


def test_painting_asks_each_cell_once_and_draws_what_data_says(qtbot, valued_session):
    from PySide6.QtCore import QAbstractItemModel
    from PySide6.QtWidgets import QTableView

    class RoleByRole(SampleTableModel):
        """Qt's own multiData: one data() call per role."""

        calls = 0

        def multiData(self, index, span):  # noqa: N802
            QAbstractItemModel.multiData(self, index, span)

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            RoleByRole.calls += 1
            return super().data(index, role)

    class Counted(SampleTableModel):
        calls = 0

        def multiData(self, index, span):  # noqa: N802
            Counted.calls += 1
            super().multiData(index, span)

    images = []
    for cls in (RoleByRole, Counted):
        model = cls()
        table = SampleTable.from_dataset(valued_session.dataset)
        table.set_values(epoch_values(valued_session))
        model.set_table(table)
        view = QTableView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.resize(900, 400)
        view.show()
        images.append(view.grab().toImage())
    assert 0 < 4 * Counted.calls <= RoleByRole.calls, "one call per painted cell, not one per role"
    assert images[0] == images[1], "the cells look the same as when every role is asked on its own"
