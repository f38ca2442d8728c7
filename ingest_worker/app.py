"""The worker's composition root: ``create_worker(settings)`` and its lifecycle.

Consumers are added by set-up functions that receive the :class:`Worker`
before it starts, for example::

    def register_datasets(worker: Worker) -> None:
        queue = worker.topology.subscriber_queue("dataset.create")

        @worker.broker.subscriber(queue)
        async def on_dataset(message: RabbitMessage) -> None: ...

    worker = create_worker(settings, setups=[register_datasets])
    await worker.start()   # returns at once; connects in the background
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from faststream.rabbit import RabbitBroker
from faststream.rabbit.schemas import Channel

from common.errors import ConfigurationError
from common.settings import Settings

from .status import BrokerState, BrokerStatus
from .supervisor import (
    GRACEFUL_SECONDS,
    Backoff,
    ConnectionSupervisor,
    quiet_driver_reconnect_logs,
)
from .topology import Topology

logger = logging.getLogger(__name__)

# First reconnection delay; it doubles up to INGEST_RECONNECT_MAX_SECONDS.
_FIRST_RETRY_SECONDS = 0.5
# A connection attempt to a black-holed address gives up after this.
_CONNECT_TIMEOUT_SECONDS = 10.0

WorkerSetup = Callable[["Worker"], None]


class Worker:
    """The broker, its topology and the supervision that keeps them connected."""

    def __init__(self, settings: Settings, broker: RabbitBroker) -> None:
        self.settings = settings
        self.broker = broker
        self.topology = Topology.from_settings(settings)
        self.status = BrokerStatus()
        cap = max(settings.INGEST_RECONNECT_MAX_SECONDS, 0.01)
        self.supervisor = ConnectionSupervisor(
            broker,
            self.topology,
            self.status,
            Backoff(initial=min(_FIRST_RETRY_SECONDS, cap), cap=cap),
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start connecting in the background; never fails for an absent broker."""
        if self._task is not None:
            return
        quiet_driver_reconnect_logs()
        self._task = asyncio.create_task(
            self.supervisor.run(), name="ingest-worker-supervisor"
        )

    async def stop(self) -> None:
        """Stop consuming, close the connection; safe to call more than once."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # gather: the task's own cancellation (or its ConfigurationError) is
            # collected, while a cancellation of stop() itself still propagates.
            await asyncio.gather(task, return_exceptions=True)
        await self.supervisor.stop()
        logger.info("worker stopped", extra={"namespace": self.topology.namespace})

    async def wait_up(self) -> None:
        await self.status.wait_for(BrokerState.UP)

    async def wait_down(self) -> None:
        await self.status.wait_for(BrokerState.DOWN)

    async def wait_failed(self) -> BaseException:
        """Return the error that ended supervision for good (bad topology)."""
        if self._task is None:
            raise RuntimeError("worker not started")
        try:
            await asyncio.shield(self._task)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return exc
        raise RuntimeError("supervision ended without an error")


def create_worker(settings: Settings, setups: Iterable[WorkerSetup] = ()) -> Worker:
    """Build the broker (not yet connected) and apply the consumers' set-ups."""
    if settings.INGEST_PREFETCH < 1:
        # Zero would mean no limit at all: one slow store could buffer a
        # whole queue in memory.
        raise ConfigurationError(
            "INGEST_PREFETCH must be at least 1",
            details={"INGEST_PREFETCH": settings.INGEST_PREFETCH},
        )
    broker = RabbitBroker(
        settings.amqp_url,
        default_channel=Channel(prefetch_count=settings.INGEST_PREFETCH),
        timeout=_CONNECT_TIMEOUT_SECONDS,
        # aio-pika's own reconnection must not compete with the supervisor's:
        # it would retry at once and then wait this long.
        reconnect_interval=max(settings.INGEST_RECONNECT_MAX_SECONDS, 1.0),
        logger=logging.getLogger("ingest_worker.broker"),
        log_level=logging.DEBUG,
        graceful_timeout=GRACEFUL_SECONDS,
    )
    worker = Worker(settings, broker)
    for setup in setups:
        setup(worker)
    return worker
