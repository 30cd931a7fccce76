"""Distributed data parallel runs under torch's own launcher (torchrun): process group, sharding, gathering.

Every rank builds the same model and trains on its shard of each epoch's plan; the plan is built on
rank 0 and broadcast, valuations are sharded and gathered, and only rank 0 reports and checkpoints.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from core.valuation.result import ValuationResult


@dataclass(frozen=True)
class DistContext:
    """This process's place in the job; a single process is rank 0 of 1."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(device: torch.device) -> tuple[DistContext, torch.device]:
    """Join the process group torchrun set up (NCCL on GPUs, Gloo on CPU); no-op for a single process."""
    if not launched_by_torchrun():
        return DistContext(), device
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistContext(dist.get_rank(), dist.get_world_size(), local_rank), device


def shutdown_distributed(wait_for_all: bool) -> None:
    """Leave the process group. After a clean run every rank first waits for the others, so no rank
    tears its connections down while a peer still uses them; after a failure it leaves at once (the
    launcher ends the other ranks)."""
    if dist.is_available() and dist.is_initialized():
        if wait_for_all:
            dist.barrier()
        dist.destroy_process_group()


def broadcast(obj: Any, ctx: DistContext) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not ctx.enabled:
        return obj
    box = [obj if ctx.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def any_rank(flag: bool, ctx: DistContext, device: torch.device) -> bool:
    """Whether ``flag`` is set on any rank; every rank must ask at the same point of the run."""
    if not ctx.enabled:
        return flag
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def shard(index: np.ndarray, ctx: DistContext) -> np.ndarray:
    """This rank's share of ``index``, padded by wrapping so every rank runs the same number of steps."""
    if not ctx.enabled or len(index) == 0:
        return index
    per_rank = -(-len(index) // ctx.world_size)
    padded = np.resize(index, per_rank * ctx.world_size)
    return padded[ctx.rank :: ctx.world_size]


def digest(*arrays: np.ndarray) -> str:
    """A short fingerprint of arrays, to prove that every rank holds the same plan."""
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:12]


def all_digests(value: str, ctx: DistContext) -> list[str]:
    if not ctx.enabled:
        return [value]
    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, value)
    return out


def gather_valuation(part: ValuationResult, ctx: DistContext) -> ValuationResult:
    """Every rank's shard of a valuation joined, in sample order, each sample once (padding dropped)."""
    if not ctx.enabled:
        return part
    parts: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(parts, part)
    sample_index = np.concatenate([p.sample_index for p in parts])
    unique, first = np.unique(sample_index, return_index=True)

    def join(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])[first]

    per_sample = [  # every per-sample array of the result (sample_index aside), so none is ever missed
        f.name for f in fields(part) if f.name != "sample_index" and isinstance(getattr(part, f.name), np.ndarray)
    ]
    joined: dict[str, Any] = {name: join(name) for name in per_sample}
    return replace(part, sample_index=unique, **joined)


def average_gradients(parameters: list[torch.nn.Parameter], ctx: DistContext) -> None:
    """Average the gradients of ``parameters`` over all ranks, as DDP would (sum ÷ world size).

    For gradients DDP does not synchronise: those finished by a strategy after autograd (computed
    under ``no_sync``) and those of modules outside the DDP-wrapped model. A parameter without a
    gradient on every rank keeps none, like an unused parameter in a single process.
    """
    if not ctx.enabled:
        return
    params = [p for p in parameters if p.requires_grad]
    if not params:
        return
    device = params[0].device
    flat = torch.cat([
        (p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1).to(device, torch.float32)
        for p in params
    ])
    present = torch.tensor([float(p.grad is not None) for p in params], device=device)
    dist.all_reduce(flat)
    dist.all_reduce(present)
    offset = 0
    for parameter, count in zip(params, present.tolist(), strict=True):
        size = parameter.numel()
        if count > 0:
            parameter.grad = (flat[offset : offset + size] / ctx.world_size).view_as(parameter).to(parameter.dtype)
        offset += size


def unreached_parameters(model: torch.nn.Module, inputs: Any) -> list[str]:
    """Names of the trainable parameters that one forward pass of ``model`` on ``inputs`` does not reach
    (run in eval mode, so no running statistics change); DDP must be told to look for such parameters."""
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            output = model(inputs)
    finally:
        model.train(was_training)
    values = vars(output).values() if hasattr(output, "__dict__") else output
    tensors = [value for value in values if isinstance(value, torch.Tensor)]
    pending = [tensor.grad_fn for tensor in tensors if tensor.grad_fn is not None]
    seen: set[Any] = set()
    reached: set[int] = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)
        if variable is not None:
            reached.add(id(variable))
        pending.extend(parent for parent, _ in node.next_functions if parent is not None)
    return [name for name, p in model.named_parameters() if p.requires_grad and id(p) not in reached]
