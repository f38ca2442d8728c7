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


def changed_fields(
    dataset: Mapping[str, Any], sums: Mapping[str, Any]
) -> dict[str, Any]:
    """The subset of ``sums`` that differs from what the dataset holds."""
    return {key: value for key, value in sums.items() if dataset.get(key) != value}
