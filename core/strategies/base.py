"""What a training strategy is: loss terms per step, optional gradient handling, and the next epoch's copies.

A strategy is one small module: a parameter dataclass (defaults from its paper, each field with a
``metadata={"help": ...}``) and a :class:`Strategy` subclass registered in :data:`STRATEGIES`.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.data.batches import Batch
from core.models.multimodal import ModelOutput, MultimodalModel
from core.registry import Registry
from core.valuation.result import ValuationResult


@dataclass
class StepContext:
    """Everything a strategy may look at during one optimisation step."""

    model: MultimodalModel
    batch: Batch
    output: ModelOutput
    epoch: int
    step: int

    @property
    def fused_logits(self) -> torch.Tensor:
        """Fused logits with absent modalities (re-sampled copies) zeroed, as the model trains on them."""
        return self.output.logits


@dataclass(frozen=True)
class PlannedCopies:
    """Extra copies for the next epoch: copies[i] copies of sample_index[i] keeping only modality[i]."""

    sample_index: np.ndarray
    modality: np.ndarray
    copies: np.ndarray

    @staticmethod
    def none() -> PlannedCopies:
        empty = np.zeros(0, dtype=np.int64)
        return PlannedCopies(empty, empty.copy(), empty.copy())

    @property
    def total(self) -> int:
        return int(self.copies.sum())


@dataclass(frozen=True)
class EpochContext:
    """What a strategy sees when it plans the next epoch."""

    epoch: int
    train_index: np.ndarray
    latest_valuation: ValuationResult | None
    rng: np.random.Generator


@dataclass(frozen=True)
class EpochStart:
    """What a strategy sees before an epoch trains: the model as it stands and the data to measure it on.

    ``batches(index)`` yields batches of the given dataset rows in order, every modality kept (no copies);
    ``train_index`` / ``val_index`` are the rows of those splits (``val_index`` may be empty); ``rng`` is
    the run's generator. Every rank gets the same arguments (and the same generator state), so whatever
    the strategy measures agrees across ranks."""

    epoch: int
    model: MultimodalModel
    train_index: np.ndarray
    val_index: np.ndarray
    rng: np.random.Generator
    batches: Callable[[np.ndarray], Iterable[Batch]]


EncoderLoader = Callable[[nn.Module, str], None]
"""Loads the encoders of the checkpoint at a path into a module's ``encoders`` (the run provides it)."""


