"""One generic way to serve an entity over HTTP, configured per entity and version.

An :class:`EntityRoutes` says which service serves the entity, how its filter
is written, which route gate guards each operation, how a stored document is
rendered and which request bodies are documented. :func:`expose` then declares
the routes (list, count, findOne, get by id, create, patch, replace, delete) on
a :class:`~read_api.routing.RouteGroup`; an entity module that needs a route of
its own declares it beside them and may reuse the operation functions below
(:func:`list_documents`, :func:`get_document`, :func:`patch_document` ...).

Every read and write goes through the entity's service; handlers only read the
request, check the route gate and render the result.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from common.errors import InvalidError
from common.identity.principal import Identity
from common.permissions.gates import require_gate
from common.permissions.groups import GroupConfig
from common.query.include import IncludeSpec
from common.services import Services
from common.services.context import ApiVersion, CallContext
from common.services.entity import Document, EntityService
from common.services.related import attach_related
from read_api.generic.context import (
    call_context,
    group_config,
    services_of,
    unmodified_since,
)
from read_api.generic.queries import (
    FilterRules,
    ReadRequest,
    include_param,
    read_count_where,
    read_request,
)
from read_api.inputs import identity_of, raw_body
from read_api.routing import RouteGroup

__all__ = [
    "CountOut",
    "EntityRoutes",
    "FilterQuery",
    "Gate",
    "IncludeQuery",
    "Operation",
    "check_gate",
    "check_route_gate",
    "count_documents",
    "create_document",
    "delete_document",
    "expose",
    "find_documents",
    "get_document",
    "list_documents",
    "patch_document",
    "render",
    "replace_document",
]

MERGE_PATCH = "application/merge-patch+json"

Gate = Callable[[Identity, GroupConfig], bool]
Render = Callable[[Document], dict[str, Any]]
RelatedAccess = Callable[
    [Identity, GroupConfig], Mapping[str, Mapping[str, Any] | None]
]
Creator = Callable[[EntityService, CallContext, Any], Awaitable[Document]]
# Adds computed fields (e.g. v3 dataset history) to a page of documents.
Enricher = Callable[
    [web.Request, "EntityRoutes", list[Document], ReadRequest], Awaitable[None]
]


class Operation(enum.StrEnum):
    """The generic operations an entity's routes offer."""

    CREATE = "create"
    LIST = "list"
    COUNT = "count"
    FIND_ONE = "findOne"
    GET = "get"
    PATCH = "patch"
    REPLACE = "replace"
    DELETE = "delete"


ALL_OPERATIONS: tuple[Operation, ...] = tuple(Operation)


class CountOut(BaseModel):
    """SciCat's count answer."""

    count: int


class FilterQuery(BaseModel):
    """The ``filter`` query parameter (a JSON object as a string)."""

    model_config = ConfigDict(extra="allow")

    filter: str | None = Field(
        default=None,
        description=(
            "JSON filter: {where, fields, limits, include}; v3 dataset routes "
            "also read it from a `filter` header (not both)"
        ),
    )


class IncludeQuery(BaseModel):
    """Relations to include with a document (repeatable)."""

    model_config = ConfigDict(extra="allow")

    include: list[str] | None = Field(default=None, description="relation names")


def _stored(document: Document) -> dict[str, Any]:
    return dict(document)


def _default_create(
    service: EntityService, ctx: CallContext, body: Any
) -> Awaitable[Document]:
    create: Callable[[CallContext, Any], Awaitable[Document]] | None = getattr(
        service, "create", None
    )
    if create is None:
        raise TypeError(f"{type(service).__name__} has no create()")
    return create(ctx, body)


@dataclass(frozen=True, slots=True)
class EntityRoutes:
    """How one entity is served at one API version."""

    name: str  # plural, for summaries: "datasets"
    version: ApiVersion
    service: Callable[[Services], EntityService]
    filters: FilterRules
    output: type[BaseModel]
    id_param: str = "id"
    # Route gate per operation (absent: open to everyone).
    gates: Mapping[Operation, Gate] = field(default_factory=dict)
    # Operations whose gate answers 401 to anonymous callers first.
    authenticated: frozenset[Operation] = frozenset()
    render: Render = _stored
    # Operations answering a whole stored document, which SciCat renders with
    # the virtual ``id``; aggregation answers (most v4 reads) have none.
    virtual_id: frozenset[Operation] = frozenset()
    merge_patch: bool = False
    # Request body types for the OpenAPI document (a model or a union of them).
    bodies: Mapping[Operation, Any] = field(default_factory=dict)
    create: Creator = _default_create
    related_access: RelatedAccess | None = None
    enrich: Enricher | None = None
    # Always ANDed to the caller's where (e.g. ``isPublished`` on public routes).
    forced_where: Mapping[str, Any] | None = None

    def service_of(self, request: web.Request) -> EntityService:
        return self.service(services_of(request))

    def context(self, request: web.Request) -> CallContext:
        return call_context(request, self.version)


