"""Errors become SciCat bodies in one place; bad input is a 4xx, never a 500."""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web
from pydantic import BaseModel, ConfigDict

from common import errors
from common.models.validation import ErrorForm
from read_api.errors import HttpError
from read_api.inputs import json_body, json_query_param, raw_body
from read_api.routing import ErrorShape, RouteGroup


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    size: int = 0


def _group() -> RouteGroup:
    group = RouteGroup("/api/v3/things", tags=("things",))

    @group.post("/", body=Sample, response=Sample)
    async def create(request: web.Request) -> Sample:
        return await json_body(request, Sample)

    @group.post("/v3-style", body=Sample)
    async def create_v3(request: web.Request) -> Sample:
        return await json_body(request, Sample, ErrorForm.V3_DATASET)

    @group.post("/raw")
    async def echo(request: web.Request) -> object:
        return await raw_body(request)

    @group.get("/filtered")
    async def filtered(request: web.Request) -> object:
        return {"filter": json_query_param(request, "filter", {})}

    @group.get("/raise/{kind}")
    async def raise_kind(request: web.Request) -> None:
        raise _ERRORS[request.match_info["kind"]]

    @group.get("/status-shape", error_shape=ErrorShape.STATUS)
    async def status_shape(request: web.Request) -> None:
        raise errors.InvalidError("Invalid job type: x")

    @group.get("/string-shape")
    async def string_shape(request: web.Request) -> None:
        raise HttpError.string(400, "PID is not following required standards")

    @group.get("/boom")
    async def boom(request: web.Request) -> None:
        raise RuntimeError("secret internals")

    return group


_ERRORS = {
    "invalid": errors.InvalidError("bad input"),
    "validation": errors.InvalidError("x", details=["a must be a string", "b"]),
    "unauthenticated": errors.UnauthenticatedError("Unauthenticated"),
    "forbidden": errors.ForbiddenError("Forbidden resource"),
    "missing": errors.NotFoundError("Dataset not found"),
    "conflict": errors.ConflictError("Dataset with pid x already exists"),
    "precondition": errors.PreconditionFailedError(
        "Resource has been modified on server"
    ),
    "query": errors.StoreQueryError("unknown operator: $where"),
    "down": errors.StoreUnavailableError("connection refused"),
    "config": errors.ConfigurationError("broken job config"),
}


@pytest.mark.parametrize(
    ("kind", "status", "error", "message"),
    [
        ("invalid", 400, "Bad Request", "bad input"),
        ("validation", 400, "Bad Request", ["a must be a string", "b"]),
        ("unauthenticated", 401, "Unauthorized", "Unauthenticated"),
        ("forbidden", 403, "Forbidden", "Forbidden resource"),
        ("missing", 404, "Not Found", "Dataset not found"),
        ("conflict", 409, "Conflict", "Dataset with pid x already exists"),
        (
            "precondition",
            412,
            "Precondition Failed",
            "Resource has been modified on server",
        ),
        ("query", 400, "Bad Request", "unknown operator: $where"),
        ("down", 503, "Service Unavailable", "connection refused"),
    ],
)
async def test_domain_error_gets_its_status_and_nest_body(
    api_client_factory, kind, status, error, message
):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.get(f"/api/v3/things/raise/{kind}")

    assert response.status == status
    assert await response.json() == {
        "statusCode": status,
        "message": message,
        "error": error,
    }


