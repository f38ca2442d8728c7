"""Event publishing on the real broker: body, headers, persistence, outages."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging

import aio_pika
import pytest

from common.effects.events import (
    SOURCE_ID_HEADER,
    AmqpEventPublisher,
    Event,
    EventAction,
    NullEventPublisher,
)

pytestmark = pytest.mark.rabbit


def _proxy_url(settings, port: int) -> str:
    return settings.amqp_url.replace(f":{settings.RABBITMQ_PORT}/", f":{port}/")


async def test_event_reaches_the_ingest_exchange_with_source_id(
    settings_factory, event_listener
):
    settings = settings_factory()
    publisher = AmqpEventPublisher(settings.amqp_url, settings.AMQP_NAMESPACE)
    created = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    async with event_listener as listener:
        await publisher.publish(
            Event(
                "dataset",
                EventAction.CREATED,
                {"_id": "p/1", "pid": "p/1", "createdAt": created},
                source_id="msg-1",
            )
        )
        message = await listener.next()
        await publisher.close()

    assert message.routing_key == "dataset.created"
    assert message.headers[SOURCE_ID_HEADER] == "msg-1"
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.content_type == "application/json"
    assert json.loads(message.body) == {
        "_id": "p/1",
        "pid": "p/1",
        "createdAt": "2026-01-02T03:04:05.678Z",
    }


async def test_outage_buffers_events_and_delivers_them_in_order_later(
    settings_factory, event_listener, broker_proxy
):
    settings = settings_factory()
    publisher = AmqpEventPublisher(
        _proxy_url(settings, broker_proxy.port),
        settings.AMQP_NAMESPACE,
        max_backoff=0.2,
    )
    async with event_listener as listener:
        await publisher.publish(Event("dataset", EventAction.CREATED, {"n": 0}))
        assert (await listener.next()).routing_key == "dataset.created"

        await broker_proxy.cut()
        for n in range(1, 4):
            # Never raises although the broker is unreachable.
            await publisher.publish(Event("dataset", EventAction.UPDATED, {"n": n}))
        assert publisher.pending == 3
        assert listener.messages.empty()

        await broker_proxy.start()
        async with asyncio.timeout(10):
            await publisher.drain()
        bodies = [json.loads((await listener.next()).body)["n"] for _ in range(3)]
        await publisher.close()

    assert bodies == [1, 2, 3]


async def test_full_buffer_drops_the_oldest_event_and_counts_it(
    settings_factory, caplog
):
    settings = settings_factory()
    # Port 9 (discard) is closed: every connection attempt fails at once.
    url = _proxy_url(settings, 9)
    publisher = AmqpEventPublisher(
        url, settings.AMQP_NAMESPACE, buffer_size=2, shutdown_grace=0.1
    )
    with caplog.at_level(logging.ERROR, logger="common.effects.events"):
        for n in range(6):
            await publisher.publish(Event("dataset", EventAction.CREATED, {"n": n}))
    assert publisher.pending == 2
    assert publisher.dropped == 4
    # Dropping is reported, but not once per event.
    ours = [r for r in caplog.records if r.name == "common.effects.events"]
    assert [r.getMessage() for r in ours] == [
        "event buffer full, oldest events dropped"
    ]
    await publisher.close()


async def test_null_publisher_accepts_events():
    publisher = NullEventPublisher()
    assert await publisher.publish(Event("dataset", EventAction.DELETED, {})) is None
    await publisher.close()


async def test_silent_broker_delays_only_the_first_publish(settings_factory):
    settings = settings_factory()

    async def accept_and_say_nothing(reader, writer):
        await reader.read()  # hold the connection open, never answer

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    publisher = AmqpEventPublisher(
        _proxy_url(settings, port),
        settings.AMQP_NAMESPACE,
        connect_timeout=0.5,
        shutdown_grace=0.1,
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(
        *(
            publisher.publish(Event("dataset", EventAction.CREATED, {"n": n}))
            for n in range(20)
        )
    )
    # One connection attempt times out; the other 19 do not queue behind it
    # for their own attempts.
    assert loop.time() - started < 2.0
    assert publisher.pending == 20
    await publisher.close()
    server.close()
