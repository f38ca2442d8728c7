"""Every exchange and queue the ingest worker declares, named from ``AMQP_NAMESPACE``.

    <ns>.ingest  (topic)  --dataset.create------> <ns>.dataset.create   (quorum)
                          --origdatablock.create-> <ns>.origdatablock.create
                          --datablock.create----> <ns>.datablock.create
                          --job.create----------> <ns>.job.create
                          --job.update----------> <ns>.job.update
    <ns>.dlx     (fanout) ----------------------> <ns>.dead             (quorum)
    <ns>.retry.<d> (fanout) --------------------> <ns>.retry.<d>        (quorum, TTL d)
                                                  expires back into <ns>.ingest,
                                                  keeping its routing key

Queue arguments are part of the message contract: RabbitMQ refuses to re-declare
a queue with other arguments (PRECONDITION_FAILED), so they are fixed here once
and documented in ``docs/messaging.md``. Changing the retry schedule adds new
delay queues (the delay is in the name) instead of changing old ones.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import aiormq
from aio_pika.abc import AbstractConnection, ExchangeType
from faststream.rabbit import QueueType, RabbitQueue
from faststream.rabbit.schemas.queue import QuorumQueueArgs

from common.errors import ConfigurationError
from common.settings import Settings

logger = logging.getLogger(__name__)

# Routing keys of the message contract (DESIGN §4); each has its own queue.
INGEST_ROUTING_KEYS: tuple[str, ...] = (
    "dataset.create",
    "origdatablock.create",
    "datablock.create",
    "job.create",
    "job.update",
)

# A message returned to its queue this many times (consumer crashes, lost
# connections) is dead-lettered by the broker instead of crashing workers forever.
DELIVERY_LIMIT = 10


class ExchangeKind(enum.StrEnum):
    TOPIC = "topic"
    FANOUT = "fanout"


@dataclass(frozen=True, slots=True)
class ExchangeSpec:
    """A durable exchange to declare."""

    name: str
    kind: ExchangeKind


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A durable quorum queue, its fixed arguments and its bindings."""

    name: str
    arguments: dict[str, Any]
    bindings: tuple[tuple[str, str], ...] = ()  # (exchange, routing key)


@dataclass(frozen=True, slots=True)
class DeclaredNames:
    """Every name the topology declares: for test cleanup and dead-letter tools."""

    exchanges: tuple[str, ...]
    queues: tuple[str, ...]


def format_delay(seconds: float) -> str:
    """The delay as it appears in a retry queue's name: ``5``, ``120``, ``2.5``."""
    return f"{seconds:g}"


