"""Ingest throughput: SciCat-shaped raw datasets through the worker vs a bare consumer.

    .venv/bin/python -m bench.ingest [--messages 10000] [--prefetch 64]

Publishes ``--messages`` raw datasets (50 scientific metadata keys each) as
persistent messages with publisher confirms, concurrently, first to a bare
aio-pika consumer (decode JSON, ack; same prefetch, same quorum queue
arguments) and then to the ingest worker (``dataset.create``), and prints
datasets per second from the first publish to the last ack (bare) or the last
stored dataset (worker); then, as the ceiling, the same creates called on the
dataset service in-process with as many in flight. Uses MONGODB_URI when
set, else the embedded store in a temporary folder, and names it. Needs
RabbitMQ at RABBITMQ_HOSTNAME. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from common import collector, jsoncodec
from common.effects.events import NullEventPublisher
from common.identity import passwords
from common.identity.login import login
from common.identity.principal import Identity
from common.identity.seeding import seed_functional_accounts
from common.identity.tokens import TokenCodec
from common.runtime import Runtime
from common.services.context import CallContext
from common.settings import Settings
from common.store import open_store
from ingest_worker.app import create_worker
from ingest_worker.consumers import IngestConsumers
from ingest_worker.topology import Topology, delete_topology
from migrations import runner

ACCOUNT = {
    "username": "benchIngestor",
    "password": "bench-password",
    "email": "bench@facility.example",
    "role": "benchgroup",
    "global": False,
}


class CountingConsumers(IngestConsumers):
    """The worker's consumers, telling when the expected number has settled."""

    def expect(self, count: int) -> None:
        self._expected = count
        self._settled = 0
        self.all_settled = asyncio.Event()

    async def handle(self, route: Any, raw: AbstractIncomingMessage) -> None:
        await super().handle(route, raw)
        self._settled += 1
        if self._settled >= self._expected:
            self.all_settled.set()


def raw_dataset(number: int) -> dict[str, Any]:
    """A v3 raw dataset body as a DAQ system would publish it."""
    metadata = {
        f"parameter_{k:02d}": {"value": number * 0.5 + k, "unit": "mm"}
        for k in range(50)
    }
    return {
        "owner": f"owner{number % 500}",
        "contactEmail": f"owner{number % 500}@facility.example",
        "sourceFolder": f"/data/run_{number:06d}",
        "size": number * 1000,
        "numberOfFiles": 10,
        "creationTime": "2026-01-02T03:04:05.000Z",
        "type": "raw",
        "ownerGroup": "benchgroup",
        "accessGroups": ["benchreaders"],
        "principalInvestigator": "pi@facility.example",
        "creationLocation": "/facility/beamline1",
        "keywords": ["bench", f"k{number % 7}"],
        "scientificMetadata": metadata,
    }


