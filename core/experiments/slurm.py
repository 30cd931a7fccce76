"""Running the cells of a grid on SLURM through submitit: one job array, one run per task, each task
training in the cell's run folder exactly as a local run does (so a re-run skips, resumes, retries).

A task that reaches its time limit is requeued by submitit (:class:`CellTask` is checkpointable) and
continues from the run's last checkpoint. ``cluster="local"`` uses submitit's local executor (tests).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import submitit

from core.experiments.grid import Cell
from core.experiments.outcome import CellResult, write_outcome
from core.experiments.runner import run_cell
from core.experiments.spec import SlurmSpec
from core.run_files.state import RunState

POLL_S = 2.0


class CellTask(submitit.helpers.Checkpointable):
    """One array task: the run of one cell; requeued with the same arguments at a timeout."""

    def __call__(self, run_dir: str, config_toml: str) -> dict[str, Any] | None:
        result = run_cell(run_dir, config_toml)
        return None if result is None else asdict(result)


def executor_for(
    folder: Path, name: str, resources: SlurmSpec, cluster: str | None = None
) -> submitit.AutoExecutor:
    """A submitit executor with the spec's resources (``cluster`` None: SLURM when present)."""
    executor = submitit.AutoExecutor(folder=folder / "%j", cluster=cluster)
    parameters: dict[str, Any] = {
        "name": f"modalens-{name}",
        "timeout_min": resources.timeout_min,
        "cpus_per_task": resources.cpus_per_task,
        "gpus_per_node": resources.gpus_per_task,
        "nodes": 1,
        "tasks_per_node": 1,
    }
    if resources.mem_gb:
        parameters["mem_gb"] = resources.mem_gb
    if resources.partition:
        parameters["slurm_partition"] = resources.partition
    if resources.array_parallelism:
        parameters["slurm_array_parallelism"] = resources.array_parallelism
    if resources.additional:
        parameters["slurm_additional_parameters"] = dict(resources.additional)
    executor.update_parameters(**parameters)
    return executor


def run_slurm(
    cells: list[Cell],
    folder: Path,
    name: str,
    resources: SlurmSpec,
    progress: Any,
    cluster: str | None = None,
) -> list[CellResult]:
    """Submit one array for ``cells`` and wait for it, passing each task's end to ``progress.put``."""
    if not cells:
        return []
    executor = executor_for(folder, name, resources, cluster)
    jobs = executor.map_array(
        CellTask(), [str(c.run_dir) for c in cells], [c.config.to_toml() for c in cells]
    )
    progress.put(
        (
            "note",
            "",
            f"submitted job array {jobs[0].job_id.split('_')[0]} ({len(jobs)} tasks); logs in {folder}",
        )
    )
    results: list[CellResult] = []
    waiting = dict(zip(jobs, cells, strict=True))
    while waiting:
        for job in [j for j in waiting if j.done()]:
            cell = waiting.pop(job)
            result = _result_of(job, cell)
            results.append(result)
            progress.put(("end", result.name, asdict(result)))
        if waiting:
            time.sleep(POLL_S)
    return results


def _result_of(job: submitit.Job, cell: Cell) -> CellResult:
    """The task's result; a task that died before recording one makes a failed result."""
    try:
        value = job.result()
    except Exception as exc:  # noqa: BLE001 - the scheduler or the task's process failed
        lines = str(exc).strip().splitlines()
        result = CellResult(
            cell.name, RunState.FAILED, f"job {job.job_id}: {lines[-1] if lines else type(exc).__name__}"
        )
        write_outcome(cell.run_dir, result)
        return result
    return CellResult(**value) if value else CellResult(cell.name, RunState.STOPPED)
