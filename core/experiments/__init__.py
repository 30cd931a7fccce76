"""Experiments: a grid of datasets × strategies × parameter values × seeds under one protocol
(``spec``, ``grid``), run here or on SLURM (``runner``, ``slurm``), summarised over seeds with paired
differences against a baseline (``table``), and two runs compared sample by sample (``compare``).

Each name is imported on first use (:mod:`core.exports`), so importing one module never loads the others.
"""

from typing import TYPE_CHECKING

from core.exports import lazy_exports

if TYPE_CHECKING:
    from core.experiments.compare import BOTH_RIGHT, BOTH_WRONG, BROKEN, FIXED, Comparison, compare_runs, gap
    from core.experiments.experiment import stored_spec
    from core.experiments.grid import expand
    from core.experiments.outcome import read_outcome
    from core.experiments.readout import report_path, run_figures
else:  # the checker reads the imports above; at run time each name is imported on first use
    __getattr__, __dir__, __all__ = lazy_exports(
        __name__,
        {
            "compare": ("BOTH_RIGHT", "BOTH_WRONG", "BROKEN", "FIXED", "Comparison", "compare_runs", "gap"),
            "experiment": ("stored_spec",),
            "grid": ("expand",),
            "outcome": ("read_outcome",),
            "readout": ("report_path", "run_figures"),
        },
    )
