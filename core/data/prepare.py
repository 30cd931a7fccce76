"""From a dataset folder to ``PreparedData``: check the manifest, decode and preprocess every media file
into the on-disk store (in a pool of processes), and leave out (with a reason) every sample whose media
cannot be used. The samples stay on disk: ``PreparedData.arrays`` reads them by row (see
``core.data.store``)."""

from __future__ import annotations

import itertools
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

import numpy as np
import torch

from core.config import DataConfig
from core.data.augment import InputTransform
from core.data.decode import preprocess_sample, preprocessing_params
from core.data.decode_pool import DecodePool
from core.data.kinds.base import Window
from core.data.manifest import Manifest, ManifestError, load_manifest
from core.data.media import MediaError
from core.data.samples import Exclusion
from core.data.store import (
    Entry,
    FileKey,
    StoredRows,
    TensorStore,
    append_one,
    cache_folder,
    is_symlink,
    store_folder,
)
from core.data.tensors import PreparedData, SampleRows

MIN_FILES_PER_WORKER = 16
"""A pool gets at most one process per this many files to decode (starting a process costs ~1 s)."""
PROGRESS_INTERVAL_S = 5.0
FIRST_ESTIMATE_FILES_PER_WORKER = 2
"""The first "about … left" comes once each worker has decoded this many files, then every PROGRESS_INTERVAL_S."""
WORKER_TIMEOUT_S = 300.0
"""A decoding worker that spends longer than this on one file (stopped, stuck) is killed and replaced."""
NONFINITE = "the decoded tensor holds NaN or infinite values"


@dataclass(frozen=True, slots=True)
class _Job:
    """One media file to decode: its store ``key`` (path, with the window when there is one)."""

    kind: str
    key: FileKey
    relative: str
    window: Window | None


class BuildStopped(RuntimeError):
    """The build was asked to stop; what it stored is kept and the next build decodes only the rest."""


