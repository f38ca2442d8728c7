"""``/api/v3/origdatablocks`` and ``/api/v4/origdatablocks`` (reference §3.5).

The generic entity routes serve create, get, patch and delete (and the v4
list); this module adds the file list's own routes: ``isValid``, the v3 list
(a fullquery in disguise), ``fullquery``, the per-file rows, the facet counts
and the v4 ``/public`` family. The parent dataset's ``size`` and
``numberOfFiles`` are recomputed from all its file lists after every write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from common.errors import NotFoundError
from common.identity.principal import Identity
from common.models.datafile import DataFile
from common.models.origdatablock import (
    CreateOrigDatablockDto,
    OrigDatablock,
    PartialUpdateOrigDatablockDto,
)
from common.models.validation import ValidationFailed
from common.permissions.datasets import (
    EntityAction,
    dataset_visibility_filter,
    origdatablock_endpoint_allows,
)
from common.permissions.groups import GroupConfig
from common.query.include import ORIGDATABLOCK_RELATIONS
from common.query.jsonparam import parse_json_object
from common.query.limits import V3_DEFAULTS, V4_DEFAULTS, Limits, parse_v3_limits
from common.query.schema import keys_from_models
from common.services import Services
from common.services.context import ApiVersion
from common.services.entity import EntityService, ListQuery
from common.services.search import SearchTarget, Visibility
from read_api.generic import (
    EntityRoutes,
    FilterLanguage,
    FilterQuery,
    FilterRules,
    Gate,
    IncludeQuery,
    Operation,
    ReadRequest,
    check_gate,
    check_route_gate,
    expose,
    find_documents,
    include_param,
    read_request,
    render,
    services_of,
)
from read_api.inputs import identity_of, raw_body
from read_api.routes.datasets_search import (
    FacetAnswer,
    FullqueryQuery,
    fields_param,
    search_of,
)
from read_api.routing import RouteGroup

__all__ = ["V3_ORIGDATABLOCKS", "V4_ORIGDATABLOCKS"]


def origdatablock_gate(action: EntityAction) -> Gate:
    """The gate of ``action`` on the origdatablocks endpoint."""

    def gate(identity: Identity, config: GroupConfig) -> bool:
        return origdatablock_endpoint_allows(identity, action, config)

    return gate


def read_gate(identity: Identity, config: GroupConfig) -> bool:
    """Reads: the read ability, or the public one for anonymous callers."""
    return origdatablock_endpoint_allows(
        identity, EntityAction.READ, config
    ) or origdatablock_endpoint_allows(identity, EntityAction.READ_PUBLIC, config)


def related_access(
    identity: Identity, config: GroupConfig
) -> Mapping[str, Mapping[str, Any] | None]:
    """v4 includes only the parent datasets the caller may see."""
    return {"dataset": dataset_visibility_filter(identity, config)}


def _service(services: Services) -> EntityService:
    return services.origdatablocks


ORIGDATABLOCK_KEYS = keys_from_models(OrigDatablock, DataFile) | {"_id", "id"}

_GATES = {
    Operation.CREATE: origdatablock_gate(EntityAction.CREATE),
    Operation.LIST: read_gate,
    Operation.GET: read_gate,
    Operation.PATCH: origdatablock_gate(EntityAction.UPDATE),
    Operation.DELETE: origdatablock_gate(EntityAction.DELETE),
}
_WRITES = frozenset({Operation.CREATE, Operation.PATCH, Operation.DELETE})
_BODIES = {
    Operation.CREATE: CreateOrigDatablockDto,
    Operation.PATCH: PartialUpdateOrigDatablockDto,
}

V3_ORIGDATABLOCKS = EntityRoutes(
    name="origdatablocks",
    version=ApiVersion.V3,
    service=_service,
    filters=FilterRules(language=FilterLanguage.LOOPBACK, limit_defaults=V3_DEFAULTS),
    output=OrigDatablock,
    gates=_GATES,
    virtual_id=frozenset(Operation),
    bodies=_BODIES,
)
V4_ORIGDATABLOCKS = EntityRoutes(
    name="origdatablocks",
    version=ApiVersion.V4,
    service=_service,
    filters=FilterRules(
        language=FilterLanguage.MONGO,
        limit_defaults=V4_DEFAULTS,
        entity_keys=ORIGDATABLOCK_KEYS,
        relations=ORIGDATABLOCK_RELATIONS,
    ),
    output=OrigDatablock,
    gates=_GATES,
    virtual_id=_WRITES,
    bodies=_BODIES,
    related_access=related_access,
)
PUBLIC_ORIGDATABLOCKS = replace(
    V4_ORIGDATABLOCKS,
    name="public_origdatablocks",
    gates={},
    forced_where={"isPublished": True},
)


class ValidV3Out(BaseModel):
    """``{valid, errors}`` (class-validator's error objects)."""

    valid: bool
    errors: list[dict[str, Any]] = []


class ValidV4Out(BaseModel):
    """``{valid, reason}`` (class-validator's error objects)."""

    valid: bool
    reason: list[dict[str, Any]] = []


async def _is_valid(request: web.Request, routes: EntityRoutes) -> tuple[bool, Any]:
    """Validate a create body; a valid one must name an existing dataset (404)."""
    check_gate(request, routes, Operation.CREATE)
    services = services_of(request)
    try:
        fields = services.origdatablocks.validate_create(
            await raw_body(request), routes.version, sub_route=False
        )
    except ValidationFailed as failed:
        return False, failed.errors
    dataset_id = str(fields["datasetId"])
    if await services.datasets.fetch(dataset_id) is None:
        raise NotFoundError(
            services.origdatablocks.missing_dataset.format(id=dataset_id)
        )
    return True, []


async def _facets(request: web.Request, *, files: bool, public: bool) -> Any:
    """SciCat passes ``facets`` as limits here, so only ``all`` is counted."""
    return await search_of(request).fullfacet(
        identity_of(request),
        SearchTarget.ORIGDATABLOCKS,
        fields_param(request),
        (),
        visibility=Visibility.PUBLIC if public else Visibility.AUGMENT,
        files=files,
    )


# --- v3 ---------------------------------------------------------------------------

origdatablocks_v3 = RouteGroup("/api/v3/origdatablocks", tags=("origdatablocks",))
expose(
    origdatablocks_v3,
    V3_ORIGDATABLOCKS,
    (Operation.CREATE, Operation.GET, Operation.PATCH, Operation.DELETE),
)


@origdatablocks_v3.post(
    "/isValid",
    summary="Check a file list body without storing it",
    body=CreateOrigDatablockDto,
    response=ValidV3Out,
    responses={403: None, 404: None},
    status=200,
)
async def is_valid_v3(request: web.Request) -> dict[str, Any]:
    valid, errors = await _is_valid(request, V3_ORIGDATABLOCKS)
    return {"valid": valid, "errors": errors}


async def _v3_search(
    request: web.Request, fields: Any, limits: Any, *, files: bool
) -> Any:
    check_gate(request, V3_ORIGDATABLOCKS, Operation.LIST)
    documents = await search_of(request).fullquery(
        identity_of(request),
        SearchTarget.ORIGDATABLOCKS,
        fields if isinstance(fields, Mapping) else None,
        parse_v3_limits(limits or None),
        files=files,
    )
    if files:
        return documents
    return [render(V3_ORIGDATABLOCKS, d, Operation.LIST) for d in documents]


@origdatablocks_v3.get(
    "/",
    summary="File lists whose fields match the filter's where (fullquery terms)",
    query=FilterQuery,
    response=list[OrigDatablock],
    responses={400: None, 403: None},
)
async def list_v3(request: web.Request) -> Any:
    raw = parse_json_object(request.query.get("filter"), what="filter")
    return await _v3_search(request, raw.get("where"), raw.get("limits"), files=False)


@origdatablocks_v3.get(
    "/fullquery",
    summary="File lists matching fullquery conditions",
    query=FullqueryQuery,
    response=list[OrigDatablock],
    responses={400: None, 403: None},
)
async def fullquery_v3(request: web.Request) -> Any:
    limits = parse_json_object(request.query.get("limits"), what="limits")
    return await _v3_search(request, fields_param(request), limits, files=False)


@origdatablocks_v3.get(
    "/fullquery/files",
    summary="One row per file of the matching file lists, with datasetExist",
    query=FullqueryQuery,
    response=list[dict[str, Any]],
    responses={400: None, 403: None},
)
async def fullquery_files_v3(request: web.Request) -> Any:
    limits = parse_json_object(request.query.get("limits"), what="limits")
    return await _v3_search(request, fields_param(request), limits, files=True)


def _facet_routes(group: RouteGroup, gate: Gate | None, *, public: bool) -> None:
    for suffix, files in (("", False), ("/files", True)):
        summary = "Count of the matching " + ("files" if files else "file lists")

        async def handler(request: web.Request, files: bool = files) -> Any:
            check_route_gate(request, gate)
            return await _facets(request, files=files, public=public)

        group.add(
            "GET",
            f"/fullfacet{suffix}",
            handler,
            summary=summary,
            query=FullqueryQuery,
            response=list[FacetAnswer],
            responses={400: None, 403: None},
            operation_id=f"{group.prefix}/fullfacet{suffix}".strip("/").replace(
                "/", "_"
            ),
        )


_facet_routes(origdatablocks_v3, read_gate, public=False)


# --- v4 ---------------------------------------------------------------------------

origdatablocks_v4 = RouteGroup("/api/v4/origdatablocks", tags=("origdatablocks v4",))
expose(
    origdatablocks_v4,
    V4_ORIGDATABLOCKS,
    (
        Operation.CREATE,
        Operation.LIST,
        Operation.GET,
        Operation.PATCH,
        Operation.DELETE,
    ),
)


@origdatablocks_v4.post(
    "/isValid",
    summary="Check a file list body without storing it",
    body=CreateOrigDatablockDto,
    response=ValidV4Out,
    responses={403: None, 404: None},
    status=200,
)
async def is_valid_v4(request: web.Request) -> dict[str, Any]:
    valid, errors = await _is_valid(request, V4_ORIGDATABLOCKS)
    return {"valid": valid, "reason": errors}


async def _files_v4(
    request: web.Request, routes: EntityRoutes, visible: Mapping[str, Any] | None
) -> Any:
    query = read_request(
        request, routes.filters, forced_where=routes.forced_where
    ).query
    page = Limits(
        limit=query.limit or None, skip=query.skip, sort=dict(query.sort or [])
    )
    return await search_of(request).file_rows(query.where, visible, page)


@origdatablocks_v4.get(
    "/files",
    summary="One row per file of the visible file lists, with datasetExist",
    query=FilterQuery,
    response=list[dict[str, Any]],
    responses={400: None, 403: None},
)
async def files_v4(request: web.Request) -> Any:
    check_gate(request, V4_ORIGDATABLOCKS, Operation.LIST)
    service = V4_ORIGDATABLOCKS.service_of(request)
    visible = service.access.visibility(identity_of(request))
    return await _files_v4(request, V4_ORIGDATABLOCKS, visible)


_facet_routes(origdatablocks_v4, read_gate, public=False)

public_origdatablocks_v4 = RouteGroup(
    "/api/v4/origdatablocks/public", tags=("origdatablocks v4",)
)
expose(public_origdatablocks_v4, PUBLIC_ORIGDATABLOCKS, (Operation.LIST,))


@public_origdatablocks_v4.get(
    "/files",
    summary="One row per file of the published file lists",
    query=FilterQuery,
    response=list[dict[str, Any]],
    responses={400: None},
)
async def public_files_v4(request: web.Request) -> Any:
    return await _files_v4(request, PUBLIC_ORIGDATABLOCKS, None)


_facet_routes(public_origdatablocks_v4, None, public=True)


@public_origdatablocks_v4.get(
    "/{id}",
    summary="One published file list, or an empty answer",
    query=IncludeQuery,
    response=OrigDatablock,
    responses={400: None},
)
async def get_public_v4(request: web.Request) -> dict[str, Any] | None:
    specs = include_param(request, PUBLIC_ORIGDATABLOCKS.filters)
    read = ReadRequest(
        ListQuery(where={"_id": request.match_info["id"], "isPublished": True}),
        include=tuple(specs),
    )
    found = await find_documents(request, PUBLIC_ORIGDATABLOCKS, read)
    return render(PUBLIC_ORIGDATABLOCKS, found[0], Operation.GET) if found else None
