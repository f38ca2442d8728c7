"""``/api/v3/datablocks`` (reference §3.6) on the generic entity routes.

Every authenticated caller passes the gates except delete (delete groups);
the instance rules are the datablock's own. Unlike SciCat, ``GET`` and
``PATCH /{id}`` act on the datablock named in the path (SciCat's lookup
ignores the id and takes the collection's first datablock), a refused read is
403 rather than 401, and refusals on PATCH keep their status instead of
becoming 500. The parent dataset's ``packedSize`` and
``numberOfFilesArchived`` are recomputed after every write.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ConfigDict, Field

from common.identity.principal import Identity
from common.models.datablock import (
    CreateDatablockDto,
    Datablock,
    PartialUpdateDatablockDto,
)
from common.permissions.datasets import EntityAction, datablock_endpoint_allows
from common.permissions.groups import GroupConfig
from common.query.limits import V3_DEFAULTS
from common.query.loopback import parse_loopback_filter
from common.services import Services
from common.services.context import ApiVersion
from common.services.entity import EntityService
from read_api.generic import (
    CountOut,
    EntityRoutes,
    FilterLanguage,
    FilterQuery,
    FilterRules,
    Gate,
    Operation,
    check_gate,
    count_documents,
    expose,
)
from read_api.routing import RouteGroup

__all__ = ["V3_DATABLOCKS", "datablocks_v3"]


def datablock_gate(action: EntityAction) -> Gate:
    """The gate of ``action`` on the datablocks endpoint."""

    def gate(identity: Identity, config: GroupConfig) -> bool:
        return datablock_endpoint_allows(identity, action, config)

    return gate


def _service(services: Services) -> EntityService:
    return services.datablocks


_READ = datablock_gate(EntityAction.READ)

V3_DATABLOCKS = EntityRoutes(
    name="datablocks",
    version=ApiVersion.V3,
    service=_service,
    filters=FilterRules(language=FilterLanguage.LOOPBACK, limit_defaults=V3_DEFAULTS),
    output=Datablock,
    gates={
        Operation.CREATE: datablock_gate(EntityAction.CREATE),
        Operation.LIST: _READ,
        Operation.COUNT: _READ,
        Operation.GET: _READ,
        Operation.PATCH: datablock_gate(EntityAction.UPDATE),
        Operation.DELETE: datablock_gate(EntityAction.DELETE),
    },
    virtual_id=frozenset(Operation),
    bodies={
        Operation.CREATE: CreateDatablockDto,
        Operation.PATCH: PartialUpdateDatablockDto,
    },
)

datablocks_v3 = RouteGroup("/api/v3/datablocks", tags=("datablocks",))
expose(
    datablocks_v3,
    V3_DATABLOCKS,
    (
        Operation.CREATE,
        Operation.LIST,
        Operation.GET,
        Operation.PATCH,
        Operation.DELETE,
    ),
)


class CountQuery(FilterQuery):
    """``filter``, or the deprecated ``where`` parameter holding a filter."""

    model_config = ConfigDict(extra="allow")

    where: str | None = Field(default=None, description="deprecated: a filter")


@datablocks_v3.get(
    "/count",
    summary="Count the datablocks matching a filter",
    query=CountQuery,
    response=CountOut,
    responses={400: None, 403: None},
)
async def count_v3(request: web.Request) -> dict[str, Any]:
    check_gate(request, V3_DATABLOCKS, Operation.COUNT)
    legacy = request.query.get("where")
    if request.query.get("filter") is None and legacy is not None:
        where = parse_loopback_filter(legacy, limit_defaults=V3_DEFAULTS).where
        return await count_documents(request, V3_DATABLOCKS, forced_where=where or None)
    return await count_documents(request, V3_DATABLOCKS)
