"""An ingest worker on the real broker, its store, SciCat's test accounts and a
publisher that collects replies and dead letters (``ingest`` fixture)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from common import jsoncodec
from common.effects.events import NullEventPublisher
from common.runtime import Runtime
from common.settings import Settings
from ingest_worker.app import Worker, create_worker
from ingest_worker.consumers import IngestConsumers
from tests.fixtures.accounts import ACCOUNTS_FILE, TEST_GROUP_SETTINGS

INGEST_TEST_SETTINGS: dict[str, object] = {
    "FUNCTIONAL_ACCOUNTS_FILE": ACCOUNTS_FILE,
    **TEST_GROUP_SETTINGS,
    "PID_PREFIX": "test.pid",
    "INGEST_RETRY_DELAYS": "0.2,0.4",
    "MAX_FILE_UPLOAD_SIZE": "256kb",
    "AMQP_EVENTS_ENABLED": "no",
}


@pytest.fixture
def rabbit_settings(rabbit_settings_factory) -> Settings:
    """This package's settings: SciCat's test groups, short retry delays."""
    return rabbit_settings_factory(**INGEST_TEST_SETTINGS)


@pytest.fixture
def accounts_settings(rabbit_settings: Settings) -> Settings:
    return rabbit_settings


@dataclass
class Ingest:
    """A running worker plus a publisher that sees replies and dead letters."""

    settings: Settings
    runtime: Runtime
    consumers: IngestConsumers
    accounts: Any
    channel: AbstractChannel
    reply_queue: AbstractQueue
    workers: list[Worker] = field(default_factory=list)
    replies: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    reply_messages: list[AbstractIncomingMessage] = field(default_factory=list)
    _dead: asyncio.Queue[AbstractIncomingMessage] | None = None

    @property
    def store(self) -> Any:
        return self.runtime.store

    async def start_worker(self, settings: Settings | None = None) -> Worker:
        worker = create_worker(settings or self.settings, [self.consumers.register])
        self.workers.append(worker)
        await worker.start()
        await asyncio.wait_for(worker.wait_up(), 15)
        return worker

    async def publish(
        self,
        routing_key: str,
        body: Any,
        *,
        user: str | None = "user1",
        token: str | None = None,
        message_id: str | None = "auto",
        reply: bool = True,
        headers: dict[str, Any] | None = None,
        content_type: str | None = "application/json",
        user_id: str | None = None,
        properties: dict[str, Any] | None = None,
    ) -> str:
        """Publish one message (a dict is JSON-encoded); its correlation id."""
        all_headers = dict(headers or {})
        if token is None and user is not None:
            token = await self.accounts.token(user)
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        correlation_id = uuid.uuid4().hex
        if reply:
            self.replies[correlation_id] = asyncio.get_running_loop().create_future()
        data = body if isinstance(body, bytes) else jsoncodec.dumps(body)
        message = aio_pika.Message(
            data,
            headers=all_headers,
            content_type=content_type,
            message_id=uuid.uuid4().hex if message_id == "auto" else message_id,
            correlation_id=correlation_id,
            reply_to=self.reply_queue.name if reply else None,
            user_id=user_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            **(properties or {}),
        )
        await self.exchange_publish(message, routing_key)
        return correlation_id

    async def exchange_publish(
        self, message: aio_pika.Message, routing_key: str
    ) -> None:
        exchange = await self.channel.get_exchange(
            f"{self.settings.AMQP_NAMESPACE}.ingest"
        )
        await exchange.publish(message, routing_key=routing_key)

    async def reply(self, correlation_id: str, within: float = 15) -> dict[str, Any]:
        return await asyncio.wait_for(
            asyncio.shield(self.replies[correlation_id]), within
        )

    async def dead_letter(self, within: float = 15) -> AbstractIncomingMessage:
        """The next message on ``<ns>.dead`` (consumed and acknowledged)."""
        if self._dead is None:
            self._dead = asyncio.Queue()
            queue = await self.channel.get_queue(f"{self.settings.AMQP_NAMESPACE}.dead")

            async def collect(message: AbstractIncomingMessage) -> None:
                await message.ack()
                assert self._dead is not None
                self._dead.put_nowait(message)

            await queue.consume(collect)
        return await asyncio.wait_for(self._dead.get(), within)

    async def on_reply(self, message: AbstractIncomingMessage) -> None:
        self.reply_messages.append(message)
        future = self.replies.get(message.correlation_id or "")
        if future is not None and not future.done():
            future.set_result(jsoncodec.loads(message.body))

    async def count(self, collection: str, where: dict[str, Any] | None = None) -> int:
        total: int = await self.store.collection(collection).count_documents(
            where or {}
        )
        return total


@pytest.fixture
async def ingest(
    rabbit_settings: Settings,
    rabbit_namespace,
    rabbit_connection,
    accounts,
) -> AsyncIterator[Ingest]:
    """A started worker on the real broker with SciCat's test accounts seeded."""
    runtime = await Runtime.open(
        rabbit_settings, store=accounts.store, events=NullEventPublisher()
    )
    channel = await rabbit_connection.channel()
    reply_queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    harness = Ingest(
        settings=rabbit_settings,
        runtime=runtime,
        consumers=IngestConsumers.from_runtime(runtime),
        accounts=accounts,
        channel=channel,
        reply_queue=reply_queue,
    )
    await reply_queue.consume(harness.on_reply, no_ack=True)
    await harness.start_worker()
    try:
        yield harness
    finally:
        for worker in harness.workers:
            await worker.stop()
        await channel.close()
        await runtime.close()
