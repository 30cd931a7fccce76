"""The controller's dataset actions: open a dataset folder, find the last run, make the demo data, import."""

from __future__ import annotations

import tomllib
from pathlib import Path

from app.controller_base import ControllerBase, error_text
from app.import_dialog import ImportChoice
from app.state.run_machine import Activity, Mode
from app.state.samples import SampleSet
from app.tasks import BackgroundTask, TaskState
from core.data import (
    ManifestError,
    approve_media_root,
    approved_media_roots,
    check_media_root,
    format_exclusions,
    load_manifest,
    read_dataset_info,
)
from core.run_files import CONFIG_NAME, REPORT_NAME

LAST_RUN_SCAN = 50  # newest run folders whose config is read to find a run on the opened dataset


class DatasetActions(ControllerBase):
    """Opening datasets (see :class:`app.controller.AppController`)."""

    # -- datasets --------------------------------------------------------------------------------
    def open_dataset(self, path: str | Path | None = None) -> bool:
        """List a dataset folder's samples (read in the background, no decoding); False when refused or
        cancelled. A folder that cannot be read gives a message."""
        if self._refuse_while_training("open a dataset"):
            return False
        path = path or self.prompter.choose_folder(self.dialog_parent, "Open a dataset folder (holding manifest.csv)",
                                                   self.settings.last_folder)
        if not path:
            return False
        folder = Path(path)
        self._opened += 1
        self._set_activity("open", Activity(f"Reading {folder.name or folder}/manifest.csv…"))
        self.tasks.start("open", lambda state: load_manifest(folder), done=lambda m: self._dataset_read(folder, m),
                         failed=lambda exc: self._open_failed(folder, exc))
        return True

    def _open_failed(self, folder: Path, exc: BaseException) -> None:
        """A dataset refused for reading media from a folder outside it that the user has not approved
        asks whether to approve that folder (remembered for this dataset folder), then opens it again."""
        root = unapproved_media_root(folder) if isinstance(exc, ManifestError) else None
        if root is None or not self.prompter.question(
            self.dialog_parent, "Media outside the dataset",
            f"{folder} reads media from {root}, outside the dataset folder.\n\n"
            f"Approve {root} as a media root for this dataset (remembered) and open it?",
        ):
            self.fail("Cannot open dataset", error_text(exc))
            return
        try:
            approve_media_root(folder, root)
        except (OSError, ValueError) as error:
            self.fail("Cannot open dataset", error_text(error))
            return
        self.session.log_message.emit("info", f"approved media root {root} for {folder}")
        self.open_dataset(folder)

    def _dataset_read(self, folder: Path, manifest) -> None:
        if self.training:  # Start was pressed while the folder was read
            self.session.log_message.emit("warning", f"{folder}: not shown (a run has started)")
            return
        self.stop_following()
        self.session.show_dataset(SampleSet.from_samples(manifest))
        self.settings.add_recent("dataset", folder)
        self.settings.last_folder = folder.parent
        if manifest.excluded:
            self.session.log_message.emit("warning", f"{folder}/manifest.csv: {format_exclusions(manifest.excluded)}")
        self.session.log_message.emit("info", f"opened dataset {folder}: {len(manifest)} samples")
        self._set_mode(Mode.DATASET)
        self.dataset_opened.emit(manifest)

    def last_run(self, dataset: Path | None = None) -> Path | None:
        """The report of the newest run in the runs folder, preferring runs on ``dataset``; None when none
        (a first launch). Reads only folder entries and small config files."""
        try:
            folders = [p for p in Path(self.settings.runs_dir).iterdir() if (p / REPORT_NAME).is_file()]
        except OSError:
            return None
        folders.sort(key=_report_time, reverse=True)
        wanted = dataset.resolve() if dataset is not None else None
        for folder in folders[:LAST_RUN_SCAN] if wanted is not None else ():
            if _run_data(folder) == wanted:
                return folder / REPORT_NAME
        return folders[0] / REPORT_NAME if folders else None

    def open_demo(self, preset: str = "", samples: int | None = None) -> BackgroundTask:
        """Create the demo data of ``preset`` (default: the first-launch demo) with ``samples`` samples
        (default: the preset's own count) if it is missing (in the background), then open it unless the
        user has opened something else meanwhile."""
        from core.demo import FIRST_LAUNCH_PRESET, default_demo_dir, ensure_demo

        preset = preset or FIRST_LAUNCH_PRESET
        folder = default_demo_dir(preset)
        if not (folder / "manifest.csv").is_file():
            self.demo_creating.emit(str(folder))
            self._set_activity("demo", Activity("Creating the demo data…"))
        opened = self._opened

        def job(state: TaskState) -> Path:
            return ensure_demo(folder, preset=preset, samples=samples, progress=state.progress)

        def progress(done: int, total: int, _text: str) -> None:
            self._set_activity("demo", Activity(f"demo data {done}/{total}", done, total))

        return self.tasks.start("demo", job, done=lambda path: self._demo_ready(path, opened),
                                failed=self._failed("Cannot create the demo data"), progress=progress)

    def _demo_ready(self, path: Path, opened: int) -> None:
        if opened == self._opened and not self.training:
            self.open_dataset(path)
        else:
            self.notice.emit(f"Demo data ready in {path} (File → Open dataset)", 10_000)

    # -- importing -------------------------------------------------------------------------------
    def import_dataset_dialog(self) -> BackgroundTask | None:
        """Ask for a dataset source, its folders and options, then import it in the background and open
        the folder written; None when refused or cancelled."""
        if self._refuse_while_training("import a dataset"):
            return None
        try:
            choice = self.prompter.import_choice(self.dialog_parent, str(self.settings.last_folder))
        except ValueError as exc:  # an option's text of the wrong type
            self.fail("Cannot import dataset", str(exc))
            return None
        return self.import_dataset(choice) if choice is not None else None

    def import_dataset(self, choice: ImportChoice) -> BackgroundTask | None:
        """Import ``choice`` (see :func:`core.data.sources.writer.import_dataset`) in the background, then
        open the dataset folder it wrote."""
        if not choice.root or not choice.out:
            self.fail("Cannot import dataset", "choose the dataset folder and the output folder to write")
            return None
        from core.data import SOURCES, import_dataset

        source = SOURCES.get(choice.source)
        self._set_activity("import", Activity(f"Importing {choice.source} from {Path(choice.root).name}…"))

        def job(state: TaskState) -> Path:
            def echo(text: str) -> None:
                state.progress(0, 0, text.strip().splitlines()[0] if text.strip() else "")

            return Path(import_dataset(source, choice.root, choice.out, choice.given, choice.force, echo).out)

        def done(out: Path) -> None:
            self.session.log_message.emit("info", f"imported {choice.source} into {out} (see its import.txt)")
            self.open_dataset(out)

        def progress(_done: int, _total: int, text: str) -> None:
            self._set_activity("import", Activity(f"Importing {choice.source}: {text}" if text else
                                                  f"Importing {choice.source}…"))

        return self.tasks.start("import", job, done=done, failed=self._failed("Cannot import dataset"),
                                progress=progress)


def unapproved_media_root(folder: Path) -> Path | None:
    """The ``media_root`` of the dataset's ``dataset.toml`` (resolved) when it lies outside the dataset,
    the user has not approved it and may (never ``/`` or a system folder); else None."""
    try:
        declared = read_dataset_info(folder).media_root
        if declared is None:
            return None
        root = check_media_root(declared)
        allowed = [folder.resolve(), *approved_media_roots(folder)]
    except (OSError, ValueError):  # (a refused root is a ValueError: never offered)
        return None
    return None if any(root.is_relative_to(a) for a in allowed) else root


def _report_time(folder: Path) -> float:
    try:
        return (folder / REPORT_NAME).stat().st_mtime
    except OSError:
        return 0.0


def _run_data(folder: Path) -> Path | None:
    """The dataset folder a run's ``config.toml`` names (resolved), None when unreadable."""
    try:
        with (folder / CONFIG_NAME).open("rb") as handle:
            path = tomllib.load(handle).get("data", {}).get("path", "")
        return Path(path).resolve() if path else None
    except (OSError, ValueError, AttributeError):
        return None
