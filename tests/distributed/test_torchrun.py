"""`torchrun --nproc_per_node=2` (Gloo, CPU) trains with DDP and writes one consistent report."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.demo import generate_demo
from core.report.reader import open_report


def train_command(data, out, extra=()):
    return [
        "train",
        "--data",
        str(data),
        "--strategy",
        "sample-resampling",
        "--set",
        "warmup_epochs=1",
        "--epochs",
        "2",
        "--device",
        "cpu",
        "--seed",
        "0",
        "--out",
        str(out),
        "--set",
        "optim.batch_size=32",
        "--set",
        "model.feature_dim=16",
        "--set",
        "optim.lr=0.003",
        *extra,
    ]


def run(args, timeout=600, **env_extra):
    """Run ``args`` to the end; past ``timeout`` its whole process group (torchrun's ranks too) is killed."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **env_extra}
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def final_val_acc(report) -> float:
    return float(report.epoch_metrics["val/acc"][-1])


def test_two_gloo_ranks_match_one_process(tmp_path):
    data = generate_demo(tmp_path / "vectors", preset="vectors", samples=400, seed=0)
    single = run([sys.executable, "-m", "core.cli", *train_command(data, tmp_path / "single")])
    assert single.returncode == 0, single.stderr[-3000:]
    ddp = run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "-m",
            "core.cli",
            *train_command(data, tmp_path / "ddp"),
        ]
    )
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    output = ddp.stdout + ddp.stderr
    assert "find_unused_parameters" not in output  # DDP is asked to look for unused parameters only when some are
    agreed = re.findall(r"epoch (\d+): plan \w+ \((\d+) copies\) identical on all 2 ranks", output)
    assert [int(e) for e, _ in agreed] == [1, 2], output[-3000:]
    assert int(agreed[1][1]) > 0  # after the warm-up the plan re-samples, identically on both ranks

    with open_report(tmp_path / "ddp" / "report.h5") as report:
        train = np.flatnonzero(report.dataset.splits == "train")
        valuation = report.valuation["train"]
        assert list(valuation.epochs) == [0, 1]
        np.testing.assert_array_equal(np.sort(valuation.sample_index), train)
        assert len(np.unique(valuation.sample_index)) == len(train)
        assert not np.isnan(valuation.phi).any()
        assert report.resampling.copies_per_epoch().get(1, 0) == int(agreed[1][1])
        ddp_acc = final_val_acc(report)
    with open_report(tmp_path / "single" / "report.h5") as report:
        single_acc = final_val_acc(report)
    assert abs(ddp_acc - single_acc) <= 0.12, (ddp_acc, single_acc)


def test_failing_rank_stops_the_job_with_its_error(tmp_path):
    result = run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "-m",
            "core.cli",
            "train",
            "--data",
            str(tmp_path / "missing"),
            "--device",
            "cpu",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "run"),
        ],
        timeout=600,
    )
    assert result.returncode != 0
    assert "missing" in result.stdout + result.stderr


def test_one_failing_rank_ends_the_whole_job_with_its_error(tmp_path):
    data = generate_demo(tmp_path / "vectors", preset="vectors", samples=200, seed=0)
    script = Path(__file__).with_name("rank_one_fails.py")
    result = run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
         *train_command(data, tmp_path / "run")],
        timeout=600,
    )
    assert result.returncode != 0
    assert "rank 1 failed on purpose" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("strategy", "params"),
    [("ogm-ge", []), ("mmpareto", []), ("mcr", ["--set", "lambda_ceb=0.1"])],
)
def test_gradient_reshaping_strategies_keep_the_ranks_identical(tmp_path, strategy, params):
    data = generate_demo(tmp_path / "vectors", preset="vectors", samples=160, seed=0)
    digests = tmp_path / "digests"
    digests.mkdir()
    command = train_command(data, tmp_path / "run")
    command[command.index("sample-resampling")] = strategy
    at = command.index("warmup_epochs=1")
    del command[at - 1 : at + 1]
    script = Path(__file__).with_name("train_and_digest.py")
    result = run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
         *command, *params],
        timeout=600,
        DIGEST_DIR=str(digests),
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for epoch in (0, 1):
        ranks = {(digests / f"rank{r}-epoch{epoch}.txt").read_text() for r in (0, 1)}
        assert len(ranks) == 1, f"{strategy}: ranks hold different parameters after epoch {epoch}"


def test_two_ranks_share_the_decoding_of_a_store_neither_had_built(tmp_path):
    from collections import Counter

    from core.data.store import SEGMENT_SUFFIX, _scan
    from core.data.trust import store_key

    data = generate_demo(tmp_path / "clips", preset="balanced", samples=24, seed=0)
    files = 2 * 24  # one video and one audio file per sample
    assert not (Path(data) / ".modalens-cache").exists()
    ddp = run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "core.cli",
         "train", "--data", str(data), "--epochs", "1", "--device", "cpu", "--out", str(tmp_path / "run"),
         "--set", "model.feature_dim=8"]
    )
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    output = ddp.stdout + ddp.stderr
    assert f"decoding {files // 2} file(s)" in output, "rank 0 decodes its half only"
    assert f"media: 0 file(s) decoded, {files} from the cache" in output, "after the barrier all is stored"
    records = []
    for segment in sorted((Path(data) / ".modalens-cache").glob(f"*/*{SEGMENT_SUFFIX}")):
        records += [(segment.parent.name, key) for key, _ in _scan(segment, store_key(), print, Counter())]
    assert len(records) == files and len(set(records)) == files, "rank 1 decoded the other half; none twice"
    with open_report(tmp_path / "run" / "report.h5") as report:
        assert len(report.valuation["train"].epochs) == 1


def test_a_stop_asked_of_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    from core.training.checkpoint import load_checkpoint

    data = generate_demo(tmp_path / "vectors", preset="vectors", samples=200, seed=0)
    script = Path(__file__).with_name("rank_one_stops.py")
    result = run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
         *train_command(data, tmp_path / "run", extra=["--set", "optim.batch_size=8"])],
        timeout=600,  # a rank left waiting in a collective would hang here
    )
    output = result.stdout + result.stderr
    assert "run stopped after 0 epochs" in output, output[-3000:]  # (torchrun itself reports exit code 130)
    with open_report(tmp_path / "run" / "report.h5") as report:
        assert report.state == "stopped", output[-3000:]
    saved = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert saved["partial_epoch"]["epoch"] == 0
    assert saved["partial_epoch"]["step"] == 3  # rank 1 was asked after step 2; rank 0 stopped there too
