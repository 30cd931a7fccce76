"""`modalens experiment` and `modalens compare` from the command line: the quick form with two runs at
once, the table, a comparison, and one-line usage errors with exit status 2."""

import pytest

from core.cli.main import main


def modalens(capsys, *args):
    """Run the command in this process; (status, stdout, stderr)."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_quick_form_two_at_once_then_table_and_compare(tmp_path, capsys):
    assert modalens(capsys, "demo", "--scenario", "vectors", "--samples", 40, "--out", tmp_path / "D")[0] == 0
    exp = tmp_path / "EXP"
    status, out, err = modalens(
        capsys,
        "experiment",
        "run",
        "--data",
        tmp_path / "D",
        "--strategies",
        "joint,ogm-ge",
        "--seeds",
        1,
        "--epochs",
        1,
        "--set",
        "runtime.device=cpu",
        "--set",
        "runtime.mi_every_steps=0",
        "--jobs",
        2,
        "--out",
        exp,
    )  # two runs at once, each in a process of its own
    assert status == 0, err[-3000:]
    assert "2 finished, 0 skipped, 0 stopped, 0 failed" in out
    assert "D.joint.seed0: finished" in err and "D.ogm-ge.seed0: finished" in err
    status, out, _ = modalens(capsys, "experiment", "table", exp)
    assert status == 0 and "| ogm-ge | – | 1/1 |" in out
    status, out, err = modalens(
        capsys, "compare", exp / "runs" / "D.joint.seed0", exp / "runs" / "D.ogm-ge.seed0", "--list"
    )
    assert status == 0, err
    assert "fixed by B (wrong in A, right in B):" in out and "broken by B:" in out
    status, out, _ = modalens(capsys, "experiment", "run", "--out", exp)  # continues the stored spec
    assert status == 0 and "0 finished, 2 skipped" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["experiment", "run", "--out", "{tmp}/E"], "not an experiment folder"),
        (
            ["experiment", "run", "--data", "{tmp}", "--out", "{tmp}/E"],
            "needs both --data DIR and --strategies",
        ),
        (
            [
                "experiment",
                "run",
                "--data",
                "{tmp}",
                "--strategies",
                "joint",
                "--set",
                "lr=1",
                "--out",
                "{tmp}/E",
            ],
            "expected SECTION.KEY=VALUE",
        ),
        (
            ["experiment", "run", "--data", "{tmp}", "--strategies", "nope", "--out", "{tmp}/E"],
            "strategies[0].name: expected one of",
        ),
        (["experiment", "run", "{tmp}/spec.toml", "--seeds", "2", "--out", "{tmp}/E"], "not both (--seeds)"),
        (["experiment", "run", "{tmp}/missing.toml", "--out", "{tmp}/E"], "experiment spec not found"),
        (["experiment", "table", "{tmp}"], "not an experiment folder"),
        (["compare", "{tmp}/a", "{tmp}/b"], "no such file"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(args, message, tmp_path, capsys):
    status = main([a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1, err
