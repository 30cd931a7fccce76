"""The training engine: epochs of a strategy, validation, per-epoch valuation, checkpoints, events.

The engine knows nothing of any view: it reports through plain events on its :class:`EventBus`.
Another thread may call :meth:`Engine.pause`, :meth:`Engine.resume`, :meth:`Engine.request_stop`
and add re-sampling requests through :attr:`Engine.requests` at any time.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from core import events as ev
from core.atomic import WriteError, describe_os_error, is_disk_full, remove_stale_temporaries
from core.config import RunConfig
from core.data.batches import iterate_batches
from core.data.prepare import BuildStopped, build_store, format_exclusions, prepare_dataset
from core.data.prepared import PreparedData
from core.mi import MIAccumulator, label_entropy, mi_terms
from core.models.encoders.pretrained import load_imagenet_weights
from core.models.multimodal import MultimodalModel, build_model_for_data, zero_absent_inputs
from core.runs.identity import check_resume, identity_of
from core.runs.lock import RunLock, RunLockedError
from core.runs.settings import valuation_settings
from core.strategies import Strategy, create_strategy
from core.strategies.base import EpochContext, EpochStart, StepContext, scaled_updates
from core.training.checkpoint import load_checkpoint, load_encoders, load_model_state, save_checkpoint
from core.training.device import autocast, resolve_device, resolve_precision
from core.training.distributed import (
    DistContext,
    all_digests,
    any_rank,
    average_gradients,
    broadcast,
    digest,
    gather_valuation,
    init_distributed,
    shard,
    shutdown_distributed,
)
from core.training.evaluate import evaluate_split
from core.training.limits import cap_workers, check_model_size
from core.training.metrics import add_counts, f1_metrics, flops_per_sample, head_counts, parameter_count
from core.training.plan import EpochPlan, build_plan
from core.training.requests import ResamplingRequests
from core.training.schedule import lr_factor, set_lr
from core.valuation.imbalance import split_imbalance
from core.valuation.result import ValuationResult
from core.valuation.valuate import ValuationSettings, value_samples

log = logging.getLogger(__name__)


class StopRequested(Exception):
    """Raised inside the step loop when another thread asked the run to stop."""


class NonFiniteLossError(RuntimeError):
    """The loss of a training step is NaN or infinite and ``optim.nonfinite_loss`` is "stop"."""


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended."""

    epochs_done: int
    stopped: bool
    failed: bool
    run_dir: Path
    error: str = ""


