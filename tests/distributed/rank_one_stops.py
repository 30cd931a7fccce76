"""A `modalens train` whose rank 1 alone is asked to stop at step 2 of its first epoch, as a signal
reaching one rank before the other would (torchrun target of a test)."""

import os
import sys

from core import events as ev
from core.cli.main import main
from core.training.engine import Engine

STOP_AT_STEP = 2

if os.environ.get("RANK") == "1":
    _init = Engine.__init__

    def _init_and_stop_at_step(self, *args, **kwargs):
        _init(self, *args, **kwargs)

        def stop_here(event) -> None:
            if isinstance(event, ev.Progress) and event.epoch == 0 and event.step == STOP_AT_STEP:
                self.request_stop()

        self.bus.subscribe(stop_here)

    Engine.__init__ = _init_and_stop_at_step

sys.exit(main(sys.argv[1:]))
