"""Prometheus metrics served at ``/metrics``: one registry per process.

The API records requests here; the worker adds its own message counters to the
same registry (``Counter(..., registry=metrics.registry)``) so one endpoint
shows both.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

__all__ = ["UNMATCHED_ROUTE", "Metrics"]

# Label for requests no route served, so unknown paths cannot grow the label set.
UNMATCHED_ROUTE = "<unmatched>"

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)
# The buckets' ``le`` labels as prometheus_client writes them (``1.0``, ``+Inf``).
_LE_LABELS = (*(repr(float(bound)) for bound in _LATENCY_BUCKETS), "+Inf")

_REQUESTS = "scicat_http_requests"
_REQUESTS_HELP = "HTTP requests answered, by route template and status."
_LATENCY = "scicat_http_request_duration_seconds"
_LATENCY_HELP = "Time to answer an HTTP request, by route template."


class _Latency:
    """One label set's histogram: a count per bucket (the last is +Inf) and the sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(_LATENCY_BUCKETS) + 1)
        self.total = 0.0


class _RequestCollector(Collector):
    """The request counter and latency histogram, kept as plain numbers.

    prometheus_client's own instruments take a lock and walk the buckets in
    Python on every observation (about 4 us of each request); these are only
    read when ``/metrics`` is scraped, so they are counted here and turned
    into metric families then. The API observes from its one event loop
    thread; a scrape copies the tables before reading them.
    """

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = {}
        self.latency: dict[tuple[str, str], _Latency] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        self.requests[key] = self.requests.get(key, 0) + 1
        latency = self.latency.get((method, route))
        if latency is None:
            latency = self.latency[(method, route)] = _Latency()
        # A bucket counts what is <= its bound: the first bound not below it.
        latency.counts[bisect_left(_LATENCY_BUCKETS, seconds)] += 1
        latency.total += seconds

    def describe(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        yield CounterMetricFamily(_REQUESTS, _REQUESTS_HELP)
        yield HistogramMetricFamily(_LATENCY, _LATENCY_HELP)

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily(
            _REQUESTS, _REQUESTS_HELP, labels=("method", "route", "status")
        )
        for request_labels, count in list(self.requests.items()):
            requests.add_metric(request_labels, count)
        yield requests

        latency = HistogramMetricFamily(
            _LATENCY, _LATENCY_HELP, labels=("method", "route")
        )
        for latency_labels, histogram in list(self.latency.items()):
            cumulative = accumulate(histogram.counts)
            buckets = list(zip(_LE_LABELS, cumulative, strict=True))
            latency.add_metric(latency_labels, buckets, histogram.total)
        yield latency


class Metrics:
    """The process's metrics registry and the HTTP request instruments."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._requests = _RequestCollector()
        self.registry.register(self._requests)

    def observe_request(
        self, method: str, route: str, status: int, seconds: float
    ) -> None:
        self._requests.observe(method, route, status, seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
