"""Dataset size fields recomputed from all of its file lists and datablocks.

Sums are always recomputed with one ``$group`` over every child document, never
incremented, so applying the same file list twice (or redelivering a message)
leaves the sizes as they were. SciCat caps these sums at 10 or 100 children on
some routes; we do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.services.store_types import StoreLike


@dataclass(frozen=True, slots=True)
class SizeRule:
    """Which child collection feeds which two dataset fields."""

    collection: str
    size_source: str
    size_target: str
    count_target: str


FILE_SIZES = SizeRule("OrigDatablock", "size", "size", "numberOfFiles")
ARCHIVE_SIZES = SizeRule(
    "Datablock", "packedSize", "packedSize", "numberOfFilesArchived"
)


async def summed_sizes(
    store: StoreLike, rule: SizeRule, dataset_id: str
) -> dict[str, int | float]:
    """The dataset fields of ``rule`` as sums over all children of ``dataset_id``."""
    if store.kind == "embedded":
        return await summed_by_scan(store, rule, dataset_id)
    return await summed_by_group(store, rule, dataset_id)


async def summed_by_group(
    store: StoreLike, rule: SizeRule, dataset_id: str
) -> dict[str, int | float]:
    """One ``$group`` in the database: nothing but two numbers comes back."""
    pipeline: list[Mapping[str, Any]] = [
        {"$match": {"datasetId": dataset_id}},
        {
            "$group": {
                "_id": None,
                "size": {"$sum": f"${rule.size_source}"},
                "files": {"$sum": {"$size": {"$ifNull": ["$dataFileList", []]}}},
            }
        },
    ]
    cursor = await store.collection(rule.collection).aggregate(pipeline)
    rows = await cursor.to_list(None)
    if not rows:
        return {rule.size_target: 0, rule.count_target: 0}
    return {
        rule.size_target: rows[0].get("size") or 0,
        rule.count_target: rows[0].get("files") or 0,
    }


async def summed_by_scan(
    store: StoreLike, rule: SizeRule, dataset_id: str
) -> dict[str, int | float]:
    """The same sums from an indexed find.

    On the embedded store both aggregation and projection are interpreted by
    mongomock, each many times slower than reading the whole documents.
    """
    cursor = store.collection(rule.collection).find({"datasetId": dataset_id})
    size: int | float = 0
    files = 0
    async for child in cursor:
        value = child.get(rule.size_source)
        # $sum ignores what is not a number; so do we.
        if isinstance(value, int | float) and not isinstance(value, bool):
            size += value
        listed = child.get("dataFileList")
        files += len(listed) if isinstance(listed, list) else 0
    return {rule.size_target: size, rule.count_target: files}


def changed_fields(
    dataset: Mapping[str, Any], sums: Mapping[str, Any]
) -> dict[str, Any]:
    """The subset of ``sums`` that differs from what the dataset holds."""
    return {key: value for key, value in sums.items() if dataset.get(key) != value}
