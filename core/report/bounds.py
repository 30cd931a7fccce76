"""Sizes a report's storage justifies: every dataset is checked against the file before it is read.

A small crafted file can declare datasets of terabytes: chunked with nothing written (HDF5 reads
unwritten chunks as fill values), claiming contiguous storage the file does not have, or with
shapes that disagree with each other. Before reading, readers check that the part of each dataset
they read is backed by the file: allocated chunks × the logical size of a chunk for chunked
datasets, the storage size (within the file's size) for contiguous ones, with a small allowance for
space never written (read as fill values); a table's columns are backed by its ``rows_from``
dataset and ``phi_stderr`` by ``phi``. Large datasets are then read in blocks of ``BLOCK_BYTES``.
Limits: docs/report-format.md, "Sizes readers accept".
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from core.report.errors import ReportError
from core.report.format import PER_SAMPLE, ROWS_FROM, attr_list, attr_text

MAX_MODALITIES = 20  # 2^20 coalition columns
MAX_CHUNK_BYTES = 64 << 20
FILL_ALLOWANCE = 4 << 20  # unwritten bytes a dataset may read as fill values beyond FILL_RATIO × what it stores
FILL_RATIO = 2
BLOCK_BYTES = 64 << 20
READ_FILTERS = {
    h5py.h5z.FILTER_DEFLATE: "gzip",
    h5py.h5z.FILTER_SHUFFLE: "shuffle",
    h5py.h5z.FILTER_FLETCHER32: "fletcher32",
    h5py.h5z.FILTER_SZIP: "szip",
    h5py.h5z.FILTER_LZF: "lzf",
}
TABLE_PARENTS = ("training", "mi", "resampling", "valuation", "overview")
MAX_TEXT_LIST = 4096
ATTR_LIMITS = {"modalities": MAX_MODALITIES, "coalition_labels": 2**MAX_MODALITIES}


def require(path: Path, f: h5py.File) -> None:
    """Raise a one-line ReportError naming the first dataset whose declared size the file does not back."""
    found = problems(f)
    if found:
        more = f" (and {len(found) - 1} more such problem(s))" if len(found) > 1 else ""
        raise ReportError(f"{path}: {found[0]}{more}")


def problems(f: h5py.File) -> list[str]:
    """Every dataset (or list attribute) whose declared size the file's storage cannot justify."""
    checker = _Sizes(f)
    checker.run()
    return checker.problems


def nbytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Logical bytes of an array of that shape and type (exact, no overflow)."""
    return math.prod(int(n) for n in shape) * dtype.itemsize


def human(size: int) -> str:
    """A byte count for messages: ``512 B``, ``1.5 GiB``."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"


def stored_bytes(ds: h5py.Dataset) -> int:
    """Logical bytes the file holds for ``ds``: allocated chunks × chunk size, or its storage size."""
    if ds.chunks is not None:
        return ds.id.get_num_chunks() * nbytes(ds.chunks, ds.dtype)
    return ds.id.get_storage_size()


def backed(need: int, stored: int) -> bool:
    return need <= FILL_RATIO * stored + FILL_ALLOWANCE


