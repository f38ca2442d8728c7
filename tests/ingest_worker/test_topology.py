from __future__ import annotations

import time

import aio_pika
import aiormq
import pytest

from common.errors import ConfigurationError
from ingest_worker.topology import (
    DELIVERY_LIMIT,
    INGEST_ROUTING_KEYS,
    Topology,
    declare_topology,
    delete_topology,
)

DELAYS = (1.0, 5.0, 30.0, 120.0, 600.0, 1800.0)


# --- names, without the broker ------------------------------------------------


def test_every_name_starts_with_the_namespace():
    names = Topology("ns1", DELAYS).names()

    assert all(name.startswith("ns1.") for name in names.exchanges + names.queues)


def test_the_contract_names():
    topology = Topology("scicat", DELAYS)
    names = topology.names()

    assert set(names.exchanges) >= {"scicat.ingest", "scicat.dlx", "scicat.retry.1"}
    assert set(names.queues) == {
        "scicat.dataset.create",
        "scicat.origdatablock.create",
        "scicat.datablock.create",
        "scicat.job.create",
        "scicat.job.update",
        "scicat.dead",
        "scicat.retry.1",
        "scicat.retry.5",
        "scicat.retry.30",
        "scicat.retry.120",
        "scicat.retry.600",
        "scicat.retry.1800",
    }


def test_queues_are_quorum_and_dead_letter_to_the_dlx():
    topology = Topology("ns", DELAYS)
    queues = {spec.name: spec for spec in topology.queues()}

    for key in INGEST_ROUTING_KEYS:
        spec = queues[f"ns.{key}"]
        assert spec.arguments["x-queue-type"] == "quorum"
        assert spec.arguments["x-dead-letter-exchange"] == "ns.dlx"
        assert spec.arguments["x-delivery-limit"] == DELIVERY_LIMIT
        assert spec.bindings == (("ns.ingest", key),)
    assert queues["ns.dead"].arguments == {"x-queue-type": "quorum"}


def test_delay_queues_expire_into_the_ingest_exchange_keeping_the_key():
    spec = {s.name: s for s in Topology("ns", (2.5,)).queues()}["ns.retry.2.5"]

    assert spec.arguments["x-message-ttl"] == 2500
    assert spec.arguments["x-dead-letter-exchange"] == "ns.ingest"
    assert "x-dead-letter-routing-key" not in spec.arguments
    assert spec.bindings == (("ns.retry.2.5", ""),)


@pytest.mark.parametrize("delays", [(0.0,), (-1.0,), (5.0, 5.0)])
def test_bad_retry_schedules_are_refused(delays):
    with pytest.raises(ConfigurationError):
        Topology("ns", delays)


def test_unknown_routing_key_and_delay_are_refused():
    topology = Topology("ns", (1.0,))
    with pytest.raises(ConfigurationError):
        topology.ingest_queue("dataset.delete")
    with pytest.raises(ConfigurationError):
        topology.retry_queue(7.0)


def test_topology_follows_the_settings(settings_factory):
    settings = settings_factory(AMQP_NAMESPACE="site-a", INGEST_RETRY_DELAYS="2,10")
    topology = Topology.from_settings(settings)

    assert topology.ingest_exchange == "site-a.ingest"
    assert topology.retry_queue(10.0) == "site-a.retry.10"


# --- on the real broker -------------------------------------------------------


async def _get(queue: aio_pika.abc.AbstractQueue, wait: float = 5.0):
    """The next message of ``queue``, awaited without polling sleeps."""
    async with queue.iterator(timeout=wait) as messages:
        async for message in messages:
            await message.ack()
            return message
    raise AssertionError(f"nothing arrived on {queue.name}")


async def _passive(connection, name: str):
    channel = await connection.channel()
    return await channel.declare_queue(name, passive=True)


@pytest.mark.rabbit
async def test_declared_queues_are_quorum(rabbit_connection, rabbit_namespace):
    topology = rabbit_namespace.topology
    await declare_topology(rabbit_connection, topology)

    for name in topology.names().queues:
        channel = await rabbit_connection.channel()
        # A classic declaration of an existing quorum queue is refused.
        with pytest.raises(aiormq.exceptions.ChannelPreconditionFailed):
            await channel.declare_queue(
                name, durable=True, arguments={"x-queue-type": "classic"}
            )


@pytest.mark.rabbit
async def test_routing_keys_reach_their_queues(rabbit_connection, rabbit_namespace):
    topology = rabbit_namespace.topology
    await declare_topology(rabbit_connection, topology)
    channel = await rabbit_connection.channel()
    exchange = await channel.get_exchange(topology.ingest_exchange)

    for key in INGEST_ROUTING_KEYS:
        await exchange.publish(aio_pika.Message(key.encode()), routing_key=key)

    for key in INGEST_ROUTING_KEYS:
        queue = await channel.get_queue(topology.ingest_queue(key))
        message = await _get(queue)
        assert message.body == key.encode()
        assert message.routing_key == key


