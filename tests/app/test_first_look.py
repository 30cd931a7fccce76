"""What a new user sees on opening data: a dataset summary naming the rows left out, and the last run offered."""

from __future__ import annotations

import shutil

from tests.app.helpers import open_dataset


def test_rows_left_out_are_summarised_in_the_window(qtbot, make_window, vector_demo, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(vector_demo, data)
    with (data / "manifest.csv").open("a", encoding="utf-8") as manifest:
        manifest.write("bad1,class1,train,x1/missing.npy,x2/s0000.npy,x1\n")
        manifest.write("bad2,,train,x1/s0001.npy,x2/s0001.npy,x1\n")
        manifest.write("bad3,class1,train,x1/gone.npy,x2/s0002.npy,x1\n")
    window = make_window()
    assert open_dataset(qtbot, window.controller, data)
    assert "48 usable samples" in window.dataset_label.text() and "3 rows left out" in window.dataset_label.text()
    assert "3 rows left out" in window.banner.text.text()
    window.show_dataset_summary()
    text = window.summary_dialog.text.toPlainText()
    assert "2 rows, column 'x1': file … not found (rows 50, 52)" in text
    assert "1 row, column 'label': empty label (row 51)" in text


def test_a_second_launch_offers_the_last_run(qtbot, make_window, settings, vector_demo, vector_run):
    window = make_window()
    assert open_dataset(qtbot, window.controller, vector_demo)
    assert "Nothing is trained yet" in window.banner.text.text() and window.banner.open_button.isHidden()
    shutil.copytree(vector_run.run_dir, settings.runs_dir / "20240101-120000-joint")
    window = make_window()
    assert open_dataset(qtbot, window.controller, vector_demo)
    assert "Nothing is trained yet" not in window.banner.text.text()
    assert "20240101-120000-joint" in window.banner.text.text() and not window.banner.open_button.isHidden()
    window.banner.open_button.click()
    qtbot.waitUntil(lambda: window.session.report_path == settings.runs_dir / "20240101-120000-joint" / "report.h5",
                    timeout=30_000)
    qtbot.waitUntil(lambda: not window.controller.loading, timeout=30_000)
    assert window.session.epochs() == [0, 1]
