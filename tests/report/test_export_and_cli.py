"""export_report copies or cuts a report atomically; the report command's summary, export and validate."""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from core.cli.report import register
from core.report import ReportError, ReportWriter, export_report, open_report, validate_report
from tests.report import run_events as ev


def test_full_export_equals_the_source(finished_report, tmp_path):
    out = export_report(finished_report, tmp_path / "copy.h5")
    assert validate_report(out) == []
    with open_report(finished_report) as src, open_report(out) as dst:
        assert dst.state == src.state and dst.config_toml == src.config_toml
        for split in ("train", "val"):
            for name in ("sample_index", "phi", "coalition_values", "prediction", "correct", "mean_phi", "epochs"):
                assert np.array_equal(getattr(dst.valuation[split], name), getattr(src.valuation[split], name))
        assert np.array_equal(dst.valuation["val"].phi_stderr, src.valuation["val"].phi_stderr)
        for table in ("step_metrics", "epoch_metrics", "mi_step", "mi_epoch"):
            a, b = getattr(src, table), getattr(dst, table)
            assert a.keys() == b.keys()
            assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
        assert np.array_equal(dst.resampling.copies, src.resampling.copies)
        assert dst.dataset.ids.tolist() == src.dataset.ids.tolist()
    assert not (tmp_path / "copy.h5.tmp").exists()


def test_export_of_a_selection(finished_report, tmp_path, data):
    out = export_report(finished_report, tmp_path / "some.h5", sample_index=[5, 1, 3, 8], split="train")
    assert validate_report(out) == []
    with open_report(finished_report) as src, open_report(out) as dst:
        assert list(dst.valuation) == ["train"]
        assert dst.dataset.ids.tolist() == [data.samples.ids[i] for i in (1, 3, 5, 8)]
        assert dst.dataset.media["audio"].tolist() == [data.samples.media["audio"][i] for i in (1, 3, 5, 8)]
        with h5py.File(out, "r") as f:
            assert f["dataset/source_index"][()].tolist() == [1, 3, 5, 8]
            assert f["overview"].attrs["default"] == "mean_phi_train"
        train = dst.valuation["train"]
        assert train.sample_index.tolist() == [0, 1, 2]  # samples 1, 3, 5 re-indexed; 8 is a val sample
        assert np.array_equal(train.phi, src.valuation["train"].phi[:, [1, 3, 5]])
        assert np.allclose(train.mean_phi, src.valuation["train"].phi[:, [1, 3, 5]].mean(axis=1))
        assert np.array_equal(dst.sample_history("train", 2).phi, src.sample_history("train", 5).phi)
        kept = np.isin(src.resampling.sample_index, [1, 3, 5, 8])
        assert dst.resampling.copies.tolist() == src.resampling.copies[kept].tolist()
        assert dst.resampling.sample_index.tolist() == [[1, 3, 5, 8].index(i) for i in src.resampling.sample_index[kept]]


def test_failed_export_leaves_no_file_and_keeps_the_old_one(finished_report, tmp_path):
    target = tmp_path / "out.h5"
    target.write_bytes(b"previous export")
    with pytest.raises(ReportError, match=r"sample index \[99\] out of range"):
        export_report(finished_report, target, sample_index=[1, 99])
    with pytest.raises(ReportError, match="no valuation of split 'test'"):
        export_report(finished_report, target, split="test")
    with pytest.raises(ReportError, match="onto itself"):
        export_report(finished_report, finished_report)
    assert target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.h5", "run.h5"]


