"""The generic History rows SciCat writes for tracked collections (reference §10.1).

A collection is tracked when the raw ``TRACKABLES`` string contains its name
(substring semantics, as SciCat: ``OrigDatablock`` in TRACKABLES also tracks
``Datablock``). Strategy ``delta`` stores only changed paths; ``document``
stores the whole documents before and after.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Mapping
from typing import Any

from bson import ObjectId

from common import jsoncodec
from common.services.context import CallContext
from common.services.store_types import StoreLike
from common.settings import TrackableStrategy

logger = logging.getLogger(__name__)

HISTORY_COLLECTION = "History"
_IGNORED = frozenset({"_id", "__v"})
_MISSING = object()


class HistoryOperation(enum.StrEnum):
    UPDATE = "update"
    DELETE = "delete"


def is_tracked(trackables: str, collection: str) -> bool:
    """SciCat's test: the raw TRACKABLES string contains the collection name."""
    return bool(trackables) and collection in trackables


def _same(old: Any, new: Any) -> bool:
    if old is new:
        return True
    # Arrays and dates are compared by their JSON rendering, as SciCat does.
    try:
        return jsoncodec.dumps(old) == jsoncodec.dumps(new)
    except TypeError:
        return bool(old == new)


def delta(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the changed paths of two documents, recursing into plain objects."""
    old_part: dict[str, Any] = {}
    new_part: dict[str, Any] = {}
    for key in list(before) + [k for k in after if k not in before]:
        if key in _IGNORED:
            continue
        old = before.get(key, _MISSING)
        new = after.get(key, _MISSING)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            sub_old, sub_new = delta(old, new)
            if sub_old or sub_new:
                old_part[key] = sub_old
                new_part[key] = sub_new
            continue
        if old is not _MISSING and new is not _MISSING and _same(old, new):
            continue
        old_part[key] = None if old is _MISSING else old
        new_part[key] = None if new is _MISSING else new
    return old_part, new_part


class HistoryRecorder:
    """Writes one History row per update or delete of a tracked collection."""

    def __init__(
        self, store: StoreLike, trackables: str, strategy: TrackableStrategy
    ) -> None:
        self._history = store.collection(HISTORY_COLLECTION)
        self._trackables = trackables
        self._strategy = strategy

    def tracks(self, collection: str) -> bool:
        return is_tracked(self._trackables, collection)

    async def record(
        self,
        ctx: CallContext,
        collection: str,
        operation: HistoryOperation,
        before: Mapping[str, Any],
        after: Mapping[str, Any] | None,
    ) -> None:
        """Insert the row if ``collection`` is tracked and something changed."""
        if not self.tracks(collection):
            return
        row_before: dict[str, Any] | None
        row_after: dict[str, Any] | None
        if after is None:
            row_before, row_after = dict(before), None
        elif self._strategy is TrackableStrategy.DELTA:
            row_before, row_after = delta(before, after)
            if not row_before and not row_after:
                return
        else:
            row_before, row_after = dict(before), dict(after)
        await self._history.insert_one(
            {
                "_id": ObjectId(),
                "subsystem": collection,
                "documentId": before.get("_id"),
                "before": row_before,
                "after": row_after,
                "operation": operation.value,
                "user": history_user(ctx),
                "timestamp": dt.datetime.now(dt.UTC),
                "__v": 0,
            }
        )


def history_user(ctx: CallContext) -> str:
    """SciCat's ``user`` field: the username, or its fallback when there is none."""
    if ctx.identity.is_anonymous:
        return "unauthenticated"
    return ctx.identity.username or "missing-username"