def build_store(
    config: DataConfig,
    share: tuple[int, int],
    log: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> None:
    """Decode into the store the files it lacks among this process's ``share = (rank, ranks)`` of the
    dataset's files: every ``ranks``-th one from ``rank`` on. Torchrun ranks each build their share, then
    after a barrier ``prepare_dataset`` reads the whole store."""
    _prepare(config, None, log, stop, share)


def prepare_dataset(
    config: DataConfig,
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> PreparedData:
    """Load, check and preprocess the dataset at ``config.path``.

    Keeps the modalities named in ``config.modalities`` (all when empty; an unknown name raises
    ``ValueError`` listing the available ones). Files not in the store yet are decoded by
    ``config.workers`` processes (0: one per available core) and appended to it; an interrupted build
    keeps what it stored and the next call decodes only the rest. ``progress(done, total)`` is called
    after each decoded file, ``log`` receives one-line messages (with files/s and the time left while
    decoding); ``stop()`` returning True ends the build with :class:`BuildStopped`. Samples with a
    manifest problem, a file that fails to decode (or decodes to NaN/inf) or an array whose shape differs
    from the rest of its modality are left out and listed in ``excluded`` (manifest problems first). Raises ``ManifestError`` when the manifest is unusable or no sample is left,
    ``WriteError`` when the store cannot be written (e.g. the disk is full).
    """
    data = _prepare(config, progress, log, stop, None)
    assert data is not None
    return data


def _prepare(
    config: DataConfig,
    progress: Callable[[int, int], None] | None,
    log: Callable[[str], None] | None,
    stop: Callable[[], bool] | None,
    share: tuple[int, int] | None,
) -> PreparedData | None:
    """Build the store (only ``share`` of it when given, then return None), then describe the data."""
    say = log or (lambda message: None)
    if not config.path:
        raise ValueError("data.path is empty: set it to a dataset folder holding manifest.csv")
    if config.workers < 0:
        raise ValueError(f"data.workers must be 0 (one per core) or a number of processes, got {config.workers}")
    manifest = load_manifest(config.path, config.modalities)
    root = manifest.root
    if share is None:  # (a rank building its share describes the data once, when it prepares it all)
        say(
            f"{root}: {len(manifest)} usable row(s), {_rows(manifest.excluded)} left out for manifest problems; "
            f"modalities {', '.join(f'{m} ({manifest.samples.modality_kinds[m]})' for m in manifest.samples.modalities)}"
        )

    transform = InputTransform.from_config(config, manifest.samples.modality_kinds)
    windows = _windows(manifest, config.window_columns, say)
    kinds = sorted(set(manifest.samples.modality_kinds.values()))
    params = {kind: preprocessing_params(kind, config) for kind in kinds}
    cache = _ready_cache_folder(root, config.cache_dir, say, [store_folder(Path(), k, params[k]).name for k in kinds])
    folders = {kind: store_folder(cache, kind, params[kind]) for kind in kinds}
    cells: dict[str, list[_Job | str]] = {}
    problems: dict[int, list[Exclusion]] = {}
    counts: Counter[str] = Counter()
    stores = {kind: TensorStore(folder, say) for kind, folder in folders.items()}
    try:
        every: dict[tuple[str, FileKey], _Job] = {}  # each file once, in manifest order
        for modality in manifest.samples.modalities:
            kind = manifest.samples.modality_kinds[modality]
            cells[modality] = [
                _job(root, kind, str(manifest.samples.media[modality][i]), windows[i]) for i in range(len(manifest))
            ]
            for cell in cells[modality]:
                if isinstance(cell, _Job):
                    every.setdefault((kind, cell.key), cell)
                    counts["cached"] += stores[kind].lookup(cell.key) is not None
        # A share is cut from the manifest's files, not from what is missing (which other ranks change).
        rank, ranks = share or (0, 1)
        todo = [
            job for number, job in enumerate(every.values())
            if number % ranks == rank and stores[job.kind].lookup(job.key) is None
        ]
        lost: dict[tuple[str, FileKey], str] = {}
        _build(todo, stores, config, root, counts, say, progress, stop, ranks, lost)
        if share is not None:
            return None
        entries: dict[str, list[Entry | None]] = {}
        for modality in manifest.samples.modalities:
            store = stores[manifest.samples.modality_kinds[modality]]
            entries[modality] = []
            for row, cell in enumerate(cells[modality]):
                entry = None if isinstance(cell, str) else store.lookup(cell.key)
                failure: str | None
                if isinstance(cell, str) or entry is None:
                    failure = cell if isinstance(cell, str) else lost[(cell.kind, cell.key)]
                else:
                    failure = entry.failure
                if failure is not None:
                    entry = None
                    problems.setdefault(row, []).append(_exclusion(manifest, row, modality, failure))
                entries[modality].append(entry)
    finally:
        for store in stores.values():
            store.close()
    say(
        f"media: {counts['decoded']} file(s) decoded, {counts['cached']} from the cache, "
        f"{counts['failed']} failed"
    )

    for modality in manifest.samples.modalities:
        _exclude_odd_shapes(manifest, modality, entries[modality], problems)
    keep = [i for i in range(len(manifest)) if i not in problems]
    decode_problems = [p for i in sorted(problems) for p in problems[i]]
    excluded = manifest.excluded + decode_problems
    if not keep:
        raise ManifestError(f"{root}: no usable sample left after decoding", [str(p) for p in excluded])
    if decode_problems:
        say(f"{len(manifest) - len(keep)} more sample(s) left out after decoding")

    samples = manifest.samples.take(np.array(keep, dtype=np.int64))
    kept_windows = [windows[i] for i in keep] if config.window_columns else None
    arrays: dict[str, SampleRows] = {}
    for modality in manifest.samples.modalities:
        kind = manifest.samples.modality_kinds[modality]
        files = samples.media[modality]
        arrays[modality] = StoredRows(
            folders[kind],
            cast(list[Entry], [entries[modality][i] for i in keep]),  # the kept rows have an entry each
            samples.ids,
            files,
            repair=_Redecode(kind, root, config, folders[kind], files, kept_windows),
            log=say,
        )
    return PreparedData(
        root=root,
        samples=samples,
        arrays=arrays,
        excluded=excluded,
        transform=transform,
    )


def available_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class _Redecode:
    """Decodes a row's file again when its stored entry is damaged, and appends the fresh array."""

    kind: str
    root: Path
    config: DataConfig
    folder: Path
    files: np.ndarray
    windows: list[Window | str | None] | None

    def __call__(self, row: int) -> np.ndarray:
        relative = str(self.files[row])
        job = _job(self.root, self.kind, relative, None if self.windows is None else self.windows[row])
        if isinstance(job, str):
            raise MediaError(self.root / relative, job)
        _, array, failure = _decode(job, self.config, self.root)
        if array is None:
            raise MediaError(self.root / relative, failure or "the decoder gave no array")
        append_one(self.folder, job.key, array)
        return array


def _build(
    jobs: list[_Job],
    stores: dict[str, TensorStore],
    config: DataConfig,
    root: Path,
    counts: Counter[str],
    say: Callable[[str], None],
    progress: Callable[[int, int], None] | None,
    stop: Callable[[], bool] | None,
    ranks: int,
    lost: dict[tuple[str, FileKey], str],
) -> None:
    """Decode ``jobs`` (in a pool when there are enough of them) and append each result as it comes;
    the cores are split between ``ranks`` processes building at once. Files whose decoder hung or died
    twice go to ``lost`` (not stored: the next build tries them again). The pool holds at most two files
    per worker in flight, so results never pile up while the store writer falls behind."""
    if not jobs:
        return
    jobs = [j for j in jobs if j.kind == "vector"] + [j for j in jobs if j.kind != "vector"]
    light = sum(j.kind == "vector" for j in jobs)  # loading a .npy costs less than sending it back
    workers = config.workers or max(1, available_cores() // ranks)
    workers = min(workers, max(1, (len(jobs) - light) // MIN_FILES_PER_WORKER))
    say(f"decoding {len(jobs)} file(s) with {workers} process(es)")
    started = last_report = time.monotonic()
    results: Iterable[tuple[int, tuple[np.ndarray | None, str | None] | None, str | None]]
    results = _in_process(jobs, config, root)
    if workers > 1:
        pool = DecodePool(partial(_decode_one, config=config, root=root), workers, timeout_s=WORKER_TIMEOUT_S,
                          initializer=_start_worker)
        pooled = ((light + n, result, lost) for n, result, lost in pool.run(jobs[light:], stop))
        results = itertools.chain(itertools.islice(results, light), pooled)
    if progress:
        progress(0, len(jobs))
    done = 0
    first_estimate = min(len(jobs), FIRST_ESTIMATE_FILES_PER_WORKER * workers)  # a time left at once
    for done, (number, result, problem) in enumerate(results, start=1):
        job = jobs[number]
        array, failure = result or (None, problem)
        if problem is not None:  # the decoder hung or died: left out of this run, tried again by the next
            lost[(job.kind, job.key)] = problem
            counts["failed"] += 1
        elif array is not None:
            stores[job.kind].append(job.key, array)
            counts["decoded"] += 1
        else:
            stores[job.kind].append_failure(job.key, failure or "the decoder gave no array")
            counts["failed"] += 1
        if progress:
            progress(done, len(jobs))
        now = time.monotonic()
        if now - last_report >= PROGRESS_INTERVAL_S or done in (first_estimate, len(jobs)):
            last_report = now
            rate = done / max(now - started, 1e-9)
            say(f"decoded {done}/{len(jobs)} file(s), {rate:.1f} files/s, "
                f"about {_duration((len(jobs) - done) / rate)} left")
        if stop is not None and stop() and done < len(jobs):
            break
    if done < len(jobs):
        raise BuildStopped(
            f"stopped while decoding media: {done} of {len(jobs)} file(s) stored, the next run decodes "
            "only the rest"
        )


def _in_process(
    jobs: list[_Job], config: DataConfig, root: Path
) -> Iterator[tuple[int, tuple[np.ndarray | None, str | None], None]]:
    for number, job in enumerate(jobs):
        yield number, _decode_one(job, config, root), None


def _start_worker() -> None:
    """One thread per worker (the pool is the parallelism), and Ctrl-C left to the parent: it reaches
    the whole process group, and the parent alone decides to stop (and ends the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(1)


def _decode_one(job: _Job, config: DataConfig, root: Path) -> tuple[np.ndarray | None, str | None]:
    _, array, failure = _decode(job, config, root)
    return array, failure


def _decode(job: _Job, config: DataConfig, root: Path) -> tuple[_Job, np.ndarray | None, str | None]:
    """The preprocessed array of one file, or the reason it cannot be used."""
    try:
        if job.window is None or job.kind == "vector":
            array = preprocess_sample(job.kind, root / job.relative, config)
        else:
            array = preprocess_sample(job.kind, root / job.relative, config, job.window)
    except MediaError as exc:
        return job, None, exc.reason
    array = np.ascontiguousarray(array)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return job, None, NONFINITE
    return job, array, None


def _job(root: Path, kind: str, relative: str, window: Window | str | None) -> _Job | str:
    """What to look up (or decode) for one cell, or the reason it cannot be used."""
    if isinstance(window, str):
        return window
    try:
        key = FileKey.of(root, relative)
    except OSError as exc:
        return f"file {relative!r} is unreadable ({exc.strerror or exc})"
    if window is None or kind == "vector":
        return _Job(kind, key, relative, None)
    windowed = FileKey(f"{relative}@{window[0]:g}-{window[1]:g}", key.size, key.mtime_ns, key.digest)
    return _Job(kind, windowed, relative, window)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


REPEATS_SHOWN = 3
"""Rows named per repeated problem (same column, file and reason) in ``format_exclusions``."""


def format_exclusions(excluded: Iterable[Exclusion]) -> str:
    """A readable report: a summary line, then one line per problem in row order; a problem repeated on
    many rows (the same column, file and reason) is one line with its count and first rows."""
    items = sorted(excluded, key=lambda e: e.row)
    if not items:
        return "no problems: every sample is used"
    groups: dict[tuple[str, str, str], list[Exclusion]] = {}
    for item in items:
        groups.setdefault((item.column, item.file, item.reason), []).append(item)
    lines = [f"{len(items)} problem(s), {_rows(items)} sample(s) left out:"]
    for (column, file, reason), group in groups.items():
        if len(group) == 1:
            lines.append(f"  {group[0]}")
            continue
        rows = ", ".join(str(e.row) for e in group[:REPEATS_SHOWN]) + (", ..." if len(group) > REPEATS_SHOWN else "")
        what = f"column {column!r}" + (f" ({file})" if file else "")
        lines.append(f"  {len(group)} rows ({rows}), {what}: {reason}")
    return "\n".join(lines)


def _rows(excluded: Iterable[Exclusion]) -> int:
    """How many samples the problems leave out (a sample can have several)."""
    return len({e.row for e in excluded})


def _ready_cache_folder(root: Path, cache_dir: str, say: Callable[[str], None], stores: list[str]) -> Path:
    """The dataset's cache folder; a temporary folder (used by this run only) when it cannot be created,
    or when it or one of its ``stores`` folders is a symbolic link (never followed: it could send the
    store's writes anywhere)."""
    folder = cache_folder(root, cache_dir)
    linked = [f for f in (folder, *(folder / name for name in stores)) if is_symlink(f)]
    try:
        if linked:
            raise OSError(f"{linked[0]} is a symbolic link, which ModaLens never follows; delete it to cache again")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        temporary = Path(tempfile.mkdtemp(prefix="modalens-store-"))
        say(f"warning: cannot use the cache folder {folder} ({exc}); the samples are stored in {temporary} "
            "for this run only")
        return temporary
    return folder


def _windows(manifest: Manifest, columns: list[str], say: Callable[[str], None]) -> list[Window | str | None]:
    """Per row: the (start, end) seconds in ``columns``, a reason when they are not a window, or None (both
    empty, or no such columns: the whole clip)."""
    if not columns:
        return [None] * len(manifest)
    if len(columns) != 2:
        raise ValueError(f"data.window_columns must name two columns (start, end), got {columns}")
    missing = [c for c in columns if c not in manifest.samples.metadata]
    if missing:
        say(f"no column {', '.join(missing)} in the manifest: every clip is used whole")
        return [None] * len(manifest)
    windows: list[Window | str | None] = []
    for start, end in zip(*(manifest.samples.metadata[c] for c in columns)):
        if not str(start).strip() and not str(end).strip():
            windows.append(None)
            continue
        try:
            window = (float(start), float(end))
        except (TypeError, ValueError):
            window = None
        if window is None or not 0 <= window[0] < window[1]:
            windows.append(
                f"{columns[0]}/{columns[1]} {start!r}/{end!r} is not a window: expected seconds, start < end"
            )
        else:
            windows.append(window)
    return windows


def _exclude_odd_shapes(
    manifest: Manifest, modality: str, arrays: list[Entry | None], problems: dict[int, list[Exclusion]]
) -> None:
    shapes = Counter(a.shape for a in arrays if a is not None)
    if len(shapes) <= 1:
        return
    expected = shapes.most_common(1)[0][0]
    vector = manifest.samples.modality_kinds[modality] == "vector"
    for index, array in enumerate(arrays):
        if array is None or array.shape == expected:
            continue
        if vector:
            reason = f"vector has length {array.shape[0]}, expected {expected[0]} (the most common length)"
        else:
            reason = f"array shape {array.shape} differs from {expected} (the most common shape)"
        problems.setdefault(index, []).append(_exclusion(manifest, index, modality, reason))


def _exclusion(manifest: Manifest, index: int, modality: str, reason: str | None) -> Exclusion:
    return Exclusion(
        row=int(manifest.samples.rows[index]),
        sample_id=str(manifest.samples.ids[index]),
        column=modality,
        file=str(manifest.samples.media[modality][index]),
        reason=reason or "unknown failure",
    )
