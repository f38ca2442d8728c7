from __future__ import annotations

import asyncio
import json
import logging

import aio_pika
import pytest
from faststream.rabbit import RabbitMessage

from ingest_worker.app import Worker, create_worker
from ingest_worker.status import BrokerState, BrokerStatus
from ingest_worker.supervisor import Backoff, ConnectionSupervisor
from ingest_worker.topology import Topology
from tests.fixtures.rabbit import free_port

# --- backoff and status, without the broker -----------------------------------


def test_backoff_doubles_up_to_the_cap():
    backoff = Backoff(initial=0.5, cap=4.0, jitter=lambda: 1.0)

    delays = [backoff.next_delay() for _ in range(6)]

    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_backoff_jitter_stays_within_half_to_full_step():
    low = Backoff(initial=2.0, cap=60.0, jitter=lambda: 0.0)
    assert low.next_delay() == 1.0
    assert low.next_delay() == 2.0


def test_backoff_starts_over_after_reset():
    backoff = Backoff(initial=0.5, cap=30.0, jitter=lambda: 1.0)
    for _ in range(4):
        backoff.next_delay()

    backoff.reset()

    assert backoff.next_delay() == 0.5


def test_status_reports_down_with_the_error_then_up():
    status = BrokerStatus()
    assert status.health()["status"] == "down"

    status.record_failure("ConnectionRefusedError: nope")
    status.record_failure("ConnectionRefusedError: nope")
    down = status.health()
    assert down["status"] == "down"
    assert down["message"] == "ConnectionRefusedError: nope"
    assert down["failedAttempts"] == 2
    assert down["since"].endswith("Z")

    status.mark_up()
    assert status.health() == {"status": "up", "since": status.health()["since"]}


async def test_status_waiters_wake_on_change():
    status = BrokerStatus()
    waiter = asyncio.create_task(status.wait_for(BrokerState.UP))
    await asyncio.sleep(0)
    assert not waiter.done()

    status.mark_up()

    await asyncio.wait_for(waiter, 1)


# --- against the real broker, through a proxy that can be cut -----------------


def _lines(caplog, level: int, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == level and text in r.getMessage()]


@pytest.fixture
async def running(rabbit_namespace):
    """Start a worker with given settings; stopped at teardown."""
    started: list[Worker] = []

    async def start(settings, setups=()) -> Worker:
        worker = create_worker(settings, setups)
        started.append(worker)
        await worker.start()
        return worker

    yield start
    for worker in started:
        await worker.stop()


@pytest.mark.rabbit
async def test_unreachable_broker_is_retried_with_one_warning(
    rabbit_settings_factory, running, caplog
):
    caplog.set_level(logging.DEBUG, logger="ingest_worker")
    settings = rabbit_settings_factory(RABBITMQ_PORT=free_port())

    worker = await running(settings)
    await asyncio.wait_for(
        worker.status.wait_until(lambda s: s.failed_attempts >= 4), 10
    )

    health = worker.status.health()
    assert health["status"] == "down"
    assert "Connect" in health["message"] or "refused" in health["message"].lower()
    assert len(_lines(caplog, logging.WARNING, "broker unreachable")) == 1
    assert len(_lines(caplog, logging.DEBUG, "broker still unreachable")) >= 3
    # The drivers' own per-attempt lines are not repeated at every attempt.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.rabbit
async def test_worker_connects_once_the_broker_appears(
    proxied_settings, tcp_proxy, running, caplog
):
    caplog.set_level(logging.INFO, logger="ingest_worker")
    await tcp_proxy.cut()

    worker = await running(proxied_settings)
    await asyncio.wait_for(
        worker.status.wait_until(lambda s: s.failed_attempts >= 2), 10
    )
    assert worker.status.health()["status"] == "down"

    await tcp_proxy.restore()
    await asyncio.wait_for(worker.wait_up(), 10)

    assert worker.status.health()["status"] == "up"
    connected = _lines(caplog, logging.INFO, "broker connected")
    assert len(connected) == 1
    assert connected[0].__dict__["failed_attempts"] >= 2