# --- the operations -----------------------------------------------------------


def check_gate(
    request: web.Request, routes: EntityRoutes, operation: Operation
) -> None:
    """The route gate: 403 ``Forbidden resource`` (401 first where SciCat asks)."""
    check_route_gate(
        request,
        routes.gates.get(operation),
        authenticated=operation in routes.authenticated,
    )


def check_route_gate(
    request: web.Request, gate: Gate | None, *, authenticated: bool = False
) -> None:
    """Pass ``gate`` (None: open) or answer 403, or 401 first if ``authenticated``."""
    identity = identity_of(request)
    allowed = True if gate is None else gate(identity, group_config(request.app))
    require_gate(identity, allowed, authenticated=authenticated)


def render(
    routes: EntityRoutes, document: Document, operation: Operation
) -> dict[str, Any]:
    """A stored document as the entity's routes answer it."""
    rendered = routes.render(document)
    if operation in routes.virtual_id and "_id" in document:
        rendered["id"] = str(document["_id"])
    return rendered


async def list_documents(
    request: web.Request,
    routes: EntityRoutes,
    *,
    forced_where: Mapping[str, Any] | None = None,
    first_only: bool = False,
    operation: Operation = Operation.LIST,
) -> list[dict[str, Any]]:
    """The visible documents matching the request's ``filter``, rendered."""
    read = read_request(
        request,
        routes.filters,
        forced_where=_forced(routes, forced_where),
        first_only=first_only,
    )
    documents = await find_documents(request, routes, read)
    return [render(routes, document, operation) for document in documents]


async def find_documents(
    request: web.Request, routes: EntityRoutes, read: ReadRequest
) -> list[Document]:
    """The visible documents of a translated request, relations and computed
    fields added, helper fields removed (not yet rendered)."""
    service = routes.service_of(request)
    documents = await service.find(routes.context(request), read.query)
    if read.include:
        await _attach(request, routes, service, documents, read.include)
    if routes.enrich is not None:
        await routes.enrich(request, routes, documents, read)
    if read.strip:
        for document in documents:
            for name in read.strip:
                document.pop(name, None)
    return documents


