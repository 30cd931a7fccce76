"""Reading and checking a dataset folder's ``manifest.csv``.

A dataset is a folder holding ``manifest.csv`` with the columns ``id``, ``label`` and ``split``
(``train``, ``val`` or ``test``) and one column per modality naming a media file relative to the folder.
A column is a modality column when most of its non-empty values are file names with an extension a
modality kind claims (see ``core.data.kinds``); its kind (video, audio, vector, image) is the kind most
of those files have. Every other column is per-sample metadata. Cells are paths relative to the folder,
or absolute.

A kind may also read other kinds' files: an audio column may name video containers (mp4, mkv, flv, ...),
whose audio stream is then used, and a flow column video files, whose optical flow is computed, or
folders of precomputed flow images. A column is of such a kind when ``dataset.toml`` in the folder
declares it (``[kinds]`` table, e.g. ``audio = "audio"``, ``flow = "flow"``; see
``core/data/dataset_info.py``), or when its header is the kind's name (any case) and its files are ones
that kind reads (``audio`` or ``flow`` naming videos). ``[kinds]`` overrides the extension vote for any
column; a column of folders is a modality column only when declared.

Media paths may lead only into the dataset folder, or into a media root the user approved for it
(``core.data.trust``: recorded by ``modalens import`` and by ``--media-root DIR``, kept in the user's
config folder, never ``/`` or a system folder): a path that leaves them (``..``, an absolute path
elsewhere, a symlink, of the file or of a folder on its way, that resolves outside) is a per-row error,
so a manifest from someone else can never make ModaLens read any other file of the machine. A
``media_root`` in ``dataset.toml`` approves nothing by itself: rows leading into one the user has not
approved make the whole manifest unusable, with one line saying how to approve it. Ids and labels may
not hold control characters (NUL, line breaks, tabs, ...).

Problems with single rows (missing or empty file, bad split, ...) exclude the row and are all reported
together as ``Exclusion`` records; problems that make the whole manifest unusable raise ``ManifestError``.
Row numbers are line numbers in the CSV file counting the header as line 1, so the first data row is row 2
(a record spanning several lines through quoted line breaks is numbered by its first line).
"""

from __future__ import annotations

import csv
import os
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.data.dataset_info import DATASET_INFO_NAME, read_dataset_info
from core.data.kinds import Kind, extension_kinds, file_kind, get_kind, kind_names
from core.data.samples import Exclusion, Samples
from core.data.trust import MediaRootError, approved_media_roots, check_media_root

MANIFEST_NAME = "manifest.csv"
REQUIRED_COLUMNS = ("id", "label", "split")
SPLITS = ("train", "val", "test")
MEDIA_EXTENSIONS: dict[str, str] = extension_kinds()


class ManifestError(ValueError):
    """The manifest cannot be used at all; ``problems`` lists every reason found."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message + "".join(f"\n  - {p}" for p in problems))
        self.problems = problems


@dataclass
class Manifest:
    """The usable rows of a manifest, in file order, as a sample table, and the problems of the rows left out.

    ``samples.rows`` are CSV line numbers (header = line 1); ``samples.media[m]`` holds paths relative to
    ``root`` (with ``/`` separators); ``samples.metadata[c]`` the raw strings.
    """

    root: Path
    samples: Samples
    excluded: list[Exclusion] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.samples)


def media_kind(file_name: str) -> str | None:
    """The modality kind ("video", "audio", "vector", "image") a file name's extension stands for, or None."""
    return file_kind(file_name)


