"""Experiments: a grid of datasets × strategies × parameter values × seeds under one protocol
(``spec``, ``grid``), run here or on SLURM (``runner``, ``slurm``), summarised over seeds with paired
differences against a baseline (``table``), and two runs compared sample by sample (``compare``)."""