@pytest.mark.rabbit
async def test_delay_queue_returns_the_message_with_its_routing_key(
    rabbit_connection, rabbit_namespace
):
    topology = rabbit_namespace.topology
    await declare_topology(rabbit_connection, topology)
    channel = await rabbit_connection.channel()
    retry = await channel.get_exchange(topology.retry_exchange(1.0))
    target = await channel.get_queue(topology.ingest_queue("origdatablock.create"))

    started = time.monotonic()
    await retry.publish(
        aio_pika.Message(b'{"datasetId": "x"}', message_id="m-1"),
        routing_key="origdatablock.create",
    )
    message = await _get(target, wait=10)
    waited = time.monotonic() - started

    assert message.body == b'{"datasetId": "x"}'
    assert message.message_id == "m-1"
    assert message.routing_key == "origdatablock.create"
    assert 0.9 <= waited < 5
    # Nothing else went astray: the other queues stayed empty.
    other = await channel.get_queue(topology.ingest_queue("dataset.create"))
    assert await other.get(fail=False) is None


@pytest.mark.rabbit
async def test_dead_letter_exchange_feeds_the_dead_queue(
    rabbit_connection, rabbit_namespace
):
    topology = rabbit_namespace.topology
    await declare_topology(rabbit_connection, topology)
    channel = await rabbit_connection.channel()
    dlx = await channel.get_exchange(topology.dead_letter_exchange)

    await dlx.publish(aio_pika.Message(b"bad"), routing_key="dataset.create")

    message = await _get(await channel.get_queue(topology.dead_queue))
    assert message.body == b"bad"
    assert message.routing_key == "dataset.create"


@pytest.mark.rabbit
async def test_poison_message_is_dead_lettered_after_the_delivery_limit(
    rabbit_connection, rabbit_namespace
):
    topology = rabbit_namespace.topology
    await declare_topology(rabbit_connection, topology)
    channel = await rabbit_connection.channel()
    exchange = await channel.get_exchange(topology.ingest_exchange)
    queue = await channel.get_queue(topology.ingest_queue("dataset.create"))

    await exchange.publish(aio_pika.Message(b"poison"), routing_key="dataset.create")
    returned = 0
    async with queue.iterator(timeout=5) as messages:
        async for message in messages:
            # What a crashing consumer does: the message goes back, again and again.
            await message.nack(requeue=True)
            returned += 1
            if returned > DELIVERY_LIMIT:
                break

    dead = await _get(await channel.get_queue(topology.dead_queue))
    assert dead.body == b"poison"
    assert dead.headers["x-death"][0]["reason"] == "delivery_limit"
    assert await queue.get(fail=False) is None


@pytest.mark.rabbit
async def test_declaring_twice_is_idempotent(rabbit_connection, rabbit_namespace):
    topology = rabbit_namespace.topology
    await declare_topology(rabbit_connection, topology)
    channel = await rabbit_connection.channel()
    exchange = await channel.get_exchange(topology.ingest_exchange)
    await exchange.publish(aio_pika.Message(b"kept"), routing_key="job.update")

    await declare_topology(rabbit_connection, topology)

    queue = await channel.get_queue(topology.ingest_queue("job.update"))
    assert (await _get(queue)).body == b"kept"


@pytest.mark.rabbit
async def test_changed_arguments_stop_with_a_configuration_error(
    rabbit_connection, rabbit_namespace
):
    topology = rabbit_namespace.topology
    channel = await rabbit_connection.channel()
    await channel.declare_queue(
        topology.dead_queue, durable=True, arguments={"x-queue-type": "classic"}
    )

    with pytest.raises(ConfigurationError, match="other arguments"):
        await declare_topology(rabbit_connection, topology)


@pytest.mark.rabbit
async def test_teardown_leaves_nothing_behind(rabbit_connection, rabbit_namespace):
    topology = rabbit_namespace.topology
    await declare_topology(rabbit_connection, topology)

    await delete_topology(rabbit_connection, topology)

    names = topology.names()
    for queue in names.queues:
        with pytest.raises(aiormq.exceptions.ChannelNotFoundEntity):
            await _passive(rabbit_connection, queue)
    for exchange in names.exchanges:
        channel = await rabbit_connection.channel()
        with pytest.raises(aiormq.exceptions.ChannelNotFoundEntity):
            await channel.declare_exchange(exchange, passive=True)
