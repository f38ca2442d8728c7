"""``GET /api/v3/health``: the store ping decides, other components are reported."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Mapping
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

from read_api.health import HEALTH_PROBES, ComponentHealth, HealthProbe
from read_api.keys import STORE
from read_api.routing import Reply, RouteGroup

logger = logging.getLogger(__name__)

# A ping slower than this counts as down: health must answer quickly.
PING_TIMEOUT_SECONDS = 3.0

health = RouteGroup("/api/v3/health", tags=("health",))


class HealthReport(BaseModel):
    """Nest terminus's report: ``info`` up, ``error`` down, ``details`` all."""

    status: Literal["ok", "error"]
    info: dict[str, dict[str, Any]]
    error: dict[str, dict[str, Any]]
    details: dict[str, dict[str, Any]]


@health.get(
    "/",
    summary="Is the API able to serve (store reachable)?",
    response=HealthReport,
    responses={503: HealthReport},
)
async def check_health(request: web.Request) -> Reply:
    store_state = await _ping_store(request)
    info: dict[str, dict[str, Any]] = {}
    error: dict[str, dict[str, Any]] = {}
    details: dict[str, dict[str, Any]] = {"mongodb": store_state.as_json()}
    (info if store_state.up else error)["mongodb"] = details["mongodb"]

    for name, probe in request.app[HEALTH_PROBES].items():
        state = await _run_probe(name, probe)
        details[name] = state.as_json()
        # A component the API can serve without is never listed under "error".
        if state.up:
            info[name] = details[name]

    report = HealthReport(
        status="ok" if store_state.up else "error",
        info=info,
        error=error,
        details=details,
    )
    return Reply(report, status=200 if store_state.up else 503)


async def _ping_store(request: web.Request) -> ComponentHealth:
    store = request.app[STORE]
    if store is None:
        return ComponentHealth(up=False, message="no store configured")
    try:
        async with asyncio.timeout(PING_TIMEOUT_SECONDS):
            await store.ping()
    except TimeoutError:
        logger.warning("store ping timed out")
        return ComponentHealth(up=False, message="ping timed out")
    except Exception as exc:  # any failure means down; health must not 500
        logger.warning("store ping failed", extra={"error": str(exc)})
        return ComponentHealth(up=False, message=str(exc) or type(exc).__name__)
    return ComponentHealth(up=True)


async def _run_probe(name: str, probe: HealthProbe) -> ComponentHealth:
    try:
        state = probe()
        if inspect.isawaitable(state):
            state = await state
    except Exception as exc:  # a broken probe reports its component down
        logger.warning("health probe failed", extra={"component": name})
        return ComponentHealth(up=False, message=str(exc) or type(exc).__name__)
    if isinstance(state, ComponentHealth):
        return state
    if isinstance(state, Mapping):
        return ComponentHealth.from_entry(state)
    return ComponentHealth(up=False, message="probe gave no status")