def row_blocks(ds: h5py.Dataset, stop: int, start: int = 0) -> Iterator[slice]:
    """Slices of rows [start, stop) of ``ds`` of at most BLOCK_BYTES each (at least one row)."""
    step = max(1, BLOCK_BYTES // max(nbytes(ds.shape[1:], ds.dtype), 1))
    for lo in range(start, stop, step):
        yield slice(lo, min(stop, lo + step))


def column_blocks(ds: h5py.Dataset, rows: int, columns: int, block_bytes: int | None = None) -> Iterator[slice]:
    """Slices of the second axis such that ``rows`` rows × the slice stay within ``block_bytes``
    (default BLOCK_BYTES), at least one column each."""
    width = rows * nbytes(ds.shape[2:], ds.dtype)
    step = max(1, (BLOCK_BYTES if block_bytes is None else block_bytes) // max(width, 1))
    for lo in range(0, columns, step):
        yield slice(lo, min(columns, lo + step))


def _file_size(f: h5py.File) -> int:
    """Size of the open file (not of whatever now has its name: a live writer may have replaced it)."""
    try:
        return os.fstat(f.id.get_vfd_handle()).st_size
    except (OSError, TypeError, ValueError):
        return Path(f.filename).stat().st_size


class _Sizes:
    def __init__(self, f: h5py.File) -> None:
        self.f = f
        self.file_size = _file_size(f)
        self.problems: list[str] = []

    def run(self) -> None:
        self.attributes(self.f)
        regions: dict[str, tuple[tuple[int, ...], str | None]] = {}
        for table in self.tables():
            regions.update(self.table(table))
        objects: list[h5py.HLObject] = []
        self.f.visititems_links(lambda name, link: self.link(name, link, objects))
        for obj in objects:
            self.attributes(obj)
        for ds in (obj for obj in objects if isinstance(obj, h5py.Dataset)):
            shape, backing = regions.get(ds.name, (ds.shape, None))
            # a dataset reading exactly the rows of its checked backing dataset is backed by it
            same = backing is not None and backing in regions and regions[backing][0] == shape
            self.dataset(ds, shape, backed_by_rows=same)

    def link(self, name: str, link: h5py.HardLink | h5py.SoftLink | h5py.ExternalLink, objects: list) -> None:
        """Collect the objects of the file; an external link (data in another file) is refused."""
        if isinstance(link, h5py.ExternalLink):
            self.problems.append(f"/{name}: a link to {link.filename}:{link.path}; reports keep their data in one file")
        elif isinstance(link, h5py.HardLink):
            objects.append(self.f[name])

    def tables(self) -> list[h5py.Group]:
        found = []
        for name in TABLE_PARENTS:
            group = self.f.get(name)
            if isinstance(group, h5py.Group):
                for child in [group, *group.values()]:
                    if isinstance(child, h5py.Group) and ROWS_FROM in child.attrs:
                        found.append(child)
        return found

    def attributes(self, obj: h5py.HLObject) -> None:
        """Attribute arrays readers decode: at most MAX_MODALITIES modalities and 2^M coalition labels; any
        other array of variable-length strings at most MAX_TEXT_LIST entries (each entry is read as its own
        string, and many entries may point at one long stored string)."""
        for index in range(h5py.h5a.get_num_attrs(obj.id)):
            attr = h5py.h5a.open(obj.id, index=index)
            name = attr.get_name().decode("utf-8", errors="replace")
            size = math.prod(attr.shape) if attr.shape else 1
            limit = ATTR_LIMITS.get(name, MAX_TEXT_LIST if attr.dtype.hasobject else None)
            if limit is not None and size > limit:
                where = obj.name.rstrip("/")
                self.problems.append(f"{where}/@{name}: {size} entries, more than the {limit} a report can have")

    def table(self, table: h5py.Group) -> dict[str, tuple[tuple[int, ...], str | None]]:
        """The region of each of a table's datasets that readers read, and the dataset backing it."""
        index_name = attr_text(table.attrs[ROWS_FROM])
        index = table.get(index_name)
        per_sample = set(attr_list(table.attrs.get(PER_SAMPLE, [])))
        members = {name: ds for name, ds in table.items() if isinstance(ds, h5py.Dataset)}
        rows_ds = {name: ds for name, ds in members.items() if name not in per_sample}
        scalars = [ds.name for ds in members.values() if ds.ndim == 0]
        if scalars or not isinstance(index, h5py.Dataset):
            for name in scalars:
                self.problems.append(f"{name}: a table's dataset needs a row axis, found a scalar")
            if not isinstance(index, h5py.Dataset):
                self.problems.append(f"{table.name}/@{ROWS_FROM}: names no dataset ({index_name!r})")
            return {}
        if not rows_ds:
            return {}
        rows = min(ds.shape[0] for ds in rows_ds.values())
        samples = None
        if "sample_index" in per_sample and "sample_index" in members:
            samples = members["sample_index"].shape[0]
            phi = rows_ds.get("phi")
            if phi is not None and phi.ndim >= 2:
                samples = min(samples, phi.shape[1])
        regions: dict[str, tuple[tuple[int, ...], str | None]] = {}
        for name, ds in rows_ds.items():
            shape = (rows,) + ds.shape[1:]
            if samples is not None and ds.ndim >= 2 and ds.maxshape[1] is None:
                shape = (rows, min(ds.shape[1], samples)) + ds.shape[2:]
            backing = None
            if name != index_name and ds.ndim == 1:
                backing = index.name
            elif name == "phi_stderr" and "phi" in rows_ds:
                backing = rows_ds["phi"].name
            regions[ds.name] = (shape, backing)
        for name in per_sample & set(members):
            ds = members[name]
            regions[ds.name] = ((samples if samples is not None else ds.shape[0],) + ds.shape[1:], None)
        return regions

    def dataset(self, ds: h5py.Dataset, shape: tuple[int, ...], backed_by_rows: bool) -> None:
        problem = self.storage_problem(ds) or self.size_problem(ds, shape, backed_by_rows)
        if problem:
            self.problems.append(f"{ds.name}: {problem}")

    def storage_problem(self, ds: h5py.Dataset) -> str | None:
        plist = ds.id.get_create_plist()
        layout = plist.get_layout()
        if layout == h5py.h5d.VIRTUAL:
            return "a virtual dataset (it would read other files); reports store their data themselves"
        if plist.get_external_count():
            return "stored in external files; reports store their data themselves"
        if ds.dtype.hasobject and ds.shape != ():
            return f"an array of variable-length values ({ds.dtype}); reports store arrays of fixed-size values"
        for i in range(plist.get_nfilters()):
            code = plist.get_filter(i)[0]
            if code not in READ_FILTERS:
                return f"uses HDF5 filter {code}, not one of {', '.join(sorted(READ_FILTERS.values()))}"
        if ds.chunks is not None and nbytes(ds.chunks, ds.dtype) > MAX_CHUNK_BYTES:
            return (
                f"chunks of {ds.chunks} × {ds.dtype.itemsize} B ({human(nbytes(ds.chunks, ds.dtype))}), "
                f"larger than the {human(MAX_CHUNK_BYTES)} a report uses"
            )
        if ds.chunks is None and ds.id.get_storage_size() > self.file_size:
            return f"claims {human(ds.id.get_storage_size())} of storage in a file of {human(self.file_size)}"
        return None

    def size_problem(self, ds: h5py.Dataset, shape: tuple[int, ...], backed_by_rows: bool) -> str | None:
        need = nbytes(shape, ds.dtype)
        stored = stored_bytes(ds)
        if backed(need, stored) or (backed_by_rows and ds.dtype.itemsize <= 16):
            return None
        where = "" if shape == ds.shape else f" (reading {shape} of it)"
        return (
            f"declares shape {ds.shape} {ds.dtype}{where}, {human(need)}, but the file stores only {human(stored)} "
            "for it; the report is damaged or was made to look bigger than it is"
        )
