"""The ``modalens`` command: one sub-command per thing the window can do."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from core import __version__
from core.atomic import WriteError
from core.cli import demo, gui, importer, report, strategies, train, value

COMMANDS = (demo, importer, train, value, strategies, report, gui)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one clear line on a wrong argument instead of a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="modalens",
        description="See and fix how a multimodal model uses each of its modalities, sample by sample.",
    )
    parser.add_argument("--version", action="version", version=f"modalens {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="print debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; with no command, the desktop app starts."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv or ["gui"])
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("modalens: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line for the user; --verbose adds the traceback
        if args.verbose:
            traceback.print_exc()
        print(f"modalens {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 1 if isinstance(exc, WriteError) else 2  # a failed write is not a usage error


def _message(exc: BaseException) -> str:
    problems = getattr(exc, "problems", None)
    if problems:
        return str(exc) + "\n" + "\n".join(f"  - {p}" for p in problems)
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


if __name__ == "__main__":
    sys.exit(main())