def test_export_while_the_run_is_live(tmp_path, data):
    path = tmp_path / "live.h5"
    writer = ReportWriter(path)
    events = ev.run(data, epochs=3)
    for event in events[:-1]:
        writer(event)
    out = export_report(path, tmp_path / "snapshot.h5")  # the writer of this process still holds the file
    for event in ev.epoch_events(data, 3):
        writer(event)
    with open_report(out) as snapshot:
        assert snapshot.state == "running"
        assert snapshot.valuation["train"].epochs.tolist() == [0, 1, 2]
    writer.close()
    if shutil.which("h5ls"):
        subprocess.run(["h5ls", "-r", str(out)], check=True, capture_output=True)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="modalens")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_cli_summary(finished_report, capsys):
    assert run_cli("report", "summary", str(finished_report)) == 0
    out = capsys.readouterr().out
    assert "state finished" in out and "samples: 10 (train 7, val 3); excluded: 2" in out
    last = next(line for line in out.splitlines() if line.startswith("last epoch"))
    assert last.split(":")[0] == "last epoch 3"  # a 3-epoch run: the file's 0-based epoch 2 is the user's 3
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("epoch"))
    table = lines[header : header + 5]
    assert table[0].split("  ")[0].strip() == "epoch"
    assert "phi audio [train]" in table[0] and "train/acc" in table[0] and "val/acc" in table[0]
    assert len({len(line) for line in table}) == 1, "columns are aligned"
    with open_report(finished_report) as report:
        first = report.valuation["train"].mean_phi[0]
    cells = table[1].split()
    assert cells[:3] == ["1", f"{first[0]:.4f}", f"{first[1]:.4f}"]  # the file's epoch 0 is the user's 1
    assert cells[-3:] == ["0.5000", "0.4000", "0"]
    assert table[2].split()[-1] == "3" and table[4].split()[0] == "4"  # copies planned for file epochs 1 and 3


def test_cli_export_csv(finished_report, tmp_path, capsys, data):
    out = tmp_path / "phi.csv"
    assert run_cli("report", "export", str(finished_report), "--csv", str(out)) == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["id", "label", "label_index", "split"] + [
        f"phi/{m}/e{e}" for e in (1, 2, 3) for m in ("audio", "video")
    ]
    assert [r[0] for r in rows[1:]] == data.samples.ids[:7].tolist()
    with open_report(finished_report) as report:
        phi = report.valuation["train"].phi
    assert rows[4][:4] == ["clip-ß3", "cat", "0", "train"]  # label is the class name, as in `modalens value`
    assert np.allclose([float(v) for v in rows[4][4:]], phi[:, 3].ravel(), rtol=1e-6)

    assert run_cli("report", "export", str(finished_report), "--csv", str(out), "--split", "val", "--epoch", "2") == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][4:] == ["phi/audio/e2", "phi/video/e2"] and len(rows) == 4
    with open_report(finished_report) as report:
        second = report.valuation["val"].phi[1]  # --epoch 2 is the file's epoch index 1
    assert np.allclose([float(v) for v in rows[1][4:]], second[0], rtol=1e-6)
    assert "wrote 3 samples" in capsys.readouterr().out
    assert not (tmp_path / "phi.csv.tmp").exists()


def test_cli_export_h5_copy(finished_report, tmp_path):
    out = tmp_path / "copy.h5"
    assert run_cli("report", "export", str(finished_report), "--h5", str(out), "--split", "val") == 0
    with open_report(out) as copy:
        assert list(copy.valuation) == ["val"]


