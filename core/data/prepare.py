"""From a dataset folder to ``PreparedData``: check the manifest, decode and preprocess every sample
through the cache, and leave out (with a reason) every sample whose media cannot be used."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from core.config import DataConfig
from core.data.augment import InputTransform
from core.data.cache import CachedResult, FileKey, MediaCache, cache_folder
from core.data.manifest import Manifest, ManifestError, load_manifest
from core.data.media import MediaError
from core.data.prepared import Exclusion, PreparedData
from core.data.preprocess import Window, preprocess_sample, preprocessing_params


def prepare_dataset(
    config: DataConfig,
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> PreparedData:
    """Load, check and preprocess the dataset at ``config.path``.

    Keeps the modalities named in ``config.modalities`` (all when empty; an unknown name raises
    ``ValueError`` listing the available ones). ``progress(done, total)`` is called after each sample,
    ``log`` receives one-line messages. Samples with a manifest problem, a file that fails to decode or
    an array whose shape differs from the rest of its modality are left out and listed in ``excluded``
    (manifest problems first). Raises ``ManifestError`` when the manifest is unusable or no sample is left.
    """
    say = log or (lambda message: None)
    if not config.path:
        raise ValueError("data.path is empty: set it to a dataset folder holding manifest.csv")
    manifest = load_manifest(config.path, config.modalities)
    root = manifest.root
    say(
        f"{root}: {len(manifest)} usable row(s), {_rows(manifest.excluded)} left out for manifest problems; "
        f"modalities {', '.join(f'{m} ({manifest.modality_kinds[m]})' for m in manifest.modalities)}"
    )

    transform = InputTransform.from_config(config, manifest.modality_kinds)
    windows = _windows(manifest, config.window_columns, say)
    folder = _ready_cache_folder(root, config.cache_dir, say)
    kinds = sorted(set(manifest.modality_kinds.values()))
    caches = {kind: MediaCache(folder, kind, preprocessing_params(kind, config), say) for kind in kinds}
    outputs: dict[str, list[np.ndarray | None]] = {m: [None] * len(manifest) for m in manifest.modalities}
    problems: dict[int, list[Exclusion]] = {}
    counts: Counter[str] = Counter()
    try:
        if progress:
            progress(0, len(manifest))
        for index in range(len(manifest)):
            for modality in manifest.modalities:
                kind = manifest.modality_kinds[modality]
                relative = str(manifest.media[modality][index])
                result = _load(caches[kind], root, relative, kind, config, counts, windows[index])
                if result.array is not None:
                    outputs[modality][index] = result.array
                else:
                    problems.setdefault(index, []).append(
                        _exclusion(manifest, index, modality, result.failure)
                    )
            for cache in caches.values():
                cache.flush_if_due()
            if progress:
                progress(index + 1, len(manifest))
    finally:
        for cache in caches.values():
            cache.close()
    say(
        f"media: {counts['decoded']} file(s) decoded, {counts['cached']} from the cache, "
        f"{counts['failed']} failed"
    )

    for modality in manifest.modalities:
        _exclude_odd_shapes(manifest, modality, outputs[modality], problems)
    keep = [i for i in range(len(manifest)) if i not in problems]
    decode_problems = [p for i in sorted(problems) for p in problems[i]]
    excluded = manifest.excluded + decode_problems
    if not keep:
        raise ManifestError(f"{root}: no usable sample left after decoding", [str(p) for p in excluded])
    if decode_problems:
        say(f"{len(manifest) - len(keep)} more sample(s) left out after decoding")

    index = np.array(keep, dtype=np.int64)
    return PreparedData(
        root=root,
        ids=manifest.ids[index],
        rows=manifest.rows[index],
        labels=manifest.labels[index],
        class_names=list(manifest.class_names),
        splits=manifest.splits[index],
        modalities=list(manifest.modalities),
        modality_kinds=dict(manifest.modality_kinds),
        media={m: paths[index] for m, paths in manifest.media.items()},
        metadata={c: values[index] for c, values in manifest.metadata.items()},
        arrays={m: np.stack([outputs[m][i] for i in keep]) for m in manifest.modalities},
        excluded=excluded,
        transform=transform,
    )


def format_exclusions(excluded: Iterable[Exclusion]) -> str:
    """A readable report: a summary line, then one line per problem in row order."""
    items = sorted(excluded, key=lambda e: e.row)
    if not items:
        return "no problems: every sample is used"
    lines = [f"{len(items)} problem(s), {_rows(items)} sample(s) left out:"]
    lines += [f"  {item}" for item in items]
    return "\n".join(lines)


def _rows(excluded: Iterable[Exclusion]) -> int:
    """How many samples the problems leave out (a sample can have several)."""
    return len({e.row for e in excluded})


def _ready_cache_folder(root: Path, cache_dir: str, say: Callable[[str], None]) -> Path | None:
    folder = cache_folder(root, cache_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        say(f"warning: cannot create the cache folder {folder} ({exc}); preprocessing without a cache")
        return None
    return folder


def _windows(manifest: Manifest, columns: list[str], say: Callable[[str], None]) -> list[Window | str | None]:
    """Per row: the (start, end) seconds in ``columns``, a reason when they are not a window, or None (both
    empty, or no such columns: the whole clip)."""
    if not columns:
        return [None] * len(manifest)
    if len(columns) != 2:
        raise ValueError(f"data.window_columns must name two columns (start, end), got {columns}")
    missing = [c for c in columns if c not in manifest.metadata]
    if missing:
        say(f"no column {', '.join(missing)} in the manifest: every clip is used whole")
        return [None] * len(manifest)
    windows: list[Window | str | None] = []
    for start, end in zip(*(manifest.metadata[c] for c in columns)):
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


def _load(
    cache: MediaCache,
    root: Path,
    relative: str,
    kind: str,
    config: DataConfig,
    counts: Counter[str],
    window: Window | str | None = None,
) -> CachedResult:
    if isinstance(window, str):
        return CachedResult(failure=window)
    try:
        key = FileKey.of(root, relative)
    except OSError as exc:
        return CachedResult(failure=f"file {relative!r} is unreadable ({exc.strerror or exc})")
    if window is not None and kind != "vector":
        key = dataclasses.replace(key, path=f"{relative}@{window[0]:g}-{window[1]:g}")
    cached = cache.lookup(key)
    if cached is not None:
        counts["cached"] += 1
        return cached
    try:
        if window is None or kind == "vector":
            array = preprocess_sample(kind, root / relative, config)
        else:
            array = preprocess_sample(kind, root / relative, config, window)
    except MediaError as exc:
        counts["failed"] += 1
        cache.store_failure(key, exc.reason)
        return CachedResult(failure=exc.reason)
    counts["decoded"] += 1
    cache.store(key, array)
    return CachedResult(array=array)


def _exclude_odd_shapes(
    manifest: Manifest, modality: str, arrays: list[np.ndarray | None], problems: dict[int, list[Exclusion]]
) -> None:
    shapes = Counter(a.shape for a in arrays if a is not None)
    if len(shapes) <= 1:
        return
    expected = shapes.most_common(1)[0][0]
    vector = manifest.modality_kinds[modality] == "vector"
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
        row=int(manifest.rows[index]),
        sample_id=str(manifest.ids[index]),
        column=modality,
        file=str(manifest.media[modality][index]),
        reason=reason or "unknown failure",
    )
