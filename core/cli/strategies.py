"""``modalens strategies``: list the registered training strategies with their parameters."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "strategies", description="List the training strategies with their parameters and defaults."
    )
    parser.add_argument("name", nargs="?", help="show only this strategy")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.strategies import STRATEGIES, describe_params

    names = [STRATEGIES.get(args.name).name] if args.name else STRATEGIES.names()
    for name in names:
        cls = STRATEGIES.get(name)
        print(f"{name}: {cls.summary}")
        for param, default, help_text in describe_params(cls):
            print(f"    {param} = {default!r}    {help_text}")
    return 0
