"""``modalens report summary|export|figure|validate|repair``: look into a run's report file from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from core.text import plural

EPOCHS_NOTE = "Epochs are numbered from 1, as the run's output counts them."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` command and its sub-commands to the main parser's sub-parsers."""
    parser = subparsers.add_parser(
        "report",
        help="inspect, export, check and repair report files (.h5)",
        description="Inspect, export, check and repair the HDF5 report a run writes (see docs/report-format.md). "
        + EPOCHS_NOTE,
    )
    commands = parser.add_subparsers(dest="report_command", metavar="COMMAND", required=True)

    summary = commands.add_parser(
        "summary",
        help="per-epoch mean φ per modality, accuracy and re-sampled copies",
        description="Print the report's state and a table, one row per epoch: mean Shapley value per "
        "modality and valued split, accuracies from the epoch metrics, and the extra copies re-sampling "
        "planned. " + EPOCHS_NOTE,
    )
    summary.add_argument("file", help="report file (.h5), finished or still being written")
    summary.set_defaults(func=_guarded("summary", _summary))

    export = commands.add_parser(
        "export",
        help="per-sample Shapley values as CSV, or a closed copy of the report",
        description="--csv: write one CSV row per valued sample: id, label (class name), label_index, "
        "split, then a column phi/<modality>/e<epoch> per modality and epoch (e1 is the first epoch). "
        "It holds one valued split: train by default (or the only one), another with --split NAME, the rows "
        "of every valued split with --split all (a cell stays empty where a split did not value that epoch). "
        "--h5: write a closed copy of the report's complete epochs (optionally one split) that any HDF5 "
        "tool opens, even while the run still writes the source. The output appears complete or not at all.",
    )
    export.add_argument("file", help="report file (.h5)")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--csv", metavar="OUT", help="CSV file to write")
    target.add_argument("--h5", metavar="OUT", help="report copy to write")
    export.add_argument(
        "--split",
        help="valued split to export (--csv default: train, or the only one; 'all': every valued split, one file)",
    )
    export.add_argument(
        "--epoch", type=int, help="--csv only: export only this epoch, counted from 1 (default: every epoch)"
    )
    export.add_argument(
        "--value-fn",
        help="--csv only: the value function the values are shown under (benefit, accuracy, probability, "
        "log-probability; default: the run's); needs a report of format 2",
    )
    export.add_argument(
        "--interaction",
        action="store_true",
        help="--csv only: add a column interaction/<a>+<b>/e<epoch> per modality pair and epoch: the pair's "
        "Shapley interaction index (positive: synergy, negative: redundancy), from the coalition values",
    )
    export.set_defaults(func=_guarded("export", _export))

    figure = commands.add_parser(
        "figure",
        help="the standard figures of a report as PNG, SVG and PDF (no display needed)",
        description="Write the standard figures of one valued split, sized for a paper column (3.5 in wide, "
        "8 pt text): phi_epochs_<split> (mean φ per modality over epochs), phi_hist_<split>_e<k> (φ per "
        "modality at epoch k) and interaction_hist_<split>_e<k> (Shapley interaction of each modality pair; "
        "needs two modalities and an exact valuation). " + EPOCHS_NOTE,
    )
    figure.add_argument("file", help="report file (.h5)")
    figure.add_argument("--out", required=True, metavar="DIR", help="folder to write the figures to (made if missing)")
    figure.add_argument("--split", help="valued split (default: train, or the only one)")
    figure.add_argument("--epoch", type=int, help="epoch of the histograms, counted from 1 (default: the last valued)")
    figure.add_argument("--value-fn", help="value function to show the values under (default: the run's)")
    figure.add_argument(
        "--format", default="png,svg,pdf", help="comma-separated formats among png, svg, pdf (default: all three)"
    )
    figure.set_defaults(func=_guarded("figure", _figure))

    validate = commands.add_parser(
        "validate",
        help="check a file against the report format, listing every deviation",
        description="Check a file against the report format this ModaLens writes and list every deviation. "
        "Exit status: 0 valid, 1 deviations found, 2 not readable as HDF5.",
    )
    validate.add_argument("file", help="report file (.h5)")
    validate.set_defaults(func=_guarded("validate", _validate))

    repair = commands.add_parser(
        "repair",
        help="make a report that a killed run left marked open readable by every HDF5 tool",
        description="A run killed before it closed its report leaves the file marked as open for writing, "
        "which HDF5 tools other than ModaLens refuse. Rewrite it (through FILE.repair.tmp and an atomic rename) keeping "
        "every complete epoch. Refuses while the run still writes the file; does nothing to a file not marked open.",
    )
    repair.add_argument("file", help="report file (.h5)")
    repair.set_defaults(func=_guarded("repair", _repair))


def _summary(args: argparse.Namespace) -> int:
    from core.report import open_report
    from core.report.summary import summary_text

    with open_report(args.file) as report:
        print(summary_text(report))
    return 0


