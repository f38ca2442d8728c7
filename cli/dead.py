"""``scicat dead list|replay``: inspect and replay the ingest dead-letter queue.

``list`` leaves every message in the queue; ``replay`` re-publishes the chosen
ones to their original routing key and removes each only after the broker
confirmed its copy (see :mod:`ingest_worker.dead_letters`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import aio_pika

from common.settings import Settings, load_settings
from ingest_worker import dead_letters
from ingest_worker.topology import Topology

EXIT_OK = 0
EXIT_BROKER = 3


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "dead", help="list or replay dead-lettered ingest messages"
    )
    actions = parser.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="show dead letters (none is removed)")
    listing.add_argument("--code", help="only this error code, e.g. invalid")
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.set_defaults(handler=_list)

    replaying = actions.add_parser(
        "replay", help="re-publish dead letters to their original routing key"
    )
    replaying.add_argument("--code", help="only this error code, e.g. forbidden")
    replaying.add_argument("--limit", type=int, help="at most this many, oldest first")
    replaying.set_defaults(handler=_replay)


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        letters = asyncio.run(_peek(settings))
    except (OSError, aio_pika.exceptions.AMQPException) as exc:
        print(f"scicat dead: broker unreachable: {exc}", file=sys.stderr)
        return EXIT_BROKER
    chosen = [item for item in letters if args.code is None or item.code == args.code]
    for letter in chosen:
        summary = letter.summary()
        if args.json:
            print(json.dumps(summary, default=str))
        else:
            message = str(summary["error"].get("message", ""))[:100]
            print(
                f"{summary['deadAt']:<25} {summary['routingKey']:<22} "
                f"{summary['messageId'] or '-':<34} {summary['code']:<18} {message}"
            )
    print(f"{len(chosen)} of {len(letters)} dead letters", file=sys.stderr)
    return EXIT_OK


def _replay(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        replayed = asyncio.run(_replay_async(settings, args.code, args.limit))
    except (OSError, aio_pika.exceptions.AMQPException) as exc:
        print(f"scicat dead: broker unreachable: {exc}", file=sys.stderr)
        return EXIT_BROKER
    for letter in replayed:
        print(f"replayed {letter.routing_key} {letter.message.message_id}")
    print(f"{len(replayed)} dead letters replayed", file=sys.stderr)
    return EXIT_OK


async def _peek(settings: Settings) -> list[dead_letters.DeadLetter]:
    connection = await aio_pika.connect(settings.amqp_url, timeout=10)
    async with connection:
        return await dead_letters.peek(connection, Topology.from_settings(settings))


async def _replay_async(
    settings: Settings, code: str | None, limit: int | None
) -> list[dead_letters.DeadLetter]:
    connection = await aio_pika.connect(settings.amqp_url, timeout=10)
    async with connection:
        return await dead_letters.replay(
            connection,
            Topology.from_settings(settings),
            connection_user=settings.RABBITMQ_USERNAME,
            code=code,
            limit=limit,
        )
