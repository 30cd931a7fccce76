"""The ``modalens`` command: one sub-command per thing the window can do.

Only the chosen command's module is imported, and each imports its heavy dependencies (torch, h5py)
inside its ``run``: ``modalens --version`` and ``--help`` start in a fraction of a second.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
import traceback
from collections.abc import Sequence

from core import __version__

COMMANDS: dict[str, str] = {
    "demo": "write a demo dataset (mp4 + wav + manifest, or vectors)",
    "import": "write a dataset folder for a benchmark as distributed (CREMA-D, AVE, Kinetics-Sounds, ...)",
    "train": "train a model and value every sample after every epoch",
    "value": "value every sample of a split with a trained checkpoint",
    "strategies": "list training strategies and their parameters",
    "report": "inspect, export and check report files (.h5)",
    "experiment": "run a grid of strategies × seeds under one protocol, and its table",
    "compare": "compare two runs sample by sample: fixed, broken, φ per class and modality",
    "gui": "open the desktop app (default)",
}
"""Command name -> one-line help; the module ``core.cli.<MODULES.get(name, name)>`` adds its parser."""
MODULES = {"import": "importer"}  # `import` is a Python keyword


class HelpFormatter(argparse.HelpFormatter):
    """Appends "(default: X)" to an option's help when it has a default worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        shown = not (default is None or default is False or default in ([], argparse.SUPPRESS))
        if shown and "%(default)" not in text and (action.option_strings or action.nargs == "?"):
            text += " (default: %(default)s)"
        return text


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one clear line on a wrong argument instead of a usage dump, defaults in --help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {_with_suggestion(message)} (see {self.prog} --help)\n")


def _with_suggestion(message: str) -> str:
    """argparse's "invalid choice: 'x' (choose from ...)" with the closest choice named first."""
    from core.registry import did_you_mean

    match = re.search(r"invalid choice: '([^']*)'( \(choose from (.*)\))$", message)
    if match is None:
        return message
    hint = did_you_mean(match[1], re.findall(r"'([^']*)'", match[3]))
    return message[: match.start(2)] + hint + message[match.start(2) :]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command`` (when it names one) gets its full argument list."""
    parser = ArgumentParser(
        prog="modalens",
        description="See and fix how a multimodal model uses each of its modalities, sample by sample.",
    )
    parser.add_argument("--version", action="version", version=f"modalens {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="print debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for name, summary in COMMANDS.items():
        if name == command:
            importlib.import_module(f"core.cli.{MODULES.get(name, name)}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The first word that is not an option (the global options take no value), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; with no command, the desktop app starts."""
    argv = list(sys.argv[1:] if argv is None else argv) or ["gui"]
    parser = build_parser(chosen_command(argv))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not as a warning at interpreter exit
        return status
    except BrokenPipeError:
        # the reader went away (`modalens report summary FILE | head`): stop quietly, as the Python
        # docs recommend, pointing stdout at devnull so the interpreter's last flush cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("modalens: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line for the user; --verbose adds the traceback
        if args.verbose:
            traceback.print_exc()
        print(f"modalens {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 1 if isinstance(exc, OSError) and type(exc).__name__ == "WriteError" else 2  # not a usage error


def _message(exc: BaseException) -> str:
    problems = getattr(exc, "problems", None)
    if problems:
        return str(exc) + "\n" + "\n".join(f"  - {p}" for p in problems)
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


if __name__ == "__main__":
    sys.exit(main())
