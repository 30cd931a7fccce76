"""Built-in demo data: synthetic audio-visual clips with planted per-sample modality informativeness, and
the MCR paper's two-modality vectors."""

from core.demo.folder import DemoFolderError, default_demo_dir
from core.demo.generate import DEFAULT_SAMPLES, ensure_demo, generate_demo
from core.demo.presets import PRESETS

__all__ = [
    "DEFAULT_SAMPLES",
    "PRESETS",
    "DemoFolderError",
    "default_demo_dir",
    "ensure_demo",
    "generate_demo",
]
