"""`joint`: the concatenation baseline — cross-entropy on the fused prediction only."""

from core.strategies.base import STRATEGIES, Strategy


@STRATEGIES.register
class Joint(Strategy):
    name = "joint"
    summary = "Concatenation baseline: cross-entropy on the fused output."
