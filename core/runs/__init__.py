"""Runs as the command line, the window and a grid all use them, without Qt: :mod:`~core.runs.folder`
(:class:`RunFolder`), :mod:`~core.runs.restore` (a run read back from a checkpoint), :mod:`~core.runs.start`
(``start_run``) and :mod:`~core.runs.value` (``value_split``). What a run folder holds lives one floor
below the engine, in :mod:`core.run_files`.

Nothing is imported here, so importing one module never loads the others.
"""
