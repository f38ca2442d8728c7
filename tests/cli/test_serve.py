from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
from typing import Any

import aiohttp
import aiormq
import pytest

from cli import serve as serve_module
from cli.main import build_parser, main
from cli.serve import (
    EXIT_BAD_SETTINGS,
    EXIT_FAILED,
    EXIT_OK,
    Part,
    api_services,
    serve,
)
from common import collector
from common.runtime import Runtime
from common.services import Services
from common.settings import Settings
from common.store import open_store
from tests.fixtures.rabbit import free_port


@pytest.fixture
def serve_settings(rabbit_settings_factory, tmp_path):
    """Settings for an in-process ``serve``: free port, temp store, own namespace."""

    def make(**overrides):
        values = {"PORT": free_port(), "HOST": "127.0.0.1"}
        values.update(overrides)
        return rabbit_settings_factory(**values)

    return make


class Running:
    """``serve`` in a task of the test's loop, stopped through its event."""

    def __init__(self, settings: Settings, parts: Part) -> None:
        self.settings = settings
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(serve(settings, parts, stop=self.stop))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.PORT}"

    async def health(self) -> tuple[int, dict[str, Any]]:
        """GET health once the API listens (connection refused until then)."""
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"{self.url}/api/v3/health") as reply:
                        return reply.status, await reply.json()
                except aiohttp.ClientConnectorError:
                    if self.task.done():
                        ended = self.task.result()
                        raise AssertionError(f"serve ended: {ended}") from None
                    await asyncio.sleep(0.05)

    async def health_until(self, condition) -> dict[str, Any]:
        """Ask health again until ``condition(body)`` holds (the worker is async)."""
        while True:
            _status, body = await self.health()
            if condition(body):
                return body
            await asyncio.sleep(0.05)

    async def finish(self) -> int:
        self.stop.set()
        return await asyncio.wait_for(self.task, 20)


@pytest.fixture
async def running():
    started: list[Running] = []

    def start(settings, parts) -> Running:
        run = Running(settings, parts)
        started.append(run)
        return run

    yield start
    for run in started:
        run.stop.set()
        await asyncio.gather(run.task, return_exceptions=True)


def test_the_three_commands_are_registered():
    parser = build_parser()
    for command in ("api", "worker", "all"):
        args = parser.parse_args([command])
        assert callable(args.handler)


