"""Reading History rows on behalf of a caller (reference §3.14, §10.2).

The caller's filter is a raw MongoDB query on the History collection, checked
against the operator allow-list. Its ``subsystem`` decides the permission:
admins may leave it out, everyone else must name one collection they may
read. Rows come newest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.errors import ForbiddenError, InvalidError
from common.identity.principal import Identity
from common.permissions.history import HistoryAccess
from common.query.operators import check_filter
from common.services.entity import Document
from common.services.history import HISTORY_COLLECTION
from common.services.store_types import StoreLike

__all__ = ["DEFAULT_LIMIT", "HistoryPage", "HistoryReader"]

DEFAULT_LIMIT = 100
SUBSYSTEM_REQUIRED = "subsystem is required in filter for permission verification"

HistoryPage = dict[str, Any]


class HistoryReader:
    """Pages and counts of History rows the caller may read."""

    def __init__(
        self, store: StoreLike, access: HistoryAccess, *, max_time_ms: int
    ) -> None:
        self._rows = store.collection(HISTORY_COLLECTION)
        self.access = access
        self._timeout = max_time_ms

    def check_filter(
        self, identity: Identity, query: Any, *, subsystem_required: bool = False
    ) -> dict[str, Any]:
        """The checked filter; 400 without a permitted way to decide, 403 if denied."""
        if not isinstance(query, Mapping):
            raise InvalidError("filter must be a JSON object")
        check_filter(query)
        subsystem = query.get("subsystem")
        if subsystem is None:
            if subsystem_required or not self.access.reads_all(identity):
                raise InvalidError(SUBSYSTEM_REQUIRED)
            return dict(query)
        if not isinstance(subsystem, str):
            raise InvalidError("subsystem must be one collection name")
        self.check_subsystem(identity, subsystem)
        return dict(query)

    def check_subsystem(self, identity: Identity, subsystem: str) -> None:
        if not self.access.may_read(identity, subsystem):
            raise ForbiddenError(
                f"You don't have permission to access history for {subsystem} "
                "collection"
            )

    async def page(
        self, query: Mapping[str, Any], *, skip: int, limit: int
    ) -> HistoryPage:
        """``{items, count, totalCount, skip, limit}``, newest first."""
        cursor = (
            self._rows.find(dict(query), max_time_ms=self._timeout)
            .sort([("timestamp", -1), ("_id", -1)])
            .skip(skip)
            .limit(limit)
        )
        items: list[Document] = await cursor.to_list(None)
        total = await self.count(query)
        return {
            "items": items,
            "count": len(items),
            "totalCount": total,
            "skip": skip,
            "limit": limit,
        }

    async def count(self, query: Mapping[str, Any]) -> int:
        total: int = await self._rows.count_documents(
            dict(query), max_time_ms=self._timeout
        )
        return total
