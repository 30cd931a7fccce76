"""What every dataset source shares: its options, the samples it finds and the log of what it left out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from core.data.media import MediaError, has_audio_stream
from core.registry import Registry

_LFS_POINTER = b"version https://git-lfs"
_EXAMPLES = 5  # items named per skip reason in the report


@dataclass(frozen=True)
class Option:
    """A command-line option of a source: ``--flag VALUE`` (or a bare ``--flag`` when ``switch``)."""

    flag: str
    help: str
    type: Callable[[str], Any] = str
    default: Any = None
    metavar: str = ""
    choices: tuple[Any, ...] | None = None
    switch: bool = False

    @property
    def key(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass
class Sample:
    """One manifest row: ``media`` maps modality columns to file paths, ``metadata`` extra columns."""

    id: str
    label: str
    split: str
    media: dict[str, str]
    metadata: dict[str, str] = field(default_factory=dict)


class ImportLog:
    """What an import found (``count``), what it left out and why (``skip``) and remarks (``note``)."""

    def __init__(self) -> None:
        self.found: dict[str, int] = {}
        self.skipped: dict[str, list[str]] = {}
        self.notes: list[str] = []

    def count(self, what: str, number: int) -> None:
        self.found[what] = self.found.get(what, 0) + number

    def skip(self, reason: str, item: str) -> None:
        self.skipped.setdefault(reason, []).append(item)

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def skipped_count(self) -> int:
        return sum(len(items) for items in self.skipped.values())

    def report(self, source: str, root: Path, samples: list[Sample]) -> str:
        """The text of ``import.txt``: found, imported per split and class, skipped by reason, notes."""
        lines = [f"import of {root} with source {source!r}", "", "found:"]
        lines += [f"  {what}: {number}" for what, number in self.found.items()] or ["  nothing"]
        splits = Counter(s.split for s in samples)
        shown = ", ".join(f"{splits[name]} {name}" for name in ("train", "val", "test") if splits[name])
        lines += ["", f"imported: {len(samples)} sample(s)" + (f" ({shown})" if shown else "")]
        labels = Counter(s.label for s in samples)
        if labels:
            lines.append(
                f"  {len(labels)} class(es): " + ", ".join(f"{n} {c}" for c, n in sorted(labels.items()))
            )
        lines += ["", f"skipped: {self.skipped_count}"]
        for reason, items in sorted(self.skipped.items(), key=lambda kv: -len(kv[1])):
            examples = ", ".join(items[:_EXAMPLES]) + (", ..." if len(items) > _EXAMPLES else "")
            lines.append(f"  {len(items)} {reason}: {examples}")
        if self.notes:
            lines += ["", "notes:"] + [f"  {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


class Source:
    """A reader of one dataset layout as distributed; subclasses register with ``@SOURCES.register``.

    ``scan`` returns the samples with absolute media paths under ``root`` (``out`` is the dataset
    folder being written, for a source that must write files of its own) and records in ``log`` every
    item it leaves out. ``kinds`` is written to ``dataset.toml`` ``[kinds]`` (e.g. an audio column of
    video files); a source whose columns depend on its options overrides ``column_kinds``.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    layout: ClassVar[str]
    options: ClassVar[tuple[Option, ...]] = ()
    kinds: ClassVar[dict[str, str]] = {}

    def scan(self, root: Path, out: Path, options: dict[str, Any], log: ImportLog) -> list[Sample]:
        raise NotImplementedError

    def column_kinds(self, options: dict[str, Any]) -> dict[str, str]:
        """The ``[kinds]`` written for an import with ``options`` (by default ``kinds``)."""
        return dict(self.kinds)


SOURCES: Registry[type[Source]] = Registry("dataset source")



def media_problem(path: Path, need_audio: bool = False) -> str | None:
    """Why a media file found on disk cannot be used (None if it can): empty, a git LFS pointer left by
    a partial download, or (``need_audio``) a container without an audio stream."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if size == 0:
        return "empty file (0 bytes)"
    if size < 1024:
        with path.open("rb") as handle:
            if handle.read(len(_LFS_POINTER)) == _LFS_POINTER:
                return "git LFS pointer, not media (download incomplete: run git lfs pull)"
    if need_audio:
        try:
            if not has_audio_stream(path):
                return "no audio stream in the file"
        except MediaError as exc:
            return exc.reason
    return None


def files_by_stem(folder: Path, suffixes: Iterable[str], recursive: bool = False) -> dict[str, Path]:
    """Files in ``folder`` (and below when ``recursive``) with one of ``suffixes``, by name stem."""
    wanted = {s.lower() for s in suffixes}
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("*") if recursive else folder.iterdir()):
        if path.suffix.lower() in wanted and path.is_file():
            found.setdefault(path.stem, path)
    return found


def missing_list(path: Path, log: ImportLog) -> None:
    """Record a list file that is not there (its samples cannot be imported)."""
    log.skip("list file(s) not found (their samples are not imported)", str(path))


def read_lines(path: Path, log: ImportLog) -> list[str] | None:
    """The non-empty lines of a list file, or None (and a note in ``log``) when it is missing."""
    if not path.is_file():
        missing_list(path, log)
        return None
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        log.skip(f"list file(s) unreadable ({exc.strerror or exc})", str(path))
        return None
    return [line.strip() for line in text.splitlines() if line.strip()]