def _export(args: argparse.Namespace) -> int:
    from core.report import ReportError, export_report, open_report
    from core.report.summary import ALL_SPLITS, csv_valuations, write_phi_csv

    if args.h5:
        if args.epoch is not None or args.interaction:
            option = "--epoch" if args.epoch is not None else "--interaction"
            raise ReportError(f"{option} applies to --csv only; --h5 copies every complete epoch")
        export_report(args.file, args.h5, split=args.split)
        print(f"wrote {args.h5}")
        return 0
    with open_report(args.file) as report:
        epoch = _file_epoch(report, args)
        rows = write_phi_csv(
            report, args.csv, split=args.split, epoch=epoch, value_fn=args.value_fn, interaction=args.interaction
        )
        splits = [v.split for v in csv_valuations(report, args.split)]
        others = [name for name in report.valuation if name not in splits]
    if args.split == ALL_SPLITS:
        print(f"wrote {rows} samples of splits {', '.join(splits)} to {args.csv}")
        return 0
    hint = f"; also valued: {', '.join(others)} (--split NAME, or --split all for every split)" if others else ""
    print(f"wrote {rows} samples of split {splits[0]} to {args.csv}{hint}")
    return 0


def _file_epoch(report, args: argparse.Namespace) -> int | None:
    """``--epoch`` (counted from 1) as the file's 0-based index, checked against the split's epochs."""
    from core.report import ReportError
    from core.report.summary import csv_valuations

    if args.epoch is None:
        return None
    epochs = sorted({e for v in csv_valuations(report, args.split) for e in v.epochs.tolist()})
    if args.epoch - 1 not in epochs:
        raise ReportError(f"{args.file}: no epoch {args.epoch} valued (epochs: {_numbered(epochs)})")
    return args.epoch - 1


def _figure(args: argparse.Namespace) -> int:
    from core.report import ReportError, open_report

    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in ("png", "svg", "pdf")]
    if unknown or not formats:
        raise ReportError(f"--format {args.format!r}: expected some of png, svg, pdf, comma-separated")
    from core.figures import report_figures  # matplotlib: only for this command

    with open_report(args.file) as report:
        written = report_figures(
            report, args.out, split=args.split, epoch=_file_epoch(report, args), value_fn=args.value_fn, formats=formats
        )
    for path in written:
        print(f"wrote {path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from core.report import open_report, validate_report
    from core.report.files import writer_left_open
    from core.report.format import FORMAT_VERSION
    from core.report.repair import live_writer

    problems = validate_report(args.file)
    if writer_left_open(args.file):
        writer = live_writer(args.file)
        if writer is None:
            print(
                f"note: {args.file} is marked open by a writer that is gone (its run was killed), so HDF5 tools other "
                f"than ModaLens refuse it: it needs repair, run `modalens report repair {args.file}`"
            )
        else:
            print(
                f"note: {args.file} is marked open by a writer that is still running ({writer}); other HDF5 tools "
                f"open it once the run ends, or read a copy: `modalens report export {args.file} --h5 COPY`"
            )
    if problems:
        print(f"{args.file}: {len(problems)} deviation(s) from report format {FORMAT_VERSION}:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    with open_report(args.file) as report:
        splits = ", ".join(f"{v.split} ({plural(len(v.epochs), 'epoch')})" for v in report.valuation.values()) or "none"
        print(
            f"{args.file}: valid ModaLens report (format {FORMAT_VERSION}, state {report.state}, valuations: {splits})"
        )
    return 0


def _numbered(epochs: list[int]) -> str:
    """0-based epoch indices as the user counts them: "1..5", or "1, 3, 4" when some are missing."""
    if not epochs:
        return "none yet"
    if epochs == list(range(epochs[0], epochs[-1] + 1)) and len(epochs) > 2:
        return f"{epochs[0] + 1}..{epochs[-1] + 1}"
    return ", ".join(str(e + 1) for e in epochs)


def _repair(args: argparse.Namespace) -> int:
    from core.report.repair import repair_report

    result = repair_report(args.file)
    if not result.repaired:
        print(f"{args.file}: not marked open by a writer; nothing to repair")
        return 0
    kept = ", ".join(f"{split} {plural(count, 'epoch')}" for split, count in result.epochs.items()) or "no valuation yet"
    print(f"repaired {args.file}: every complete epoch kept ({kept}); every HDF5 tool opens it now")
    return 0


def _guarded(name: str, command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a sub-command, turning bad input into one line on stderr and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        from core.report import ReportError

        try:
            return command(args)
        except ReportError as exc:
            message = str(exc)
        except BrokenPipeError:
            raise  # the reader of stdout went away: main ends quietly
        except OSError as exc:
            message = f"{getattr(exc, 'filename', None) or args.file}: {exc.strerror or exc}"
        print(f"modalens report {name}: error: {message}", file=sys.stderr)
        return 2

    return run
