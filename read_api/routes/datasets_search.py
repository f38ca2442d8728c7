"""Dataset searches: v3 ``fullquery``, ``fullfacet``, ``metadataKeys`` and their v4
and ``/public`` variants (reference §3.3, §3.4, §4.2-4.4).

The searches run in :class:`common.services.search.CatalogueSearch`; handlers
read the JSON parameters, check the route gate and render (v3 answers are in
the v3 shape, quantities of ``scientific`` conditions in the requested unit).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from common.models.dataset import OutputDatasetObsoleteDto
from common.permissions.datasets import DatasetAction
from common.query.jsonparam import parse_json_object, parse_string_list
from common.query.limits import parse_v3_limits
from common.query.scientific import convert_to_requested_units
from common.services.search import CatalogueSearch, SearchTarget, Visibility
from read_api.dataset_gates import dataset_gate, dataset_read_gate
from read_api.generic import (
    Gate,
    Operation,
    check_route_gate,
    group_config,
    render,
    services_of,
)
from read_api.inputs import identity_of
from read_api.keys import SERVICES
from read_api.routes.datasets_v3 import V3_DATASETS
from read_api.routing import RouteGroup

__all__ = [
    "FacetsQuery",
    "FullqueryQuery",
    "MetadataKeysQuery",
    "fields_param",
    "search_of",
]


class FullqueryQuery(BaseModel):
    """fullquery's parameters: the ``fields`` conditions and the page."""

    model_config = ConfigDict(extra="allow")

    fields: str | None = Field(
        default=None,
        description="JSON object: mode, text, scientific, userGroups, <field>...",
    )
    limits: str | None = Field(
        default=None, description='JSON object: {"limit", "skip", "order"}'
    )


class FacetsQuery(BaseModel):
    """fullfacet's parameters: the ``fields`` conditions and the facet names."""

    model_config = ConfigDict(extra="allow")

    fields: str | None = Field(default=None, description="JSON object (as fullquery)")
    facets: str | None = Field(
        default=None, description='JSON array of field names, e.g. ["type"]'
    )


class MetadataKeysQuery(FullqueryQuery):
    """metadataKeys' parameters; ``fields.metadataKey`` filters the keys."""


class FacetCount(BaseModel):
    """One value of a facet and how many documents hold it."""

    model_config = ConfigDict(extra="allow")

    id_: Any = Field(default=None, alias="_id")
    count: int


class FacetAnswer(BaseModel):
    """One element of the fullfacet answer: a list per facet, plus ``all``."""

    model_config = ConfigDict(extra="allow")

    all: list[dict[str, int]] = Field(description='[{"totalSets": n}] or []')


def search_of(request: web.Request) -> CatalogueSearch:
    """The application's search service, built once on its domain services."""
    container = request.app[SERVICES]
    if CatalogueSearch not in container:
        deps = services_of(request).deps
        search = CatalogueSearch(deps.store, deps.settings, group_config(request.app))
        container.add(CatalogueSearch, search)
    return container.get(CatalogueSearch)


def fields_param(request: web.Request) -> dict[str, Any]:
    """The ``fields`` JSON object (absent: no conditions)."""
    return parse_json_object(request.query.get("fields"), what="fields")


def _limits_param(request: web.Request) -> dict[str, Any] | None:
    limits = parse_json_object(request.query.get("limits"), what="limits")
    return limits or None


def _facets_param(request: web.Request) -> list[str]:
    return parse_string_list(request.query.get("facets"), what="facets")


# --- v3 ---------------------------------------------------------------------------

search_v3 = RouteGroup("/api/v3/datasets", tags=("datasets",))


@search_v3.get(
    "/fullquery",
    summary="Datasets matching fullquery conditions (v3 shape)",
    query=FullqueryQuery,
    response=list[OutputDatasetObsoleteDto],
    responses={400: None, 403: None},
)
async def fullquery_v3(request: web.Request) -> list[dict[str, Any]]:
    check_route_gate(request, dataset_read_gate)
    fields = fields_param(request)
    limits = parse_v3_limits(_limits_param(request))
    documents = await search_of(request).fullquery(
        identity_of(request), SearchTarget.DATASETS, fields, limits
    )
    rendered = [render(V3_DATASETS, document, Operation.LIST) for document in documents]
    # SciCat answers quantities of unit conditions in the unit asked for.
    convert_to_requested_units(rendered, fields.get("scientific"))
    return rendered


def _facet_route(group: RouteGroup, gate: Gate | None, visibility: Visibility) -> None:
    @group.get(
        "/fullfacet",
        summary="Counts of datasets per value of the requested facets",
        query=FacetsQuery,
        response=list[FacetAnswer],
        responses={400: None, 403: None},
    )
    async def fullfacet(request: web.Request) -> list[dict[str, Any]]:
        check_route_gate(request, gate)
        return await search_of(request).fullfacet(
            identity_of(request),
            SearchTarget.DATASETS,
            fields_param(request),
            _facets_param(request),
            visibility=visibility,
        )

    @group.get(
        "/metadataKeys",
        summary="The scientific metadata keys of the matching datasets",
        query=MetadataKeysQuery,
        response=list[str],
        responses={400: None, 403: None},
    )
    async def metadata_keys(request: web.Request) -> list[str]:
        check_route_gate(request, gate)
        return await search_of(request).metadata_keys(
            identity_of(request),
            fields_param(request),
            _limits_param(request),
            visibility=visibility,
        )


_facet_route(search_v3, dataset_read_gate, Visibility.AUGMENT)

# --- v4 and the public family ---------------------------------------------------

search_v4 = RouteGroup("/api/v4/datasets", tags=("datasets v4",))
_facet_route(search_v4, dataset_gate(DatasetAction.READ), Visibility.AUGMENT)

public_search_v4 = RouteGroup("/api/v4/datasets/public", tags=("datasets v4",))
_facet_route(public_search_v4, None, Visibility.PUBLIC)
