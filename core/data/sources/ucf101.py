"""UCF-101: ``UCF-101/<Class>/v_<Class>_gGG_cCC.avi`` and ``ucfTrainTestlist/`` (``classInd.txt``,
``trainlist0K.txt``, ``testlist0K.txt``); modality ``rgb`` (the video), and with ``--flow`` or
``--flow-dir`` a ``flow`` column (kind ``flow``, see ``core.data.kinds.flow``): the same video, whose
optical flow is computed, or the clip's folder of precomputed flow images.

A flow folder is looked up under DIR (absolute, or relative to ROOT; it must lie inside ROOT, where the
imported media may be) as ``DIR/u/<clip>`` (with ``DIR/v/<clip>``), ``DIR/<Class>/<clip>`` or
``DIR/<clip>`` (with ``flow_x_*.jpg`` and ``flow_y_*.jpg``); a clip without one is skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.data.sources.base import SOURCES, ImportLog, Option, Sample, Source, media_problem, read_lines
from core.data.sources.splits import carve_val

LISTS = "ucfTrainTestlist"


@SOURCES.register
class Ucf101(Source):
    name = "ucf101"
    summary = "UCF-101 actions: UCF-101/<Class>/v_*.avi + ucfTrainTestlist (fold 1, 2 or 3), modality rgb"
    layout = "ROOT/UCF-101/<Class>/v_*.avi and ROOT/ucfTrainTestlist/{classInd,trainlist0K,testlist0K}.txt"
    options = (
        Option("--fold", "which of the three official train/test splits", int, 1, "K", choices=(1, 2, 3)),
        Option("--val-ratio", "fraction of train moved to val (seeded, stratified)", float, 0.0, "F"),
        Option("--seed", "seed of the val split", int, 0, "N"),
        Option("--flow", "add a flow column: optical flow computed from each video (Farneback)", switch=True),
        Option(
            "--flow-dir",
            "add a flow column of precomputed flow image folders found in DIR (DIR/u/<clip> + DIR/v/<clip>, "
            "or DIR/[<Class>/]<clip>/flow_{x,y}_*.jpg); DIR lies inside ROOT",
            str,
            None,
            "DIR",
        ),
    )

    def column_kinds(self, options: dict[str, Any]) -> dict[str, str]:
        return {"flow": "flow"} if options["flow"] or options["flow_dir"] else {}

    def scan(self, root: Path, out: Path, options: dict[str, Any], log: ImportLog) -> list[Sample]:
        videos = root / "UCF-101" if (root / "UCF-101").is_dir() else root
        lists = root / LISTS
        if not lists.is_dir():
            raise ValueError(f"{root}: no {LISTS}/ folder (expected {self.layout})")
        flow_dir = _flow_dir(root, options)
        classes = _class_index(lists / "classInd.txt", log)
        clips = {p.relative_to(videos).as_posix().lower(): p for p in videos.glob("*/*.avi")}
        log.count("clips (<Class>/*.avi)", len(clips))
        fold = options["fold"]
        samples: list[Sample] = []
        listed: set[str] = set()
        for split, name in (("train", f"trainlist0{fold}.txt"), ("test", f"testlist0{fold}.txt")):
            for line in read_lines(lists / name, log) or []:
                entry = line.split()[0].replace("\\", "/")
                label = entry.split("/")[0]
                listed.add(entry.lower())
                if classes and label not in classes:
                    log.skip(f"unknown label in {name} (not in classInd.txt)", entry)
                elif entry.lower() not in clips:
                    log.skip(f"listed in {name} but absent on disk", entry)
                elif problem := media_problem(clips[entry.lower()]):
                    log.skip(problem, entry)
                else:
                    clip = clips[entry.lower()]
                    media = {"rgb": str(clip)}
                    if options["flow"]:
                        media["flow"] = str(clip)
                    elif flow_dir is not None:
                        folder = _flow_folder(flow_dir, label, clip.stem)
                        if folder is None:
                            log.skip(f"no flow folder in {flow_dir}", entry)
                            continue
                        media["flow"] = str(folder)
                    samples.append(Sample(clip.stem, label, split, media, {"group": _group(clip.stem)}))
        for entry in sorted(set(clips) - listed):
            log.skip(
                f"on disk but in neither list of fold {fold}", clips[entry].relative_to(videos).as_posix()
            )
        carve_val(samples, options["val_ratio"], options["seed"])
        return samples


def _flow_dir(root: Path, options: dict[str, Any]) -> Path | None:
    """The folder of precomputed flow (``--flow-dir``), checked; None without one."""
    if not options["flow_dir"]:
        return None
    if options["flow"]:
        raise ValueError("--flow and --flow-dir exclude each other: compute the flow, or read it from DIR")
    folder = (root / Path(options["flow_dir"]).expanduser()).resolve()
    if not folder.is_dir():
        raise ValueError(
            f"--flow-dir {options['flow_dir']}: not a folder (a relative path is taken from {root})"
        )
    if not folder.is_relative_to(root):
        raise ValueError(
            f"--flow-dir {folder}: must lie inside {root}, the folder the media are imported from"
        )
    return folder


def _flow_folder(flow_dir: Path, label: str, stem: str) -> Path | None:
    """The clip's flow folder: ``u/<clip>`` (u/v layout), ``<Class>/<clip>`` or ``<clip>``."""
    for folder in (flow_dir / "u" / stem, flow_dir / label / stem, flow_dir / stem):
        if folder.is_dir():
            return folder
    return None


def _class_index(path: Path, log: ImportLog) -> set[str]:
    names = set()
    for line in read_lines(path, log) or []:
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            names.add(parts[1])
        else:
            log.skip("malformed classInd.txt row (expected '<index> <Class>')", line)
    return names


def _group(stem: str) -> str:
    """``gGG`` of ``v_<Class>_gGG_cCC``: the clips of one group come from one long video."""
    parts = stem.split("_")
    return parts[-2] if len(parts) >= 4 else ""
