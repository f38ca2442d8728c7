"""Catalogue searches: fullquery, fullfacet, metadataKeys and file rows (§4.2-4.4).

The query modules translate SciCat's ``fields``/``facets``/``limits`` into
MongoDB filters and pipelines; this service decides what the caller may see
(SciCat's access augmentation of ``fields``, or an entity's visibility filter),
runs the queries with the store's time limit and shapes the answers. Counts
and facets are computed by the store (``$group``), never by fetching documents.

TODO(search): SciCat answers these from Elasticsearch when it is connected;
our indexer only writes, so every search runs on the store. A query method
on :class:`common.effects.indexer.Indexer` would unblock an ES path.
Facet pipelines run natively on the embedded store (its own ``$group``), and in
the server on MongoDB.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from common.identity.principal import Identity
from common.models.dataset import OutputDatasetDto
from common.models.origdatablock import OrigDatablock
from common.permissions.datasets import can_read_any_dataset
from common.permissions.groups import GroupConfig, is_admin
from common.query.fullfacet import (
    build_fullfacet_count_pipeline,
    build_fullfacet_pipeline,
)
from common.query.fullquery import (
    QuerySpec,
    ReadTier,
    augment_access_fields,
    build_fullquery_filter,
)
from common.query.limits import Limits
from common.query.metadatakeys import metadata_keys, parent_limits
from common.query.schema import query_spec
from common.query.types import Stage
from common.services.entity import Document, and_filters
from common.services.store_types import StoreLike
from common.settings import Settings

__all__ = ["CatalogueSearch", "SearchTarget", "Visibility"]

logger = logging.getLogger(__name__)

FILES_FIELD = "dataFileList"


class SearchTarget(enum.Enum):
    """The collections searched with the fullquery language."""

    DATASETS = "Dataset"
    ORIGDATABLOCKS = "OrigDatablock"


class Visibility(enum.Enum):
    """How a search is narrowed to what the caller may see."""

    # SciCat's augmentation of ``fields`` (userGroups / ownerGroup); anonymous
    # callers get published documents only.
    AUGMENT = "augment"
    # Published documents only (the ``/public`` routes).
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class _Target:
    collection: str
    spec: QuerySpec


class CatalogueSearch:
    """fullquery, fullfacet and metadataKeys over datasets and file lists."""

    def __init__(
        self, store: StoreLike, settings: Settings, config: GroupConfig
    ) -> None:
        self._store = store
        self._settings = settings
        self._config = config
        self._targets = {
            SearchTarget.DATASETS: _Target(
                "Dataset", query_spec(OutputDatasetDto, "pid")
            ),
            SearchTarget.ORIGDATABLOCKS: _Target(
                "OrigDatablock", query_spec(OrigDatablock, "_id")
            ),
        }

    @property
    def _timeout(self) -> int:
        return self._settings.STORE_QUERY_TIMEOUT_MS

    # --- who sees what ------------------------------------------------------------

    def read_tier(self, identity: Identity, target: SearchTarget) -> ReadTier:
        """Read-any callers search everything, others what their groups reach."""
        if identity.is_anonymous:
            return ReadTier.NONE
        if target is SearchTarget.DATASETS:
            unrestricted = can_read_any_dataset(identity, self._config)
        else:
            unrestricted = is_admin(identity, self._config)
        return ReadTier.ANY if unrestricted else ReadTier.ACCESS

    def visible_fields(
        self,
        identity: Identity,
        target: SearchTarget,
        fields: Mapping[str, Any] | None,
        visibility: Visibility,
    ) -> dict[str, Any]:
        """``fields`` with SciCat's access conditions added (reference §4.2)."""
        if visibility is Visibility.PUBLIC:
            return {**(fields or {}), "isPublished": True}
        return augment_access_fields(
            fields,
            self.read_tier(identity, target),
            list(identity.groups),
            public_fallback=True,
        )

    # --- the searches -------------------------------------------------------------

    async def fullquery(
        self,
        identity: Identity,
        target: SearchTarget,
        fields: Mapping[str, Any] | None,
        limits: Limits,
        *,
        visibility: Visibility = Visibility.AUGMENT,
        files: bool = False,
    ) -> list[Document]:
        """The matching documents (or, with ``files``, one row per listed file)."""
        found = self._targets[target]
        query = build_fullquery_filter(
            found.spec, self.visible_fields(identity, target, fields, visibility)
        )
        collection = self._store.collection(found.collection)
        if files:
            pipeline: list[Stage] = [{"$match": query}, {"$unwind": f"${FILES_FIELD}"}]
            pipeline.extend(limits.stages())
            cursor = await collection.aggregate(pipeline, max_time_ms=self._timeout)
            rows: list[Document] = await cursor.to_list(None)
            await self._mark_dataset_exists(rows)
            return rows

        finder = collection.find(query, max_time_ms=self._timeout)
        if limits.sort:
            finder = finder.sort(list(limits.sort.items()))
        if limits.skip:
            finder = finder.skip(limits.skip)
        if limits.limit:
            finder = finder.limit(limits.limit)
        documents: list[Document] = await finder.to_list(None)
        return documents

    async def file_rows(
        self,
        where: Mapping[str, Any],
        visible: Mapping[str, Any] | None,
        limits: Limits,
    ) -> list[Document]:
        """v4 ``/origdatablocks/files``: one row per file of the matching lists."""
        pipeline: list[Stage] = [
            {"$match": and_filters(visible, where)},
            {"$unwind": f"${FILES_FIELD}"},
            *limits.stages(),
        ]
        cursor = await self._store.collection("OrigDatablock").aggregate(
            pipeline, max_time_ms=self._timeout
        )
        rows: list[Document] = await cursor.to_list(None)
        await self._mark_dataset_exists(rows)
        return rows

    async def fullfacet(
        self,
        identity: Identity,
        target: SearchTarget,
        fields: Mapping[str, Any] | None,
        facets: Sequence[str],
        *,
        visibility: Visibility = Visibility.AUGMENT,
        restrict: Mapping[str, Any] | None = None,
        files: bool = False,
    ) -> list[dict[str, Any]]:
        """SciCat's ``[{<facet>: [{_id, count}], ..., all: [{totalSets}]}]``.

        Without facets only ``all`` is computed, by a count pipeline; ``files``
        counts listed files instead of documents; ``restrict`` is an extra
        filter (an entity's visibility) ANDed to the conditions.
        """
        found = self._targets[target]
        visible = self.visible_fields(identity, target, fields, visibility)
        sub_field = FILES_FIELD if files else ""
        if facets:
            pipeline = build_fullfacet_pipeline(found.spec, visible, facets, sub_field)
            pipeline = _slim_facets(pipeline, facets, sub_field)
        else:
            pipeline = build_fullfacet_count_pipeline(found.spec, visible, sub_field)
        if restrict:
            pipeline.insert(_after_text(pipeline), {"$match": dict(restrict)})

        cursor = await self._store.collection(found.collection).aggregate(
            pipeline, max_time_ms=self._timeout
        )
        rows: list[dict[str, Any]] = await cursor.to_list(None)
        if facets:
            return rows[:1] if rows else [{"all": []}]
        return [{"all": rows[:1]}]

    async def metadata_keys(
        self,
        identity: Identity,
        fields: Mapping[str, Any] | None,
        limits: Any,
        *,
        visibility: Visibility = Visibility.AUGMENT,
    ) -> list[str]:
        """The dotted scientificMetadata keys of the matching datasets (§4.4)."""
        page = parent_limits(
            limits, self._settings.METADATA_PARENT_INSTANCES_RETURN_LIMIT
        )
        found = self._targets[SearchTarget.DATASETS]
        query = build_fullquery_filter(
            found.spec,
            self.visible_fields(identity, SearchTarget.DATASETS, fields, visibility),
        )
        finder = self._store.collection(found.collection).find(
            query, {"scientificMetadata": True}, max_time_ms=self._timeout
        )
        if page.sort:
            finder = finder.sort(list(page.sort.items()))
        if page.skip:
            finder = finder.skip(page.skip)
        if page.limit:
            finder = finder.limit(page.limit)
        documents = await finder.to_list(None)
        return metadata_keys(
            documents,
            metadata_key=(fields or {}).get("metadataKey"),
            return_limit=self._settings.METADATA_KEYS_RETURN_LIMIT,
        )

    async def _mark_dataset_exists(self, rows: list[Document]) -> None:
        """Add SciCat's ``datasetExist`` flag to file rows, one lookup per page."""
        ids = list(
            {row["datasetId"] for row in rows if isinstance(row.get("datasetId"), str)}
        )
        existing: set[Any] = set()
        if ids:
            cursor = self._store.collection("Dataset").find(
                {"_id": {"$in": ids}}, {"_id": True}, max_time_ms=self._timeout
            )
            existing = {document["_id"] for document in await cursor.to_list(None)}
        for row in rows:
            row["datasetExist"] = row.get("datasetId") in existing


def _slim_facets(
    pipeline: list[Stage], facets: Sequence[str], sub_field: str
) -> list[Stage]:
    """Carry only the faceted fields into ``$facet`` and drop empty matches.

    The answer is the same; the facet branches then copy and group small
    documents instead of whole datasets (the embedded store copies every
    document per stage, so this is most of a fullfacet's cost there).
    """
    kept = {path: True for path in facets if not path.startswith("$")}
    if sub_field:
        kept[sub_field] = True
    slimmed: list[Stage] = []
    for stage in pipeline:
        branches = stage.get("$facet")
        if branches is None:
            slimmed.append(stage)
            continue
        slimmed.append({"$project": kept})
        slimmed.append(
            {
                "$facet": {
                    name: [step for step in steps if step != {"$match": {}}]
                    for name, steps in branches.items()
                }
            }
        )
    return slimmed


def _after_text(pipeline: list[Stage]) -> int:
    """Where an extra ``$match`` may go: ``$text`` must stay the first stage."""
    if pipeline and "$text" in pipeline[0].get("$match", {}):
        return 1
    return 0
