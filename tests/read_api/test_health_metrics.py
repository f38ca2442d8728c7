"""Health (store decides, broker reported) and the Prometheus endpoint."""

from __future__ import annotations

import asyncio

from aiohttp import web

from read_api.health import ComponentHealth
from read_api.routes import health as health_module
from read_api.routing import RouteGroup


async def test_health_is_ok_when_the_store_answers(api_client_factory, stub_store):
    client = await api_client_factory()

    response = await client.get("/api/v3/health")

    assert response.status == 200
    assert await response.json() == {
        "status": "ok",
        "info": {"mongodb": {"status": "up"}},
        "error": {},
        "details": {"mongodb": {"status": "up"}},
    }
    assert stub_store.pings == 1


async def test_health_path_is_case_and_slash_tolerant(api_client_factory):
    client = await api_client_factory()

    response = await client.get("/API/v3/Health/")

    assert response.status == 200


async def test_health_is_503_when_the_store_ping_fails(api_client_factory, stub_store):
    stub_store.failure = "connection refused"
    client = await api_client_factory()

    response = await client.get("/api/v3/health")

    assert response.status == 503
    body = await response.json()
    assert body["status"] == "error"
    assert body["error"] == {
        "mongodb": {"status": "down", "message": "connection refused"}
    }
    assert body["details"]["mongodb"]["status"] == "down"
    assert body["info"] == {}


async def test_health_is_503_without_a_store(api_client_factory):
    client = await api_client_factory(store=None)

    response = await client.get("/api/v3/health")

    assert response.status == 503
    assert (await response.json())["details"]["mongodb"]["status"] == "down"


async def test_health_is_503_when_the_ping_hangs(
    api_client_factory, stub_store, monkeypatch
):
    release = asyncio.Event()

    async def hang() -> None:
        await release.wait()

    stub_store.ping = hang
    monkeypatch.setattr(health_module, "PING_TIMEOUT_SECONDS", 0.05)
    client = await api_client_factory()

    response = await client.get("/api/v3/health")

    assert response.status == 503
    assert (await response.json())["details"]["mongodb"]["message"] == (
        "ping timed out"
    )


async def test_broker_down_is_shown_but_health_stays_200(api_client_factory):
    async def broker() -> ComponentHealth:
        return ComponentHealth(
            up=False, message="connection lost", extra={"since": "2026-01-01"}
        )

    client = await api_client_factory(health_probes={"rabbitmq": broker})

    response = await client.get("/api/v3/health")

    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["details"]["rabbitmq"] == {
        "status": "down",
        "message": "connection lost",
        "since": "2026-01-01",
    }
    assert "rabbitmq" not in body["error"]


async def test_broker_up_is_listed_in_info(api_client_factory):
    client = await api_client_factory(
        health_probes={"rabbitmq": lambda: ComponentHealth(up=True)}
    )

    body = await (await client.get("/api/v3/health")).json()

    assert body["info"]["rabbitmq"] == {"status": "up"}


async def test_a_failing_probe_reports_its_component_down(api_client_factory):
    def broken() -> ComponentHealth:
        raise RuntimeError("probe bug")

    client = await api_client_factory(health_probes={"rabbitmq": broken})

    response = await client.get("/api/v3/health")

    assert response.status == 200
    assert (await response.json())["details"]["rabbitmq"] == {
        "status": "down",
        "message": "probe bug",
    }


def _sample_count(text: str, route: str, status: str) -> float:
    for line in text.splitlines():
        if (
            line.startswith("scicat_http_requests_total{")
            and f'route="{route}"' in line
            and f'status="{status}"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_template_and_status(
    api_client_factory,
):
    group = RouteGroup("/api/v3/items")

    @group.get("/{pid}")
    async def item(request: web.Request) -> dict[str, str]:
        return {"pid": request.match_info["pid"]}

    client = await api_client_factory(extra_routes=[group])
    await client.get("/api/v3/items/a")
    await client.get("/api/v3/items/b%2Fc")
    await client.get("/no/such/route")

    response = await client.get("/metrics")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    assert _sample_count(text, "/api/v3/items/{pid}", "200") == 2
    assert _sample_count(text, "<unmatched>", "404") == 1
    assert "scicat_http_request_duration_seconds_bucket" in text


async def test_metrics_registry_takes_worker_counters(api_client_factory):
    from prometheus_client import Counter

    from read_api.metrics import Metrics

    metrics = Metrics()
    consumed = Counter(
        "scicat_messages_consumed", "messages", ("queue",), registry=metrics.registry
    )
    consumed.labels("dataset.create").inc(3)
    client = await api_client_factory(metrics=metrics)

    text = await (await client.get("/metrics")).text()

    assert 'scicat_messages_consumed_total{queue="dataset.create"} 3.0' in text


async def test_worker_status_mapping_plugs_in_as_a_probe(api_client_factory):
    from ingest_worker.status import BrokerStatus

    status = BrokerStatus()
    status.record_failure("connection refused")
    client = await api_client_factory(health_probes={"rabbitmq": status.health})

    down = await (await client.get("/api/v3/health")).json()
    status.mark_up()
    up = await (await client.get("/api/v3/health")).json()

    assert down["status"] == "ok"
    assert down["details"]["rabbitmq"]["status"] == "down"
    assert down["details"]["rabbitmq"]["message"] == "connection refused"
    assert down["details"]["rabbitmq"]["failedAttempts"] == 1
    assert up["info"]["rabbitmq"]["status"] == "up"


def test_request_metrics_read_as_prometheus_client_instruments_would():
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

    from read_api.metrics import _LATENCY_BUCKETS, Metrics

    metrics = Metrics()
    reference = CollectorRegistry()
    counter = Counter(
        "scicat_http_requests",
        "HTTP requests answered, by route template and status.",
        ("method", "route", "status"),
        registry=reference,
    )
    histogram = Histogram(
        "scicat_http_request_duration_seconds",
        "Time to answer an HTTP request, by route template.",
        ("method", "route"),
        buckets=_LATENCY_BUCKETS,
        registry=reference,
    )
    observations = [
        ("GET", "/api/v3/datasets/{pid}", 200, 0.0004),
        ("GET", "/api/v3/datasets/{pid}", 200, 0.001),  # on a bound: counted in it
        ("GET", "/api/v3/datasets/{pid}", 404, 0.0031),
        ("POST", "/api/v3/datasets", 201, 0.75),
        ("GET", "<unmatched>", 404, 12.5),  # past the last bound: +Inf only
    ]
    for method, route, status, seconds in observations:
        metrics.observe_request(method, route, status, seconds)
        counter.labels(method, route, str(status)).inc()
        histogram.labels(method, route).observe(seconds)

    def samples(text: bytes) -> list[str]:
        return sorted(
            line
            for line in text.decode().splitlines()
            if line and "_created" not in line
        )

    assert samples(metrics.render()[0]) == samples(generate_latest(reference))
