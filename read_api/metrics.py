"""Prometheus metrics served at ``/metrics``: one registry per process.

The API records requests here; the worker adds its own message counters to the
same registry (``Counter(..., registry=metrics.registry)``) so one endpoint
shows both.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

__all__ = ["UNMATCHED_ROUTE", "Metrics"]

# Label for requests no route served, so unknown paths cannot grow the label set.
UNMATCHED_ROUTE = "<unmatched>"

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)


class Metrics:
    """The process's metrics registry and the HTTP request instruments."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.http_requests = Counter(
            "scicat_http_requests",
            "HTTP requests answered, by route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "scicat_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ("method", "route"),
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

        # Label lookups cost more than the increments; routes are a bounded set.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe_request(
        self, method: str, route: str, status: int, seconds: float
    ) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.http_requests.labels(method, route, str(status)),
                self.http_latency.labels(method, route),
            )
            self._children[key] = children
        counter, histogram = children
        counter.inc()
        histogram.observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
