"""`mslr`: Modality-Specific Learning Rates (Yao & Mihalcea, Findings of ACL 2022; docs/methods.md#mslr).

The dynamic variant as the MCR code runs it: kkontras/MCR ``agents/general_agent/helpers/Bias_Infusion.py``,
class ``Bias_Infusion_MSLR`` (``on_epoch_begin``, ``on_backward_end``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, EpochStart, StepContext, Strategy, check_param


@dataclass(frozen=True)
class MSLRParams:
    """``keep_memory_epochs`` = 5 is the released code's default; the MCR paper's runs used 20 with initial
    scales 0.7 (audio) / 1.3 (video) on CREMA-D (``kmepoch``, ``ilr`` in its run script)."""

    keep_memory_epochs: int = field(
        default=5, metadata={"help": "K: each lr scale follows val accuracy / mean of its last K val accuracies"}
    )
    initial_scales: str = field(
        default="", metadata={"help": "initial lr scale per modality, e.g. 'audio=0.7,video=1.3' (others 1)"}
    )

    def __post_init__(self) -> None:
        check_param(
            "mslr", "keep_memory_epochs", self.keep_memory_epochs >= 1, "an integer >= 1", self.keep_memory_epochs
        )
        parse_scales(self.initial_scales)


def parse_scales(text: str) -> dict[str, float]:
    """'a=0.7,b=1.3' → {'a': 0.7, 'b': 1.3}; a clear error for anything else."""
    scales: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        try:
            scales[name.strip()] = float(value)
        except ValueError:
            check_param("mslr", "initial_scales", False, "'modality=number' items separated by commas", text)
        check_param("mslr", "initial_scales", scales[name.strip()] > 0, "scales > 0", text)
    return scales


def lr_ratios(history: np.ndarray, accuracy: np.ndarray, epoch: int, keep: int) -> np.ndarray:
    """The released rule at the start of ``epoch`` (≥ 1): ratio_m = acc_m / mean of the last ``keep`` remembered
    accuracies of m when epoch > keep, else 1 (``history`` [E, M]: the accuracies remembered so far)."""
    if epoch <= keep or len(history) == 0:
        return np.ones_like(accuracy)
    return accuracy / np.maximum(history[-keep:].mean(0), np.finfo(np.float64).tiny)


class AccuracyMemory(nn.Module):
    """Per-epoch validation accuracies of each unimodal head and the current lr ratios (buffers: a resumed
    run continues with them)."""

    accuracies: torch.Tensor
    count: torch.Tensor
    ratios: torch.Tensor

    def __init__(self, modalities: int, max_epochs: int = 4096) -> None:
        super().__init__()
        self.register_buffer("accuracies", torch.zeros(max_epochs, modalities, dtype=torch.float64))
        self.register_buffer("count", torch.zeros((), dtype=torch.int64))
        self.register_buffer("ratios", torch.ones(modalities, dtype=torch.float64))

    def history(self) -> np.ndarray:
        return self.accuracies[: int(self.count)].cpu().numpy()

    def append(self, accuracy: np.ndarray) -> None:
        index = int(self.count)
        if index >= len(self.accuracies):
            raise ValueError(f"strategy 'mslr' keeps at most {len(self.accuracies)} epochs of accuracies")
        self.accuracies[index] = torch.as_tensor(accuracy, dtype=torch.float64)
        self.count += 1


@STRATEGIES.register
class MSLR(Strategy):
    """Loss = CE(fused) only. Before every epoch e ≥ 1 the accuracy acc_m of each unimodal head on the
    validation split (the training split when there is none) is measured; ratio_m = :func:`lr_ratios`, then
    acc_m is remembered. Encoder m then learns with the rate lr · init_m · ratio_m through
    :meth:`update_scales` (exact for SGD, Adam and AdamW). The unimodal heads are the engine's linear probes
    (the method trains no unimodal loss), as in the released code whose unimodal predictions are not trained
    either. Logged: ``mslr/scale/<m>``. Any M ≥ 1 works."""

    name = "mslr"
    summary = "Modality-specific learning rates, adjusted each epoch from each modality's validation accuracy."
    Params = MSLRParams

    def __init__(self, params: MSLRParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        initial = parse_scales(params.initial_scales)
        unknown = sorted(set(initial) - set(self.modalities))
        if unknown:
            raise ValueError(
                f"strategy 'mslr': parameter 'initial_scales' names unknown modalities {unknown}; "
                f"known: {self.modalities}"
            )
        self.initial = np.array([initial.get(m, 1.0) for m in self.modalities])
        self.memory = AccuracyMemory(len(self.modalities))

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"mslr_memory": self.memory}

    def scales(self) -> np.ndarray:
        return self.initial * self.memory.ratios.cpu().numpy()

    def update_scales(self, epoch: int) -> dict[str, float]:
        return {f"encoders.{m}": float(s) for m, s in zip(self.modalities, self.scales(), strict=True)}

    @torch.no_grad()
    def before_epoch(self, ctx: EpochStart) -> None:
        if ctx.epoch < 1:
            return
        index = ctx.val_index if len(ctx.val_index) else ctx.train_index
        accuracy = unimodal_accuracies(ctx, index)
        ratios = lr_ratios(self.memory.history(), accuracy, ctx.epoch, self.params.keep_memory_epochs)
        self.memory.ratios.copy_(torch.as_tensor(ratios, dtype=torch.float64))
        self.memory.append(accuracy)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(ctx)
        for m, scale in zip(self.modalities, self.scales(), strict=True):
            terms[f"mslr/scale/{m}"] = torch.tensor(float(scale))
        return terms


def unimodal_accuracies(ctx: EpochStart, index: np.ndarray) -> np.ndarray:
    """Accuracy of every unimodal head on the given rows [M], in eval mode."""
    model = ctx.model
    was_training = model.training
    model.eval()
    correct = np.zeros(model.num_modalities)
    for batch in ctx.batches(index):
        logits = model(batch.inputs).unimodal_logits
        correct += (logits.argmax(-1) == batch.labels[:, None]).sum(0).cpu().numpy()
    model.train(was_training)
    return correct / max(len(index), 1)