def test_invalid_settings_exit_with_a_message(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("PORT", "not-a-port")

    assert main(["api"]) == EXIT_BAD_SETTINGS
    assert "PORT" in capsys.readouterr().err


def test_the_process_root_installs_the_gc_policy(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EMBEDDED_STORE_PATH", str(tmp_path / "store"))
    seen: list[bool] = []

    async def fake_serve(_settings, _parts, **_kwargs) -> int:
        seen.append(
            any(
                isinstance(c, collector.FreezeAfterFullCollections)
                for c in gc.callbacks
            )
        )
        return EXIT_OK

    monkeypatch.setattr(serve_module, "serve", fake_serve)
    try:
        assert main(["api"]) == EXIT_OK
    finally:
        collector.uninstall()

    assert seen == [True]


@pytest.mark.rabbit
async def test_all_serves_health_with_the_broker_up(
    serve_settings, running, rabbit_namespace
):
    run = running(serve_settings(), Part.ALL)

    status, body = await run.health()
    assert status == 200
    assert body["details"]["mongodb"]["status"] == "up"
    body = await asyncio.wait_for(
        run.health_until(lambda b: b["details"]["rabbitmq"]["status"] == "up"), 10
    )
    assert body["info"]["rabbitmq"]["status"] == "up"

    assert await run.finish() == EXIT_OK


@pytest.mark.rabbit
async def test_all_keeps_serving_when_the_broker_is_unreachable(
    serve_settings, running, rabbit_namespace
):
    run = running(serve_settings(RABBITMQ_PORT=free_port()), Part.ALL)

    status, body = await run.health()

    assert status == 200
    assert body["status"] == "ok"
    broker = body["details"]["rabbitmq"]
    assert broker["status"] == "down"
    assert "rabbitmq" not in body["error"]
    assert await run.finish() == EXIT_OK


async def test_api_alone_reports_no_broker(serve_settings, running):
    run = running(serve_settings(), Part.API)

    status, body = await run.health()

    assert status == 200
    assert "rabbitmq" not in body["details"]
    assert await run.finish() == EXIT_OK


async def test_accounts_are_seeded_at_start(serve_settings, running, tmp_path):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(
        json.dumps(
            [{"username": "ingestor", "email": "i@x.org", "password": "pw-1234"}]
        )
    )
    settings = serve_settings(FUNCTIONAL_ACCOUNTS_FILE=accounts)
    run = running(settings, Part.API)
    await run.health()
    assert await run.finish() == EXIT_OK

    store = await open_store(settings)
    try:
        user = await store.collection("User").find_one({"username": "ingestor"})
    finally:
        await store.close()
    assert user is not None
    assert user["email"] == "i@x.org"


async def test_a_taken_port_fails_start_up(serve_settings, running):
    first = running(serve_settings(), Part.API)
    await first.health()
    # A second process on the same port and a store folder of its own.
    second_settings = serve_settings(
        PORT=first.settings.PORT,
        EMBEDDED_STORE_PATH=first.settings.EMBEDDED_STORE_PATH.parent / "other",
    )

    code = await asyncio.wait_for(serve(second_settings, Part.API), 20)

    assert code == EXIT_FAILED
    assert await first.finish() == EXIT_OK


@pytest.mark.rabbit
async def test_worker_alone_exits_when_the_broker_refuses_the_topology(
    serve_settings, rabbit_namespace, rabbit_connection
):
    channel = await rabbit_connection.channel()
    await channel.declare_queue(
        rabbit_namespace.topology.dead_queue,
        durable=True,
        arguments={"x-queue-type": "classic"},
    )

    code = await asyncio.wait_for(serve(serve_settings(), Part.WORKER), 20)

    assert code == EXIT_FAILED


@pytest.mark.rabbit
async def test_worker_alone_stops_cleanly(
    serve_settings, running, rabbit_namespace, rabbit_connection
):
    run = running(serve_settings(), Part.WORKER)
    # Connected once its queues exist (the worker declares them on connecting).
    async with asyncio.timeout(10):
        while True:
            channel = await rabbit_connection.channel()
            try:
                await channel.declare_queue(
                    rabbit_namespace.topology.dead_queue, passive=True
                )
                break
            except aiormq.exceptions.ChannelNotFoundEntity:
                await asyncio.sleep(0.05)

    assert await run.finish() == EXIT_OK


async def test_a_locked_store_fails_start_up(serve_settings, running):
    first = running(serve_settings(), Part.API)
    await first.health()
    # Same embedded store folder: the second process must not share it.
    second_settings = serve_settings(
        EMBEDDED_STORE_PATH=first.settings.EMBEDDED_STORE_PATH
    )

    code = await asyncio.wait_for(serve(second_settings, Part.API), 20)

    assert code == EXIT_FAILED
    assert await first.finish() == EXIT_OK


@pytest.mark.rabbit
async def test_all_keeps_serving_when_the_broker_refuses_the_topology(
    serve_settings, running, rabbit_namespace, rabbit_connection
):
    channel = await rabbit_connection.channel()
    await channel.declare_queue(
        rabbit_namespace.topology.dead_queue,
        durable=True,
        arguments={"x-queue-type": "classic"},
    )
    run = running(serve_settings(), Part.ALL)

    body = await asyncio.wait_for(
        run.health_until(
            lambda b: "other arguments" in b["details"]["rabbitmq"].get("message", "")
        ),
        10,
    )

    assert body["status"] == "ok"
    assert body["details"]["rabbitmq"]["status"] == "down"
    assert await run.finish() == EXIT_OK


async def test_the_api_gets_the_runtime_services(settings):
    runtime = await Runtime.open(settings)
    try:
        container = api_services(runtime)

        assert container.get(Services) is runtime.services
        assert container.get(Runtime) is runtime
    finally:
        await runtime.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_stops_serving_with_exit_code_0(serve_settings, running, sig):
    run = running(serve_settings(), Part.API)
    await run.health()  # the handlers are installed before the API listens

    os.kill(os.getpid(), sig)

    # The test never sets the stop event itself: the signal handler does.
    assert await asyncio.wait_for(run.task, 20) == EXIT_OK
