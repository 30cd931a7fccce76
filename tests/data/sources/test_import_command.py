"""``modalens import``: listing, usage errors in one line with exit code 2, and the seeded splits."""

import subprocess
import sys
from collections import Counter

import pytest

from core.cli.main import main
from core.data.sources import SOURCES
from core.data.sources.splits import group_split, stratified_split
from tests.data.sources.common import run_import

EXPECTED = {"ave", "cremad", "folder", "kinetics-sounds", "mosei", "ucf101", "vggsound"}


def test_list_shows_every_source_with_its_options(capsys):
    code, printed = run_import(capsys, "--list")
    assert code == 0 and set(SOURCES.names()) == EXPECTED
    for name in EXPECTED:
        assert f"\n{name}: " in "\n" + printed
    for flag in (
        "--split-files DIR",
        "--event-window",
        "--classes FILE",
        "--fold K",
        "--pool MODE",
        "--clips DIR",
    ):
        assert flag in printed
    assert "31, 32 and 34 classes" in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch", ".", "--out", "x"], "unknown dataset source 'nosuch'; available: ave, cremad"),
        (["cremad", "{tmp}/absent", "--out", "x"], "absent: not found (expected the cremad dataset"),
        (
            ["folder", "{tmp}", "--out", "{tmp}/o", "--fold", "2"],
            "--fold is not an option of source 'folder'",
        ),
        (["folder", "{tmp}"], "usage: modalens import SOURCE ROOT --out DIR"),
        (["folder", "{tmp}/empty", "--out", "{tmp}/o"], "no sample imported"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    assert main(["import", *(a.replace("{tmp}", str(tmp_path)) for a in args)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "import", "cremad", str(tmp_path / "absent"), "--out", "x"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("modalens import: error: ") and len(result.stderr.splitlines()) == 1


def test_an_existing_manifest_is_replaced_only_with_force(tmp_path, capsys):
    out = tmp_path / "data"
    out.mkdir()
    (out / "manifest.csv").write_text("id,label,split,video\n")
    code, printed = run_import(capsys, "folder", tmp_path, "--out", out)
    assert code == 2 and "pass --force to replace it" in printed


def test_group_split_keeps_groups_together_in_the_given_ratios():
    groups = [f"actor{i // 3}" for i in range(30)]  # 10 actors, 3 clips each
    splits = group_split(groups, 0.2, 0.3, seed=4)
    by_group = {}
    for group, split in zip(groups, splits):
        assert by_group.setdefault(group, split) == split
    assert Counter(by_group.values()) == {"train": 5, "val": 2, "test": 3}
    assert splits == group_split(groups, 0.2, 0.3, seed=4) and splits != group_split(groups, 0.2, 0.3, seed=5)


def test_stratified_split_divides_every_class():
    labels = ["a"] * 10 + ["b"] * 20 + ["c"]
    counts = Counter(zip(labels, stratified_split(labels, 0.1, 0.2, seed=0)))
    assert counts == {
        ("a", "train"): 7,
        ("a", "val"): 1,
        ("a", "test"): 2,
        ("b", "train"): 14,
        ("b", "val"): 2,
        ("b", "test"): 4,
        ("c", "train"): 1,
    }
    with pytest.raises(ValueError, match="summing to below 1"):
        stratified_split(labels, 0.5, 0.5, seed=0)


def test_stratified_split_reaches_the_overall_ratio_with_small_classes():
    labels = [c for c in "abcdefghij" for _ in range(4)]  # 10 classes of 4: 10 % of a class rounds to 0
    counts = Counter(stratified_split(labels, 0.1, 0.2, seed=3))
    assert counts == {"train": 28, "val": 4, "test": 8}
    per_class = Counter(label for label, split in zip(labels, stratified_split(labels, 0.1, 0.2, seed=3))
                        if split == "train")
    assert min(per_class.values()) >= 1
