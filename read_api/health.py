"""Health probes: what ``GET /api/v3/health`` asks besides the store.

A probe is a callable returning a :class:`ComponentHealth`, or a terminus entry
mapping (``{"status": "up" | "down", "message": ..., ...}``), or an awaitable of
either. The worker hands its broker probe to :func:`read_api.app.create_app` as
``health_probes={"rabbitmq": broker_status.health}``; such components are
reported in ``details`` but never make the API unhealthy, since the API serves
without them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["HEALTH_PROBES", "ComponentHealth", "HealthProbe", "ProbeResult"]


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    """One component's state as terminus reports it: ``up`` or ``down``."""

    up: bool
    message: str | None = None
    # Anything else worth showing (``since``, ``lastError`` ...); JSON-able values.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "up" if self.up else "down"}
        if self.message is not None:
            body["message"] = self.message
        body.update(self.extra)
        return body

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> ComponentHealth:
        """Read a terminus-style entry; anything but ``status: up`` is down."""
        extra = {k: v for k, v in entry.items() if k not in {"status", "message"}}
        message = entry.get("message")
        return cls(
            up=entry.get("status") == "up",
            message=None if message is None else str(message),
            extra=extra,
        )


ProbeResult = ComponentHealth | Mapping[str, Any]
HealthProbe = Callable[[], ProbeResult | Awaitable[ProbeResult]]

HEALTH_PROBES: web.AppKey[dict[str, HealthProbe]] = web.AppKey("health_probes")