class Engine:
    """Trains one model with one strategy and values every training sample after every epoch."""

    def __init__(
        self,
        config: RunConfig,
        run_dir: str | Path,
        bus: ev.EventBus | None = None,
        resume_from: str | Path | None = None,
        data: PreparedData | None = None,
        trust_checkpoints: bool = False,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.bus = bus or ev.EventBus()
        self.resume_from = Path(resume_from) if resume_from else None
        self.data = data
        self.trust_checkpoints = trust_checkpoints
        """Read old-format checkpoints (full pickles, which can run code) for --resume and init_encoders_from."""
        self._run_lock = RunLock(self.run_dir)
        self._saved_epoch: int | None = None
        self.requests = ResamplingRequests(modalities=list(data.modalities) if data else [])
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._latest: ValuationResult | None = None
        self.dist = DistContext()

    # -- control, callable from any thread -------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> RunOutcome:
        """Run to the end (or a stop); errors are reported as a ``RunFailed`` event, never raised."""
        clean = False
        try:
            outcome = self._run()
            clean = True
            return outcome
        except Exception as exc:  # noqa: BLE001 - reported to listeners, the caller decides the exit code
            rank = f"rank {self.dist.rank}: " if self.dist.enabled else ""
            failed = ev.RunFailed(f"{rank}{self._failure_message(exc)}", traceback.format_exc())
            try:
                self.bus.emit(failed)
            except Exception:  # noqa: BLE001 - the report could not record the failure; the caller still sees it
                log.exception("the failure could not be recorded in the report")
            return RunOutcome(self._epochs_done, stopped=False, failed=True, run_dir=self.run_dir, error=failed.error)
        finally:
            shutdown_distributed(wait_for_all=clean)
            self._run_lock.release()

    def _failure_message(self, exc: Exception) -> str:
        """One line: what went wrong and, for a failed write, what was kept."""
        if isinstance(exc, WriteError):
            return f"{exc}; {self._kept()}"
        if isinstance(exc, OSError) and is_disk_full(exc):
            where = exc.filename or "the run's disk"
            return f"{describe_os_error(exc, where)}; {self._kept()}"
        if isinstance(exc, (ValueError, NonFiniteLossError, RunLockedError, BuildStopped)):  # written for the user
            return str(exc)
        return f"{type(exc).__name__}: {exc}"

    def _kept(self) -> str:
        if self._saved_epoch is None:
            return "no checkpoint of this run was written"
        return (
            f"kept: {self.run_dir / 'checkpoints' / 'last.pt'} (after epoch {self._saved_epoch}) and the report's "
            "complete epochs; resume with --resume"
        )

    _epochs_done = 0

    def _log(self, text: str, level: str = "info") -> None:
        self.bus.emit(ev.LogMessage(level, text))

    def _run(self) -> RunOutcome:
        run = self._setup()
        cfg = self.config
        self.bus.emit(
            ev.RunStarted(
                run_dir=str(self.run_dir),
                config_toml=cfg.to_toml(),
                device=f"{run.device} ({run.precision})",
                modalities=list(run.data.modalities),
                class_names=list(run.data.class_names),
                num_train=len(run.train_index),
                num_val=len(run.data.split_indices("val")),
                start_epoch=run.start_epoch,
                start_step=run.partial.step if run.partial else 0,
                total_epochs=cfg.optim.epochs,
                steps_per_epoch=run.steps_per_epoch,
                dataset=run.data,
            )
        )
        if self.dist.is_main:
            cfg.save(self.run_dir / "config.toml")
        self._epochs_done = run.start_epoch
        for epoch in range(run.start_epoch, cfg.optim.epochs):
            try:
                if self._stopping(run.device):  # asked during the last epoch's evaluation: last.pt is this point
                    raise StopRequested
                self._run_epoch(run, epoch)
            except StopRequested:
                if run.partial is not None:  # mid-epoch: save exactly where the epoch stands
                    self._save(run, epoch, "last")
                self.bus.emit(ev.RunFinished(epoch, stopped=True, **run.best_fields()))
                return RunOutcome(epoch, stopped=True, failed=False, run_dir=self.run_dir)
            self._epochs_done = epoch + 1
        self.bus.emit(ev.RunFinished(self._epochs_done, stopped=False, **run.best_fields()))
        return RunOutcome(self._epochs_done, stopped=False, failed=False, run_dir=self.run_dir)

    def _setup(self) -> _Run:
        """Device, data, model, strategy and optimiser; restored from the checkpoint when resuming."""
        cfg = self.config
        self.dist, device = init_distributed(resolve_device(cfg.runtime.device))
        precision = resolve_precision(cfg.runtime.precision, device)
        seed_everything(cfg.runtime.seed)

        if self.dist.is_main:
            self._run_lock.acquire()  # before anything is written: a second run on this folder stops here
            for folder in (self.run_dir, self.run_dir / "checkpoints"):
                remove_stale_temporaries(folder)
        for note in cap_workers(cfg):
            if self.dist.is_main:
                self._log(note, "warning")
        data = self.data or self._prepare_data()
        state = None
        if self.resume_from is not None:  # the run's own data and strategy, before anything is written
            state = load_checkpoint(self.resume_from, device, trusted=self.trust_checkpoints)
            unchecked = check_resume(state, data, cfg.strategy.name, self.resume_from)
            if unchecked and self.dist.is_main:
                self._log(unchecked, "warning")
        if data.excluded and self.dist.is_main:
            report = format_exclusions(data.excluded)
            self._log(report, "warning")
            (self.run_dir / "excluded.txt").write_text(report + "\n", encoding="utf-8")
        train_index = data.split_indices("train")
        if len(train_index) == 0:
            raise ValueError(f"{cfg.data.path}: no usable training samples (split 'train')")
        self.requests.modalities = list(data.modalities)

        check_model_size(data, cfg.model, device)
        model = build_model_for_data(data, cfg.model)
        if cfg.model.init_encoders_from and self.resume_from is None:
            load_encoders(model, cfg.model.init_encoders_from, trusted=self.trust_checkpoints)
            self._log(f"encoders initialised from {cfg.model.init_encoders_from}")
        if cfg.model.pretrained and self.resume_from is None and not cfg.model.init_encoders_from:
            loaded = load_imagenet_weights(model, cfg.model.pretrained)
            self._log(f"ImageNet ResNet-18 weights ({cfg.model.pretrained}) loaded into {', '.join(loaded)}")
        model = model.to(device)
        if cfg.model.channels_last and device.type == "cuda":
            model = model.to(memory_format=torch.channels_last)
        strategy = create_strategy(cfg.strategy.name, cfg.strategy.params, model)
        if strategy.uses_valuation and "train" not in cfg.valuation.splits:
            raise ValueError(
                f"strategy {strategy.name!r} re-samples from the training split's Shapley values, but "
                f"valuation.splits = {list(cfg.valuation.splits)} leaves 'train' out; add it"
            )
        extras = torch.nn.ModuleDict(strategy.extra_modules()).to(device)
        optimizer = make_optimizer(cfg, list(model.parameters()) + list(extras.parameters()))
        run = _Run(
            data=data,
            train_index=train_index,
            device=device,
            precision=precision,
            model=model,
            train_model=self._parallel(model, device),
            strategy=strategy,
            extras=extras,
            optimizer=optimizer,
            scaler=torch.amp.GradScaler("cuda") if precision == "fp16" else None,
            rng=np.random.default_rng(cfg.runtime.seed),
            valuation=valuation_settings(cfg, seed=cfg.runtime.seed),
            label_entropy=label_entropy(data.labels[train_index], data.num_classes),
            steps_per_epoch=-(-len(shard(train_index, self.dist)) // cfg.optim.batch_size),
            static_metrics=model_costs(model, extras, data, train_index, cfg.optim.batch_size, device),
        )
        if state is not None:
            self._restore(run, state)
        run.clock = _Clock(
            time.monotonic(), done=0, total=run.steps_per_epoch * (cfg.optim.epochs - run.start_epoch)
        )
        return run

    def _restore(self, run: _Run, state: dict) -> None:
        load_model_state(run.model, state["model"], self.resume_from)
        run.extras.load_state_dict(state["extras"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.start_epoch = state["next_epoch"]
        run.best_epoch, run.best_accuracy = state.get("best_epoch"), state.get("best_val_accuracy", -1.0)
        run.rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"].cpu())
        if state.get("cuda_rng") and run.device.type == "cuda":
            torch.cuda.set_rng_state_all([t.cpu() for t in state["cuda_rng"]])
        self._latest = state.get("latest_valuation")
        self.requests.restore(state.get("requests", []))
        self.requests.next_epoch = run.start_epoch
        run.global_step = int(state.get("global_step", run.start_epoch * run.steps_per_epoch))
        run.train_time_s = float(state.get("train_time_s", 0.0))
        partial = state.get("partial_epoch")
        if partial is not None:
            run.partial = _PartialEpoch.from_plain(partial)
            self.requests.next_epoch = run.start_epoch + 1
        self._saved_epoch = run.start_epoch
        where = f"epoch {run.start_epoch + 1}" + (f", step {run.partial.step + 1}" if run.partial else "")
        self._log(f"resumed from {self.resume_from} at {where}")

    def _run_epoch(self, run: _Run, epoch: int) -> None:
        """Let the strategy measure the model, then plan, train, evaluate, value and checkpoint one epoch
        (or finish one that a stop interrupted: its measurements and plan come from the checkpoint)."""
        if run.partial is None:
            run.strategy.before_epoch(self._epoch_start(run, epoch))
            run.partial = _PartialEpoch(epoch, self._plan_epoch(run, epoch))
        plan = run.partial.plan
        rows = shard(np.arange(len(plan.index)), self.dist)
        run.clock.total += -(-len(rows) // self.config.optim.batch_size) - run.steps_per_epoch
        epoch_start = time.monotonic()
        train_metrics = self._train_epoch(run, plan.index[rows], plan.keep[rows], epoch)
        run.strategy.after_epoch(run.model, epoch)
        train_seconds = time.monotonic() - epoch_start
        run.partial = None

        metrics = {f"train/{k}": v for k, v in train_metrics.items()}
        metrics["train/samples_per_s"] = len(rows) * self.dist.world_size / max(train_seconds, 1e-9)
        metrics["train/resampled_copies"] = float(plan.copy_count.sum())
        metrics["lr"] = run.optimizer.param_groups[0]["lr"]
        for split in ("val", "test"):
            index = run.data.split_indices(split)
            if len(index):
                metrics.update(
                    evaluate_split(
                        run.model,
                        run.data,
                        index,
                        self.config.optim.batch_size,
                        run.device,
                        run.precision,
                        split,
                        run.label_entropy,
                        MIAccumulator,
                        lambda output: run.strategy.evaluation_logits(run.model, output),
                    )
                )
        metrics["epoch_time_s"] = time.monotonic() - epoch_start
        run.train_time_s += metrics["epoch_time_s"]
        metrics["train_time_s"] = run.train_time_s
        metrics.update(run.static_metrics)
        metrics.update(self._value_epoch(run, epoch))
        self.bus.emit(ev.EpochMetrics(epoch, time.time(), metrics))

        accuracy = metrics.get("val/acc", metrics.get("train/acc", 0.0))
        if accuracy > run.best_accuracy:
            run.best_epoch, run.best_accuracy = epoch, accuracy
            self._save(run, epoch + 1, "best")
        self._save(run, epoch + 1, "last")

    def _epoch_start(self, run: _Run, epoch: int) -> EpochStart:
        """The strategy's view before an epoch: the model and ordered batches of any dataset rows."""

        def batches(index: np.ndarray):
            return iterate_batches(run.data, index, self.config.optim.batch_size, run.device)

        return EpochStart(
            epoch, run.model, run.train_index, run.data.split_indices("val"), run.rng, batches
        )

    def _plan_epoch(self, run: _Run, epoch: int) -> EpochPlan:
        """The strategy's copies plus the user's requests, shuffled, agreed across ranks, announced."""
        self.requests.next_epoch = epoch
        automatic = run.strategy.plan_copies(EpochContext(epoch, run.train_index, self._latest, run.rng))
        requests = self._active_requests(epoch, run.data)
        self.requests.next_epoch = epoch + 1
        plan = build_plan(run.train_index, len(run.data.modalities), automatic, requests, run.data.modalities)
        plan = self._agree_on_plan(plan.shuffled(run.rng), epoch)
        self.bus.emit(
            ev.ResamplingPlanned(
                epoch,
                plan.copy_sample.copy(),
                plan.copy_modality.copy(),
                plan.copy_count.copy(),
                plan.copy_user.copy(),
            )
        )
        return plan

    def _value_epoch(self, run: _Run, epoch: int) -> dict[str, float]:
        """Shapley values of every configured split, sharded across ranks and gathered; returns each
        split's imbalance figures (:func:`core.valuation.imbalance.split_imbalance`)."""
        figures: dict[str, float] = {}
        for split in self.config.valuation.splits:
            index = run.data.split_indices(split)
            if split == "train":
                index = np.sort(run.strategy.valuation_subset(epoch, run.train_index, run.rng))
            if len(index) == 0:
                continue
            local = value_samples(
                run.model, run.data, shard(index, self.dist), run.valuation, run.device, epoch, split
            )
            result = gather_valuation(local, self.dist)
            if split == "train":
                self._latest = result
            self.bus.emit(ev.ValuationReady(result))
            figures.update(split_imbalance(result))
        return figures

    def _train_epoch(self, run: _Run, index: np.ndarray, keep: np.ndarray, epoch: int) -> dict[str, float]:
        """One pass over this rank's rows; returns the epoch means of the step metrics (MI terms aside)."""
        cfg = self.config.runtime
        model, strategy, optimizer = run.model, run.strategy, run.optimizer
        model.train()
        partial = run.partial
        sums, first = partial.sums, partial.step
        batch_size = self.config.optim.batch_size
        steps = -(-len(index) // batch_size)
        batches = iterate_batches(
            run.data,
            index[first * batch_size :],
            batch_size,
            run.device,
            keep[first * batch_size :],
            cfg.pin_memory,
            cfg.num_workers,
            augment_seed=(cfg.seed, epoch, self.dist.rank),
            first_batch=first,
        )
        input_absence = self.config.valuation.absence == "input"  # copies drop modalities as valuation does
        by_hand = self.dist.enabled and strategy.reshapes_gradients
        hand_synced = (list(model.parameters()) if by_hand else []) + list(run.extras.parameters())
        for step, batch in enumerate(batches, start=first):
            partial.step = step
            self._wait_if_paused(run.device)
            with run.train_model.no_sync() if by_hand else contextlib.nullcontext():
                with autocast(run.device, run.precision):
                    if input_absence:
                        output = run.train_model(zero_absent_inputs(batch.inputs, batch.keep, model.modalities))
                    else:
                        output = run.train_model(batch.inputs, keep=batch.keep)
                    ctx = StepContext(model, batch, output, epoch, step)
                    terms = strategy.loss_terms(ctx)
                    if not self._finite_loss(terms["loss"], epoch, step):
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
            average_gradients(hand_synced, self.dist)
            set_lr(optimizer, lr_factor(self.config.optim, epoch, step, steps))
            with scaled_updates(model, strategy.update_scales(epoch)):
                if run.scaler is not None:
                    run.scaler.step(optimizer)
                    run.scaler.update()
                else:
                    optimizer.step()
            strategy.after_step(model, epoch)

            metrics = {k: float(v.detach()) for k, v in terms.items() if v.numel() == 1}
            metrics.update(_accuracies(output, batch.labels, model.modalities))
            counts = head_counts(output.logits, output.unimodal_logits, batch.labels, model.modalities)
            add_counts(partial.counts, counts)
            metrics.update(step_mi)
            for key, value in metrics.items():
                sums[key] = sums.get(key, 0.0) + value
            partial.count += 1
            run.global_step += 1
            run.clock.done += 1
            if cfg.log_every_steps > 0 and step % cfg.log_every_steps == 0:
                self.bus.emit(ev.StepMetrics(epoch, step, run.global_step, time.time(), metrics))
            self.bus.emit(run.clock.progress(epoch, step))
        means = {k: v / max(partial.count, 1) for k, v in sums.items() if not k.startswith("mi/")}
        means.update(f1_metrics(partial.counts))
        if self.config.optim.nonfinite_loss == "skip":
            means["skipped_steps"] = float(partial.skipped)
        return means

    def _finite_loss(self, loss: torch.Tensor, epoch: int, step: int) -> bool:
        """True for a finite loss; a non-finite one stops the run, or is skipped when so configured."""
        if bool(torch.isfinite(loss.detach()).all()):
            return True
        where = f"epoch {epoch + 1}, step {step + 1}"
        if self.config.optim.nonfinite_loss == "skip":
            self._log(f"{where}: the loss is {float(loss.detach()):g}; step skipped", "warning")
            return False
        raise NonFiniteLossError(
            f"{where}: the loss is {float(loss.detach()):g} (not finite); the run stops so that no NaN model is "
            "saved. Lower optim.lr, or set optim.nonfinite_loss = \"skip\" to skip such steps"
        )

    def _prepare_data(self) -> PreparedData:
        """Decode into the store; under DDP every rank decodes its share of the missing files, then all
        read the whole store after a barrier. A stop request ends the build (what was stored is kept)."""
        if not self.dist.enabled:
            return prepare_dataset(self.config.data, log=self._log, stop=self._stop.is_set)
        build_store(self.config.data, (self.dist.rank, self.dist.world_size), self._log, self._stop.is_set)
        torch.distributed.barrier()
        return prepare_dataset(self.config.data, log=self._log)

    def _parallel(self, model: MultimodalModel, device: torch.device) -> torch.nn.Module:
        if not self.dist.enabled:
            return model
        ids = [device.index] if device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)

    def _agree_on_plan(self, plan: EpochPlan, epoch: int) -> EpochPlan:
        """Use rank 0's plan everywhere, and check every rank had built the very same one."""
        if not self.dist.enabled:
            return plan
        local = digest(plan.index, plan.keep)
        plan = broadcast(plan, self.dist)
        digests = all_digests(local, self.dist)
        if len(set(digests)) == 1:
            self._log(
                f"epoch {epoch + 1}: plan {local} ({plan.copy_count.sum()} copies) identical on all {len(digests)} ranks"
            )
        else:
            self._log(
                f"epoch {epoch + 1}: ranks built different plans {digests}; rank 0's is used", "warning"
            )
        return plan

    def _active_requests(self, epoch: int, data: PreparedData) -> list:
        requests = []
        for request in self.requests.active(epoch):
            if request.modality not in data.modalities or request.sample_index.max() >= len(data):
                self._log(f"re-sampling request {request.id} ignored: not valid for this dataset", "warning")
                self.requests.cancel(request.id)
            else:
                requests.append(request)
        return requests

    def _wait_if_paused(self, device: torch.device) -> None:
        if self._stopping(device):
            raise StopRequested
        if not self._running.is_set():
            self.bus.emit(ev.RunPaused(True))
            self._running.wait()
            self.bus.emit(ev.RunPaused(False))
            if self._stop.is_set():  # (pausing is the window's, where the run is one process)
                raise StopRequested

    def _stopping(self, device: torch.device) -> bool:
        """Whether to stop here: asked on this rank or, under torchrun, on any rank. Every rank asks at
        the same points, so all stop at the same step and none is left waiting for a rank that left."""
        if any_rank(self._stop.is_set(), self.dist, device):
            self._stop.set()
            return True
        return False

    def _save(self, run: _Run, next_epoch: int, name: str) -> None:
        """Checkpoint the run; ``run.partial`` set means a stop mid-epoch, saved so a resume continues it."""
        if not self.dist.is_main:
            return
        bad = [n for n, p in run.model.named_parameters() if not bool(torch.isfinite(p.detach()).all())]
        if bad:
            raise NonFiniteLossError(
                f"epoch {next_epoch}: the model has non-finite parameters ({', '.join(bad[:3])}"
                f"{', ...' if len(bad) > 3 else ''}); not saved as {name}.pt"
            )
        path = self.run_dir / "checkpoints" / f"{name}.pt"
        cuda = run.device.type == "cuda"
        save_checkpoint(
            path,
            {
                "model": run.model.state_dict(),
                "extras": run.extras.state_dict(),
                "optimizer": run.optimizer.state_dict(),
                "config_toml": self.config.to_toml(),
                "next_epoch": next_epoch,
                "best_epoch": run.best_epoch,
                "best_val_accuracy": run.best_accuracy,
                "numpy_rng": run.rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if cuda else [],
                "global_step": run.global_step,
                "train_time_s": run.train_time_s,
                "latest_valuation": self._latest,
                "requests": [r.to_dict() for r in self.requests.list()],
                "partial_epoch": run.partial.to_plain() if run.partial is not None else None,
                "dataset": identity_of(run.data),
            },
        )
        if name == "last":
            self._saved_epoch = next_epoch
        self.bus.emit(ev.CheckpointSaved(next_epoch - 1, str(path), best=name == "best"))


@dataclass
class _Run:
    """Everything one run holds while it trains."""

    data: PreparedData
    train_index: np.ndarray
    device: torch.device
    precision: str
    model: MultimodalModel
    train_model: torch.nn.Module
    strategy: Strategy
    extras: torch.nn.ModuleDict
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler | None
    rng: np.random.Generator
    valuation: ValuationSettings
    label_entropy: float
    steps_per_epoch: int
    static_metrics: dict[str, float]
    """The model's cost, the same every epoch: ``model/params`` and ``model/flops_per_sample``."""
    start_epoch: int = 0
    train_time_s: float = 0.0
    """Seconds of the epochs so far (training and evaluation, as ``epoch_time_s``), summed across resumes."""
    global_step: int = 0
    best_epoch: int | None = None
    best_accuracy: float = -1.0
    clock: _Clock | None = None
    partial: _PartialEpoch | None = None
    """The epoch under way: its plan and how far training has gone (None between epochs)."""

    def best_fields(self) -> dict:
        return {
            "best_epoch": self.best_epoch,
            "best_val_accuracy": None if self.best_accuracy < 0 else self.best_accuracy,
        }


@dataclass
class _PartialEpoch:
    """An epoch under way: its plan, the next step to run, and the step metrics summed so far."""

    epoch: int
    plan: EpochPlan
    step: int = 0
    count: int = 0
    skipped: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    """Each head's class counts so far, for the epoch's macro-F1 (see core.training.metrics.head_counts)."""

    _PLAN_FIELDS = ("index", "keep", "copy_sample", "copy_modality", "copy_count", "copy_user")

    def to_plain(self) -> dict:
        plan = {name: torch.from_numpy(np.ascontiguousarray(getattr(self.plan, name))) for name in self._PLAN_FIELDS}
        counts = {k: torch.from_numpy(v) for k, v in self.counts.items()}
        return {"epoch": self.epoch, "step": self.step, "count": self.count, "skipped": self.skipped,
                "sums": dict(self.sums), "counts": counts, "plan": plan}

    @classmethod
    def from_plain(cls, plain: dict) -> _PartialEpoch:
        plan = EpochPlan(**{name: plain["plan"][name].numpy() for name in cls._PLAN_FIELDS})
        counts = {str(k): v.numpy().astype(np.float64) for k, v in plain.get("counts", {}).items()}
        return cls(int(plain["epoch"]), plan, int(plain["step"]), int(plain["count"]), int(plain["skipped"]),
                   {str(k): float(v) for k, v in plain["sums"].items()}, counts)


@dataclass
class _Clock:
    start: float
    done: int
    total: int

    def progress(self, epoch: int, step: int) -> ev.Progress:
        elapsed = time.monotonic() - self.start
        remaining = elapsed / self.done * max(self.total - self.done, 0) if self.done else None
        return ev.Progress(epoch, step, self.done, self.total, elapsed, remaining)


def _accuracies(output, labels: torch.Tensor, modalities: list[str]) -> dict[str, float]:
    metrics = {"acc": float((output.logits.argmax(-1) == labels).float().mean())}
    unimodal = output.unimodal_logits.argmax(-1) == labels[:, None]
    for j, name in enumerate(modalities):
        metrics[f"acc/{name}"] = float(unimodal[:, j].float().mean())
    return metrics


def model_costs(
    model: MultimodalModel,
    extras: torch.nn.Module,
    data: PreparedData,
    train_index: np.ndarray,
    batch_size: int,
    device: torch.device,
) -> dict[str, float]:
    """Parameters of the model and the strategy's extra modules, and the model's forward FLOPs per sample
    on the first batch of training rows (see :mod:`core.training.metrics`)."""
    batch = next(iter(iterate_batches(data, train_index[:batch_size], batch_size, device)))
    return {
        "model/params": float(parameter_count(model, extras)),
        "model/flops_per_sample": flops_per_sample(model, batch.inputs),
    }


def probe_loss(model: MultimodalModel, output, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the unimodal heads on DETACHED features: linear probes that leave the encoders
    and the fused head untouched."""
    logits = model.unimodal(output.features.detach())
    return F.cross_entropy(logits.flatten(0, 1), labels.repeat_interleave(logits.shape[1]))


def make_optimizer(cfg: RunConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """Adam, AdamW or SGD as configured."""
    o = cfg.optim
    if o.optimizer == "adam":
        return torch.optim.Adam(params, lr=o.lr, weight_decay=o.weight_decay)
    if o.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=o.lr, weight_decay=o.weight_decay)
    if o.optimizer == "sgd":
        return torch.optim.SGD(params, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay)
    raise ValueError(f"optim.optimizer must be adam, adamw or sgd, got {o.optimizer!r}")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch so a CPU run is repeatable."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
