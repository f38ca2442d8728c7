"""start_api binds HOST:PORT and serves the application until cleaned up."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from read_api.app import create_app
from read_api.runner import start_api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_start_api_serves_health_on_the_configured_port(
    settings_factory, stub_store
):
    settings = settings_factory(HOST="127.0.0.1", PORT=_free_port())
    runner = await start_api(create_app(settings, store=stub_store), settings)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{settings.PORT}/api/v3/health") as resp,
        ):
            assert resp.status == 200
            assert (await resp.json())["status"] == "ok"
    finally:
        await runner.cleanup()

    with pytest.raises(aiohttp.ClientConnectionError):
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{settings.PORT}/api/v3/health"),
        ):
            pass


async def test_start_api_reports_a_taken_port(settings_factory, stub_store):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = settings_factory(HOST="127.0.0.1", PORT=port)

        with pytest.raises(OSError):
            await start_api(create_app(settings, store=stub_store), settings)
