"""The default small encoders: the same output in training and evaluation, and spectrogram features that
keep where in frequency a pattern lies."""

import pytest
import torch

from core.models.encoders import EncoderSpec, build_encoder


def encoder(name: str, shape: tuple[int, ...]) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_encoder(name, EncoderSpec(name.split("-")[0], shape, 16))


@pytest.mark.parametrize(
    ("name", "batch"),
    [("spec-cnn", torch.randn(4, 64, 33)), ("frame-cnn", torch.randint(0, 256, (4, 2, 3, 32, 32), dtype=torch.uint8))],
)
def test_a_sample_gets_the_same_features_in_training_and_evaluation_mode_and_in_any_batch(name, batch):
    """BatchNorm made evaluation see running averages that lag the weights, and training see the other
    samples of the batch: held-out accuracy swung from epoch to epoch although training was steady."""
    model = encoder(name, tuple(batch.shape[1:]))
    with torch.no_grad():
        for _ in range(3):  # training-mode passes update any running statistics
            trained = model.train()(batch)
        evaluated = model.eval()(batch)
        alone = model.eval()(batch[:1])
    torch.testing.assert_close(evaluated, trained)
    torch.testing.assert_close(alone, evaluated[:1])


def test_spectrogram_features_tell_the_same_pattern_at_two_frequencies_apart():
    """Globally averaged features are blind to where a pattern lies: a word's formants moved by 48 bins
    gave the very same features."""
    model = encoder("spec-cnn", (128, 65)).eval()
    low, high = torch.zeros(1, 128, 65), torch.zeros(1, 128, 65)
    low[0, 32:40, 20:40] = 1.0
    high[0, 80:88, 20:40] = 1.0
    with torch.no_grad():
        a, b = model(low), model(high)
    assert (a - b).abs().max() > 0.05 * a.abs().max()
