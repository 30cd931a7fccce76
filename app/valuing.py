"""Valuing a split of a finished run afterwards, into its report: what ``modalens value --into-report`` does.

The run's last checkpoint gives the model and the run's settings; the dataset is read again (from
``data_path`` when its media were found elsewhere) and the split's Shapley values are added to the run's
``report.h5`` under the run folder's lock. Runs in a background task; nothing here touches Qt.
"""

from __future__ import annotations

from pathlib import Path

from app.tasks import TaskState
from core.config import RunConfig
from core.valuation.result import ValuationResult

# what value_split imports on first use, imported in the GUI thread before the task starts (see app.tasks)
IMPORTS = (
    "core.data.prepare",
    "core.models.multimodal",
    "core.report.writer",
    "core.strategies",
    "core.training.checkpoint",
    "core.training.device",
    "core.training.run_lock",
    "core.valuation.valuate",
)


def value_split(run_dir: Path, split: str, state: TaskState, data_path: Path | None = None) -> ValuationResult:
    """Value ``split`` with the run's last checkpoint and add it to ``run_dir/report.h5``; the result."""
    from core.data.prepare import prepare_dataset
    from core.models.multimodal import build_model_for_data
    from core.report.writer import ReportWriter
    from core.strategies import create_strategy
    from core.training.checkpoint import load_checkpoint
    from core.training.device import resolve_device
    from core.training.run_lock import RunLock
    from core.valuation.valuate import ValuationSettings, value_samples

    report = run_dir / "report.h5"
    if not report.is_file():
        raise ValueError(f"{run_dir}: no report.h5 to add the values to")
    state.progress(0, 0, "reading the checkpoint")
    checkpoint = load_checkpoint(run_dir)
    config = RunConfig.from_toml(checkpoint["config_toml"], f"{run_dir} (checkpoint config)")
    if data_path is not None:
        config.data.path = str(data_path)
    state.check()
    state.progress(0, 0, "reading the dataset")
    data = prepare_dataset(config.data)
    index = data.split_indices(split)
    if len(index) == 0:
        raise ValueError(f"{config.data.path}: split {split!r} has no usable samples")
    state.check()
    device = resolve_device(config.runtime.device)
    model = build_model_for_data(data, config.model).to(device)
    create_strategy(config.strategy.name, config.strategy.params, model)  # it may set the head's form
    model.load_state_dict(checkpoint["model"])
    settings = ValuationSettings(
        value_fn=config.valuation.value_fn,
        absence=config.valuation.absence,
        exact_max_modalities=config.valuation.exact_max_modalities,
        mc_permutations=config.valuation.mc_permutations,
        batch_size=config.valuation.batch_size,
    )
    state.progress(0, 0, f"valuing {len(index)} {split} samples")
    result = value_samples(model, data, index, settings, device, epoch=checkpoint["next_epoch"] - 1, split=split)
    state.check()
    with RunLock(run_dir):
        ReportWriter(report).add_valuation(result)
    return result
