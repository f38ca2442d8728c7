"""The OpenAPI 3.1 document, generated from the route declarations.

Every type a route names (body, query models, responses) goes through one
``TypeAdapter.json_schemas`` call, so models shared by several routes land once
in ``components.schemas`` and name clashes are resolved by pydantic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from pydantic import TypeAdapter

from common.settings import Settings
from read_api.routing import Route, Router

__all__ = ["OPENAPI", "OpenApiCache", "build_document"]

REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearer"

_NON_WORD = re.compile(r"[^A-Za-z0-9]+")

Key = tuple[int, str]


class OpenApiCache:
    """Builds the document on first use and keeps it (routes do not change)."""

    def __init__(self, router: Router, settings: Settings) -> None:
        self._router = router
        self._settings = settings
        self._document: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = build_document(self._router.routes)
        return self._document


OPENAPI = web.AppKey("openapi", OpenApiCache)


def build_document(
    routes: Iterable[Route],
    *,
    title: str = "SciCat backend API",
    version: str = "api/v3",
) -> dict[str, Any]:
    """An OpenAPI 3.1 document describing ``routes``."""
    documented = [route for route in routes if route.in_schema]
    schemas, definitions = _schemas(documented)

    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for index, route in enumerate(documented):
        operation = _operation(index, route, schemas, definitions, operation_ids)
        paths.setdefault(route.path, {})[route.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "description": "The SciCat data catalogue backend",
            "version": version,
        },
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                }
            },
        },
    }


def _schemas(
    routes: list[Route],
) -> tuple[dict[Key, dict[str, Any]], dict[str, Any]]:
    inputs: list[tuple[Key, Any, TypeAdapter[Any]]] = []
    for index, route in enumerate(routes):
        if route.body is not None:
            inputs.append(((index, "body"), "validation", TypeAdapter(route.body)))
        for position, model in enumerate(route.query):
            key = (index, f"query{position}")
            inputs.append((key, "validation", TypeAdapter(model)))
        if route.response is not None:
            key = (index, str(route.success_status))
            inputs.append((key, "serialization", TypeAdapter(route.response)))
        for status, body_type in route.responses.items():
            if body_type is not None:
                key = (index, str(status))
                inputs.append((key, "serialization", TypeAdapter(body_type)))

    if not inputs:
        return {}, {}
    by_key, defs = TypeAdapter.json_schemas(inputs, ref_template=REF_TEMPLATE)
    schemas = {key: schema for (key, _mode), schema in by_key.items()}
    return schemas, dict(defs.get("$defs", {}))


def _operation(
    index: int,
    route: Route,
    schemas: dict[Key, dict[str, Any]],
    definitions: dict[str, Any],
    operation_ids: set[str],
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": _operation_id(route, operation_ids),
        "tags": list(route.tags),
        "summary": route.summary or route.handler.__name__.replace("_", " "),
    }
    if route.description:
        operation["description"] = route.description
    if route.deprecated:
        operation["deprecated"] = True

    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.param_names
    ]
    for position in range(len(route.query)):
        schema = schemas[(index, f"query{position}")]
        parameters.extend(_query_parameters(schema, definitions))
    if parameters:
        operation["parameters"] = parameters

    if route.body is not None:
        body_schema = schemas[(index, "body")]
        operation["requestBody"] = {
            "required": True,
            "content": {kind: {"schema": body_schema} for kind in route.content_types},
        }

    operation["responses"] = _responses(index, route, schemas)
    # Anonymous callers may use every route without `auth`; say so explicitly.
    operation["security"] = (
        [{SECURITY_SCHEME: []}] if route.auth else [{}, {SECURITY_SCHEME: []}]
    )
    return operation


def _responses(
    index: int, route: Route, schemas: dict[Key, dict[str, Any]]
) -> dict[str, Any]:
    statuses = {route.success_status: route.response, **route.responses}
    responses: dict[str, Any] = {}
    for status in sorted(statuses):
        entry: dict[str, Any] = {"description": _describe(status)}
        schema = schemas.get((index, str(status)))
        if schema is not None:
            entry["content"] = {"application/json": {"schema": schema}}
        responses[str(status)] = entry
    return responses


def _query_parameters(
    schema: dict[str, Any], definitions: dict[str, Any]
) -> list[dict[str, Any]]:
    """One ``in: query`` parameter per field of a query model."""
    reference = schema.get("$ref")
    if isinstance(reference, str):
        schema = definitions.get(reference.rsplit("/", 1)[-1], {})
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field_schema,
        }
        if "description" in field_schema:
            parameter["description"] = field_schema["description"]
        parameters.append(parameter)
    return parameters


def _operation_id(route: Route, taken: set[str]) -> str:
    base = route.operation_id or _NON_WORD.sub(
        "_", f"{route.method.lower()}_{route.path}"
    ).strip("_")
    candidate, counter = base, 2
    while candidate in taken:
        candidate, counter = f"{base}_{counter}", counter + 1
    taken.add(candidate)
    return candidate


def _describe(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Response"
