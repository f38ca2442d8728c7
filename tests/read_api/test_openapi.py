"""The OpenAPI document is valid and generated from the routes; Swagger UI is local."""

from __future__ import annotations

import re

import pytest
from aiohttp import web
from openapi_spec_validator import validate
from pydantic import BaseModel, Field

from read_api.app import discover_route_groups
from read_api.openapi import build_document
from read_api.routing import RouteGroup


class Technique(BaseModel):
    name: str


class DatasetIn(BaseModel):
    datasetName: str
    techniques: list[Technique] = []


class DatasetOut(DatasetIn):
    pid: str


class ListQuery(BaseModel):
    filter: str | None = Field(None, description="loopback filter as JSON")
    limit: int = 10


def _group() -> RouteGroup:
    group = RouteGroup("/api/v3/datasets", tags=("datasets",))

    @group.post("/", body=DatasetIn, response=DatasetOut, summary="Create a dataset")
    async def create(request: web.Request) -> None:
        return None

    @group.get("/", query=ListQuery, response=list[DatasetOut])
    async def find_all(request: web.Request) -> None:
        return None

    @group.patch(
        "/{pid}",
        body=DatasetIn,
        response=DatasetOut,
        responses={404: None},
        auth=True,
        content_types=("application/json", "application/merge-patch+json"),
    )
    async def update(request: web.Request) -> None:
        return None

    return group


def test_generated_document_is_valid_openapi_3_1():
    document = build_document(list(_group()))

    validate(document)
    assert document["openapi"] == "3.1.0"


def test_document_describes_the_declared_routes():
    document = build_document(list(_group()))
    paths = document["paths"]

    create = paths["/api/v3/datasets"]["post"]
    assert create["summary"] == "Create a dataset"
    assert create["tags"] == ["datasets"]
    assert set(create["responses"]) == {"201"}
    body_ref = create["requestBody"]["content"]["application/json"]["schema"]
    assert body_ref == {"$ref": "#/components/schemas/DatasetIn"}

    listing = paths["/api/v3/datasets"]["get"]
    names = {p["name"]: p for p in listing["parameters"]}
    assert names["filter"]["in"] == "query"
    assert names["filter"]["description"] == "loopback filter as JSON"
    assert names["limit"]["required"] is False
    assert (
        listing["responses"]["200"]["content"]["application/json"]["schema"]["type"]
        == "array"
    )

    update = paths["/api/v3/datasets/{pid}"]["patch"]
    assert update["parameters"][0] == {
        "name": "pid",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    assert set(update["requestBody"]["content"]) == {
        "application/json",
        "application/merge-patch+json",
    }
    assert update["security"] == [{"bearer": []}]
    assert set(update["responses"]) == {"200", "404"}

    schemas = document["components"]["schemas"]
    assert {"DatasetIn", "Technique", "ListQuery"} <= set(schemas)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_explorer_json_serves_the_document(api_client_factory):
    # The served routes include the real dataset routes (read_api.routes).
    client = await api_client_factory()

    response = await client.get("/explorer-json")

    assert response.status == 200
    document = await response.json()
    validate(document)
    assert "/api/v3/datasets/{pid}" in document["paths"]
    assert "/api/v3/health" in document["paths"]
    assert "/metrics" not in document["paths"]


async def test_explorer_page_uses_local_assets(api_client_factory):
    client = await api_client_factory()

    page = await client.get("/explorer")
    html = await page.text()

    assert page.status == 200
    assert page.content_type == "text/html"
    assert "/explorer-json" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/explorer/static/swagger-ui-bundle.js" in assets
    assert all(asset.startswith("/explorer/static/") for asset in assets)
    for asset in assets:
        response = await client.get(asset)
        assert response.status == 200, asset


async def test_explorer_does_not_serve_files_outside_its_assets(api_client_factory):
    client = await api_client_factory()

    response = await client.get("/explorer/static/..%2F__init__.py")

    assert response.status == 404


@pytest.mark.slow
def test_document_of_every_mounted_route_is_valid():
    routes = [route for group in discover_route_groups() for route in group]

    document = build_document(routes)

    validate(document)
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    expected = {(r.method, r.path) for r in routes if r.in_schema}
    assert documented == expected
