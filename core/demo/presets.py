"""Names of the demo presets and how often each modality is clear, noisy or uninformative in them."""

from __future__ import annotations

AUDIO_VISUAL_PRESETS = ("balanced", "audio-dominant")
VECTOR_PRESET = "vectors"
PRESETS = (*AUDIO_VISUAL_PRESETS, VECTOR_PRESET)

INFO_LEVELS = ("clear", "noisy", "none")

# Share of samples at each informativeness level, per preset and modality, in INFO_LEVELS order.
INFO_MIX: dict[str, dict[str, tuple[float, float, float]]] = {
    "balanced": {"video": (0.4, 0.3, 0.3), "audio": (0.4, 0.3, 0.3)},
    "audio-dominant": {"video": (0.1, 0.4, 0.5), "audio": (0.7, 0.2, 0.1)},
}


def check_preset(preset: str) -> None:
    """Raise ``ValueError`` naming the known presets when ``preset`` is not one of them."""
    if preset not in PRESETS:
        raise ValueError(f"unknown demo preset {preset!r}; available: {', '.join(PRESETS)}")
