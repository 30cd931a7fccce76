"""The step loop of one epoch: forward, the strategy's loss, backward, the update, step metrics."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from core import events as ev
from core.config import RunConfig
from core.data.batches import iterate_batches
from core.mi import mi_terms
from core.models.multimodal import MultimodalModel, zero_absent_inputs
from core.strategies.base import StepContext, scaled_updates
from core.training.device import autocast
from core.training.distributed import DistContext, average_gradients
from core.training.metrics import add_counts, f1_metrics, head_counts
from core.training.schedule import lr_factor, set_lr
from core.training.training_run import TrainingRun


class StopRequested(Exception):
    """Raised inside the step loop when another thread asked the run to stop."""


class NonFiniteLossError(RuntimeError):
    """The loss of a training step is NaN or infinite and ``optim.nonfinite_loss`` is "stop"."""


def train_epoch(
    run: TrainingRun,
    index: np.ndarray,
    keep: np.ndarray,
    epoch: int,
    config: RunConfig,
    dist: DistContext,
    bus: ev.EventBus,
    wait_if_paused: Callable[[torch.device], None],
) -> dict[str, float]:
    """One pass over this rank's rows; returns the epoch means of the step metrics (MI terms aside)."""
    cfg = config.runtime
    model, strategy, optimizer = run.model, run.strategy, run.optimizer
    model.train()
    partial = run.partial
    assert partial is not None, "train_epoch runs an epoch under way (run.partial)"
    sums, first = partial.sums, partial.step
    batch_size = config.optim.batch_size
    steps = -(-len(index) // batch_size)
    batches = iterate_batches(
        run.data,
        index[first * batch_size :],
        batch_size,
        run.device,
        keep[first * batch_size :],
        cfg.pin_memory,
        cfg.num_workers,
        augment_seed=(cfg.seed, epoch, dist.rank),
        first_batch=first,
    )
    input_absence = config.valuation.absence == "input"  # copies drop modalities as valuation does
    by_hand = dist.enabled and strategy.reshapes_gradients
    hand_synced = (list(model.parameters()) if by_hand else []) + list(run.extras.parameters())
    ddp = run.train_model if isinstance(run.train_model, torch.nn.parallel.DistributedDataParallel) else None
    no_sync = ddp.no_sync if by_hand and ddp is not None else contextlib.nullcontext
    for step, batch in enumerate(batches, start=first):
        partial.step = step
        wait_if_paused(run.device)
        with no_sync():
            with autocast(run.device, run.precision):
                if input_absence:
                    output = run.train_model(zero_absent_inputs(batch.inputs, batch.keep, model.modalities))
                else:
                    output = run.train_model(batch.inputs, keep=batch.keep)
                ctx = StepContext(model, batch, output, epoch, step)
                terms = strategy.loss_terms(ctx)
                if not finite_loss(terms["loss"], epoch, step, config.optim.nonfinite_loss, bus):
                    partial.skipped += 1
                    continue
                minimised = dict(terms)
                if not strategy.trains_unimodal_heads(epoch):
                    probe = probe_loss(model, output, batch.labels)
                    minimised["loss"] = terms["loss"] + probe
                    terms["loss/probe"] = probe.detach()
            step_mi = {}
            if cfg.mi_every_steps > 0 and step % cfg.mi_every_steps == 0:
                with torch.no_grad():  # before the update, so the terms describe the model that ran
                    step_mi = mi_terms(model, output, batch.labels, run.label_entropy)
            optimizer.zero_grad(set_to_none=True)
            if run.scaler is not None:
                minimised = {**minimised, "loss": run.scaler.scale(minimised["loss"])}
            strategy.backward(ctx, minimised)
        average_gradients(hand_synced, dist)
        set_lr(optimizer, lr_factor(config.optim, epoch, step, steps))
        with scaled_updates(model, strategy.update_scales(epoch)):
            if run.scaler is not None:
                run.scaler.step(optimizer)
                run.scaler.update()
            else:
                optimizer.step()
        strategy.after_step(model, epoch)

        metrics = {k: float(v.detach()) for k, v in terms.items() if v.numel() == 1}
        metrics.update(accuracies(output, batch.labels, model.modalities))
        counts = head_counts(output.logits, output.unimodal_logits, batch.labels, model.modalities)
        add_counts(partial.counts, counts)
        metrics.update(step_mi)
        for key, value in metrics.items():
            sums[key] = sums.get(key, 0.0) + value
        partial.count += 1
        run.global_step += 1
        run.clock.done += 1
        if cfg.log_every_steps > 0 and step % cfg.log_every_steps == 0:
            bus.emit(ev.StepMetrics(epoch, step, run.global_step, time.time(), metrics))
        bus.emit(run.clock.progress(epoch, step))
    means = {k: v / max(partial.count, 1) for k, v in sums.items() if not k.startswith("mi/")}
    means.update(f1_metrics(partial.counts))
    if config.optim.nonfinite_loss == "skip":
        means["skipped_steps"] = float(partial.skipped)
    return means


def finite_loss(loss: torch.Tensor, epoch: int, step: int, policy: str, bus: ev.EventBus) -> bool:
    """True for a finite loss; a non-finite one stops the run, or is skipped when so configured."""
    if bool(torch.isfinite(loss.detach()).all()):
        return True
    where = f"epoch {epoch + 1}, step {step + 1}"
    if policy == "skip":
        bus.emit(ev.LogMessage("warning", f"{where}: the loss is {float(loss.detach()):g}; step skipped"))
        return False
    raise NonFiniteLossError(
        f"{where}: the loss is {float(loss.detach()):g} (not finite); the run stops so that no NaN model is "
        "saved. Lower optim.lr, or set optim.nonfinite_loss = \"skip\" to skip such steps"
    )


def probe_loss(model: MultimodalModel, output, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the unimodal heads on DETACHED features: linear probes that leave the encoders
    and the fused head untouched."""
    logits = model.unimodal(output.features.detach())
    return F.cross_entropy(logits.flatten(0, 1), labels.repeat_interleave(logits.shape[1]))


def accuracies(output, labels: torch.Tensor, modalities: list[str]) -> dict[str, float]:
    metrics = {"acc": float((output.logits.argmax(-1) == labels).float().mean())}
    unimodal = output.unimodal_logits.argmax(-1) == labels[:, None]
    for j, name in enumerate(modalities):
        metrics[f"acc/{name}"] = float(unimodal[:, j].float().mean())
    return metrics
