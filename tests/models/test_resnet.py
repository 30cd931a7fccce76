"""ResNet-18 encoders: the references' input layouts, and torchvision ImageNet weights loaded from disk."""

from pathlib import Path

import numpy as np
import pytest
import torch

from core.config import RunConfig
from core.data.samples import Samples
from core.data.tensors import PreparedData
from core.models.encoders import EncoderSpec, build_encoder
from core.models.encoders.pretrained import IMAGENET_FILE, load_imagenet_weights
from core.models.multimodal import build_model
from core.training.checkpoint import load_checkpoint
from core.training.engine import Engine

RESNETS = {"audio": "resnet18-audio", "video": "resnet18-video"}


def torchvision_resnet18_state(seed=0) -> dict[str, torch.Tensor]:
    """Random tensors under torchvision's ResNet-18 parameter names and shapes (written out by hand)."""
    g = torch.Generator().manual_seed(seed)
    state = {}

    def conv(name, out_ch, in_ch, k):
        state[f"{name}.weight"] = torch.randn(out_ch, in_ch, k, k, generator=g)

    def bn(name, ch):
        state[f"{name}.weight"] = torch.randn(ch, generator=g)
        state[f"{name}.bias"] = torch.randn(ch, generator=g)
        state[f"{name}.running_mean"] = torch.randn(ch, generator=g)
        state[f"{name}.running_var"] = torch.rand(ch, generator=g) + 0.5
        state[f"{name}.num_batches_tracked"] = torch.tensor(7)

    conv("conv1", 64, 3, 7)
    bn("bn1", 64)
    in_ch = 64
    for layer, width in enumerate((64, 128, 256, 512), start=1):
        for block in (0, 1):
            prefix = f"layer{layer}.{block}"
            conv(f"{prefix}.conv1", width, in_ch if block == 0 else width, 3)
            bn(f"{prefix}.bn1", width)
            conv(f"{prefix}.conv2", width, width, 3)
            bn(f"{prefix}.bn2", width)
            if block == 0 and layer > 1:
                conv(f"{prefix}.downsample.0", width, in_ch, 1)
                bn(f"{prefix}.downsample.1", width)
        in_ch = width
    state["fc.weight"] = torch.randn(1000, 512, generator=g)
    state["fc.bias"] = torch.randn(1000, generator=g)
    return state


def av_model(video_encoder="resnet18-video"):
    return build_model(
        {"audio": "audio", "video": "video"},
        {"audio": (16, 20), "video": (2, 3, 16, 16)},
        num_classes=3,
        feature_dim=512,
        kind_encoders={"audio": "resnet18-audio", "video": video_encoder},
    )


def test_encoders_take_the_references_layouts():
    audio = build_encoder("resnet18-audio", EncoderSpec("audio", (16, 20), 512)).eval()
    assert isinstance(audio.proj, torch.nn.Identity) and audio(torch.randn(2, 16, 20)).shape == (2, 512)
    assert build_encoder("resnet18-audio", EncoderSpec("audio", (16, 20), 8))(
        torch.randn(2, 16, 20)
    ).shape == (2, 8)
    video = build_encoder("resnet18-video", EncoderSpec("video", (3, 3, 16, 16), 512, "imagenet")).eval()
    assert video.trunk.stem[0].in_channels == 3 and audio.trunk.stem[0].in_channels == 1
    clips = torch.randint(0, 256, (2, 3, 3, 16, 16), dtype=torch.uint8)
    with torch.no_grad():
        per_frame = torch.stack([video(clips[:, t : t + 1]) for t in range(3)], dim=1)
        torch.testing.assert_close(
            video(clips), per_frame.mean(dim=1)
        )  # frames folded in, averaged over time
    flow = build_encoder("resnet18-flow", EncoderSpec("video", (3, 2, 16, 16), 512))
    assert flow.trunk.stem[0].in_channels == 2
    assert flow(torch.randint(0, 256, (2, 3, 2, 16, 16), dtype=torch.uint8)).shape == (2, 512)


