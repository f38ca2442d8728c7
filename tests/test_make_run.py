"""``make run`` acceptance: ``scicat all`` as its own process, as an operator runs it.

The real ``make run`` is the same command after the install step and
``scicat migrate up``; here it runs from a temporary folder (no ``.env``) with
a temporary store, a free port and the test's broker namespace.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fixtures.rabbit import free_port

pytestmark = [pytest.mark.slow, pytest.mark.rabbit]

SCICAT = Path(sys.executable).parent / "scicat"
HEALTH_DEADLINE_SECONDS = 30


class Process:
    """A ``scicat all`` subprocess whose JSON log lines are read as they come."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc = proc
        self.port = port
        self.lines: list[dict[str, Any]] = []
        self._reader = asyncio.create_task(self._read())
        self._seen = asyncio.Event()

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            try:
                self.lines.append(json.loads(raw))
            except ValueError:
                self.lines.append({"event": raw.decode(errors="replace")})
            self._seen.set()

    async def wait_for_line(self, event: str) -> dict[str, Any]:
        """The first log line whose event is ``event``, awaited as lines arrive."""
        while True:
            for line in self.lines:
                if line.get("event") == event:
                    return line
            if self._reader.done():
                raise AssertionError(f"process ended before {event!r}: {self.lines}")
            self._seen.clear()
            await self._seen.wait()

    async def health(self) -> tuple[int, dict[str, Any]]:
        url = f"http://127.0.0.1:{self.port}/api/v3/health"
        async with aiohttp.ClientSession() as session, session.get(url) as reply:
            return reply.status, await reply.json()

    async def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 20)
        await self._reader
        return code


@pytest.fixture
async def scicat_all(tmp_path, rabbit_namespace):
    started: list[Process] = []

    async def start(**env_overrides: str) -> Process:
        port = free_port()
        env = {
            **os.environ,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "EMBEDDED_STORE_PATH": str(tmp_path / "var"),
            "AMQP_NAMESPACE": rabbit_namespace.name,
            "INGEST_RECONNECT_MAX_SECONDS": "1",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "JWT_SECRET": "make-run-test-secret-long-enough-for-hs256",
        }
        env.pop("MONGODB_URI", None)
        env.update(env_overrides)
        proc = await asyncio.create_subprocess_exec(
            str(SCICAT),
            "all",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        process = Process(proc, port)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.returncode is None:
            process.proc.kill()
            await process.proc.wait()


async def test_make_run_serves_health_and_stops_on_sigterm(scicat_all):
    started = time.monotonic()
    process = await scicat_all()

    await asyncio.wait_for(
        process.wait_for_line("api listening"), HEALTH_DEADLINE_SECONDS
    )
    status, body = await process.health()
    assert status == 200
    assert body["details"]["mongodb"]["status"] == "up"
    assert time.monotonic() - started < HEALTH_DEADLINE_SECONDS

    await asyncio.wait_for(process.wait_for_line("broker connected"), 15)
    status, body = await process.health()
    assert body["details"]["rabbitmq"]["status"] == "up"

    assert await process.terminate() == 0
    assert any(line.get("event") == "stopped" for line in process.lines)


async def test_make_run_without_a_broker_still_serves(scicat_all):
    process = await scicat_all(RABBITMQ_PORT=str(free_port()))

    await asyncio.wait_for(
        process.wait_for_line("api listening"), HEALTH_DEADLINE_SECONDS
    )
    warning = await asyncio.wait_for(
        process.wait_for_line("broker unreachable; retrying with backoff"), 15
    )
    status, body = await process.health()

    assert warning["level"] == "warning"
    assert status == 200
    assert body["status"] == "ok"
    assert body["details"]["rabbitmq"]["status"] == "down"
    assert body["details"]["rabbitmq"]["message"]
    assert await process.terminate() == 0
    # Retrying goes on quietly: one warning for the outage, no error lines.
    unreachable = [
        line for line in process.lines if line.get("event", "").startswith("broker")
    ]
    assert [line["level"] for line in unreachable] == ["warning"]
    assert not [line for line in process.lines if line.get("level") == "error"]
