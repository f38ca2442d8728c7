"""`scicat seed-accounts`: store the functional accounts file's accounts now.

The server seeds them at start-up too; this command does it without starting
anything, e.g. after editing the file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from common.errors import SciCatError
from common.identity.seeding import seed_functional_accounts
from common.logging import configure_logging
from common.settings import Settings, load_settings
from common.store import open_store


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "seed-accounts",
        help="create the functional accounts of FUNCTIONAL_ACCOUNTS_FILE",
    )
    parser.add_argument(
        "--file",
        type=Path,
        default=None,
        help="accounts file to read instead of FUNCTIONAL_ACCOUNTS_FILE",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    overrides = {} if args.file is None else {"FUNCTIONAL_ACCOUNTS_FILE": args.file}
    settings = load_settings(**overrides)
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    try:
        count = asyncio.run(run(settings))
    except SciCatError as exc:
        print(f"seed-accounts failed: {exc}", file=sys.stderr)
        return 1
    print(f"{count} functional accounts in {settings.FUNCTIONAL_ACCOUNTS_FILE}")
    return 0


async def run(settings: Settings) -> int:
    """Seed into the configured store; returns the number of accounts in the file."""
    store = await open_store(settings)
    try:
        return await seed_functional_accounts(store, settings)
    finally:
        await store.close()
