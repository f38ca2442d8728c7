from __future__ import annotations

import asyncio
import json
from typing import Any

import aio_pika
import pytest
from faststream.rabbit import RabbitMessage

from common.errors import ConfigurationError
from ingest_worker.app import Worker, create_worker


@pytest.fixture
async def worker_factory(rabbit_namespace):
    """Build workers in the test's namespace; every one is stopped afterwards."""
    workers: list[Worker] = []

    def make(settings=None, setups=()):
        worker = create_worker(settings or rabbit_namespace.settings, setups)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        await worker.stop()


@pytest.mark.rabbit
async def test_worker_connects_and_declares_the_topology(
    worker_factory, rabbit_connection
):
    worker = worker_factory()

    await worker.start()
    await asyncio.wait_for(worker.wait_up(), 10)

    assert worker.status.health()["status"] == "up"
    channel = await rabbit_connection.channel()
    for name in worker.topology.names().queues:
        await channel.declare_queue(name, passive=True)


@pytest.mark.rabbit
async def test_setups_register_consumers_on_the_worker_queues(
    worker_factory, rabbit_connection
):
    received: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    def register(worker: Worker) -> None:
        queue = worker.topology.subscriber_queue("dataset.create")

        @worker.broker.subscriber(queue)
        async def on_dataset(message: RabbitMessage) -> None:
            received.put_nowait((message.message_id, json.loads(message.body)))

    worker = worker_factory(setups=[register])
    await worker.start()
    await asyncio.wait_for(worker.wait_up(), 10)

    channel = await rabbit_connection.channel()
    exchange = await channel.get_exchange(worker.topology.ingest_exchange)
    await exchange.publish(
        aio_pika.Message(b'{"pid": "p1"}', message_id="m-7"),
        routing_key="dataset.create",
    )

    assert await asyncio.wait_for(received.get(), 10) == ("m-7", {"pid": "p1"})


@pytest.mark.rabbit
async def test_prefetch_bounds_unacknowledged_deliveries(
    rabbit_settings_factory, worker_factory, rabbit_connection
):
    settings = rabbit_settings_factory(INGEST_PREFETCH=3)
    holding: list[RabbitMessage] = []
    three_held = asyncio.Event()
    release = asyncio.Event()

    def register(worker: Worker) -> None:
        queue = worker.topology.subscriber_queue("job.create")

        @worker.broker.subscriber(queue)
        async def hold(message: RabbitMessage) -> None:
            holding.append(message)
            if len(holding) == 3:
                three_held.set()
            await release.wait()

    worker = worker_factory(settings, setups=[register])
    await worker.start()
    await asyncio.wait_for(worker.wait_up(), 10)
    channel = await rabbit_connection.channel()
    exchange = await channel.get_exchange(worker.topology.ingest_exchange)
    for number in range(10):
        await exchange.publish(
            aio_pika.Message(b"{}", message_id=str(number)), routing_key="job.create"
        )

    await asyncio.wait_for(three_held.wait(), 10)
    # Let the broker deliver more if the limit were not there.
    await asyncio.sleep(0.3)
    assert len(holding) == 3
    release.set()


@pytest.mark.rabbit
async def test_stop_is_clean_and_repeatable(worker_factory):
    worker = worker_factory()
    await worker.start()
    await asyncio.wait_for(worker.wait_up(), 10)

    await worker.stop()
    await worker.stop()

    assert worker.broker.running is False
    assert worker.status.health()["status"] == "down"
    assert worker.status.health()["message"] == "worker stopped"


@pytest.mark.parametrize("prefetch", [0, -1])
def test_an_unbounded_prefetch_is_refused(settings_factory, prefetch):
    with pytest.raises(ConfigurationError, match="INGEST_PREFETCH"):
        create_worker(settings_factory(INGEST_PREFETCH=prefetch))


@pytest.mark.rabbit
async def test_stop_lets_the_message_in_flight_finish(
    worker_factory, rabbit_connection
):
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[str | None] = []

    def register(worker: Worker) -> None:
        @worker.broker.subscriber(worker.topology.subscriber_queue("datablock.create"))
        async def slow(message: RabbitMessage) -> None:
            started.set()
            await release.wait()
            finished.append(message.message_id)

    worker = worker_factory(setups=[register])
    await worker.start()
    await asyncio.wait_for(worker.wait_up(), 10)
    channel = await rabbit_connection.channel()
    exchange = await channel.get_exchange(worker.topology.ingest_exchange)
    await exchange.publish(
        aio_pika.Message(b"{}", message_id="in-flight"), routing_key="datablock.create"
    )
    await asyncio.wait_for(started.wait(), 10)

    stopping = asyncio.create_task(worker.stop())
    await asyncio.sleep(0.2)
    assert not stopping.done()  # waiting for the handler, not cutting it off
    release.set()
    await asyncio.wait_for(stopping, 15)

    assert finished == ["in-flight"]
    queue = await channel.declare_queue(
        worker.topology.ingest_queue("datablock.create"), passive=True
    )
    assert queue.declaration_result.message_count == 0  # acknowledged, not requeued
