"""ImageNet ResNet-18 weights (torchvision's format) for the visual ResNet-18 encoders, read from disk only.

``model.pretrained = "imagenet"`` reads torchvision's ``resnet18-f37072fd.pth`` from the torch hub
cache (``$TORCH_HOME/hub/checkpoints``, by default ``~/.cache/torch/hub/checkpoints``); any other value
is the path of such a file. Nothing is downloaded. The RGB encoder takes the weights as they are; the
two-channel flow encoder takes the first convolution averaged over RGB and repeated per channel
(cross-modality initialisation); the classifier (``fc``) is not used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import torch
from torch import nn

from core.models.encoders.resnet import ResNet18Flow, ResNet18Trunk, ResNet18Video

IMAGENET = "imagenet"
IMAGENET_FILE = "resnet18-f37072fd.pth"
IMAGENET_URL = f"https://download.pytorch.org/models/{IMAGENET_FILE}"


def weights_path(source: str) -> Path:
    """The weights file ``model.pretrained`` names (``"imagenet"``: the torch hub cache's copy)."""
    if source == IMAGENET:
        return Path(torch.hub.get_dir()) / "checkpoints" / IMAGENET_FILE
    return Path(source).expanduser()


def read_torchvision_resnet18(source: str) -> dict[str, torch.Tensor]:
    """The state dict in the file ``source`` names; a clear error when it is absent or not such a file."""
    path = weights_path(source)
    if not path.is_file():
        hint = f"download {IMAGENET_URL} and put it there" if source == IMAGENET else "check the path"
        raise FileNotFoundError(
            f"model.pretrained = {source!r}: no weights file at {path} ({hint}, or set model.pretrained "
            f"to the path of a torchvision ResNet-18 state dict)"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same one-line reason
        raise ValueError(f"model.pretrained: {path} is not a readable state dict ({exc})") from None
    if not isinstance(state, dict) or "conv1.weight" not in state:
        raise ValueError(
            f"model.pretrained: {path} is not a torchvision ResNet-18 state dict (no conv1.weight)"
        )
    return state


def trunk_state(torchvision_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """torchvision ResNet-18 parameter names → ``ResNet18Trunk`` names (``fc`` dropped)."""
    mapped = {}
    for key, value in torchvision_state.items():
        if key.startswith("fc."):
            continue
        if key.startswith(("conv1.", "bn1.")):
            layer, _, rest = key.partition(".")
            mapped[f"stem.{0 if layer == 'conv1' else 1}.{rest}"] = value
            continue
        match = re.fullmatch(r"layer([1-4])\.([01])\.(.+)", key)
        if match is None:
            raise ValueError(f"model.pretrained: unexpected parameter {key!r} for a ResNet-18")
        stage, block, rest = int(match[1]), int(match[2]), match[3]
        rest = re.sub(r"^downsample\.", "shortcut.", rest)
        mapped[f"stages.{2 * (stage - 1) + block}.{rest}"] = value
    return mapped


def load_imagenet_weights(model: nn.Module, source: str) -> list[str]:
    """Load the weights into every visual ResNet-18 encoder of ``model``; returns their modality names."""
    encoders = getattr(model, "encoders", {})
    visual = {name: enc for name, enc in encoders.items() if isinstance(enc, ResNet18Video | ResNet18Flow)}
    if not visual:
        raise ValueError(
            "model.pretrained is set but no modality uses a visual ResNet-18 encoder "
            "(resnet18-video or resnet18-flow)"
        )
    state = trunk_state(read_torchvision_resnet18(source))
    for encoder in visual.values():
        _load_trunk(encoder.trunk, state)
    return list(visual)


def _load_trunk(trunk: ResNet18Trunk, state: dict[str, torch.Tensor]) -> None:
    stem = cast(nn.Conv2d, trunk.stem[0]).weight
    if stem.shape[1] != state["stem.0.weight"].shape[1]:
        rgb = state["stem.0.weight"]
        state = {**state, "stem.0.weight": rgb.mean(dim=1, keepdim=True).repeat(1, stem.shape[1], 1, 1)}
    try:
        trunk.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ValueError(f"model.pretrained: the weights do not fit a ResNet-18 trunk ({first})") from None
