"""The modules work in a worker thread would import on first use, imported in the GUI thread beforehand.

PySide6's import hook inspects every newly imported module; doing that in a worker thread while the GUI
thread runs Python has crashed the process. So the window imports these before it starts a background
task (``app.tasks``), its own run (``app.runner``) or the valuation of a split (``app.run_actions``).
"""

from __future__ import annotations

import importlib

GUI_THREAD_IMPORTS: tuple[tuple[str, bool], ...] = (
    # (module, whether only work that runs a model needs it: those are slow to import, so a task that
    # only reads files does not wait for them)
    ("encodings.utf_8_sig", False),  # the manifest reader (utf-8 with a byte order mark)
    ("numpy.ma", False),  # h5py's string reads
    ("torch.utils.serialization", False),  # torch.load
    ("core.strategies", False),  # a grid's expansion, when an experiment is read
    ("torch._dynamo", True),  # a run's first steps and checkpoints (about 1.5 s)
    ("core.runs.restore", True),  # valuing a split: the model from its checkpoint
    ("core.runs.value", True),
)


def import_in_gui_thread(models: bool = False) -> None:
    """Import the modules any worker job needs, and with ``models`` those of running a model too (call it
    in the GUI thread; a module imported before costs nothing)."""
    for module, model_only in GUI_THREAD_IMPORTS:
        if models or not model_only:
            importlib.import_module(module)
