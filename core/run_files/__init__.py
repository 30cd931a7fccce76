"""What a run folder holds, below the engine that writes it: the names a run writes and the checks on a
folder (:mod:`~core.run_files.layout`), one writer per folder (:mod:`~core.run_files.lock`), a run's own
data (:mod:`~core.run_files.identity`) and the states a run passes through (:mod:`~core.run_files.state`)."""
