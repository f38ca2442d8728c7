"""``/api/v3/datasets`` (reference §3.3): v3 shapes over the generic entity routes.

The generic routes serve create, list, count, findOne, patch, replace and
delete; this module adds what is the dataset's own: get by pid (a list query,
with the synthetic ``history``), ``isValid``, the lifecycle routes,
``appendToArrayField`` and the thumbnail. Responses are in the v3 shape:
singular ids synthesised, metadata keys decoded, the virtual ``id``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from common.errors import ForbiddenError, NotFoundError, SciCatError
from common.models.dataset import (
    CreateDatasetDto,
    CreateDerivedDatasetObsoleteDto,
    CreateRawDatasetObsoleteDto,
    OutputDatasetObsoleteDto,
    UpdateDerivedDatasetObsoleteDto,
    UpdateRawDatasetObsoleteDto,
    stored_to_v3,
)
from common.models.lifecycle import Lifecycle, UpdateDatasetLifecycleDto
from common.permissions.datasets import DatasetAction
from common.query.include import DATASET_RELATIONS
from common.query.limits import V3_DEFAULTS
from common.services import Services
from common.services.context import ApiVersion
from common.services.dataset_extras import (
    append_to_array_field,
    first_thumbnail,
    is_valid,
)
from common.services.dataset_history import synthetic_history
from common.services.entity import Document, EntityService
from read_api.dataset_gates import dataset_gate, dataset_read_gate
from read_api.generic import (
    EntityRoutes,
    FilterLanguage,
    FilterQuery,
    FilterRules,
    Operation,
    ReadRequest,
    check_gate,
    check_route_gate,
    expose,
    find_documents,
    read_request,
    render,
    services_of,
    unmodified_since,
)
from read_api.inputs import json_query_param, raw_body
from read_api.routing import Reply, RouteGroup

__all__ = ["V3_DATASETS", "datasets_v3", "render_v3"]

HISTORY = "history"


def render_v3(document: Document) -> dict[str, Any]:
    """A stored dataset in the v3 shape (``id`` is added by the exposure)."""
    return stored_to_v3(document)


def _datasets(services: Services) -> EntityService:
    return services.datasets


async def _with_history(
    request: web.Request,
    routes: EntityRoutes,
    documents: list[Document],
    read: ReadRequest,
) -> None:
    if HISTORY in read.computed:
        await add_history(request, documents, full=read.query.projection is None)


async def add_history(
    request: web.Request, documents: list[Document], *, full: bool
) -> None:
    """Give each dataset its synthetic v3 ``history`` (§10.3).

    ``full``: the documents are whole; otherwise the stored one is read.
    """
    datasets = services_of(request).datasets
    timeout = datasets.deps.settings.STORE_QUERY_TIMEOUT_MS
    for document in documents:
        stored = document if full else await datasets.fetch(document["_id"])
        if stored is None:
            continue
        document[HISTORY] = await synthetic_history(
            datasets.deps.store, stored, max_time_ms=timeout
        )


V3_FILTERS = FilterRules(
    language=FilterLanguage.LOOPBACK,
    limit_defaults=V3_DEFAULTS,
    relations=DATASET_RELATIONS,
    header=True,
    computed_fields=frozenset({HISTORY}),
)

V3_DATASETS = EntityRoutes(
    name="datasets",
    version=ApiVersion.V3,
    service=_datasets,
    filters=V3_FILTERS,
    output=OutputDatasetObsoleteDto,
    id_param="pid",
    gates={
        Operation.CREATE: dataset_gate(DatasetAction.CREATE),
        Operation.LIST: dataset_read_gate,
        Operation.COUNT: dataset_read_gate,
        Operation.FIND_ONE: dataset_read_gate,
        Operation.GET: dataset_read_gate,
        Operation.PATCH: dataset_gate(DatasetAction.UPDATE),
        Operation.REPLACE: dataset_gate(DatasetAction.UPDATE),
        Operation.DELETE: dataset_gate(DatasetAction.DELETE),
    },
    render=render_v3,
    # Every v3 dataset answer is a Mongoose document rendered with its ``id``.
    virtual_id=frozenset(Operation),
    bodies={
        Operation.CREATE: CreateRawDatasetObsoleteDto
        | CreateDerivedDatasetObsoleteDto
        | CreateDatasetDto,
        Operation.PATCH: UpdateRawDatasetObsoleteDto | UpdateDerivedDatasetObsoleteDto,
        Operation.REPLACE: UpdateRawDatasetObsoleteDto
        | UpdateDerivedDatasetObsoleteDto,
    },
    enrich=_with_history,
)

datasets_v3 = RouteGroup("/api/v3/datasets", tags=("datasets",))
expose(
    datasets_v3,
    V3_DATASETS,
    (
        Operation.CREATE,
        Operation.LIST,
        Operation.COUNT,
        Operation.FIND_ONE,
        Operation.PATCH,
        Operation.REPLACE,
        Operation.DELETE,
    ),
)


class ValidOut(BaseModel):
    """The v3 ``isValid`` answer."""

    valid: bool
    error: str | None = None


class AppendQuery(BaseModel):
    """``appendToArrayField``'s query: the field and a JSON array of values."""

    model_config = ConfigDict(extra="allow")

    fieldName: str = Field(description="an array field of the dataset")
    data: str = Field(description="JSON array of the values to add")