def test_a_saved_state_dict_becomes_the_visual_encoders_weights(tmp_path):
    state = torchvision_resnet18_state()
    path = tmp_path / "weights.pth"
    torch.save(state, path)
    model = av_model()
    audio_before = {k: v.clone() for k, v in model.encoders["audio"].state_dict().items()}
    assert load_imagenet_weights(model, str(path)) == ["video"]
    trunk = model.encoders["video"].trunk
    assert torch.equal(trunk.stem[0].weight, state["conv1.weight"])
    assert torch.equal(trunk.stem[1].running_var, state["bn1.running_var"])
    assert torch.equal(trunk.stages[2].conv1.weight, state["layer2.0.conv1.weight"])
    assert torch.equal(trunk.stages[3].bn2.bias, state["layer2.1.bn2.bias"])
    assert torch.equal(trunk.stages[6].shortcut[1].running_mean, state["layer4.0.downsample.1.running_mean"])
    assert torch.equal(trunk.stages[7].conv2.weight, state["layer4.1.conv2.weight"])
    for key, value in model.encoders["audio"].state_dict().items():
        assert torch.equal(value, audio_before[key])


def test_the_flow_stem_gets_the_rgb_filters_averaged(tmp_path):
    state = torchvision_resnet18_state(seed=1)
    torch.save(state, tmp_path / "w.pth")
    model = av_model("resnet18-flow")
    load_imagenet_weights(model, str(tmp_path / "w.pth"))
    stem = model.encoders["video"].trunk.stem[0].weight
    mean = state["conv1.weight"].mean(dim=1, keepdim=True)
    assert stem.shape == (64, 2, 7, 7) and torch.equal(stem, mean.repeat(1, 2, 1, 1))


def test_imagenet_reads_the_torch_hub_cache_and_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "_hub_dir", None, raising=False)
    expected = tmp_path / "hub" / "checkpoints" / IMAGENET_FILE
    with pytest.raises(FileNotFoundError, match=f"no weights file at {expected}.*download https://"):
        load_imagenet_weights(av_model(), "imagenet")
    expected.parent.mkdir(parents=True)
    state = torchvision_resnet18_state(seed=2)
    torch.save(state, expected)
    model = av_model()
    load_imagenet_weights(model, "imagenet")
    assert torch.equal(model.encoders["video"].trunk.stem[0].weight, state["conv1.weight"])


def test_pretrained_errors_are_one_clear_line(tmp_path):
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="is not a readable state dict"):
        load_imagenet_weights(av_model(), str(tmp_path / "junk.pth"))
    torch.save({"weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="not a torchvision ResNet-18 state dict"):
        load_imagenet_weights(av_model(), str(tmp_path / "other.pth"))
    spectra_only = build_model({"a": "audio"}, {"a": (16, 20)}, 2, 8, kind_encoders=RESNETS)
    with pytest.raises(ValueError, match="no modality uses a visual ResNet-18 encoder"):
        load_imagenet_weights(spectra_only, str(tmp_path / "other.pth"))


def test_a_run_with_model_pretrained_starts_from_the_file(tmp_path):
    state = torchvision_resnet18_state(seed=3)
    torch.save(state, tmp_path / "w.pth")
    n = 6
    data = PreparedData(
        root=Path("."),
        samples=Samples(
            ids=np.array([f"s{i}" for i in range(n)], dtype=object),
            rows=np.arange(2, n + 2),
            labels=np.arange(n) % 2,
            class_names=["a", "b"],
            splits=np.array(["train"] * n, dtype=object),
            modalities=["video"],
            modality_kinds={"video": "video"},
            media={"video": np.array([""] * n, dtype=object)},
            metadata={},
        ),
        arrays={"video": np.random.default_rng(0).integers(0, 256, (n, 1, 3, 16, 16), np.uint8)},
    )
    config = RunConfig()
    config.model.kind_encoders = {"video": "resnet18-video"}
    config.model.pretrained = str(tmp_path / "w.pth")
    config.optim.optimizer, config.optim.lr, config.optim.weight_decay = "sgd", 0.0, 0.0
    config.optim.epochs, config.optim.batch_size = 1, 3
    config.runtime.device = "cpu"
    outcome = Engine(config, tmp_path / "run", data=data).run()
    assert not outcome.failed
    saved = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["model"]
    assert torch.equal(saved["encoders.video.trunk.stem.0.weight"], state["conv1.weight"])


def test_kind_encoders_apply_per_kind_and_reject_unknown_kinds():
    model = build_model(
        {"a": "audio", "b": "audio"}, {"a": (16, 20), "b": (16, 20)}, 2, 8, {"b": "spec-cnn"}, RESNETS
    )
    assert type(model.encoders["a"]).__name__ == "ResNet18Audio"
    assert type(model.encoders["b"]).__name__ == "SpectrogramCNN"
    with pytest.raises(ValueError, match=r"model.kind_encoders names unknown kinds \['vidoe'\]"):
        build_model({"a": "audio"}, {"a": (16, 20)}, 2, 8, kind_encoders={"vidoe": "resnet18-video"})