async def publish_all(
    channel: AbstractChannel,
    exchange_name: str,
    routing_key: str,
    bodies: list[bytes],
    headers: dict[str, Any],
    window: int = 512,
) -> None:
    """Persistent messages with message ids, confirmed, ``window`` in flight."""
    exchange = await channel.get_exchange(exchange_name)
    gate = asyncio.Semaphore(window)

    async def one(body: bytes) -> None:
        async with gate:
            await exchange.publish(
                aio_pika.Message(
                    body,
                    content_type="application/json",
                    message_id=uuid.uuid4().hex,
                    headers=headers,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=routing_key,
            )

    await asyncio.gather(*(one(body) for body in bodies))


async def bare_rate(settings: Settings, bodies: list[bytes], prefetch: int) -> float:
    """Messages per second through a consumer that only decodes and acks."""
    name = f"{settings.AMQP_NAMESPACE}.bare"
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        consume_channel = await connection.channel()
        await consume_channel.set_qos(prefetch_count=prefetch)
        arguments = Topology.from_settings(settings)._ingest_arguments()
        queue = await consume_channel.declare_queue(
            name, durable=True, arguments=arguments
        )
        exchange = await consume_channel.declare_exchange(
            name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        await queue.bind(exchange, routing_key="bare")
        done = asyncio.Event()
        seen = 0

        async def on_message(message: AbstractIncomingMessage) -> None:
            nonlocal seen
            json.loads(message.body)
            await message.ack()
            seen += 1
            if seen == len(bodies):
                done.set()

        tag = await queue.consume(on_message)
        publish_channel = await connection.channel()
        started = time.perf_counter()
        await publish_all(publish_channel, name, "bare", bodies, {})
        await done.wait()
        elapsed = time.perf_counter() - started
        await queue.cancel(tag)
        await consume_channel.queue_delete(name)
        await consume_channel.exchange_delete(name)
        return len(bodies) / elapsed
    finally:
        await connection.close()


async def worker_rate(
    settings: Settings, bodies: list[bytes], store_kind: list[str]
) -> float:
    """Datasets per second through the ingest worker, until all are stored."""
    store = await open_store(settings)
    store_kind.append(store.kind)
    await runner.up(store, settings)
    await seed_functional_accounts(store, settings)
    codec = TokenCodec.from_settings(settings)
    answer = await login(store, settings, codec, "benchIngestor", "bench-password")
    headers = {"authorization": f"Bearer {answer['access_token']}"}
    runtime = await Runtime.open(settings, store=store, events=NullEventPublisher())
    consumers = CountingConsumers.from_runtime(runtime)
    consumers.expect(len(bodies))
    worker = create_worker(settings, [consumers.register])
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        await worker.start()
        await asyncio.wait_for(worker.wait_up(), 30)
        datasets = store.collection("Dataset")
        before = await datasets.count_documents({})
        channel = await connection.channel()
        started = time.perf_counter()
        await publish_all(
            channel,
            f"{settings.AMQP_NAMESPACE}.ingest",
            "dataset.create",
            bodies,
            headers,
        )
        # A message is acknowledged only after its dataset is stored.
        await consumers.all_settled.wait()
        elapsed = time.perf_counter() - started
        stored = await datasets.count_documents({}) - before
        if stored != len(bodies):
            raise RuntimeError(f"{stored} datasets stored for {len(bodies)} messages")
        return len(bodies) / elapsed
    finally:
        await worker.stop()
        await delete_topology(connection, Topology.from_settings(settings))
        await connection.close()
        await runtime.close()
        await store.close()


async def service_rate(settings: Settings, bodies: list[bytes], prefetch: int) -> float:
    """The ceiling: the same creates called in-process, ``prefetch`` at a time."""
    settings = settings.model_copy(
        update={"EMBEDDED_STORE_PATH": settings.EMBEDDED_STORE_PATH / "ceiling"}
    )
    store = await open_store(settings)
    await runner.up(store, settings)
    runtime = await Runtime.open(settings, store=store, events=NullEventPublisher())
    identity = Identity("benchIngestor", "0" * 24, ACCOUNT["email"], ("benchgroup",))
    context = CallContext(identity)
    gate = asyncio.Semaphore(prefetch)

    async def one(number: int, body: bytes) -> None:
        async with gate:
            await runtime.services.datasets.create(
                context, jsoncodec.loads(body), id_seed=f"ceiling-{number}"
            )

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(n, body) for n, body in enumerate(bodies)))
        return len(bodies) / (time.perf_counter() - started)
    finally:
        await runtime.close()
        await store.close()


async def run(messages: int, prefetch: int) -> None:
    with tempfile.TemporaryDirectory(prefix="scicat-bench-") as folder:
        accounts = Path(folder) / "accounts.json"
        accounts.write_text(json.dumps([ACCOUNT]))
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            EMBEDDED_STORE_PATH=Path(folder) / "store",
            MONGODB_URI=os.environ.get("MONGODB_URI") or None,
            RABBITMQ_HOSTNAME=os.environ.get("RABBITMQ_HOSTNAME", "127.0.0.1"),
            AMQP_NAMESPACE=f"bench-{uuid.uuid4().hex[:8]}",
            INGEST_PREFETCH=prefetch,
            JWT_SECRET="bench-secret-which-is-long-enough-for-hs256",
            FUNCTIONAL_ACCOUNTS_FILE=accounts,
            CREATE_DATASET_GROUPS="benchgroup",
            PID_PREFIX="20.500.12269",
            AMQP_EVENTS_ENABLED="no",
        )
        bodies = [jsoncodec.dumps(raw_dataset(n)) for n in range(messages)]
        bare = await bare_rate(settings, bodies, prefetch)
        kind: list[str] = []
        ours = await worker_rate(settings, bodies, kind)
        ceiling = await service_rate(settings, bodies, prefetch)

    print(f"messages: {messages} raw datasets, 50 metadata keys, prefetch {prefetch}")
    print(f"store: {kind[0]}")
    print(f"bare aio-pika consumer (decode + ack): {bare:8.0f} messages/s")
    print(f"ingest worker (stored datasets):       {ours:8.0f} datasets/s")
    print(f"dataset service alone (no broker):     {ceiling:8.0f} datasets/s")
    print(f"worker / bare: {ours / bare:.2f}, worker / service: {ours / ceiling:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--prefetch", type=int, default=64)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # A benchmark account needs no expensive hash.
    passwords.ROUNDS = 4
    # The worker's process policy (``scicat worker`` installs it at its root).
    collector.install()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.messages, args.prefetch))


if __name__ == "__main__":
    main()