def load_manifest(root: str | Path, modalities: Sequence[str] | None = None) -> Manifest:
    """Read ``<root>/manifest.csv``, check every row and every media file it names.

    ``modalities`` restricts the modality columns kept and checked (None or empty: all of them); a name
    that is not a modality column raises ``ValueError`` listing the available ones. Rows with problems are
    left out and described in ``Manifest.excluded``; an unusable manifest raises ``ManifestError``.
    The class list comes from the usable rows only: a label seen only on rows left out is no class.
    """
    root = Path(root)
    header, records = _read_csv(root)
    columns = _check_header(header, root)
    cells = {name: [_cell(values, index) for _, values in records] for index, name in enumerate(columns)}
    line_numbers = [line for line, _ in records]

    kinds = _detect_modalities(columns, cells, _declared_kinds(root, columns))
    selected = _select_modalities(kinds, modalities, root)
    metadata_columns = [c for c in columns if c not in REQUIRED_COLUMNS and c not in kinds]

    problems: dict[int, list[Exclusion]] = {}

    def report(index: int, column: str, file: str, reason: str) -> None:
        sample_id = cells["id"][index]
        problems.setdefault(index, []).append(Exclusion(line_numbers[index], sample_id, column, file, reason))

    for index, (_, values) in enumerate(records):
        if len(values) > len(columns):
            report(index, "(row)", "", f"has {len(values)} cells but the header has {len(columns)} columns")
    _check_ids(cells["id"], line_numbers, report)
    _check_labels_and_splits(cells, report)
    roots = allowed_roots(root)
    declared = _unapproved_media_root(root, roots)
    for column in selected:
        _check_media_column(root, roots, column, kinds[column], cells[column], report)
    if declared is not None:
        _refuse_unapproved(root, declared, problems)

    keep = [i for i in range(len(records)) if i not in problems]
    class_names = _class_names(cells["label"][i] for i in keep)
    excluded = [p for i in sorted(problems) for p in problems[i]]
    if not keep:
        raise ManifestError(
            f"{root / MANIFEST_NAME}: no valid row left",
            [str(p) for p in excluded] or ["the manifest has a header but no data rows"],
        )

    class_index = {name: i for i, name in enumerate(class_names)}
    samples = Samples(
        ids=_objects(cells["id"][i] for i in keep),
        rows=np.array([line_numbers[i] for i in keep], dtype=np.int64),
        labels=np.array([class_index[cells["label"][i]] for i in keep], dtype=np.int64),
        class_names=class_names,
        splits=_objects(cells["split"][i].lower() for i in keep),
        modalities=selected,
        modality_kinds={m: kinds[m] for m in selected},
        media={m: _objects(_normalise_path(cells[m][i]) for i in keep) for m in selected},
        metadata={c: _objects(cells[c][i] for i in keep) for c in metadata_columns},
    )
    return Manifest(root=root, samples=samples, excluded=excluded)


