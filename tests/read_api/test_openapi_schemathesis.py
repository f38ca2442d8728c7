"""The served OpenAPI document is valid, and requests generated from it by
schemathesis (at most 300 in all) never get a 5xx answer."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from tests.read_api.dataset_bodies import create_v3, create_v4

MAX_EXAMPLES = 300
BASE_URL = "http://schemathesis.test"


def generated_cases(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` cases drawn from ``strategy``, the same on every run."""
    cases: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    return cases[:count]


async def test_openapi_document_is_valid(catalogue_api) -> None:
    response = await catalogue_api.call("GET", "/explorer-json")

    document = await response.json()
    validate(document)
    paths = document["paths"]
    for path in (
        "/api/v3/datasets",
        "/api/v3/datasets/{pid}",
        "/api/v3/datasets/{pid}/datasetlifecycle",
        "/api/v4/datasets/public/{pid}",
    ):
        assert path in paths, path
    create = paths["/api/v4/datasets"]["post"]
    assert "requestBody" in create and "201" in create["responses"]


async def test_generated_requests_get_no_server_error(catalogue_api) -> None:
    api = catalogue_api
    await create_v3(api, "user1")
    await create_v4(api, "admin", isPublished=True)
    document = await (await api.call("GET", "/explorer-json")).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    per_operation = -(-MAX_EXAMPLES // len(operations))  # ceiling; capped below
    admin = await api.headers("admin")

    sent = 0
    failures: list[str] = []
    for operation in operations:
        for index, case in enumerate(
            generated_cases(operation.as_strategy(), per_operation)
        ):
            if sent >= MAX_EXAMPLES:
                break
            sent += 1
            status = await _send(api, case, admin if index % 2 else {})
            if status >= 500:
                failures.append(f"{status} {case.method} {case.formatted_path}")

    assert sent > len(operations)
    assert failures == []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


async def _send(api: Any, case: Any, auth: dict[str, str]) -> int:
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    headers = {
        name: value
        for name, value in (kwargs.get("headers") or {}).items()
        if name.lower() not in {"connection", "accept-encoding"}
    }
    headers.update(auth)
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif isinstance(kwargs.get("data"), dict):
        # A form body, urlencoded as a browser would (nested values as text).
        body["data"] = urlencode(
            {key: _text(value) for key, value in kwargs["data"].items()}
        ).encode()
    elif kwargs.get("data") is not None:
        body["data"] = kwargs["data"]
    response = await api.client.request(
        kwargs["method"],
        kwargs["url"].removeprefix(BASE_URL),
        params=kwargs.get("params") or None,
        headers=headers,
        **body,
    )
    await response.read()
    return int(response.status)
