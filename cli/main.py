"""`scicat ...`: dispatch to the sub-command modules.

Each module in ``SUBCOMMANDS`` exposes ``register(subparsers)``, which adds its
parser and sets ``handler`` (a callable taking the parsed arguments and
returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS = (
    "cli.serve",
    "cli.migrate",
    "cli.accounts",
    "cli.publish",
    "cli.dead",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scicat",
        description="SciCat in Python: serve, migrate, seed, publish, inspect.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
