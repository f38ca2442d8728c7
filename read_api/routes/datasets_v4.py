"""``/api/v4/datasets`` and ``/api/v4/datasets/public`` (reference §3.4).

The generic entity routes serve list, count, findOne, get, create, patch,
replace and delete; this module adds what is the dataset's own: ``isValid``,
the lifecycle routes and the public family.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from common.errors import InvalidError
from common.identity.principal import Identity
from common.models.dataset import (
    CreateDatasetDto,
    OutputDatasetDto,
    PartialUpdateDatasetDto,
    Relationship,
    Technique,
    UpdateDatasetDto,
)
from common.models.lifecycle import Lifecycle, UpdateDatasetLifecycleDto
from common.permissions.datasets import DatasetAction
from common.permissions.groups import GroupConfig, access_filter, is_admin
from common.query.include import (
    ACCESS_FILTERED_DATASET_RELATIONS,
    DATASET_RELATIONS,
)
from common.query.limits import V4_DATASET_DEFAULTS
from common.services import Services
from common.services.context import ApiVersion
from common.services.dataset_extras import is_valid, patch_v4
from common.services.entity import EntityService, ListQuery
from read_api.dataset_gates import dataset_gate
from read_api.generic import (
    EntityRoutes,
    FilterLanguage,
    FilterRules,
    IncludeQuery,
    Operation,
    ReadRequest,
    check_gate,
    check_route_gate,
    expose,
    find_documents,
    include_param,
    render,
    services_of,
    unmodified_since,
)
from read_api.generic.exposure import MERGE_PATCH
from read_api.inputs import raw_body
from read_api.routing import RouteGroup

__all__ = [
    "DATASET_KEYS",
    "PUBLIC_DATASETS",
    "V4_DATASETS",
    "datasets_v4",
    "public_datasets_v4",
]


def _keys(*models: type[BaseModel]) -> frozenset[str]:
    names: set[str] = set()
    for model in models:
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
    return frozenset(names)


# Every key a v4 dataset filter may name (SciCat's allow-list, §4.1.3): the
# output keys, the lifecycle's, History's and those of techniques and
# relationships.
DATASET_KEYS = _keys(OutputDatasetDto, Lifecycle, Technique, Relationship) | {
    "_id",
    "updatedAt",
    "updatedBy",
    "datasetlifecycle",
}


def related_access(
    identity: Identity, config: GroupConfig
) -> Mapping[str, Mapping[str, Any] | None]:
    """v4 narrows included proposals, file lists, datablocks and samples to
    what the caller may see; instruments and attachments are not narrowed."""
    if is_admin(identity, config):
        return {}
    visible = access_filter(identity)
    return dict.fromkeys(ACCESS_FILTERED_DATASET_RELATIONS, visible)


def _datasets(services: Services) -> EntityService:
    return services.datasets


DATASET_FILTERS = FilterRules(
    language=FilterLanguage.MONGO,
    limit_defaults=V4_DATASET_DEFAULTS,
    entity_keys=DATASET_KEYS,
    relations=DATASET_RELATIONS,
)

V4_DATASETS = EntityRoutes(
    name="datasets",
    version=ApiVersion.V4,
    service=_datasets,
    filters=DATASET_FILTERS,
    output=OutputDatasetDto,
    id_param="pid",
    gates={
        Operation.CREATE: dataset_gate(DatasetAction.CREATE),
        Operation.LIST: dataset_gate(DatasetAction.READ),
        Operation.COUNT: dataset_gate(DatasetAction.READ),
        Operation.FIND_ONE: dataset_gate(DatasetAction.READ),
        Operation.GET: dataset_gate(DatasetAction.READ),
        Operation.PATCH: dataset_gate(DatasetAction.UPDATE),
        Operation.REPLACE: dataset_gate(DatasetAction.UPDATE),
        Operation.DELETE: dataset_gate(DatasetAction.DELETE),
    },
    # Create, update and delete answer Mongoose documents; reads are
    # aggregation results without the virtual id.
    virtual_id=frozenset(
        {Operation.CREATE, Operation.PATCH, Operation.REPLACE, Operation.DELETE}
    ),
    merge_patch=True,
    bodies={
        Operation.CREATE: CreateDatasetDto,
        Operation.PATCH: PartialUpdateDatasetDto,
        Operation.REPLACE: UpdateDatasetDto,
    },
    related_access=related_access,
)

datasets_v4 = RouteGroup("/api/v4/datasets", tags=("datasets v4",))
expose(
    datasets_v4,
    V4_DATASETS,
    (
        Operation.CREATE,
        Operation.LIST,
        Operation.COUNT,
        Operation.FIND_ONE,
        Operation.GET,
        Operation.REPLACE,
        Operation.DELETE,
    ),
)

# The public family: open to everyone, published datasets only.
PUBLIC_DATASETS = replace(
    V4_DATASETS,
    name="public_datasets",
    gates={},
    forced_where={"isPublished": True},
)
public_datasets_v4 = RouteGroup("/api/v4/datasets/public", tags=("datasets v4",))
expose(
    public_datasets_v4,
    PUBLIC_DATASETS,
    (Operation.LIST, Operation.COUNT, Operation.FIND_ONE),
)


class ValidOut(BaseModel):
    """The v4 ``isValid`` answer."""

    valid: bool


@datasets_v4.post(
    "/isValid",
    summary="Check a dataset body without storing it",
    body=CreateDatasetDto,
    response=ValidOut,
    responses={400: None, 403: None},
    status=200,
)
async def is_valid_v4(request: web.Request) -> dict[str, Any]:
    check_gate(request, V4_DATASETS, Operation.CREATE)
    ctx = V4_DATASETS.context(request)
    return is_valid(services_of(request).datasets, ctx, await raw_body(request))


@datasets_v4.patch(
    "/{pid}",
    summary="Update part of a dataset (JSON or merge patch)",
    body=PartialUpdateDatasetDto,
    content_types=("application/json", MERGE_PATCH),
    response=OutputDatasetDto,
    responses={400: None, 403: None, 404: None, 412: None},
)
async def patch_dataset_v4(request: web.Request) -> dict[str, Any]:
    check_gate(request, V4_DATASETS, Operation.PATCH)
    changes = await raw_body(request)
    if not isinstance(changes, Mapping):
        raise InvalidError("request body must be a JSON object")
    updated = await patch_v4(
        services_of(request).datasets,
        V4_DATASETS.context(request),
        request.match_info["pid"],
        changes,
        merge=request.content_type == MERGE_PATCH,
        unmodified_since=unmodified_since(request),
    )
    return render(V4_DATASETS, updated, Operation.PATCH)


@datasets_v4.get(
    "/{pid}/datasetlifecycle",
    summary="The dataset's lifecycle",
    response=Lifecycle,
    responses={403: None, 404: None},
)
async def get_lifecycle_v4(request: web.Request) -> Any:
    check_gate(request, V4_DATASETS, Operation.GET)
    ctx = V4_DATASETS.context(request)
    dataset = await services_of(request).datasets.get(ctx, request.match_info["pid"])
    return dataset.get("datasetlifecycle")


@datasets_v4.patch(
    "/{pid}/datasetlifecycle",
    summary="Update the dataset's lifecycle (merge patch)",
    body=UpdateDatasetLifecycleDto,
    content_types=("application/json", MERGE_PATCH),
    response=Lifecycle,
    responses={400: None, 403: None, 404: None},
)
async def patch_lifecycle_v4(request: web.Request) -> Any:
    check_route_gate(request, dataset_gate(DatasetAction.LIFECYCLE_UPDATE))
    # TODO(services): a merge patch's null should remove the lifecycle field
    # (SciCat merges {datasetlifecycle: body}); update_lifecycle ignores nulls.
    return await services_of(request).datasets.update_lifecycle(
        V4_DATASETS.context(request),
        request.match_info["pid"],
        await raw_body(request),
        unmodified_since=unmodified_since(request),
    )


@public_datasets_v4.get(
    "/{pid}",
    summary="One published dataset, or an empty answer",
    query=IncludeQuery,
    response=OutputDatasetDto,
    responses={400: None},
)
async def get_public_dataset_v4(request: web.Request) -> dict[str, Any] | None:
    specs = include_param(request, PUBLIC_DATASETS.filters)
    read = ReadRequest(
        ListQuery(where={"pid": request.match_info["pid"], "isPublished": True}),
        include=tuple(specs),
    )
    found = await find_documents(request, PUBLIC_DATASETS, read)
    return render(PUBLIC_DATASETS, found[0], Operation.GET) if found else None
