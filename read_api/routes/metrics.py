"""``GET /metrics``: Prometheus exposition of the process's registry."""

from __future__ import annotations

from aiohttp import web

from read_api.keys import METRICS
from read_api.routing import RouteGroup

metrics = RouteGroup(tags=("metrics",))


@metrics.get("/metrics", summary="Prometheus metrics", in_schema=False)
async def get_metrics(request: web.Request) -> web.Response:
    body, content_type = request.app[METRICS].render()
    response = web.Response(body=body)
    # The exposition type carries a version parameter aiohttp's setter rejects.
    response.headers["Content-Type"] = content_type
    return response