def test_cli_validate(finished_report, capsys):
    assert run_cli("report", "validate", str(finished_report)) == 0
    assert "valid ModaLens report (format 2, state finished" in capsys.readouterr().out
    with h5py.File(finished_report, "a") as f:
        del f["resampling/copies"]
        f.attrs["creator"] = "someone"
    assert run_cli("report", "validate", str(finished_report)) == 1
    out = capsys.readouterr().out
    assert "2 deviation(s)" in out
    assert "/@creator: expected 'ModaLens <version>'" in out and "/resampling/copies: dataset missing" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "{text}"], "not an HDF5 file"),
        (["summary", "{missing}"], "no such file"),
        (["validate", "{text}"], "not an HDF5 file"),
        (["export", "{report}", "--csv", "{out}", "--epoch", "9"], "no epoch 9 valued (epochs: 1..3)"),
        (["export", "{report}", "--csv", "{out}", "--epoch", "0"], "no epoch 0 valued (epochs: 1..3)"),
        (["export", "{report}", "--csv", "{out}", "--split", "test"], "no valuation of split 'test'"),
        (["export", "{report}", "--h5", "{out}", "--epoch", "1"], "--epoch applies to --csv only"),
        (["export", "{report}", "--csv", "{nodir}"], "No such file or directory"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(finished_report, tmp_path, capsys, argv, message):
    (tmp_path / "notes.txt").write_text("hello")
    names = {
        "text": tmp_path / "notes.txt",
        "missing": tmp_path / "absent.h5",
        "report": finished_report,
        "out": tmp_path / "out.csv",
        "nodir": tmp_path / "no" / "such" / "dir.csv",
    }
    assert run_cli("report", *[a.format(**names) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("modalens report ") and message in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out.csv").exists()


def test_every_subcommand_has_help(capsys):
    for sub in ("summary", "export", "validate"):
        with pytest.raises(SystemExit) as stop:
            run_cli("report", sub, "--help")
        assert stop.value.code == 0
        assert "usage: modalens report " + sub in capsys.readouterr().out


def test_cli_validate_notes_a_file_held_by_a_writer(tmp_path, capsys, data):
    path = tmp_path / "open.h5"
    writer = ReportWriter(path)
    for event in ev.run(data, epochs=1)[:-1]:
        writer(event)
    assert run_cli("report", "validate", str(path)) == 0
    out = capsys.readouterr().out
    assert "is marked open by a writer" in out and "state running" in out
    writer.close()
    assert run_cli("report", "validate", str(path)) == 0
    assert "marked open" not in capsys.readouterr().out


def test_cli_export_csv_names_the_split_and_exports_all(finished_report, tmp_path, capsys, data):
    out = tmp_path / "phi.csv"
    assert run_cli("report", "export", str(finished_report), "--csv", str(out)) == 0
    assert "wrote 7 samples of split train" in capsys.readouterr().out.replace("also valued: val", "")
    assert run_cli("report", "export", str(finished_report), "--csv", str(out), "--split", "all") == 0
    assert "wrote 10 samples of splits train, val" in capsys.readouterr().out
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert [r[3] for r in rows[1:]] == ["train"] * 7 + ["val"] * 3
    assert sorted(r[0] for r in rows[1:]) == sorted(data.samples.ids.tolist())
    with open_report(finished_report) as report:
        val = report.valuation["val"].phi
    assert np.allclose([float(v) for v in rows[8][4:]], val[:, 0].ravel(), rtol=1e-6)
    assert run_cli("report", "export", str(finished_report), "--csv", str(out), "--split", "all", "--epoch", "2") == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][4:] == ["phi/audio/e2", "phi/video/e2"] and len(rows) == 11


def test_phi_csv_of_some_samples(finished_report, tmp_path):
    from core.report.summary import write_phi_csv

    out = tmp_path / "some.csv"
    with open_report(finished_report) as report:
        assert write_phi_csv(report, out, split="all", samples=np.array([1, 8])) == 2
    assert [r[0] for r in list(csv.reader(out.open(encoding="utf-8")))[1:]] == ["clip-01", "clip-08"]


def test_phi_csv_of_all_splits_leaves_epochs_a_split_did_not_value_empty(tmp_path, data):
    from core.events import ValuationReady
    from core.report.summary import write_phi_csv

    path = tmp_path / "run.h5"
    writer = ReportWriter(path)
    for event in ev.run(data, epochs=2):
        if not (isinstance(event, ValuationReady) and event.result.split == "val" and event.result.epoch == 0):
            writer(event)
    out = tmp_path / "all.csv"
    with open_report(path) as report:
        assert write_phi_csv(report, out, split="all") == 10
        val = report.valuation["val"].phi[0]
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][4:] == ["phi/audio/e1", "phi/video/e1", "phi/audio/e2", "phi/video/e2"]
    assert rows[8][4:6] == ["", ""] and np.allclose([float(v) for v in rows[8][6:]], val[0], rtol=1e-6)
