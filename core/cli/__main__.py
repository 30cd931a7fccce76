"""``python -m core.cli ...`` (and ``torchrun ... -m core.cli train ...``) is the ``modalens`` command."""

import sys

from core.cli.main import main

sys.exit(main())