def _read_csv(root: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not root.is_dir():
        raise ManifestError(f"{root}: dataset folder not found", [f"{root} is not a folder"])
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"{path}: manifest not found", [f"{root} has no {MANIFEST_NAME}"])
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            records: list[tuple[int, list[str]]] = []
            start = 1
            for values in reader:
                if any(v.strip() for v in values):
                    records.append((start, [v.strip() for v in values]))
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"{path}: cannot read", [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    except csv.Error as exc:
        raise ManifestError(
            f"{path}: cannot read", [f"not valid CSV near line {reader.line_num}: {exc}"]
        ) from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read", [exc.strerror or str(exc)]) from None
    if not records:
        raise ManifestError(f"{path}: cannot read", ["the file is empty (no header line)"])
    (_, header), *rows = records
    return header, rows


def _check_header(header: list[str], root: Path) -> list[str]:
    problems = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(f"header column {position} has no name")
        elif name in seen:
            problems.append(f"column {name!r} appears more than once in the header")
        seen.add(name)
    problems += [f"required column {name!r} is missing" for name in REQUIRED_COLUMNS if name not in seen]
    if problems:
        raise ManifestError(f"{root / MANIFEST_NAME}: unusable header", problems)
    return header


def _cell(values: list[str], index: int) -> str:
    return values[index] if index < len(values) else ""


def _declared_kinds(root: Path, columns: list[str]) -> dict[str, str]:
    try:
        declared = read_dataset_info(root).kinds
    except ValueError as exc:
        raise ManifestError(f"{root}: unusable dataset.toml", [str(exc)]) from None
    unknown = [c for c in declared if c not in columns or c in REQUIRED_COLUMNS]
    if unknown:
        raise ManifestError(
            f"{root}: unusable dataset.toml",
            [f"[kinds] names {', '.join(map(repr, unknown))}, not a media column of {MANIFEST_NAME}"],
        )
    return declared


def _detect_modalities(
    columns: list[str], cells: dict[str, list[str]], declared: dict[str, str]
) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for column in columns:
        if column in REQUIRED_COLUMNS:
            continue
        values = [v for v in cells[column] if v]
        counts = Counter(media_kind(v) for v in values)
        media_count = sum(n for kind, n in counts.items() if kind is not None)
        if column in declared:
            kinds[column] = declared[column]
        elif values and media_count * 2 > len(values):
            order = kind_names()
            kinds[column] = max(order, key=lambda k: (counts[k], -order.index(k)))
            named = column.lower()
            if named in order and named != kinds[column] and get_kind(named).reads(kinds[column]):
                kinds[column] = named  # e.g. the audio streams, or the optical flow, of video files
    if not kinds:
        raise ManifestError(
            "manifest has no modality column",
            [
                "no column names media files; a modality column holds file names ending in one of "
                + " ".join(sorted(MEDIA_EXTENSIONS))
            ],
        )
    return kinds


def _select_modalities(kinds: dict[str, str], wanted: Sequence[str] | None, root: Path) -> list[str]:
    if not wanted:
        return list(kinds)
    available = ", ".join(f"{name} ({kind})" for name, kind in kinds.items())
    unknown = [name for name in wanted if name not in kinds]
    if unknown:
        raise ValueError(
            f"{root / MANIFEST_NAME}: unknown modality {', '.join(map(repr, unknown))}; available: {available}"
        )
    duplicated = sorted({name for name in wanted if list(wanted).count(name) > 1})
    if duplicated:
        raise ValueError(f"modality {', '.join(map(repr, duplicated))} listed more than once")
    return list(wanted)


def allowed_roots(root: Path) -> list[Path]:
    """The folders a dataset's media may lie in: the dataset folder itself and the media roots the user
    approved for it (all resolved)."""
    try:
        return [root.resolve(), *approved_media_roots(root)]
    except ValueError as exc:
        raise ManifestError(str(exc), []) from None


def _unapproved_media_root(root: Path, roots: list[Path]) -> Path | None:
    """The ``media_root`` of ``dataset.toml`` (resolved) when the user has not approved it, else None."""
    try:
        media_root = read_dataset_info(root).media_root
    except ValueError as exc:
        raise ManifestError(f"{root / DATASET_INFO_NAME}: unusable", [str(exc)]) from None
    if media_root is None:
        return None
    resolved = media_root.resolve()
    return None if any(resolved.is_relative_to(allowed) for allowed in roots) else resolved


def _refuse_unapproved(root: Path, media_root: Path, problems: dict[int, list[Exclusion]]) -> None:
    """One line when rows were left out for leading into ``dataset.toml``'s unapproved media root."""
    into = [p for ps in problems.values() for p in ps if "leads outside the dataset" in p.reason
            and _resolves_into(root / p.file, media_root)]
    if not into:
        return
    where = f"{root / DATASET_INFO_NAME}: {len(into)} media file(s) lie in its media_root {media_root}"
    try:
        check_media_root(media_root)
    except MediaRootError:
        raise ManifestError(f"{where}, a system folder ModaLens never reads media from", []) from None
    raise ManifestError(
        f"{where}, outside the dataset folder, which you have not approved; if you trust this dataset, "
        f"pass --media-root {media_root} (remembered for this dataset folder)",
        [],
    )


def _control_character(text: str) -> str | None:
    """The first control character in ``text``, shown as an escape (e.g. '\\x00'), or None."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            return repr(char)[1:-1]
    return None


def _check_ids(ids: list[str], line_numbers: list[int], report) -> None:
    first_line: dict[str, int] = {}
    for index, sample_id in enumerate(ids):
        if not sample_id:
            report(index, "id", "", "empty id")
        elif control := _control_character(sample_id):
            report(index, "id", "", f"the id holds a control character ({control})")
        elif sample_id in first_line:
            report(index, "id", "", f"duplicate id {sample_id!r} (first used in row {first_line[sample_id]})")
        else:
            first_line[sample_id] = line_numbers[index]


def _check_labels_and_splits(cells: dict[str, list[str]], report) -> None:
    for index, (label, split) in enumerate(zip(cells["label"], cells["split"], strict=True)):
        if not label:
            report(index, "label", "", "empty label")
        elif control := _control_character(label):
            report(index, "label", "", f"the label holds a control character ({control})")
        if split.lower() not in SPLITS:
            shown = repr(split) if split else "empty"
            report(index, "split", "", f"unknown split {shown} (expected one of {', '.join(SPLITS)})")


def _check_media_column(
    root: Path, roots: list[Path], column: str, kind: str, values: list[str], report
) -> None:
    column_kind = get_kind(kind)
    for index, raw in enumerate(values):
        if not raw:
            report(index, column, "", "empty media cell")
            continue
        relative = _normalise_path(raw)
        found_kind = media_kind(relative)
        path = root / relative
        if column_kind.reads(found_kind):
            problem = _outside_problem(path, relative, roots) or _file_problem(path, relative)
        elif found_kind is None and column_kind.folder_parts is not None:
            problem = _folder_problem(root, relative, roots, column_kind.folder_parts(path))
        else:
            article = "an" if found_kind and found_kind[0] in "aeiou" else "a"
            found = f"{article} {found_kind} file" if found_kind else "an unrecognised extension"
            holds = _holds(column_kind)
            problem = f"unknown modality kind: {relative!r} is {found}, column {column!r} holds {holds}"
        if problem:
            report(index, column, relative, problem)


def _holds(kind: Kind) -> str:
    """What a column of ``kind`` may name, e.g. "audio or video files", "video files or folders"."""
    names = [k for k in (kind.name, *kind.also_reads) if get_kind(k).extensions]
    return " or ".join(names) + " files" + (" or folders" if kind.folder_parts is not None else "")


def _folder_problem(root: Path, relative: str, roots: list[Path], parts: tuple[Path, ...]) -> str | None:
    """Why a cell naming a folder cannot be used: a folder it reads leads outside the dataset, is missing
    or is not a folder (None: it can)."""
    for part in parts:
        shown = part.relative_to(root).as_posix() if part.is_relative_to(root) else part.as_posix()
        problem = _outside_problem(part, shown, roots)
        if problem:
            return problem
        if not part.is_dir():
            return f"{shown!r} is not a folder" if part.exists() else f"folder {shown!r} not found"
    return None


def _resolves_into(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder)
    except (OSError, RuntimeError):
        return False


def _outside_problem(path: Path, relative: str, roots: list[Path]) -> str | None:
    """Why ``path`` is not inside one of ``roots`` once '..' and symlinks are resolved (None: it is)."""
    if "\0" in relative:
        return f"the path {relative!r} holds a NUL character"
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, an unreadable folder on the way
        return f"the path {relative!r} cannot be resolved ({exc})"
    if any(resolved.is_relative_to(allowed) for allowed in roots):
        return None
    where = " or ".join(str(r) for r in roots)
    return f"the path {relative!r} leads outside the dataset (to {str(resolved)!r}, not inside {where})"


def _file_problem(path: Path, relative: str) -> str | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"file {relative!r} not found"
    except OSError as exc:
        return f"file {relative!r} is unreadable ({exc.strerror or exc})"
    if not path.is_file():
        return f"{relative!r} is not a file"
    if not os.access(path, os.R_OK):
        return f"file {relative!r} is unreadable (permission denied)"
    if info.st_size == 0:
        return f"file {relative!r} is empty (0 bytes)"
    return None


def _normalise_path(raw: str) -> str:
    return raw.replace("\\", "/")


def _class_names(labels: Iterable[str]) -> list[str]:
    names = set(labels)
    try:
        return sorted(names, key=lambda name: (int(name), name))
    except ValueError:
        return sorted(names)


def _objects(values: Iterable[str]) -> np.ndarray:
    items = list(values)
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array
