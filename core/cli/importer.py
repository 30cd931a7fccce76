"""``modalens import``: turn a dataset as distributed (CREMA-D, AVE, Kinetics, ...) into a dataset folder."""

from __future__ import annotations

import argparse
from typing import Any

from core.data.sources import SOURCES
from core.data.sources.base import Option
from core.data.sources.writer import import_dataset

_DEST = "source_option_"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="write a dataset folder (manifest.csv) for a dataset as distributed; see --list",
        description="Read a dataset in its native layout and write DIR/manifest.csv pointing at the media "
        "where they are (nothing is copied), DIR/dataset.toml and DIR/import.txt (what was found and "
        "what was skipped, and why).",
    )
    parser.add_argument("source", nargs="?", help="dataset source (see --list)")
    parser.add_argument("root", nargs="?", help="the dataset's folder as downloaded")
    parser.add_argument("--out", metavar="DIR", help="dataset folder to write")
    parser.add_argument("--list", action="store_true", help="list the sources, their layouts and options")
    parser.add_argument("--force", action="store_true", help="replace a manifest.csv already in DIR")
    group = parser.add_argument_group("source options (which source takes which: see --list)")
    for option, users in _all_options().items():
        shown = f"option of {', '.join(users)} (see --list)"
        if option.switch:
            group.add_argument(
                option.flag, dest=_DEST + option.key, action="store_true", default=None, help=shown
            )
        else:
            group.add_argument(
                option.flag,
                dest=_DEST + option.key,
                type=option.type,
                choices=option.choices,
                metavar=option.metavar or None,
                default=None,
                help=shown,
            )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        print(describe_sources())
        return 0
    if not args.source or not args.root or not args.out:
        raise ValueError("usage: modalens import SOURCE ROOT --out DIR [options] (modalens import --list)")
    source = SOURCES.get(args.source)
    given: dict[str, Any] = {}
    for key, value in vars(args).items():
        if key.startswith(_DEST) and value is not None:
            given[key[len(_DEST) :]] = value
    result = import_dataset(source, args.root, args.out, given, force=args.force, echo=print)
    print(
        f"\nwrote {result.out} ({len(result.samples)} samples); "
        f"train on it: modalens train --data {result.out}"
    )
    return 0


def describe_sources() -> str:
    """Every source: summary, expected layout and options with defaults."""
    lines = []
    for name in SOURCES.names():
        source = SOURCES.get(name)
        lines += [f"{name}: {source.summary}", f"    layout: {source.layout}"]
        for option in source.options:
            flag = option.flag if option.switch else f"{option.flag} {option.metavar or 'VALUE'}"
            default = "" if option.default is None or option.switch else f" (default {option.default})"
            lines.append(f"    {flag}: {option.help}{default}")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _all_options() -> dict[Option, list[str]]:
    """Each flag once, with the sources that take it (a shared flag has one type in all of them)."""
    flags: dict[str, Option] = {}
    users: dict[str, list[str]] = {}
    for name in SOURCES.names():
        for option in SOURCES.get(name).options:
            other = flags.setdefault(option.flag, option)
            if (other.type, other.switch, other.choices) != (option.type, option.switch, option.choices):
                raise TypeError(f"option {option.flag} has different types in two dataset sources")
            users.setdefault(option.flag, []).append(name)
    return {flags[flag]: names for flag, names in users.items()}