class ThumbnailOut(BaseModel):
    """The dataset's first attachment thumbnail, or an empty object."""

    thumbnail: str | None = None


@datasets_v3.post(
    "/isValid",
    summary="Check a dataset body without storing it",
    body=CreateRawDatasetObsoleteDto | CreateDerivedDatasetObsoleteDto,
    response=ValidOut,
    responses={400: None, 403: None},
    status=200,
)
async def is_valid_v3(request: web.Request) -> dict[str, Any]:
    check_gate(request, V3_DATASETS, Operation.CREATE)
    ctx = V3_DATASETS.context(request)
    return is_valid(services_of(request).datasets, ctx, await raw_body(request))


@datasets_v3.get(
    "/{pid}",
    summary="One dataset by pid, with its history unless fields are chosen",
    query=FilterQuery,
    response=OutputDatasetObsoleteDto,
    responses={400: None, 403: None, 404: None},
)
async def get_dataset_v3(request: web.Request) -> dict[str, Any]:
    check_gate(request, V3_DATASETS, Operation.GET)
    pid = request.match_info["pid"]
    datasets = services_of(request).datasets
    # One read when the dataset is visible; the existence check (404 before
    # anything else, as SciCat answers) runs only when something went wrong.
    try:
        read = read_request(request, V3_FILTERS, forced_where={"pid": pid})
        found = await find_documents(request, V3_DATASETS, read)
    except SciCatError:
        await _require_dataset(datasets, pid)
        raise
    if not found:
        await _require_dataset(datasets, pid)
        raise ForbiddenError("Unauthorized access")
    if read.query.projection is None:
        await add_history(request, found[:1], full=True)
    return render(V3_DATASETS, found[0], Operation.GET)


async def _require_dataset(datasets: EntityService, pid: str) -> None:
    """NotFoundError unless a dataset ``pid`` is stored (visible or not)."""
    if await datasets.fetch(pid) is None:
        raise NotFoundError(datasets.spec.not_found.format(id=pid))


@datasets_v3.get(
    "/{pid}/datasetlifecycle",
    summary="The dataset's lifecycle",
    response=Lifecycle,
    responses={403: None, 404: None},
)
async def get_lifecycle_v3(request: web.Request) -> Any:
    check_gate(request, V3_DATASETS, Operation.GET)
    ctx = V3_DATASETS.context(request)
    dataset = await services_of(request).datasets.get(ctx, request.match_info["pid"])
    return dataset.get("datasetlifecycle")


@datasets_v3.patch(
    "/{pid}/datasetlifecycle",
    summary="Update the dataset's lifecycle (merged with the stored one)",
    body=UpdateDatasetLifecycleDto,
    response=Lifecycle,
    responses={400: None, 403: None, 404: None},
)
async def patch_lifecycle_v3(request: web.Request) -> Any:
    check_route_gate(request, dataset_gate(DatasetAction.LIFECYCLE_UPDATE))
    return await services_of(request).datasets.update_lifecycle(
        V3_DATASETS.context(request),
        request.match_info["pid"],
        await raw_body(request),
        unmodified_since=unmodified_since(request),
    )


@datasets_v3.post(
    "/{pid}/appendToArrayField",
    summary="Add values to an array field of the dataset ($addToSet)",
    query=AppendQuery,
    response=OutputDatasetObsoleteDto,
    responses={400: None, 403: None, 404: None},
)
async def append_to_array_field_v3(request: web.Request) -> Any:
    check_gate(request, V3_DATASETS, Operation.PATCH)
    ctx = V3_DATASETS.context(request)
    updated = await append_to_array_field(
        services_of(request).datasets,
        ctx,
        request.match_info["pid"],
        request.query.get("fieldName"),
        json_query_param(request, "data"),
    )
    return Reply(render(V3_DATASETS, updated, Operation.PATCH), status=201)


@datasets_v3.get(
    "/{pid}/thumbnail",
    summary="The thumbnail of the dataset's first attachment",
    response=ThumbnailOut,
    responses={403: None, 404: None},
)
async def thumbnail_v3(request: web.Request) -> dict[str, Any]:
    check_gate(request, V3_DATASETS, Operation.GET)
    ctx = V3_DATASETS.context(request)
    return await first_thumbnail(
        services_of(request).datasets, ctx, request.match_info["pid"]
    )
