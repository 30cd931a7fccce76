"""Entry point of the PyInstaller bundle: the same command line as the pip-installed ``modalens``."""

import multiprocessing
import sys

from core.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # demo generation starts worker processes
    sys.exit(main())
