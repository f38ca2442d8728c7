"""`scicat migrate up|down|status`: apply, revert or list the numbered migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from common.errors import SciCatError
from common.logging import configure_logging
from common.settings import Settings, load_settings
from common.store import open_store
from migrations import runner


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate", help="apply (up), revert the last (down) or list (status) migrations"
    )
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    try:
        lines = asyncio.run(run(args.action, settings))
    except SciCatError as exc:
        print(f"migrate {args.action} failed: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


async def run(action: str, settings: Settings) -> list[str]:
    """Run one action against the configured store; returns lines to print."""
    store = await open_store(settings)
    try:
        if action == "up":
            applied = await runner.up(store, settings)
            return [f"applied {name}" for name in applied] or ["nothing to apply"]
        if action == "down":
            reverted = await runner.down(store, settings)
            return [f"reverted {reverted}" if reverted else "nothing to revert"]
        return [
            f"{'applied' if s.applied else 'pending'}  {s.name}  {s.intent}"
            for s in await runner.status(store)
        ]
    finally:
        await store.close()