@dataclass(frozen=True, slots=True)
class Topology:
    """The names and arguments derived from one namespace and retry schedule."""

    namespace: str
    retry_delays: tuple[float, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.namespace:
            raise ConfigurationError("AMQP_NAMESPACE must not be empty")
        if any(delay <= 0 for delay in self.retry_delays):
            raise ConfigurationError(
                "INGEST_RETRY_DELAYS must be positive",
                details={"delays": list(self.retry_delays)},
            )
        names = [format_delay(delay) for delay in self.retry_delays]
        if len(set(names)) != len(names):
            raise ConfigurationError(
                "INGEST_RETRY_DELAYS has repeated delays",
                details={"delays": names},
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> Topology:
        return cls(settings.AMQP_NAMESPACE, tuple(settings.INGEST_RETRY_DELAYS))

    # --- names --------------------------------------------------------------
    @property
    def ingest_exchange(self) -> str:
        return f"{self.namespace}.ingest"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.namespace}.dlx"

    @property
    def dead_queue(self) -> str:
        return f"{self.namespace}.dead"

    def ingest_queue(self, routing_key: str) -> str:
        if routing_key not in INGEST_ROUTING_KEYS:
            raise ConfigurationError(
                "unknown ingest routing key", details={"routing_key": routing_key}
            )
        return f"{self.namespace}.{routing_key}"

    def retry_exchange(self, delay: float) -> str:
        """Publish a retry here with the original routing key; it keeps it."""
        return f"{self.namespace}.retry.{format_delay(self._known(delay))}"

    def retry_queue(self, delay: float) -> str:
        return f"{self.namespace}.retry.{format_delay(self._known(delay))}"

    def _known(self, delay: float) -> float:
        if delay not in self.retry_delays:
            raise ConfigurationError(
                "not a configured retry delay",
                details={"delay": delay, "delays": list(self.retry_delays)},
            )
        return delay

    # --- declarations -------------------------------------------------------
    def exchanges(self) -> tuple[ExchangeSpec, ...]:
        retry = tuple(
            ExchangeSpec(self.retry_exchange(delay), ExchangeKind.FANOUT)
            for delay in self.retry_delays
        )
        return (
            ExchangeSpec(self.ingest_exchange, ExchangeKind.TOPIC),
            ExchangeSpec(self.dead_letter_exchange, ExchangeKind.FANOUT),
            *retry,
        )

    def queues(self) -> tuple[QueueSpec, ...]:
        ingest = tuple(
            QueueSpec(
                self.ingest_queue(key),
                self._ingest_arguments(),
                ((self.ingest_exchange, key),),
            )
            for key in INGEST_ROUTING_KEYS
        )
        retry = tuple(
            QueueSpec(
                self.retry_queue(delay),
                self._retry_arguments(delay),
                ((self.retry_exchange(delay), ""),),
            )
            for delay in self.retry_delays
        )
        dead = QueueSpec(
            self.dead_queue,
            {"x-queue-type": "quorum"},
            ((self.dead_letter_exchange, ""),),
        )
        return (*ingest, dead, *retry)

    def names(self) -> DeclaredNames:
        return DeclaredNames(
            exchanges=tuple(spec.name for spec in self.exchanges()),
            queues=tuple(spec.name for spec in self.queues()),
        )

    def subscriber_queue(self, routing_key: str) -> RabbitQueue:
        """The FastStream queue for a consumer: already declared and bound, so passive.

        Passive, because FastStream would otherwise re-declare it with arguments
        of its own choosing, and any difference stops start-up.
        """
        return RabbitQueue(
            self.ingest_queue(routing_key),
            queue_type=QueueType.QUORUM,
            declare=False,
            arguments=cast("QuorumQueueArgs", self._ingest_arguments()),
            routing_key=routing_key,
        )

    def _ingest_arguments(self) -> dict[str, Any]:
        # at-least-once dead-lettering needs reject-publish overflow; without a
        # length limit that overflow setting never triggers.
        return {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            "x-delivery-limit": DELIVERY_LIMIT,
        }

    def _retry_arguments(self, delay: float) -> dict[str, Any]:
        # No x-dead-letter-routing-key: an expired message keeps the routing key
        # it was published with, which is the original one.
        return {
            "x-queue-type": "quorum",
            "x-message-ttl": round(delay * 1000),
            "x-dead-letter-exchange": self.ingest_exchange,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }


async def declare_topology(connection: AbstractConnection, topology: Topology) -> None:
    """Declare every exchange, queue and binding; idempotent.

    Raises ConfigurationError when an existing queue or exchange has other
    arguments (the broker's PRECONDITION_FAILED): a restart cannot fix that.
    """
    # A refused declaration closes its channel, so use one of our own.
    async with connection.channel(publisher_confirms=False) as channel:
        try:
            for exchange in topology.exchanges():
                await channel.declare_exchange(
                    exchange.name, ExchangeType(exchange.kind.value), durable=True
                )
            for queue in topology.queues():
                declared = await channel.declare_queue(
                    queue.name, durable=True, arguments=queue.arguments
                )
                for exchange_name, routing_key in queue.bindings:
                    await declared.bind(exchange_name, routing_key=routing_key)
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            raise ConfigurationError(
                "the broker holds a queue or exchange with other arguments",
                details={"namespace": topology.namespace, "broker": str(exc)},
            ) from exc

    logger.info(
        "topology declared",
        extra={
            "namespace": topology.namespace,
            "queues": len(topology.queues()),
            "exchanges": len(topology.exchanges()),
        },
    )


async def delete_topology(connection: AbstractConnection, topology: Topology) -> None:
    """Delete every queue and exchange of the topology, messages included."""
    names = topology.names()
    async with connection.channel(publisher_confirms=False) as channel:
        for queue in names.queues:
            await channel.queue_delete(queue)
        for exchange in names.exchanges:
            await channel.exchange_delete(exchange)
