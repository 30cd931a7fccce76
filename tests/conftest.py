"""Shared test set-up: offscreen Qt, single-threaded torch, tiny synthetic datasets."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
# the store key and approved media roots live in the user's config folder: one of the tests' own
os.environ.setdefault("MODALENS_CONFIG_DIR", tempfile.mkdtemp(prefix="modalens-config-"))

import torch  # noqa: E402

torch.set_num_threads(1)