class Strategy:
    """Base strategy: plain cross-entropy on the fused output (the joint / concatenation baseline)."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    Params: ClassVar[type] = type(None)
    uses_valuation: ClassVar[bool] = False
    """True when :meth:`plan_copies` reads the latest valuation of the training split."""
    reshapes_gradients: ClassVar[bool] = False
    """True when :meth:`backward` changes gradients after autograd (or bypasses ``.backward()``); under
    DDP the engine then averages the finished gradients over ranks itself instead of letting DDP do it
    during backward, so every rank applies the same update."""

    def __init__(self, params: Any, model: MultimodalModel) -> None:
        self.params = params
        self.modalities = list(model.modalities)
        self.prepare_model(model, params)

    @classmethod
    def prepare_model(cls, model: MultimodalModel, params: Any) -> None:
        """Give ``model`` the form the strategy trains it in (default: nothing), e.g. a different head.
        Called when the strategy is created, and before a checkpoint's weights are loaded into a model
        rebuilt for valuing, so the restored model computes what the run trained."""

    def load_weights(self, load_encoders: EncoderLoader) -> None:
        """Read the weights the parameters name from checkpoint files through the run's ``load_encoders``
        (default: nothing); :func:`create_strategy` calls it when it is given a loader."""

    def extra_modules(self) -> dict[str, nn.Module]:
        """Trainable modules the strategy adds (optimised and checkpointed with the model)."""
        return {}

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        """Named loss terms; ``"loss"`` is the total that is minimised."""
        ce = F.cross_entropy(ctx.fused_logits, ctx.batch.labels)
        return {"loss": ce, "loss/ce": ce.detach()}

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        """Fill the parameters' gradients; overridden by strategies that reshape gradients."""
        terms["loss"].backward()

    def after_step(self, model: MultimodalModel, epoch: int) -> None:
        """Hook after the optimiser step (e.g. tying heads)."""

    def before_epoch(self, ctx: EpochStart) -> None:
        """Hook before each epoch trains (default: nothing), e.g. to measure class prototypes or per-head
        losses on the current model. State it keeps across epochs belongs in buffers of
        :meth:`extra_modules`, so checkpoints carry it and a resumed run continues with it."""

    def after_epoch(self, model: MultimodalModel, epoch: int) -> None:
        """Hook after the last step of ``epoch``, before evaluation and the checkpoint (e.g. closing
        per-epoch statistics kept in :meth:`extra_modules`, so a resumed run has them)."""

    def trains_unimodal_heads(self, epoch: int) -> bool:
        """Whether the strategy's loss trains the unimodal heads; when not, the engine fits them as
        linear probes on detached features, so per-modality accuracy and MI curves stay meaningful."""
        return False

    def trains_fused_head(self, epoch: int) -> bool:
        """Whether the fused prediction is trained this epoch (False during unimodal phases)."""
        return True

    def update_scales(self, epoch: int) -> dict[str, float]:
        """Multipliers of the next optimiser update per module of the model, keyed by module path (e.g.
        ``{"encoders.audio": 0.7}``); ``{}`` (the default) leaves the step as it is. PyTorch's SGD, Adam
        and AdamW make updates proportional to the learning rate, so a multiplier s is exactly a learning
        rate s·lr for that module (see :func:`scaled_updates`)."""
        return {}

    def evaluation_logits(self, model: MultimodalModel, output: ModelOutput) -> torch.Tensor:
        """The fused prediction reported on held-out splits (default: the model's fused logits). A method
        that fuses differently at test time (e.g. per-sample weights) overrides it; Shapley values and MI
        terms keep describing the model's additive head."""
        return output.logits

    def plan_copies(self, ctx: EpochContext) -> PlannedCopies:
        """Extra per-modality copies for the epoch ``ctx.epoch`` (default: none)."""
        return PlannedCopies.none()

    def valuation_subset(self, epoch: int, train_index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Which training samples to value after ``epoch`` (default: all)."""
        return train_index


@contextlib.contextmanager
def scaled_updates(model: nn.Module, scales: dict[str, float]) -> Iterator[None]:
    """Around an optimiser step: afterwards every parameter of a module named in ``scales`` has moved
    ``scale`` times as far as the step moved it (θ ← θ_before + s·(θ_after − θ_before))."""
    modules = dict(model.named_modules())
    unknown = sorted(set(scales) - set(modules))
    if unknown:
        raise ValueError(f"update scales name unknown modules {unknown}")
    chosen = [(p, s) for name, s in scales.items() if s != 1.0 for p in modules[name].parameters()]
    before = [p.detach().clone() for p, _ in chosen]
    yield
    with torch.no_grad():
        for (parameter, scale), old in zip(chosen, before, strict=True):
            parameter.copy_(old + scale * (parameter - old))


def drop_gradients(module: nn.Module) -> None:
    """Remove the module's gradients, so the optimiser skips its parameters this step (a zero gradient would
    still move them through momentum or Adam's running averages)."""
    for parameter in module.parameters():
        parameter.grad = None


STRATEGIES: Registry[type[Strategy]] = Registry("strategy")



def build_params(cls: type[Strategy], values: dict[str, Any]) -> Any:
    """Build ``cls.Params`` from a plain dict, with a clear error for unknown keys or wrong types."""
    if cls.Params is type(None):
        if values:
            raise ValueError(f"strategy {cls.name!r} takes no parameters, got {sorted(values)}")
        return None
    fields = {f.name: f for f in dataclasses.fields(cls.Params)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        from core.registry import did_you_mean

        hint = did_you_mean(unknown[0], fields) if len(unknown) == 1 else ""
        raise ValueError(
            f"strategy {cls.name!r}: unknown parameter(s) {', '.join(unknown)}{hint}; known: {', '.join(fields)}"
        )
    defaults = cls.Params()
    kwargs = {}
    for key, value in values.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise ValueError(
                f"strategy {cls.name!r}: parameter {key!r} expects {expected.__name__}, got {value!r}"
            )
        kwargs[key] = value
    return cls.Params(**kwargs)


def check_param(strategy: str, key: str, valid: bool, expected: str, value: Any) -> None:
    """Raise a clear error for a parameter value outside its domain (for ``Params.__post_init__``)."""
    if not valid:
        raise ValueError(f"strategy {strategy!r}: parameter {key!r} expects {expected}, got {value!r}")


def describe_params(cls: type[Strategy]) -> list[tuple[str, Any, str]]:
    """(name, default, help) for every parameter of a strategy."""
    if cls.Params is type(None):
        return []
    defaults = cls.Params()
    return [
        (f.name, getattr(defaults, f.name), f.metadata.get("help", ""))
        for f in dataclasses.fields(cls.Params)
    ]


def create_strategy(
    name: str, values: dict[str, Any], model: MultimodalModel, load_encoders: EncoderLoader | None = None
) -> Strategy:
    """Instantiate the registered strategy ``name`` with parameters ``values``; with ``load_encoders`` it
    also reads the weights its parameters name (see :meth:`Strategy.load_weights`)."""
    cls = STRATEGIES.get(name)
    strategy = cls(build_params(cls, values), model)
    if load_encoders is not None:
        strategy.load_weights(load_encoders)
    return strategy


def prepare_model(name: str, values: dict[str, Any], model: MultimodalModel) -> None:
    """Give ``model`` the form strategy ``name`` (parameters ``values``) trains it in, without creating it."""
    cls = STRATEGIES.get(name)
    cls.prepare_model(model, build_params(cls, values))