@pytest.mark.rabbit
async def test_outage_mid_run_is_survived_and_consuming_resumes(
    proxied_settings, tcp_proxy, running, rabbit_connection, caplog
):
    caplog.set_level(logging.INFO)
    received: asyncio.Queue[str] = asyncio.Queue()

    def register(worker: Worker) -> None:
        @worker.broker.subscriber(worker.topology.subscriber_queue("dataset.create"))
        async def on_dataset(message: RabbitMessage) -> None:
            received.put_nowait(json.loads(message.body)["pid"])

    worker = await running(proxied_settings, [register])
    await asyncio.wait_for(worker.wait_up(), 10)
    channel = await rabbit_connection.channel()
    exchange = await channel.get_exchange(worker.topology.ingest_exchange)

    await tcp_proxy.cut()
    await asyncio.wait_for(worker.wait_down(), 10)
    await asyncio.wait_for(
        worker.status.wait_until(lambda s: s.failed_attempts >= 3), 10
    )
    # Published during the outage, straight to the broker: it waits in the queue.
    await exchange.publish(
        aio_pika.Message(b'{"pid": "during-outage"}', message_id="m-1"),
        routing_key="dataset.create",
    )
    assert worker.status.health()["status"] == "down"

    await tcp_proxy.restore()
    await asyncio.wait_for(worker.wait_up(), 10)

    assert await asyncio.wait_for(received.get(), 10) == "during-outage"
    # One warning for the whole outage, however many attempts it took.
    assert len(_lines(caplog, logging.WARNING, "broker connection lost")) == 1
    assert _lines(caplog, logging.WARNING, "broker unreachable") == []
    assert [r for r in caplog.records if r.levelno == logging.WARNING] == (
        _lines(caplog, logging.WARNING, "broker connection lost")
    )
    assert len(_lines(caplog, logging.INFO, "broker connected")) == 2
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert tcp_proxy.connections >= 2


@pytest.mark.rabbit
async def test_refused_topology_stops_supervision_with_the_reason(
    rabbit_namespace, rabbit_connection, running
):
    channel = await rabbit_connection.channel()
    await channel.declare_queue(
        rabbit_namespace.topology.dead_queue,
        durable=True,
        arguments={"x-queue-type": "classic"},
    )

    worker = await running(rabbit_namespace.settings)
    error = await asyncio.wait_for(worker.wait_failed(), 10)

    assert "other arguments" in str(error)
    health = worker.status.health()
    assert health["status"] == "down"
    assert "other arguments" in health["message"]


@pytest.mark.rabbit
async def test_failed_teardown_of_a_dead_link_does_not_block_reconnection(
    proxied_settings, tcp_proxy, running
):
    worker = await running(proxied_settings)
    await asyncio.wait_for(worker.wait_up(), 10)
    real_stop = worker.broker.stop
    failures: list[bool] = []

    async def stop_failing_once(*args, **kwargs):
        if not failures:
            failures.append(True)
            raise RuntimeError("consumer cancel on a closed channel")
        await real_stop(*args, **kwargs)

    worker.broker.stop = stop_failing_once

    await tcp_proxy.cut()
    await asyncio.wait_for(worker.wait_down(), 10)
    await tcp_proxy.restore()
    await asyncio.wait_for(worker.wait_up(), 10)

    assert failures == [True]
    assert await worker.broker.ping(timeout=2)


class _RefusingBroker:
    """Stands in for RabbitBroker: every connection attempt is refused."""

    def __init__(self) -> None:
        self.attempts = 0
        self.stops = 0
        self.config = self
        self._connection = None

    async def connect(self):
        self.attempts += 1
        raise ConnectionRefusedError(111, "Connect call failed")

    async def stop(self) -> None:
        self.stops += 1

    def disconnect(self) -> None:
        return None


async def test_supervisor_backs_off_exponentially_up_to_the_cap(caplog):
    caplog.set_level(logging.DEBUG, logger="ingest_worker")
    broker = _RefusingBroker()
    status = BrokerStatus()
    waits: list[float] = []

    async def record(delay: float) -> None:
        waits.append(delay)
        if len(waits) == 7:
            raise asyncio.CancelledError

    supervisor = ConnectionSupervisor(
        broker,  # type: ignore[arg-type]
        Topology("ns", (1.0,)),
        status,
        Backoff(initial=0.5, cap=8.0, jitter=lambda: 1.0),
        sleep=record,
    )
    with pytest.raises(asyncio.CancelledError):
        await supervisor.run()

    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert broker.attempts == 7
    assert status.failed_attempts == 7
    assert status.health()["status"] == "down"
    assert "ConnectionRefusedError" in status.health()["message"]
    assert len(_lines(caplog, logging.WARNING, "broker unreachable")) == 1
    assert len(_lines(caplog, logging.DEBUG, "broker still unreachable")) == 6
