"""Docked panes of the window that are not sample views: training settings, curves, re-sampling, log."""
