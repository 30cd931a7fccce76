"""Shared test set-up: offscreen Qt, single-threaded torch, tiny synthetic datasets."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")

import torch  # noqa: E402

torch.set_num_threads(1)
