"""Names of the demo presets, their default sizes, and how often each modality is clear, noisy or
uninformative in the audio-visual ones."""

from __future__ import annotations

AUDIO_VISUAL_PRESETS = ("balanced", "audio-dominant")
VECTOR_PRESET = "vectors"
GREEDY_PRESET = "greedy"
PER_SAMPLE_PRESET = "per-sample"
MCR_PRESET = "mcr-synthetic"
RATIO_PRESETS = (VECTOR_PRESET, MCR_PRESET)
"""The presets whose data follow the unique-to-shared ratio ``unique_ratio``."""
VECTOR_PRESETS = (VECTOR_PRESET, GREEDY_PRESET, PER_SAMPLE_PRESET, MCR_PRESET)
DEMO_PRESETS = (*AUDIO_VISUAL_PRESETS, *VECTOR_PRESETS)
FIRST_LAUNCH_PRESET = GREEDY_PRESET
"""The demo the window opens on first launch: joint training visibly leaves one modality under-trained."""

DEFAULT_SAMPLES = 1000
PRESET_SAMPLES = {GREEDY_PRESET: 2000, PER_SAMPLE_PRESET: 2000, MCR_PRESET: 14000}
"""Default sample counts that differ from DEFAULT_SAMPLES (mcr-synthetic: the paper's 10k/2k/2k)."""

INFO_LEVELS = ("clear", "noisy", "none")

# Share of samples at each informativeness level, per preset and modality, in INFO_LEVELS order.
INFO_MIX: dict[str, dict[str, tuple[float, float, float]]] = {
    "balanced": {"video": (0.4, 0.3, 0.3), "audio": (0.4, 0.3, 0.3)},
    "audio-dominant": {"video": (0.1, 0.4, 0.5), "audio": (0.7, 0.2, 0.1)},
}


def check_preset(preset: str) -> None:
    """Raise ``ValueError`` naming the known presets when ``preset`` is not one of them."""
    if preset not in DEMO_PRESETS:
        raise ValueError(f"unknown demo preset {preset!r}; available: {', '.join(DEMO_PRESETS)}")


def default_samples(preset: str) -> int:
    """How many samples ``preset`` writes when no count is given."""
    return PRESET_SAMPLES.get(preset, DEFAULT_SAMPLES)
