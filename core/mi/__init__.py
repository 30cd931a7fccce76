"""Information-theoretic diagnostics (MI-term curves) and the estimators shared with the MCR regulariser."""

from core.mi.estimators import jensen_shannon, permutation_indices, supervised_nt_xent
from core.mi.terms import MIAccumulator, label_entropy, mi_terms

__all__ = [
    "MIAccumulator",
    "jensen_shannon",
    "label_entropy",
    "mi_terms",
    "permutation_indices",
    "supervised_nt_xent",
]
