"""A `modalens train` whose rank 1 raises in its first training epoch (torchrun target of a test)."""

import os
import sys

from core.cli.main import main
from core.training.engine import Engine


def _fail(*_args, **_kwargs):
    raise RuntimeError("rank 1 failed on purpose")


if os.environ.get("RANK") == "1":
    Engine._train_epoch = _fail

sys.exit(main(sys.argv[1:]))
