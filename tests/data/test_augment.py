"""Train-time augmentation is random and seeded; evaluation and valuation get the deterministic transform."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.config import DataConfig, RunConfig
from core.data.augment import (
    CROP_RATIO,
    InputTransform,
    crop_box,
    crop_resize,
    crop_time,
    random_resized_crops,
)
from core.data.batches import iterate_batches
from core.data.samples import Samples
from core.data.tensors import PreparedData
from core.training.engine import Engine

CPU = torch.device("cpu")


def frames(batch=2, steps=3, size=12, seed=0):
    return torch.from_numpy(
        np.random.default_rng(seed).integers(0, 256, (batch, steps, 3, size, size), np.uint8)
    )


def test_crop_box_draws_valid_boxes_and_falls_back_to_a_centred_crop():
    rng = np.random.default_rng(0)
    for _ in range(200):
        top, left, h, w = crop_box(20, 30, rng)
        assert 0 <= top <= 20 - h and 0 <= left <= 30 - w and h > 0 and w > 0

    class Never:
        def uniform(self, low, high):
            return high * 10  # an area larger than the frame: every attempt misses

    assert crop_box(10, 100, Never()) == (
        0,
        (100 - round(10 * CROP_RATIO[1])) // 2,
        10,
        round(10 * CROP_RATIO[1]),
    )
    assert crop_box(10, 10, Never()) == (0, 0, 10, 10)


def test_crop_resize_is_identity_flip_and_bilinear_zoom():
    x = frames(1, 2, 8)
    full = np.array([[0, 0, 8, 8], [0, 0, 8, 8]])
    assert torch.equal(crop_resize(x, full, np.array([False, False])), x)
    assert torch.equal(crop_resize(x, full, np.array([True, False]))[0, 0], torch.flip(x[0, 0], dims=[-1]))
    box = np.array([[2, 4, 4, 4], [0, 0, 8, 8]])
    zoomed = crop_resize(x.float(), box, np.array([False, False]))[0, 0]
    expected = F.interpolate(
        x[0, 0, :, 2:6, 4:8][None].float(), size=(8, 8), mode="bilinear", align_corners=False
    )
    torch.testing.assert_close(zoomed, expected[0], atol=1e-4, rtol=0)


def test_random_resized_crops_are_random_per_frame_and_seeded():
    x = frames()
    a = random_resized_crops(x, np.random.default_rng(1))
    b = random_resized_crops(x, np.random.default_rng(1))
    c = random_resized_crops(x, np.random.default_rng(2))
    assert a.dtype == torch.uint8 and a.shape == x.shape
    assert torch.equal(a, b) and not torch.equal(a, c) and not torch.equal(a, x)


def test_time_crop_is_centred_without_a_generator_and_random_with_one():
    x = torch.arange(2 * 3 * 10, dtype=torch.float32).view(2, 3, 10)
    assert torch.equal(crop_time(x, 4, None), x[..., 3:7])
    cropped = crop_time(x, 4, np.random.default_rng(0))
    starts = set()
    for b in range(2):
        start = int(cropped[b, 0, 0] - x[b, 0, 0])
        assert torch.equal(cropped[b], x[b, :, start : start + 4])
        starts.add(start)
    many = {int(crop_time(x, 4, np.random.default_rng(s))[0, 0, 0]) for s in range(20)}
    assert len(many) > 1 and min(many) >= 0 and max(many) <= 6


def video_audio_data(augment: bool, n=12) -> PreparedData:
    rng = np.random.default_rng(0)
    config = DataConfig().with_recipe("vggsound")
    config.augment = augment
    kinds = {"video": "video", "audio": "audio"}
    config.audio.crop_s = 1.0  # 126 of the 251 time steps of 2 s
    return PreparedData(
        root=Path("."),
        samples=Samples(
            ids=np.array([f"s{i}" for i in range(n)], dtype=object),
            rows=np.arange(2, n + 2),
            labels=np.arange(n) % 2,
            class_names=["a", "b"],
            splits=np.array(["train"] * (n - 4) + ["val"] * 4, dtype=object),
            modalities=["video", "audio"],
            modality_kinds=kinds,
            media={m: np.array([""] * n, dtype=object) for m in kinds},
            metadata={},
        ),
        arrays={
            "video": rng.integers(0, 256, (n, 2, 3, 8, 8), np.uint8),
            "audio": rng.normal(size=(n, 5, 1 + 16000 * 2 // 128)).astype(np.float32),
        },
        transform=InputTransform.from_config(config, kinds),
    )


def batches(data, seed=None, first_batch=0, start=0):
    index = np.arange(len(data))[start:]
    return list(iterate_batches(data, index, 4, CPU, augment_seed=seed, first_batch=first_batch))


def test_batches_are_random_in_training_and_deterministic_otherwise():
    data = video_audio_data(augment=True)
    assert data.input_shape("audio") == (5, 1 + 16000 // 128) and data.input_shape("video") == (2, 3, 8, 8)
    plain = batches(data)
    again = batches(data)
    for a, b in zip(plain, again, strict=True):
        assert torch.equal(a.inputs["video"], b.inputs["video"]) and torch.equal(
            a.inputs["audio"], b.inputs["audio"]
        )
    assert torch.equal(plain[0].inputs["video"], torch.from_numpy(data.arrays["video"][:4]))
    trained = batches(data, (0,))
    assert not torch.equal(trained[0].inputs["video"], plain[0].inputs["video"])
    assert not torch.equal(trained[0].inputs["audio"], plain[0].inputs["audio"])
    assert trained[0].inputs["audio"].shape == plain[0].inputs["audio"].shape == (4, 5, 126)
    seeded = batches(data, (0,))
    assert all(
        torch.equal(a.inputs["video"], b.inputs["video"]) for a, b in zip(trained, seeded, strict=True)
    )
    resumed = batches(data, (0,), first_batch=1, start=4)  # from the second batch, as a resumed epoch
    assert all(
        torch.equal(a.inputs["video"], b.inputs["video"]) for a, b in zip(trained[1:], resumed, strict=True)
    )


def test_the_switch_turns_augmentation_off():
    data = video_audio_data(augment=False)
    for a, b in zip(batches(data, (0,)), batches(data), strict=True):
        assert torch.equal(a.inputs["video"], b.inputs["video"]) and torch.equal(
            a.inputs["audio"], b.inputs["audio"]
        )


def test_the_small_recipe_feeds_the_cached_arrays_unchanged():
    transform = InputTransform.from_config(RunConfig().data, {"v": "video", "a": "audio"})
    inputs = {"v": frames(), "a": torch.randn(2, 4, 9)}
    out = transform(inputs, np.random.default_rng(0))
    assert out["v"] is inputs["v"] and out["a"] is inputs["a"]


def test_the_engine_augments_training_batches_only(tmp_path, monkeypatch):
    calls = []
    original = InputTransform.__call__

    def spy(self, inputs, rng=None):
        calls.append(rng is not None)
        return original(self, inputs, rng)

    monkeypatch.setattr(InputTransform, "__call__", spy)
    data = video_audio_data(augment=True)
    config = RunConfig()
    config.optim.epochs, config.optim.batch_size = 1, 4
    config.model.feature_dim = 4
    config.runtime.device = "cpu"
    config.valuation.splits = ["train", "val"]
    outcome = Engine(config, tmp_path / "run", data=data).run()
    assert not outcome.failed
    train_steps = -(-len(data.samples.split_indices("train")) // 4)
    first = calls.index(True)  # before it: the one deterministic batch that counts the model's FLOPs
    assert calls[first : first + train_steps] == [True] * train_steps  # the training pass
    rest = calls[:first] + calls[first + train_steps :]
    assert rest and not any(rest)  # evaluation and valuation


def test_an_unknown_frame_normalisation_is_a_clear_error():
    config = dataclasses.replace(
        DataConfig(), video=dataclasses.replace(DataConfig().video, normalize="sideways")
    )
    with pytest.raises(
        ValueError, match="data.video.normalize must be one of unit, imagenet, got 'sideways'"
    ):
        InputTransform.from_config(config, {})
