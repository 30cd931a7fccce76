"""Sample-level modality valuation: exact Shapley values over modality coalitions
(:mod:`~core.valuation.shapley`, :mod:`~core.valuation.valuate`), the value functions
(:mod:`~core.valuation.value_functions`), one epoch's result (:mod:`~core.valuation.result`), pair
interactions (:mod:`~core.valuation.interaction`) and values under another payoff from stored coalition
statistics (:mod:`~core.valuation.recompute`).

Each name is imported on first use (:mod:`core.exports`), so importing one module never loads the others.
"""

from typing import TYPE_CHECKING

from core.exports import lazy_exports

if TYPE_CHECKING:
    from core.valuation.interaction import modality_pairs, pair_interactions, pair_labels
    from core.valuation.recompute import revalue
    from core.valuation.result import ValuationResult, coalition_labels
    from core.valuation.value_functions import VALUE_FUNCTIONS
else:  # the checker reads the imports above; at run time each name is imported on first use
    __getattr__, __dir__, __all__ = lazy_exports(
        __name__,
        {
            "interaction": ("modality_pairs", "pair_interactions", "pair_labels"),
            "recompute": ("revalue",),
            "result": ("ValuationResult", "coalition_labels"),
            "value_functions": ("VALUE_FUNCTIONS",),
        },
    )
