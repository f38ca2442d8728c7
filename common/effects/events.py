"""Domain events (`<entity>.created|updated|deleted`) published after every write.

The AMQP publisher sends each event to the topic exchange ``<ns>.ingest`` as a
persistent message and waits for the broker's confirm. When the broker is away
the event waits in a bounded in-memory buffer that a background task flushes
with backoff; the write that caused the event has already succeeded and is never
failed by it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from common import jsoncodec
from common.errors import BrokerUnavailableError

logger = logging.getLogger(__name__)

SOURCE_ID_HEADER = "x-scicat-source-id"
ENTITY_HEADER = "x-scicat-entity"
ACTION_HEADER = "x-scicat-action"


class EventAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Event:
    """One domain event: what happened to which stored document, and who asked."""

    entity: str
    action: EventAction
    document: Mapping[str, Any]
    source_id: str | None = None
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def routing_key(self) -> str:
        return f"{self.entity}.{self.action.value}"


class EventPublisher(Protocol):
    """Publishes domain events; ``publish`` never raises for a broker failure."""

    async def publish(self, event: Event) -> None: ...

    async def close(self) -> None: ...


class NullEventPublisher:
    """Drops every event (no broker configured)."""

    async def publish(self, event: Event) -> None:
        return None

    async def close(self) -> None:
        return None


def ingest_exchange_name(namespace: str) -> str:
    return f"{namespace}.ingest"


def event_message(event: Event) -> aio_pika.Message:
    """The AMQP message for an event: JSON body, persistent, source id in headers."""
    headers: dict[str, Any] = {
        ENTITY_HEADER: event.entity,
        ACTION_HEADER: event.action.value,
    }
    if event.source_id is not None:
        headers[SOURCE_ID_HEADER] = event.source_id
    return aio_pika.Message(
        jsoncodec.dumps(dict(event.document)),
        headers=headers,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=event.event_id,
        type=event.routing_key,
    )


class AmqpEventPublisher:
    """Publishes events to ``<ns>.ingest`` with confirms; buffers through outages."""

    def __init__(
        self,
        url: str,
        namespace: str,
        *,
        buffer_size: int = 10_000,
        publish_timeout: float = 5.0,
        max_backoff: float = 30.0,
        shutdown_grace: float = 2.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self._url = url
        self._exchange_name = ingest_exchange_name(namespace)
        self._buffer: collections.deque[Event] = collections.deque()
        self._buffer_size = buffer_size
        self._publish_timeout = publish_timeout
        self._max_backoff = max_backoff
        self._shutdown_grace = shutdown_grace
        self._connect_timeout = connect_timeout
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._connect_lock = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False
        # Set when the broker failed us; until the background task gets
        # through again, events go straight to the buffer instead of each
        # waiting out its own connection attempt.
        self._down = False
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Events waiting in the retry buffer."""
        return len(self._buffer)

    async def publish(self, event: Event) -> None:
        """Send now if the buffer is empty and the broker answers, else buffer."""
        if self._closed:
            logger.warning(
                "event after close dropped",
                extra={"routing_key": event.routing_key, "source_id": event.source_id},
            )
            return
        if not self._buffer and not self._down:
            try:
                await self._send(event, retrying=False)
                return
            except asyncio.CancelledError:
                raise
            except BrokerUnavailableError:
                pass  # another publish found the broker away a moment ago
            except Exception as exc:
                logger.warning(
                    "event publish failed, buffered for retry",
                    extra={"routing_key": event.routing_key, "error": repr(exc)},
                )
                self._down = True
                await self._reset()
        self._enqueue(event)

    async def drain(self) -> None:
        """Return once the retry buffer is empty (wrap in ``asyncio.timeout``)."""
        while self._buffer:
            self._wakeup.set()
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        """Give buffered events a short last chance, then disconnect."""
        if self._buffer:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._shutdown_grace):
                    await self.drain()
        self._closed = True
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
            self._flusher = None
        if self._buffer:
            logger.error("events lost at shutdown", extra={"count": len(self._buffer)})
        await self._reset()

    def _enqueue(self, event: Event) -> None:
        if len(self._buffer) >= self._buffer_size:
            lost = self._buffer.popleft()
            self.dropped += 1
            # One line per thousand drops: a long outage must not flood the log.
            if self.dropped % 1000 == 1:
                logger.error(
                    "event buffer full, oldest events dropped",
                    extra={
                        "routing_key": lost.routing_key,
                        "source_id": lost.source_id,
                        "dropped_total": self.dropped,
                    },
                )
        self._buffer.append(event)
        self._wakeup.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_forever())

    async def _flush_forever(self) -> None:
        backoff = 0.2
        while not self._closed:
            if not self._buffer:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            event = self._buffer[0]
            try:
                await self._send(event, retrying=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "event retry failed",
                    extra={
                        "routing_key": event.routing_key,
                        "pending": len(self._buffer),
                        "retry_in": backoff,
                        "error": repr(exc),
                    },
                )
                await self._reset()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            # The event may have been pushed out by an overflow meanwhile.
            if self._buffer and self._buffer[0] is event:
                self._buffer.popleft()
            backoff = 0.2
            self._down = False
            if not self._buffer:
                logger.info("event buffer drained")

    async def _send(self, event: Event, *, retrying: bool) -> None:
        exchange = await self._ensure_exchange(retrying=retrying)
        await exchange.publish(
            event_message(event),
            routing_key=event.routing_key,
            mandatory=False,
            timeout=self._publish_timeout,
        )

    async def _ensure_exchange(self, *, retrying: bool) -> AbstractExchange:
        async with self._connect_lock:
            if self._down and not retrying:
                raise BrokerUnavailableError("event broker unavailable")
            if (
                self._exchange is not None
                and self._channel is not None
                and not self._channel.is_closed
            ):
                return self._exchange
            await self._reset_unlocked()
            connection = await aio_pika.connect(
                url=self._url, timeout=self._connect_timeout
            )
            try:
                channel = await connection.channel(publisher_confirms=True)
                exchange = await channel.declare_exchange(
                    self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
                )
            except BaseException:
                await connection.close()
                raise
            self._connection, self._channel, self._exchange = (
                connection,
                channel,
                exchange,
            )
            logger.info(
                "event publisher connected", extra={"exchange": self._exchange_name}
            )
            return exchange

    async def _reset(self) -> None:
        async with self._connect_lock:
            await self._reset_unlocked()

    async def _reset_unlocked(self) -> None:
        connection = self._connection
        self._connection = self._channel = self._exchange = None
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.debug("closing a broken connection failed: %r", exc)
