"""``scicat publish KIND FILE...``: publish JSON files as ingest messages.

Each file holds one message body (a JSON object) or a list of them. Messages
are persistent, carry a message id (random, or derived from the content with
``--stable-ids`` so that publishing the same file again is a duplicate) and
are confirmed by the broker. ``--wait`` asks for replies and prints each as a
JSON line; the exit code then says whether every message was accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
from tqdm import tqdm

from common import jsoncodec
from common.settings import Settings, load_settings
from ingest_worker.consumers.contract import API_VERSION_HEADER, AUTHORIZATION_HEADER
from ingest_worker.consumers.routes import INGEST_ROUTES
from ingest_worker.topology import Topology

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_BROKER = 3

KINDS = {route.routing_key.split(".")[0]: route.routing_key for route in INGEST_ROUTES}
# Publications in flight at once; each waits for its confirm.
_WINDOW = 256
_STABLE_NAMESPACE = uuid.UUID("6b4f3e2a-1c0d-5e9f-8a7b-3c2d1e0f9a8b")


@dataclass(frozen=True, slots=True)
class Outgoing:
    source: str
    message_id: str
    body: bytes


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "publish", help="publish JSON files as ingest messages", description=__doc__
    )
    parser.add_argument("kind", help=f"one of {', '.join(KINDS)} (or its routing key)")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--token", help="a SciCat JWT sent as 'authorization: Bearer'")
    parser.add_argument(
        "--as-broker-user",
        action="store_true",
        help="set user_id to the broker user (the worker maps it to that account)",
    )
    parser.add_argument("--api-version", choices=("3", "4"), default="3")
    parser.add_argument(
        "--stable-ids", action="store_true", help="derive message ids from the content"
    )
    parser.add_argument(
        "--wait", action="store_true", help="wait for and print replies"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="for --wait")
    parser.set_defaults(handler=handle)


def routing_key_of(kind: str) -> str | None:
    if kind in KINDS.values():
        return kind
    return KINDS.get(kind)


def read_messages(routing_key: str, files: list[Path], stable: bool) -> list[Outgoing]:
    """One message per object; raises ValueError naming the file at fault."""
    messages: list[Outgoing] = []
    for path in files:
        try:
            content = jsoncodec.loads(path.read_bytes())
        except (OSError, jsoncodec.JSONDecodeError) as exc:
            raise ValueError(f"{path}: {exc}") from exc
        bodies = content if isinstance(content, list) else [content]
        for index, body in enumerate(bodies):
            if not isinstance(body, dict):
                raise ValueError(f"{path}: item {index} is not a JSON object")
            data = jsoncodec.dumps(body)
            message_id = (
                str(uuid.uuid5(_STABLE_NAMESPACE, routing_key + data.decode()))
                if stable
                else uuid.uuid4().hex
            )
            messages.append(Outgoing(f"{path}#{index}", message_id, data))
    return messages


def handle(args: argparse.Namespace) -> int:
    routing_key = routing_key_of(args.kind)
    if routing_key is None:
        print(f"scicat publish: unknown kind {args.kind!r}", file=sys.stderr)
        return EXIT_USAGE
    try:
        messages = read_messages(routing_key, args.files, args.stable_ids)
    except ValueError as exc:
        print(f"scicat publish: {exc}", file=sys.stderr)
        return EXIT_USAGE
    settings = load_settings()
    try:
        return asyncio.run(publish(settings, routing_key, messages, args))
    except (OSError, aio_pika.exceptions.AMQPException) as exc:
        print(f"scicat publish: broker unreachable: {exc}", file=sys.stderr)
        return EXIT_BROKER


async def publish(
    settings: Settings,
    routing_key: str,
    messages: list[Outgoing],
    args: argparse.Namespace,
) -> int:
    headers: dict[str, Any] = {API_VERSION_HEADER: args.api_version}
    if args.token:
        headers[AUTHORIZATION_HEADER] = f"Bearer {args.token}"
    user_id = settings.RABBITMQ_USERNAME if args.as_broker_user else None

    connection = await aio_pika.connect(settings.amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(
            Topology.from_settings(settings).ingest_exchange
        )
        replies: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        reply_to = None
        if args.wait:
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.consume(replies.put, no_ack=True)
            reply_to = queue.name

        gate = asyncio.Semaphore(_WINDOW)
        bar = tqdm(total=len(messages), unit="msg", file=sys.stderr, desc=routing_key)

        async def one(outgoing: Outgoing) -> None:
            async with gate:
                await exchange.publish(
                    aio_pika.Message(
                        outgoing.body,
                        content_type="application/json",
                        message_id=outgoing.message_id,
                        correlation_id=outgoing.message_id,
                        reply_to=reply_to,
                        headers=headers,
                        user_id=user_id,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=routing_key,
                )
            bar.update()

        try:
            await asyncio.gather(*(one(outgoing) for outgoing in messages))
        finally:
            bar.close()
        if not args.wait:
            return EXIT_OK
        return await _print_replies(messages, replies, args.timeout)


async def _print_replies(
    messages: list[Outgoing],
    replies: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage],
    within: float,
) -> int:
    sources = {outgoing.message_id: outgoing.source for outgoing in messages}
    answered: set[str] = set()
    rejected = False
    try:
        async with asyncio.timeout(within):
            while len(answered) < len(sources):
                message = await replies.get()
                correlation = message.correlation_id or ""
                if correlation not in sources or correlation in answered:
                    continue
                answered.add(correlation)
                reply = jsoncodec.loads(message.body)
                rejected = rejected or reply.get("status") == "rejected"
                line = {"source": sources[correlation], "messageId": correlation}
                print(json.dumps({**line, **reply}))
    except TimeoutError:
        missing = len(sources) - len(answered)
        print(f"scicat publish: {missing} replies missing", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_REJECTED if rejected else EXIT_OK
