"""Modality kinds as registered objects: what each claims, its default encoder, and the image kind."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from core.config import DataConfig
from core.data.decode import preprocess_sample, preprocessing_params
from core.data.kinds import KINDS, PLAYERS, Kind, extension_kinds, file_kind, get_kind, kind_names
from core.data.manifest import load_manifest
from core.data.media import MediaError
from core.models.encoders import ENCODERS
from core.models.encoders.small_cnn import FlowCNN, FrameCNN
from core.models.multimodal import build_model
from tests.data.helpers import make_sample, write_manifest

EXPECTED = {
    "video": ("frame-cnn", "video", ".mp4"),
    "audio": ("spec-cnn", "audio", ".wav"),
    "vector": ("mlp", "vector", ".npy"),
    "image": ("frame-cnn", "image", ".png"),
    "flow": ("flow-cnn", "image", None),
}


def test_every_kind_is_registered_with_its_extensions_encoder_and_player():
    assert kind_names() == ("video", "audio", "vector", "image", "flow")
    for name, (encoder, player, extension) in EXPECTED.items():
        kind = get_kind(name)
        assert kind.default_encoder == encoder and encoder in ENCODERS
        assert kind.player == player and player in PLAYERS
        if extension is not None:
            assert file_kind(f"a/B{extension.upper()}") == name
    assert [e for e, k in extension_kinds().items() if k == "image"] == [".jpg", ".jpeg", ".png", ".bmp", ".webp"]
    assert not get_kind("flow").extensions and get_kind("flow").folder_parts is not None
    assert get_kind("audio").reads("video") and get_kind("flow").reads("video")
    assert not get_kind("video").reads("audio") and not get_kind("flow").reads("image")


def test_unknown_kind_and_a_doubly_claimed_extension_are_refused():
    with pytest.raises(ValueError, match=r"unknown modality kind 'text'; known: video, audio, vector, image, flow"):
        get_kind("text")
    image = get_kind("image")
    with pytest.raises(ValueError, match=r"extension\(s\) \.png already claimed"):
        KINDS.register(Kind("sketch", "", image.decode, image.params, "frame-cnn", "image", 60, extensions=(".png",)))
    with pytest.raises(ValueError, match="player must be one of"):
        KINDS.register(Kind("sketch", "", image.decode, image.params, "frame-cnn", "slideshow", 60))
    assert "sketch" not in KINDS


def _write_png(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def test_an_image_decodes_to_rgb_uint8_resized_to_the_video_size(tmp_path):
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:20, :30] = (255, 0, 0)  # top-left red
    rgb[20:, 30:] = (0, 0, 255)  # bottom-right blue
    _write_png(tmp_path / "a.png", rgb)
    config = DataConfig()
    config.video.height, config.video.width = 4, 6
    image = preprocess_sample("image", tmp_path / "a.png", config)
    assert image.dtype == np.uint8 and image.shape == (3, 4, 6)
    np.testing.assert_array_equal(image[:, 0, 0], [255, 0, 0])
    np.testing.assert_array_equal(image[:, 3, 5], [0, 0, 255])
    np.testing.assert_array_equal(image[:, 0, 5], [0, 0, 0])
    assert preprocessing_params("image", config) == {"height": 4, "width": 6}
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    with pytest.raises(MediaError, match="cannot decode the image"):
        preprocess_sample("image", tmp_path / "bad.jpg", config)


def test_the_manifest_detects_an_image_column(tmp_path):
    rows = []
    for i in range(3):
        video, _ = make_sample(tmp_path, f"s{i}", i)
        photo = f"photos/s{i}.{'jpg' if i else 'png'}"
        _write_png(tmp_path / photo, np.full((8, 8, 3), 9 * i, np.uint8))
        rows.append([f"s{i}", "a", "train", video, photo])
    write_manifest(tmp_path, ["id", "label", "split", "video", "still"], rows)
    manifest = load_manifest(tmp_path)
    assert manifest.samples.modality_kinds == {"video": "video", "still": "image"}
    assert manifest.excluded == []


def test_a_still_image_is_a_one_frame_clip_for_the_frame_encoders():
    model = build_model({"still": "image", "motion": "flow"}, {"still": (3, 8, 8), "motion": (2, 2, 8, 8)}, 3, 16)
    assert type(model.encoders["still"]) is FrameCNN and type(model.encoders["motion"]) is FlowCNN
    model.eval()
    image = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    still = model.encoders["still"]
    torch.testing.assert_close(still(image), still(image[:, None]))
    assert model.encoders["motion"].body[0][0].in_channels == 2  # the first convolution takes (u, v)


def test_flow_encoders_divide_pixels_by_the_flow_scale():
    flow_cnn = build_model({"m": "flow"}, {"m": (1, 2, 8, 8)}, 2, 4).encoders["m"]
    flow = torch.full((1, 2, 8, 8), 10.0)
    torch.testing.assert_close(flow_cnn.scale(flow), torch.full((1, 2, 8, 8), 0.5))
    resnet = build_model({"m": "flow"}, {"m": (1, 2, 8, 8)}, 2, 4, {"m": "resnet18-flow"}).encoders["m"]
    torch.testing.assert_close(resnet.scale(flow), torch.full((1, 2, 8, 8), 0.5))


def test_reading_a_manifest_imports_no_decoding_library():
    script = "import sys, core.data.manifest; print(sorted(m for m in ('cv2', 'av', 'torch') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
