"""Built-in demo data: synthetic audio-visual clips with planted per-sample modality informativeness, and
two-modality vectors where modality imbalance is real (greedy, per-sample, the MCR paper's synthetic)."""

from core.demo.folder import DemoFolderError, data_home, default_demo_dir
from core.demo.generate import ensure_demo, generate_demo
from core.demo.presets import DEFAULT_SAMPLES, DEMO_PRESETS, FIRST_LAUNCH_PRESET, default_samples

__all__ = [
    "DEFAULT_SAMPLES",
    "FIRST_LAUNCH_PRESET",
    "DEMO_PRESETS",
    "DemoFolderError",
    "data_home",
    "default_demo_dir",
    "default_samples",
    "ensure_demo",
    "generate_demo",
]
