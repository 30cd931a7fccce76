"""Every docked view of the window, by key, in the order their docks are added (and listed in View).

A new view is a module whose class inherits :class:`app.views.base.View`, plus one line here."""

from __future__ import annotations

from app.views.base import View
from app.views.compare import CompareView
from app.views.contribution import ContributionView
from app.views.curves import CurvesPane
from app.views.dataset_plot import DatasetPlot
from app.views.log import LogPane
from app.views.player import SamplePlayer
from app.views.resampling import ResamplingPane
from app.views.training import TrainingPanel

VIEWS: dict[str, type[View]] = {
    view.key: view
    for view in (
        TrainingPanel,
        ResamplingPane,
        SamplePlayer,
        ContributionView,
        CurvesPane,
        DatasetPlot,
        CompareView,
        LogPane,
    )
}
