"""Runs as the command line, the window and a grid all use them, without Qt.

Two floors, so the training engine can use the lower one:

- below the engine: :mod:`~core.runs.layout` (the names a run writes, checks on a folder),
  :mod:`~core.runs.lock` (one writer per folder), :mod:`~core.runs.identity` (a run's own data),
  :mod:`~core.runs.settings` (valuation settings from a config), :mod:`~core.runs.state` (run states);
- above the engine and the report: :mod:`~core.runs.folder` (:class:`RunFolder`),
  :mod:`~core.runs.restore` (a run read back from a checkpoint), :mod:`~core.runs.start` (``start_run``)
  and :mod:`~core.runs.value` (``value_split``).

Nothing is imported here, so importing a lower module never loads the engine.
"""
