"""The MetadataKeys side table: one row per top-level metadata key of a source.

Rows are ``<sourceType>_<sourceId>_<key>`` (reference §2.15), rebuilt on every
write of the source that changes them and deleted with it. Rows are written in
batches (one ``insert_many``, one ``delete_many``), not one write per key; a
repeated or concurrent rebuild still converges on the same rows instead of
failing on a duplicate id.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from common.errors import DuplicateKeyError
from common.services.store_types import StoreLike

logger = logging.getLogger(__name__)

METADATA_KEYS_COLLECTION = "MetadataKeys"


class SourceType(enum.StrEnum):
    DATASET = "dataset"
    PROPOSAL = "proposal"
    SAMPLE = "sample"
    INSTRUMENT = "instrument"


def user_groups(owner_group: Any, access_groups: Iterable[Any] | None) -> list[str]:
    """ownerGroup then accessGroups, de-duplicated in order, blanks dropped."""
    seen: dict[str, None] = {}
    for group in [owner_group, *(access_groups or [])]:
        if isinstance(group, str) and group:
            seen.setdefault(group, None)
    return list(seen)


def metadata_key_rows(
    source_type: SourceType,
    source_id: str,
    metadata: Mapping[str, Any] | None,
    *,
    owner_group: Any,
    access_groups: Iterable[Any] | None,
    is_published: bool,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The MetadataKeys documents for one source's top-level metadata keys."""
    if not metadata:
        return []
    stamp = now or dt.datetime.now(dt.UTC)
    # Every row shares all but four fields: each is a copy of one template
    # with those four set in place (the key order stays the template's).
    template: dict[str, Any] = {
        "_id": None,
        "id": None,
        "key": None,
        "humanReadableName": "",
        "userGroups": user_groups(owner_group, access_groups),
        "sourceType": source_type.value,
        "sourceId": source_id,
        "isPublished": bool(is_published),
        "createdBy": "system",
        "updatedBy": "system",
        "createdAt": stamp,
        "updatedAt": stamp,
        "__v": 0,
    }
    prefix = f"{source_type.value}_{source_id}_"
    rows = []
    for key, entry in metadata.items():
        row = template.copy()
        row["_id"] = row["id"] = f"{prefix}{key}"
        row["key"] = key
        human = entry.get("human_name") if isinstance(entry, Mapping) else None
        if isinstance(human, str):
            row["humanReadableName"] = human
        rows.append(row)
    return rows


_STAMPS = ("createdAt", "updatedAt")


def same_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    """True when two row sets differ at most in their timestamps."""

    def content(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k not in _STAMPS} for row in rows]

    return content(old) == content(new)


class MetadataKeysTable:
    """Keeps MetadataKeys rows in step with their source documents."""

    def __init__(self, store: StoreLike) -> None:
        self._rows = store.collection(METADATA_KEYS_COLLECTION)

    async def insert(self, rows: list[dict[str, Any]]) -> None:
        """Rows of a new source; falls back to a rebuild if some already exist."""
        if not rows:
            return
        try:
            await self._rows.insert_many(rows, ordered=False)
        except DuplicateKeyError:
            # Left behind by an earlier attempt that stopped half-way.
            await self.replace(rows[0]["sourceType"], rows[0]["sourceId"], rows)

    async def replace(
        self, source_type: str, source_id: str, rows: list[dict[str, Any]]
    ) -> None:
        """Make the source's rows exactly ``rows``, in two batched writes.

        Readers may see the source without rows between the two; a crash there
        leaves them missing until the next write of the source rebuilds them.
        TODO(services): one ``bulk_write`` (DeleteMany of stale keys, ReplaceOne
        upserts) would close that gap in one round trip; it needs ``bulk_write``
        in the store's Collection protocol and in the MongoDB collection.
        """
        await self._rows.delete_many({"sourceType": source_type, "sourceId": source_id})
        if not rows:
            return
        try:
            await self._rows.insert_many(rows, ordered=False)
        except DuplicateKeyError:
            # A concurrent rebuild stored some rows between our delete and
            # insert; upserting each converges on the same rows.
            logger.info(
                "metadata keys rebuilt concurrently",
                extra={"source_type": source_type, "source_id": source_id},
            )
            for row in rows:
                await self._rows.replace_one({"_id": row["_id"]}, row, upsert=True)

    async def has_rows(self, source_type: str, source_id: str, count: int) -> bool:
        """True when the source has exactly ``count`` rows stored."""
        stored: int = await self._rows.count_documents(
            {"sourceType": source_type, "sourceId": source_id}
        )
        return stored == count

    async def delete(self, source_type: str, source_id: str) -> None:
        await self._rows.delete_many({"sourceType": source_type, "sourceId": source_id})
