"""``/api/v3/history`` (reference §3.14, §10.2): History rows for history readers.

Anonymous callers get 401; callers in no history group (and not admins) 403
``Forbidden resource``; a collection the caller may not read 403 with
SciCat's message. Rows are answered as stored, newest first.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from common.errors import InvalidError
from common.permissions.gates import require_gate
from common.permissions.history import HistoryAccess
from common.query.jsonparam import parse_json_object
from common.query.limits import MAX_LIMIT
from common.services.history_reads import DEFAULT_LIMIT, HistoryReader
from read_api.generic import CountOut, services_of
from read_api.inputs import identity_of
from read_api.keys import SERVICES, SETTINGS
from read_api.routing import RouteGroup

__all__ = ["history_v3"]

history_v3 = RouteGroup("/api/v3/history", tags=("history",))


class HistoryQuery(BaseModel):
    """A raw MongoDB filter on History rows, and the page."""

    model_config = ConfigDict(extra="allow")

    filter: str | None = Field(
        default=None,
        description='JSON object, e.g. {"subsystem": "Dataset", "documentId": "..."}',
    )
    skip: int | None = Field(default=None, ge=0)
    limit: int | None = Field(default=None, ge=0)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="allow")

    skip: int | None = Field(default=None, ge=0)
    limit: int | None = Field(default=None, ge=0)


class HistoryPageOut(BaseModel):
    """A page of History rows with the total number of matches."""

    items: list[dict[str, Any]]
    count: int
    totalCount: int
    skip: int
    limit: int


def _reader(request: web.Request) -> HistoryReader:
    container = request.app[SERVICES]
    if HistoryReader not in container:
        settings = request.app[SETTINGS]
        reader = HistoryReader(
            services_of(request).deps.store,
            HistoryAccess.from_settings(settings),
            max_time_ms=settings.STORE_QUERY_TIMEOUT_MS,
        )
        container.add(HistoryReader, reader)
    return container.get(HistoryReader)


def _gate(request: web.Request) -> HistoryReader:
    """401 for anonymous callers, 403 for callers who read no history."""
    reader = _reader(request)
    identity = identity_of(request)
    require_gate(identity, reader.access.endpoint_allows(identity), authenticated=True)
    return reader


def _number(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit():
        raise InvalidError(f"{name} must be a non-negative integer")
    value = int(text)
    if name == "limit":
        # SciCat's `limit || 100`: zero means the default.
        return min(value, MAX_LIMIT) if value else default
    return value


def _filter(request: web.Request) -> Any:
    return parse_json_object(request.query.get("filter"), what="filter")


@history_v3.get(
    "/",
    summary="History rows matching a filter (subsystem decides the permission)",
    query=HistoryQuery,
    response=HistoryPageOut,
    responses={400: None, 401: None, 403: None},
)
async def find_history(request: web.Request) -> dict[str, Any]:
    reader = _gate(request)
    query = reader.check_filter(identity_of(request), _filter(request))
    return await reader.page(
        query,
        skip=_number(request, "skip", 0),
        limit=_number(request, "limit", DEFAULT_LIMIT),
    )


@history_v3.get(
    "/count",
    summary="How many History rows of one subsystem match a filter",
    query=HistoryQuery,
    response=CountOut,
    responses={400: None, 401: None, 403: None},
)
async def count_history(request: web.Request) -> dict[str, int]:
    reader = _gate(request)
    query = reader.check_filter(
        identity_of(request), _filter(request), subsystem_required=True
    )
    return {"count": await reader.count(query)}


@history_v3.get(
    "/collection/{subsystem}",
    summary="History rows of one collection",
    query=PageQuery,
    response=HistoryPageOut,
    responses={400: None, 401: None, 403: None},
)
async def collection_history(request: web.Request) -> dict[str, Any]:
    reader = _gate(request)
    subsystem = request.match_info["subsystem"]
    reader.check_subsystem(identity_of(request), subsystem)
    return await reader.page(
        {"subsystem": subsystem},
        skip=_number(request, "skip", 0),
        limit=_number(request, "limit", DEFAULT_LIMIT),
    )
