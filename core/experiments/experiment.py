"""Running an experiment folder end to end: store the spec, make the data, run the grid (here or on
SLURM), write the table.

``EXP/experiment.toml`` is the spec the folder's runs were made with; running another spec (other runs
or another protocol) into the same folder is refused, while the table and SLURM settings may change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import IO

from core.config import ConfigError
from core.experiments.data import make_data
from core.experiments.grid import Cell, expand, ordered
from core.experiments.outcome import CellResult
from core.experiments.progress import GridProgress
from core.experiments.runner import default_jobs, is_finished, run_local
from core.experiments.spec import SPEC_NAME, ExperimentSpec
from core.experiments.table import write_table
from core.run_files.state import RunState

BACKENDS = ("local", "slurm")
SLURM_DIR = "slurm"
UNSHARED = ("table", "slurm")
"""Spec sections that do not change the runs."""


def stored_spec(exp: str | Path) -> ExperimentSpec:
    """The spec an experiment folder was run with; ConfigError when it holds none."""
    path = Path(exp) / SPEC_NAME
    if not path.is_file():
        raise ConfigError(
            f"{exp}: not an experiment folder (no {SPEC_NAME}); run `modalens experiment run` first"
        )
    return ExperimentSpec.load(path)


def check_same_runs(spec: ExperimentSpec, exp: Path) -> None:
    """ConfigError when ``exp`` already holds runs of a spec that differs from ``spec`` in its runs."""
    if not (exp / SPEC_NAME).is_file():
        return
    old = {k: v for k, v in dataclasses.asdict(stored_spec(exp)).items() if k not in UNSHARED}
    new = {k: v for k, v in dataclasses.asdict(spec).items() if k not in UNSHARED}
    changed = [key for key in new if old.get(key) != new[key]]
    if changed:
        raise ConfigError(
            f"{exp}: holds the runs of another experiment ({', '.join(changed)} differ from {exp / SPEC_NAME}); "
            "use another --out, or the same spec to continue it"
        )


def run_experiment(
    spec: ExperimentSpec,
    exp: str | Path,
    jobs: int | None = None,
    backend: str = "local",
    stream: IO[str] | None = None,
    cluster: str | None = None,
) -> list[CellResult]:
    """Run every unfinished cell of ``spec`` in ``exp`` and write the table; returns the results of the
    runs started or skipped now. ``cluster`` picks submitit's executor for the slurm backend ("local" in tests)."""
    if backend not in BACKENDS:
        raise ConfigError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs: expected an integer >= 1, got {jobs}")
    exp = Path(exp).absolute()
    if exp.exists() and not exp.is_dir():
        raise ConfigError(f"--out {exp}: is a file, not a folder")
    cells = expand(spec, exp)
    check_same_runs(spec, exp)
    exp.mkdir(parents=True, exist_ok=True)
    spec.save(exp / SPEC_NAME)
    progress = GridProgress({c.name: c.config.optim.epochs for c in cells}, stream)
    make_data(spec, exp, cells, lambda text: progress.put(("note", "", text)))
    if backend == "slurm":
        try:
            from core.experiments.slurm import run_slurm
        except ModuleNotFoundError as exc:
            if exc.name != "submitit":
                raise
            raise ConfigError(
                "--backend slurm needs the submitit package: pip install 'modalens[cluster]'"
            ) from None

        todo = [c for c in cells if not is_finished(c.run_dir)]
        for cell in cells:
            if cell not in todo:
                progress.put(("end", cell.name, {"name": cell.name, "state": RunState.SKIPPED}))
        results = _in_waves(
            todo, lambda wave: run_slurm(wave, exp / SLURM_DIR, spec.name, spec.slurm, progress, cluster)
        )
    else:
        results = _in_waves(cells, lambda wave: run_local(wave, jobs or default_jobs(cells), progress))
    progress.close()
    write_table(spec, exp)
    return results


def _in_waves(cells: list[Cell], run: Callable[[list[Cell]], list[CellResult]]) -> list[CellResult]:
    """Run the runs others start from first; a stopped wave stops the grid."""
    results: list[CellResult] = []
    for wave in ordered(cells):
        done = run(wave)
        results += done
        if len(done) < len(wave) or any(result.state == RunState.STOPPED for result in done):
            break
    return results
