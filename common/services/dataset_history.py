"""The ``history`` array v3 dataset reads carry, rebuilt from History rows (§10.3).

SciCat v3 clients expect the legacy embedded history: one entry per update,
oldest first, each ``{updatedAt, updatedBy, _id: "", <field>: {previousValue,
currentValue}}``. The rows (newest first, at most 100) are replayed backwards
from the current dataset, so object fields (``datasetlifecycle``) show their
complete value on both sides even though a delta row holds only what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common import jsoncodec
from common.services.history import HISTORY_COLLECTION
from common.services.store_types import StoreLike

__all__ = ["MAX_ENTRIES", "synthetic_history"]

MAX_ENTRIES = 100
_SKIPPED = frozenset({"_id", "__v", "updatedAt", "updatedBy"})
_MISSING = object()


async def synthetic_history(
    store: StoreLike, dataset: Mapping[str, Any], *, max_time_ms: int
) -> list[dict[str, Any]]:
    """The v3 ``history`` of ``dataset`` (its full stored document)."""
    cursor = (
        store.collection(HISTORY_COLLECTION)
        .find(
            # The selective clause first: the embedded store's planner stops
            # at a clause that matches nothing (most datasets have no rows).
            {
                "documentId": dataset.get("_id"),
                "subsystem": "Dataset",
                "operation": "update",
            },
            max_time_ms=max_time_ms,
        )
        .sort([("timestamp", -1)])
        .limit(MAX_ENTRIES)
    )
    rows: list[dict[str, Any]] = await cursor.to_list(None)
    if not rows:
        return []

    # A shallow copy is enough: replaying only replaces top-level values and
    # builds new objects for the earlier states, never changing one in place.
    snapshot = dict(dataset)
    entries: list[dict[str, Any]] = []
    for row in rows:
        entries.append(_replay(row, snapshot))
    entries.reverse()
    return entries


def _replay(row: Mapping[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """One entry for ``row``; ``snapshot`` is moved back to the state before it."""
    before = row.get("before") or {}
    after = row.get("after") or {}
    entry: dict[str, Any] = {
        "updatedAt": row.get("timestamp"),
        "updatedBy": row.get("user"),
        "_id": "",
    }
    for key in dict.fromkeys([*after, *before]):
        if key in _SKIPPED:
            continue
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old is not _MISSING and new is not _MISSING and _same(old, new):
            continue
        current = snapshot.get(key)
        previous = _previous(current, old)
        entry[key] = {"previousValue": previous, "currentValue": current}
        if previous is None:
            snapshot.pop(key, None)
        else:
            snapshot[key] = previous
    return entry


def _previous(current: Any, before: Any) -> Any:
    """The value before the change: an object's changed paths laid over it."""
    if before is _MISSING:
        return None
    if isinstance(current, Mapping) and isinstance(before, Mapping):
        merged = dict(current)
        for key, value in before.items():
            merged[key] = _previous(merged.get(key), value)
        return merged
    return before


def _same(old: Any, new: Any) -> bool:
    try:
        return jsoncodec.dumps(old) == jsoncodec.dumps(new)
    except TypeError:
        return bool(old == new)