async def count_documents(
    request: web.Request,
    routes: EntityRoutes,
    *,
    forced_where: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """``{count}`` of the visible documents matching the filter's ``where``."""
    where = read_count_where(
        request, routes.filters, forced_where=_forced(routes, forced_where)
    )
    service = routes.service_of(request)
    return {"count": await service.count(routes.context(request), where)}


async def get_document(
    request: web.Request, routes: EntityRoutes, *, include: bool = True
) -> dict[str, Any]:
    """One document by id (404, then 403), with the ``include`` relations."""
    specs = include_param(request, routes.filters) if include else []
    service = routes.service_of(request)
    document = await service.get(
        routes.context(request), request.match_info[routes.id_param]
    )
    if specs:
        await _attach(request, routes, service, [document], specs)
    return render(routes, document, Operation.GET)


async def create_document(request: web.Request, routes: EntityRoutes) -> Any:
    """Create from the request body through the entity's service."""
    body = await raw_body(request)
    service = routes.service_of(request)
    created = await routes.create(service, routes.context(request), body)
    return render(routes, created, Operation.CREATE)


async def patch_document(
    request: web.Request, routes: EntityRoutes, *, body: Any = None
) -> dict[str, Any]:
    """Partial update; RFC 7386 merge patch for ``application/merge-patch+json``."""
    changes = await raw_body(request) if body is None else body
    if not isinstance(changes, Mapping):
        raise InvalidError("request body must be a JSON object")
    merge = routes.merge_patch and request.content_type == MERGE_PATCH
    service = routes.service_of(request)
    updated = await service.patch(
        routes.context(request),
        request.match_info[routes.id_param],
        changes,
        merge=merge,
        unmodified_since=unmodified_since(request),
    )
    return render(routes, updated, Operation.PATCH)


async def replace_document(request: web.Request, routes: EntityRoutes) -> Any:
    """PUT: replace the document (ids, createdBy and createdAt kept)."""
    body = await raw_body(request)
    if not isinstance(body, Mapping):
        raise InvalidError("request body must be a JSON object")
    service = routes.service_of(request)
    updated = await service.replace(
        routes.context(request),
        request.match_info[routes.id_param],
        body,
        unmodified_since=unmodified_since(request),
    )
    return render(routes, updated, Operation.REPLACE)


async def delete_document(request: web.Request, routes: EntityRoutes) -> Any:
    """Delete one document; answers the removed document."""
    service = routes.service_of(request)
    removed = await service.delete(
        routes.context(request), request.match_info[routes.id_param]
    )
    return render(routes, removed, Operation.DELETE)


def _forced(
    routes: EntityRoutes, extra: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    if routes.forced_where and extra:
        return {"$and": [dict(routes.forced_where), dict(extra)]}
    return routes.forced_where or extra


async def _attach(
    request: web.Request,
    routes: EntityRoutes,
    service: EntityService,
    documents: list[Document],
    specs: Sequence[IncludeSpec],
) -> None:
    access = None
    if routes.related_access is not None:
        access = routes.related_access(identity_of(request), group_config(request.app))
    await attach_related(
        service.deps.store,
        documents,
        specs,
        routes.filters.relations,
        access=access,
        max_time_ms=service.deps.settings.STORE_QUERY_TIMEOUT_MS,
    )


# --- declaring the routes -------------------------------------------------------


def expose(
    group: RouteGroup,
    routes: EntityRoutes,
    operations: Collection[Operation] = ALL_OPERATIONS,
) -> None:
    """Declare ``operations`` of ``routes`` on ``group`` (paths relative to it)."""
    item = f"/{{{routes.id_param}}}"
    output = routes.output
    many: Any = list[output]  # type: ignore[valid-type]
    answers = {400: None, 403: None}
    item_answers = {400: None, 403: None, 404: None}
    declared: dict[Operation, tuple[str, str, dict[str, Any]]] = {
        Operation.CREATE: (
            "POST",
            "/",
            {"response": output, "responses": {400: None, 403: None, 409: None}},
        ),
        Operation.LIST: (
            "GET",
            "/",
            {"response": many, "query": FilterQuery, "responses": answers},
        ),
        Operation.COUNT: (
            "GET",
            "/count",
            {"response": CountOut, "query": FilterQuery, "responses": answers},
        ),
        Operation.FIND_ONE: (
            "GET",
            "/findOne",
            {"response": output, "query": FilterQuery, "responses": answers},
        ),
        Operation.GET: (
            "GET",
            item,
            {"response": output, "responses": item_answers}
            | ({"query": IncludeQuery} if routes.filters.relations else {}),
        ),
        Operation.PATCH: (
            "PATCH",
            item,
            {
                "response": output,
                "responses": {**item_answers, 412: None},
                "content_types": ("application/json", MERGE_PATCH)
                if routes.merge_patch
                else ("application/json",),
            },
        ),
        Operation.REPLACE: (
            "PUT",
            item,
            {"response": output, "responses": item_answers},
        ),
        Operation.DELETE: (
            "DELETE",
            item,
            {"response": output, "responses": item_answers},
        ),
    }
    for operation in ALL_OPERATIONS:
        if operation not in operations:
            continue
        method, path, options = declared[operation]
        body = routes.bodies.get(operation)
        if body is not None:
            options = {**options, "body": body}
        summary = _SUMMARIES[operation].format(name=routes.name)
        group.add(
            method,
            path,
            _handler(routes, operation),
            summary=summary,
            operation_id=f"{routes.name}_v{routes.version.value}_{operation.value}",
            **options,
        )


_SUMMARIES = {
    Operation.CREATE: "Create one of the {name}",
    Operation.LIST: "List the {name} matching a filter",
    Operation.COUNT: "Count the {name} matching a filter",
    Operation.FIND_ONE: "The first of the {name} matching a filter",
    Operation.GET: "One of the {name}, by id",
    Operation.PATCH: "Update part of one of the {name}",
    Operation.REPLACE: "Replace one of the {name}",
    Operation.DELETE: "Delete one of the {name}",
}


def _handler(
    routes: EntityRoutes, operation: Operation
) -> Callable[[web.Request], Awaitable[Any]]:
    async def handle(request: web.Request) -> Any:
        check_gate(request, routes, operation)
        if operation is Operation.LIST:
            return await list_documents(request, routes)
        if operation is Operation.FIND_ONE:
            found = await list_documents(
                request, routes, first_only=True, operation=operation
            )
            return found[0] if found else None
        if operation is Operation.COUNT:
            return await count_documents(request, routes)
        if operation is Operation.GET:
            return await get_document(request, routes)
        if operation is Operation.CREATE:
            return await create_document(request, routes)
        if operation is Operation.PATCH:
            return await patch_document(request, routes)
        if operation is Operation.REPLACE:
            return await replace_document(request, routes)
        return await delete_document(request, routes)

    handle.__name__ = f"{routes.name}_{operation.value}"
    return handle
