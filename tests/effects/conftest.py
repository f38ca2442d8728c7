"""Broker helpers for the effects tests: an event listener and a cuttable TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aio_pika
import pytest

from common.effects.events import ingest_exchange_name


class EventListener:
    """A queue bound to ``<ns>.ingest`` for every routing key; deleted afterwards."""

    def __init__(self, url: str, namespace: str) -> None:
        self.url = url
        self.namespace = namespace
        self.messages: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = (
            asyncio.Queue()
        )

    async def __aenter__(self) -> EventListener:
        self.connection = await aio_pika.connect(self.url)
        channel = await self.connection.channel()
        self.exchange = await channel.declare_exchange(
            ingest_exchange_name(self.namespace),
            aio_pika.ExchangeType.TOPIC,
            durable=True,
        )
        self.queue = await channel.declare_queue(
            f"{self.namespace}.test-events", exclusive=True
        )
        await self.queue.bind(self.exchange, routing_key="#")
        await self.queue.consume(self._on_message, no_ack=True)
        return self

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        await self.messages.put(message)

    async def next(self, within: float = 5.0) -> aio_pika.abc.AbstractIncomingMessage:
        async with asyncio.timeout(within):
            return await self.messages.get()

    async def __aexit__(self, *exc: object) -> None:
        await self.queue.delete(if_unused=False, if_empty=False)
        await self.exchange.delete()
        await self.connection.close()


@pytest.fixture
def event_listener(settings_factory):
    settings = settings_factory()
    return EventListener(settings.amqp_url, settings.AMQP_NAMESPACE)


class CuttableProxy:
    """A TCP proxy to the broker whose connections can be cut and refused."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and break every open connection."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for task in list(self.pipes):
            task.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            finally:
                dst.close()

        for task in (
            asyncio.create_task(pipe(reader, up_writer)),
            asyncio.create_task(pipe(up_reader, writer)),
        ):
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)


@pytest.fixture
async def broker_proxy(settings_factory) -> AsyncIterator[CuttableProxy]:
    settings = settings_factory()
    proxy = CuttableProxy(settings.RABBITMQ_HOSTNAME, settings.RABBITMQ_PORT)
    await proxy.start()
    yield proxy
    with contextlib.suppress(Exception):
        await proxy.cut()
