"""The training engine: epochs of a strategy, validation, per-epoch valuation, checkpoints, events.

The engine knows nothing of any view: it reports through plain events on its :class:`EventBus`.
Another thread may call :meth:`Engine.pause`, :meth:`Engine.unpause`, :meth:`Engine.request_stop`
and add re-sampling requests through :attr:`Engine.requests` at any time.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core import events as ev
from core.atomic import WriteError, describe_os_error, is_disk_full, remove_stale_temporaries
from core.config import RunConfig
from core.data.batches import iterate_batches
from core.data.prepare import BuildStopped, build_store, format_exclusions, prepare_dataset
from core.data.tensors import PreparedData
from core.mi import MIAccumulator, label_entropy
from core.models.encoders.pretrained import load_imagenet_weights
from core.models.multimodal import MultimodalModel, build_model_for_data
from core.run_files.identity import check_resume
from core.run_files.layout import (
    BEST_CHECKPOINT,
    CHECKPOINTS_DIR,
    CONFIG_NAME,
    EXCLUDED_NAME,
    LAST_CHECKPOINT,
)
from core.run_files.lock import RunLock, RunLockedError
from core.strategies import create_strategy
from core.strategies.base import EpochContext, EpochStart
from core.training.checkpoint import load_checkpoint, load_encoders, save_checkpoint
from core.training.device import resolve_device, resolve_precision
from core.training.distributed import (
    DistContext,
    all_digests,
    any_rank,
    broadcast,
    digest,
    gather_valuation,
    init_distributed,
    shard,
    shutdown_distributed,
    unreached_parameters,
)
from core.training.evaluate import evaluate_split
from core.training.limits import cap_workers, check_model_size
from core.training.loop import NonFiniteLossError, StopRequested, train_epoch
from core.training.plan import EpochPlan, build_plan
from core.training.requests import ResamplingRequests
from core.training.setup import make_optimizer, model_costs, seed_everything
from core.training.training_run import Clock, PartialEpoch, TrainingRun
from core.valuation.imbalance import split_imbalance
from core.valuation.result import ValuationResult
from core.valuation.settings import valuation_settings
from core.valuation.valuate import value_samples

log = logging.getLogger(__name__)
_CHECKPOINT_FILES = {"last": LAST_CHECKPOINT, "best": BEST_CHECKPOINT}  # the names Engine._save takes


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
        self.requests = ResamplingRequests(modalities=list(data.samples.modalities) if data else [])
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

    def unpause(self) -> None:
        """Continue a paused run (``resume_from`` is another thing: the checkpoint a run starts from)."""
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
            f"kept: {self.run_dir / LAST_CHECKPOINT} (after epoch {self._saved_epoch}) and the report's "
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
                modalities=list(run.data.samples.modalities),
                class_names=list(run.data.samples.class_names),
                num_train=len(run.train_index),
                num_val=len(run.data.samples.split_indices("val")),
                start_epoch=run.start_epoch,
                start_step=run.partial.step if run.partial else 0,
                total_epochs=cfg.optim.epochs,
                steps_per_epoch=run.steps_per_epoch,
                dataset=run.data,
            )
        )
        if self.dist.is_main:
            cfg.save(self.run_dir / CONFIG_NAME)
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

    def _setup(self) -> TrainingRun:
        """Device, data, model, strategy and optimiser; restored from the checkpoint when resuming."""
        cfg = self.config
        self.dist, device = init_distributed(resolve_device(cfg.runtime.device))
        precision = resolve_precision(cfg.runtime.precision, device)
        seed_everything(cfg.runtime.seed)

        if self.dist.is_main:
            self._run_lock.acquire()  # before anything is written: a second run on this folder stops here
            for folder in (self.run_dir, self.run_dir / CHECKPOINTS_DIR):
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
            (self.run_dir / EXCLUDED_NAME).write_text(report + "\n", encoding="utf-8")
        train_index = data.samples.split_indices("train")
        if len(train_index) == 0:
            raise ValueError(f"{cfg.data.path}: no usable training samples (split 'train')")
        self.requests.modalities = list(data.samples.modalities)

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
            model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # torch's stubs lack it
        strategy = create_strategy(cfg.strategy.name, cfg.strategy.params, model, load_encoders)
        if strategy.uses_valuation and "train" not in cfg.valuation.splits:
            raise ValueError(
                f"strategy {strategy.name!r} re-samples from the training split's Shapley values, but "
                f"valuation.splits = {list(cfg.valuation.splits)} leaves 'train' out; add it"
            )
        extras = torch.nn.ModuleDict(strategy.extra_modules()).to(device)
        optimizer = make_optimizer(cfg, list(model.parameters()) + list(extras.parameters()))
        run = TrainingRun(
            data=data,
            train_index=train_index,
            device=device,
            precision=precision,
            model=model,
            train_model=self._parallel(model, data, train_index, device),
            strategy=strategy,
            extras=extras,
            optimizer=optimizer,
            scaler=torch.amp.GradScaler("cuda") if precision == "fp16" else None,
            rng=np.random.default_rng(cfg.runtime.seed),
            valuation=valuation_settings(cfg, seed=cfg.runtime.seed),
            label_entropy=label_entropy(data.samples.labels[train_index], data.samples.num_classes),
            steps_per_epoch=-(-len(shard(train_index, self.dist)) // cfg.optim.batch_size),
            static_metrics=model_costs(model, extras, data, train_index, cfg.optim.batch_size, device),
        )
        if state is not None:
            self._restore(run, state)
        run.clock = Clock(
            time.monotonic(), done=0, total=run.steps_per_epoch * (cfg.optim.epochs - run.start_epoch)
        )
        return run

    def _restore(self, run: TrainingRun, state: dict) -> None:
        run.restore(state, str(self.resume_from))
        self._latest = state.get("latest_valuation")
        self.requests.restore(state.get("requests", []))
        self.requests.next_epoch = run.start_epoch + (1 if run.partial is not None else 0)
        self._saved_epoch = run.start_epoch
        where = f"epoch {run.start_epoch + 1}" + (f", step {run.partial.step + 1}" if run.partial else "")
        self._log(f"resumed from {self.resume_from} at {where}")

    def _run_epoch(self, run: TrainingRun, epoch: int) -> None:
        """Let the strategy measure the model, then plan, train, evaluate, value and checkpoint one epoch
        (or finish one that a stop interrupted: its measurements and plan come from the checkpoint)."""
        if run.partial is None:
            run.strategy.before_epoch(self._epoch_start(run, epoch))
            run.partial = PartialEpoch(epoch, self._plan_epoch(run, epoch))
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
            index = run.data.samples.split_indices(split)
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

    def _epoch_start(self, run: TrainingRun, epoch: int) -> EpochStart:
        """The strategy's view before an epoch: the model and ordered batches of any dataset rows."""

        def batches(index: np.ndarray):
            return iterate_batches(run.data, index, self.config.optim.batch_size, run.device)

        return EpochStart(
            epoch, run.model, run.train_index, run.data.samples.split_indices("val"), run.rng, batches
        )

    def _plan_epoch(self, run: TrainingRun, epoch: int) -> EpochPlan:
        """The strategy's copies plus the user's requests, shuffled, agreed across ranks, announced."""
        self.requests.next_epoch = epoch
        automatic = run.strategy.plan_copies(EpochContext(epoch, run.train_index, self._latest, run.rng))
        requests = self._active_requests(epoch, run.data)
        self.requests.next_epoch = epoch + 1
        plan = build_plan(run.train_index, len(run.data.samples.modalities), automatic, requests, run.data.samples.modalities)
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

    def _value_epoch(self, run: TrainingRun, epoch: int) -> dict[str, float]:
        """Shapley values of every configured split, sharded across ranks and gathered; returns each
        split's imbalance figures (:func:`core.valuation.imbalance.split_imbalance`)."""
        figures: dict[str, float] = {}
        for split in self.config.valuation.splits:
            index = run.data.samples.split_indices(split)
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

    def _train_epoch(self, run: TrainingRun, index: np.ndarray, keep: np.ndarray, epoch: int) -> dict[str, float]:
        """One pass over this rank's rows (see :func:`core.training.loop.train_epoch`)."""
        return train_epoch(run, index, keep, epoch, self.config, self.dist, self.bus, self._wait_if_paused)

    def _prepare_data(self) -> PreparedData:
        """Decode into the store; under DDP every rank decodes its share of the missing files, then all
        read the whole store after a barrier. A stop request ends the build (what was stored is kept)."""
        if not self.dist.enabled:
            return prepare_dataset(self.config.data, log=self._log, stop=self._stop.is_set)
        build_store(self.config.data, (self.dist.rank, self.dist.world_size), self._log, self._stop.is_set)
        torch.distributed.barrier()
        return prepare_dataset(self.config.data, log=self._log)

    def _parallel(self, model: MultimodalModel, data: PreparedData, train_index: np.ndarray, device: torch.device) -> torch.nn.Module:
        """The model under DDP when torchrun started the run; DDP looks for parameters without a gradient
        each step (an extra pass over the graph, and a warning when there are none) only when the model's
        forward pass leaves some unreached (the fusion bias under a cosine head)."""
        if not self.dist.enabled:
            return model
        batch_size = self.config.optim.batch_size
        batch = next(iter(iterate_batches(data, train_index[:batch_size], batch_size, device)))
        unreached = unreached_parameters(model, batch.inputs)
        ids = [device.index] if device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, find_unused_parameters=bool(unreached))

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
            if request.modality not in data.samples.modalities or request.sample_index.max() >= len(data):
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

    def _save(self, run: TrainingRun, next_epoch: int, name: str) -> None:
        """Checkpoint the run; ``run.partial`` set means a stop mid-epoch, saved so a resume continues it."""
        if not self.dist.is_main:
            return
        bad = [n for n, p in run.model.named_parameters() if not bool(torch.isfinite(p.detach()).all())]
        if bad:
            raise NonFiniteLossError(
                f"epoch {next_epoch}: the model has non-finite parameters ({', '.join(bad[:3])}"
                f"{', ...' if len(bad) > 3 else ''}); not saved as {name}.pt"
            )
        path = self.run_dir / _CHECKPOINT_FILES[name]
        save_checkpoint(
            path,
            {
                **run.checkpoint(next_epoch),
                "config_toml": self.config.to_toml(),
                "latest_valuation": self._latest,
                "requests": [r.to_dict() for r in self.requests.list()],
            },
        )
        if name == "last":
            self._saved_epoch = next_epoch
        self.bus.emit(ev.CheckpointSaved(next_epoch - 1, str(path), best=name == "best"))