async def test_route_can_answer_status_message_shape(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.get("/api/v3/things/status-shape")

    assert response.status == 400
    assert await response.json() == {"status": 400, "message": "Invalid job type: x"}


async def test_route_can_answer_a_bare_string(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.get("/api/v3/things/string-shape")

    assert response.status == 400
    assert await response.json() == "PID is not following required standards"


async def test_unexpected_exception_is_500_and_logged_with_traceback(
    api_client_factory, caplog
):
    client = await api_client_factory(route_groups=[_group()])

    with caplog.at_level(logging.ERROR, logger="read_api.middleware"):
        response = await client.get("/api/v3/things/boom")

    assert response.status == 500
    assert await response.json() == {
        "statusCode": 500,
        "message": "Internal server error",
    }
    [record] = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert record.exc_info is not None
    assert "secret internals" in str(record.exc_info[1])


async def test_unmapped_project_error_is_500_without_leaking(
    api_client_factory, caplog
):
    client = await api_client_factory(route_groups=[_group()])

    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/v3/things/raise/config")

    assert response.status == 500
    assert "broken job config" not in await response.text()
    assert any(r.exc_info for r in caplog.records)


async def test_malformed_json_body_is_400(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post(
        "/api/v3/things",
        data=b'{"name": "x",',
        headers={"Content-Type": "application/json"},
    )

    assert response.status == 400
    body = await response.json()
    assert body["statusCode"] == 400
    assert body["error"] == "Bad Request"
    assert body["message"].startswith("Malformed JSON body")


async def test_invalid_body_lists_validation_messages(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post("/api/v3/things", json={"name": 5, "colour": "red"})

    assert response.status == 400
    body = await response.json()
    assert sorted(body["message"]) == [
        "name must be a string",
        "property colour should not exist",
    ]


async def test_valid_body_is_created_with_201(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post("/api/v3/things", json={"name": "n", "size": 3})

    assert response.status == 201
    assert await response.json() == {"name": "n", "size": 3}


async def test_merge_patch_json_is_parsed_as_json(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post(
        "/api/v3/things/raw",
        data=b'{"a": [1, 2]}',
        headers={"Content-Type": "application/merge-patch+json"},
    )

    assert await response.json() == {"a": [1, 2]}


async def test_urlencoded_form_is_parsed(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post(
        "/api/v3/things/raw", data={"username": "ingestor", "password": "aman"}
    )

    assert await response.json() == {"username": "ingestor", "password": "aman"}


@pytest.mark.parametrize("content_type", ["text/xml", "application/octet-stream"])
async def test_unsupported_body_type_is_415(api_client_factory, content_type):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post(
        "/api/v3/things/raw", data=b"<x/>", headers={"Content-Type": content_type}
    )

    assert response.status == 415
    assert (await response.json())["error"] == "Unsupported Media Type"


async def test_body_without_content_type_is_read_as_json(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post(
        "/api/v3/things/raw",
        data=b'{"a": 1}',
        skip_auto_headers=["Content-Type"],
    )

    assert await response.json() == {"a": 1}


async def test_body_over_the_limit_gets_413_in_scicat_shape(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post(
        "/api/v3/things/raw",
        data=b"[" + b"1," * (17 * 1024 * 1024 // 2) + b"1]",
        headers={"Content-Type": "application/json"},
    )

    assert response.status == 413
    assert await response.json() == {
        "statusCode": 413,
        "message": "request entity too large",
        "error": "Payload Too Large",
    }


async def test_chunked_body_over_the_limit_gets_413(
    api_client_factory, settings_factory
):
    settings = settings_factory(MAX_FILE_UPLOAD_SIZE="1kb")
    client = await api_client_factory(settings=settings, route_groups=[_group()])

    async def chunks():
        for _ in range(4):
            yield b" " * 512

    response = await client.post(
        "/api/v3/things/raw",
        data=chunks(),
        headers={"Content-Type": "application/json"},
    )

    assert response.status == 413
    assert (await response.json())["message"] == "request entity too large"


async def test_bad_json_in_query_parameter_is_400(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.get("/api/v3/things/filtered", params={"filter": "{x"})

    assert response.status == 400
    assert "filter" in (await response.json())["message"]


async def test_json_query_parameter_is_decoded(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.get(
        "/api/v3/things/filtered", params={"filter": '{"where": {"a": 1}}'}
    )

    assert await response.json() == {"filter": {"where": {"a": 1}}}


async def test_v3_validation_form_answers_status_shape_with_json_message(
    api_client_factory,
):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.post("/api/v3/things/v3-style", json={"size": "x"})

    assert response.status == 400
    body = await response.json()
    assert set(body) == {"status", "message"}
    assert body["status"] == 400
    properties = {error["property"] for error in json.loads(body["message"])}
    assert properties == {"name", "size"}
