"""Keeps the worker connected: connect, declare, consume; on loss, back off and redo.

The supervisor owns the broker's lifecycle rather than aio-pika's built-in
reconnection, because that one retries at a fixed interval with a warning per
attempt; here the delay grows up to ``INGEST_RECONNECT_MAX_SECONDS`` and each
outage is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiormq
from aio_pika.abc import AbstractConnection
from faststream.rabbit import RabbitBroker

from common.errors import ConfigurationError

from .status import BrokerStatus
from .topology import Topology, declare_topology

logger = logging.getLogger(__name__)

# What an unreachable, refusing or vanishing broker raises while we connect.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    aiormq.exceptions.AMQPError,
    aiormq.exceptions.ChannelInvalidStateError,
    OSError,
    TimeoutError,
)

# Handlers in flight get this long to finish when consumers stop (SIGTERM or
# a lost link); their unacknowledged messages go back to the queue anyway.
GRACEFUL_SECONDS = 10.0
# Stopping subscribers of a dead connection cannot reach the broker; past the
# graceful wait, do not let it hold up the next attempt or the shutdown.
_TEARDOWN_SECONDS = GRACEFUL_SECONDS + 5.0


@dataclass
class Backoff:
    """Exponential delays with jitter, capped; ``reset`` after a success."""

    initial: float
    cap: float
    factor: float = 2.0
    jitter: Callable[[], float] = field(default=random.random)
    _current: float = field(default=0.0, init=False)

    def next_delay(self) -> float:
        self._current = (
            self.initial if not self._current else self._current * self.factor
        )
        self._current = min(self._current, self.cap)
        # Between half and all of the step, so that many workers do not
        # reconnect in lock-step after a broker restart.
        return self._current * (0.5 + self.jitter() / 2)

    def reset(self) -> None:
        self._current = 0.0


class ConnectionSupervisor:
    """Runs until cancelled; raises ConfigurationError when retrying cannot help."""

    def __init__(
        self,
        broker: RabbitBroker,
        topology: Topology,
        status: BrokerStatus,
        backoff: Backoff,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._broker = broker
        self._topology = topology
        self._status = status
        self._backoff = backoff
        self._sleep = sleep
        self._lost = asyncio.Event()
        self._lost_reason = "connection closed"
        self._stopping = False
        self._connection: AbstractConnection | None = None

    def _on_connection_close(
        self, _connection: Any, error: BaseException | None
    ) -> None:
        # aio-pika calls this whenever the link drops, also on our own close.
        if not self._stopping:
            self._lost_reason = _describe(error) if error else "connection closed"
            self._lost.set()

    async def run(self) -> None:
        while True:
            try:
                await self._connect()
            except ConfigurationError as exc:
                self._status.mark_down(exc.message)
                logger.error(
                    "broker topology refused; worker stopped",
                    extra={"error": exc.message, "details": exc.details},
                )
                await self._teardown()
                raise
            except CONNECTION_ERRORS as exc:
                await self._failed(exc, expected=True)
                continue
            except Exception as exc:
                # A bug in a consumer's set-up must not kill the process that
                # also serves the API; it is logged with its traceback.
                await self._failed(exc, expected=False)
                continue

            self._connected()
            await self._lost.wait()
            # This line opens the outage; the failed attempts after it are quiet.
            self._status.record_failure(self._lost_reason)
            logger.warning(
                "broker connection lost; reconnecting with backoff",
                extra={"error": self._lost_reason},
            )
            await self._teardown()
            await self._sleep(self._backoff.next_delay())

    async def stop(self) -> None:
        """Close the connection for good (the caller cancels :meth:`run`)."""
        self._stopping = True
        await self._teardown()
        self._status.mark_down("worker stopped")

    async def _connect(self) -> None:
        self._lost.clear()
        self._lost_reason = "connection closed"
        connection: AbstractConnection = await self._broker.connect()
        self._connection = connection
        connection.close_callbacks.add(self._on_connection_close)
        await declare_topology(connection, self._topology)
        await self._broker.start()

    def _connected(self) -> None:
        series = self._status.failed_attempts
        down_seconds = _seconds_since(self._status)
        self._backoff.reset()
        self._status.mark_up()
        logger.info(
            "broker connected",
            extra={
                "namespace": self._topology.namespace,
                "failed_attempts": series,
                "down_seconds": round(down_seconds, 3),
            },
        )

    async def _failed(self, exc: BaseException, *, expected: bool) -> None:
        first_of_series = self._status.failed_attempts == 0
        self._status.record_failure(_describe(exc))
        delay = self._backoff.next_delay()
        fields = {
            "error": _describe(exc),
            "attempt": self._status.failed_attempts,
            "retry_in_seconds": round(delay, 3),
        }
        if not expected:
            logger.error("broker start failed; retrying", extra=fields, exc_info=exc)
        elif first_of_series:
            logger.warning("broker unreachable; retrying with backoff", extra=fields)
        else:
            logger.debug("broker still unreachable", extra=fields)

        await self._teardown()
        await self._sleep(delay)

    async def _teardown(self) -> None:
        connection, self._connection = self._connection, None
        try:
            async with asyncio.timeout(_TEARDOWN_SECONDS):
                await self._broker.stop()
            return
        except Exception as exc:
            # Cancelling the consumers of a dead link can fail or hang; what
            # matters is that the next attempt starts from a clean broker.
            logger.debug("broker teardown incomplete", extra={"error": _describe(exc)})

        if connection is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_TEARDOWN_SECONDS):
                    await connection.close()
        # NOTE: FastStream's stop() resets this state only when it completes;
        # without the reset the next connect() would return the dead connection.
        self._broker.config.disconnect()
        self._broker._connection = None


class _DriverReconnectNoise(logging.Filter):
    """Drops the drivers' per-attempt connection lines; the supervisor reports outages.

    NOTE: aiormq logs every refused connection attempt at ERROR (and a dropped
    link as a WARNING with a traceback) and aio-pika adds an INFO line per
    attempt, which floods the log during an outage. The supervisor's own lines
    carry the drivers' error text.
    """

    _NOISE = (
        ("aiormq.connection", "error when creating transport"),
        ("aiormq.connection", "Cancelling cause reader exited abnormally"),
        ("aio_pika.robust_connection", "Connection to %s closed. Reconnecting"),
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(
            record.name == name and str(record.msg).startswith(prefix)
            for name, prefix in self._NOISE
        )


_NOISE_FILTER = _DriverReconnectNoise()


def quiet_driver_reconnect_logs() -> None:
    """Install the filter on the drivers' loggers (idempotent)."""
    for name, _prefix in _DriverReconnectNoise._NOISE:
        driver_logger = logging.getLogger(name)
        if _NOISE_FILTER not in driver_logger.filters:
            driver_logger.addFilter(_NOISE_FILTER)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def _seconds_since(status: BrokerStatus) -> float:
    return (datetime.now(UTC) - status.since).total_seconds()
