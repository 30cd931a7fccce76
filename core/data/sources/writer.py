"""``import_dataset``: run a source over a native layout and write the standard dataset folder.

Writes ``<out>/manifest.csv`` (media named by absolute path where they lie under the source folder;
nothing is copied), ``<out>/dataset.toml`` (``media_root`` = the resolved source folder, or the folder
holding it when the source is one file; the source name and options; the ``[kinds]`` of its columns)
and ``<out>/import.txt`` (what was found, imported and skipped, with counts and reasons). The import is
written into a temporary folder beside ``out`` and swapped in whole once complete, and its media root
is then recorded as approved for ``out`` in the user's config folder (see ``core.data.trust``).
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.atomic import atomic_write, fsync_folder
from core.data.dataset_info import DatasetInfo, write_dataset_info
from core.data.manifest import MANIFEST_NAME
from core.data.sources.base import ImportLog, Sample, Source
from core.data.trust import approve_media_root, check_media_root

IMPORT_LOG_NAME = "import.txt"


@dataclass
class ImportResult:
    """The written dataset folder, its samples and the import log text."""

    out: Path
    samples: list[Sample]
    report: str


def resolve_options(source: type[Source], given: dict[str, Any]) -> dict[str, Any]:
    """The source's option values: its defaults, replaced by the ``given`` ones (keys as ``Option.key``).

    A given option the source does not have raises ``ValueError`` naming the options it has.
    """
    known = {option.key: option for option in source.options}
    foreign = [key for key in given if key not in known]
    if foreign:
        flags = ", ".join("--" + key.replace("_", "-") for key in foreign)
        have = ", ".join(option.flag for option in source.options) or "none"
        raise ValueError(f"{flags} is not an option of source {source.name!r} (its options: {have})")
    return {key: given.get(key, option.default) for key, option in known.items()}


def import_dataset(
    source: type[Source],
    root: str | Path,
    out: str | Path,
    given: dict[str, Any] | None = None,
    force: bool = False,
    echo: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import the dataset at ``root`` with ``source`` into the folder ``out`` (see the module docstring).

    Raises ``ValueError`` (one line) when ``root`` is missing, an option is wrong, ``out`` already holds a
    manifest and ``force`` is not set, or nothing at all could be imported (``import.txt`` is still
    written then).
    """
    root, out = Path(root).expanduser(), Path(out).expanduser()
    if not root.exists():
        raise ValueError(
            f"{root}: not found (expected the {source.name} dataset as distributed: {source.layout})"
        )
    options = resolve_options(source, given or {})
    if (out / MANIFEST_NAME).exists() and not force:
        raise ValueError(f"{out} already holds a {MANIFEST_NAME}; pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    resolved = root.resolve()
    media_root = check_media_root(resolved if resolved.is_dir() else resolved.parent)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        log = ImportLog()
        scanner = source()
        samples = _unique(scanner.scan(resolved, stage.resolve(), options, log), log)
        report = log.report(source.name, resolved, samples)
        with atomic_write(stage / IMPORT_LOG_NAME, "w", encoding="utf-8") as handle:
            handle.write(report)
        if echo:
            echo(report.rstrip("\n"))
        if not samples:
            out.mkdir(exist_ok=True)
            os.replace(stage / IMPORT_LOG_NAME, out / IMPORT_LOG_NAME)
            raise ValueError(f"{root}: no sample imported (see {out / IMPORT_LOG_NAME})")
        _write_manifest(stage / MANIFEST_NAME, samples)
        info = DatasetInfo(media_root, source.name, options, scanner.column_kinds(options))
        write_dataset_info(stage, info)
        _swap_in(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    approve_media_root(out, media_root)
    return ImportResult(out, samples, report)


def _swap_in(stage: Path, out: Path) -> None:
    """Put the finished import ``stage`` at ``out`` whole: the earlier import (when there is one) is
    moved aside in one rename, the new one moved in with another, and only then are the entries of the
    earlier folder that the new import did not write (e.g. its ``.modalens-cache``) carried over. A
    kill at any point leaves either import complete, never one's manifest beside the other's files."""
    if not out.exists():
        os.rename(stage, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.replaced-", dir=out.parent))
    os.rename(out, old / "import")
    os.rename(stage, out)
    for entry in (old / "import").iterdir():
        if not (out / entry.name).exists():
            os.rename(entry, out / entry.name)
    shutil.rmtree(old, ignore_errors=True)
    fsync_folder(out.parent)


def _unique(samples: list[Sample], log: ImportLog) -> list[Sample]:
    seen: set[str] = set()
    kept = []
    for sample in samples:
        if sample.id in seen:
            log.skip("duplicate id (first one kept)", sample.id)
            continue
        seen.add(sample.id)
        kept.append(sample)
    return kept


def _write_manifest(path: Path, samples: list[Sample]) -> None:
    media = list(dict.fromkeys(column for s in samples for column in s.media))
    metadata = list(dict.fromkeys(column for s in samples for column in s.metadata))
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label", "split", *media, *metadata])
        for s in samples:
            writer.writerow(
                [
                    s.id,
                    s.label,
                    s.split,
                    *(s.media.get(c, "") for c in media),
                    *(s.metadata.get(c, "") for c in metadata),
                ]
            )
