"""File lists, datablocks and attachments reached through their dataset.

SciCat's v3 dataset sub-routes (reference §3.3) decide on the *dataset*: the
dataset must exist (404 ``dataset: <pid> not found``) and the caller must hold
the sub-resource action on it (403 ``Unauthorized access``); the child's own
rules are not consulted. Writes then go through the child's service hooks, so
history rows, events and the recomputed dataset sizes are the same as on the
entity's own routes.

Where SciCat ignores the child id of a sub-route (attachment PUT/DELETE update
the dataset's first attachment), we act on the child named in the path and
answer 404 when it is not one of the dataset's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from common.effects.events import EventAction
from common.errors import ForbiddenError, NotFoundError
from common.models.attachment import TargetType
from common.permissions.datasets import DatasetAction
from common.services.children import DatasetChildService
from common.services.context import CallContext
from common.services.datasets import DatasetService
from common.services.entity import (
    PROTECTED,
    Document,
    EntityService,
    check_unmodified_since,
)
from common.services.history import HistoryOperation

__all__ = [
    "ATTACHMENT_ACTIONS",
    "DATABLOCK_ACTIONS",
    "ORIGDATABLOCK_ACTIONS",
    "ChildActions",
    "DatasetChildren",
    "attachment_link",
    "dataset_link",
    "parent_dataset",
]

UNAUTHORIZED = "Unauthorized access"


@dataclass(frozen=True, slots=True)
class ChildActions:
    """The dataset actions a sub-route checks, per operation."""

    create: DatasetAction
    read: DatasetAction
    update: DatasetAction
    delete: DatasetAction


ORIGDATABLOCK_ACTIONS = ChildActions(
    DatasetAction.ORIGDATABLOCK_CREATE,
    DatasetAction.ORIGDATABLOCK_READ,
    DatasetAction.ORIGDATABLOCK_UPDATE,
    DatasetAction.ORIGDATABLOCK_DELETE,
)
DATABLOCK_ACTIONS = ChildActions(
    DatasetAction.DATABLOCK_CREATE,
    DatasetAction.DATABLOCK_READ,
    DatasetAction.DATABLOCK_UPDATE,
    DatasetAction.DATABLOCK_DELETE,
)
ATTACHMENT_ACTIONS = ChildActions(
    DatasetAction.ATTACHMENT_CREATE,
    DatasetAction.ATTACHMENT_READ,
    DatasetAction.ATTACHMENT_UPDATE,
    DatasetAction.ATTACHMENT_DELETE,
)

Link = Callable[[str], dict[str, Any]]


def dataset_link(pid: str) -> dict[str, Any]:
    """File lists and datablocks name their dataset in ``datasetId``."""
    return {"datasetId": pid}


def attachment_link(pid: str) -> dict[str, Any]:
    """Attachments are linked by a relationship to the dataset."""
    return {
        "relationships": {
            "$elemMatch": {"targetId": pid, "targetType": TargetType.DATASET.value}
        }
    }


async def parent_dataset(
    datasets: DatasetService, ctx: CallContext, pid: str, action: DatasetAction
) -> Document:
    """The dataset of a sub-route: 404 if absent, 403 without ``action`` on it."""
    dataset = await datasets.fetch(pid)
    if dataset is None:
        raise NotFoundError(datasets.spec.not_found.format(id=pid))
    if not datasets.access.allows(ctx.identity, action, dataset):
        raise ForbiddenError(UNAUTHORIZED)
    return dataset


class DatasetChildren:
    """One kind of child (file lists, datablocks or attachments) under a dataset."""

    def __init__(
        self,
        service: EntityService,
        datasets: DatasetService,
        actions: ChildActions,
        link: Link,
    ) -> None:
        self.service = service
        self.datasets = datasets
        self.actions = actions
        self.link = link

    @property
    def _timeout(self) -> int:
        return self.service.deps.settings.STORE_QUERY_TIMEOUT_MS

    async def list(
        self,
        ctx: CallContext,
        pid: str,
        *,
        limit: int = 0,
        sort: list[tuple[str, int]] | None = None,
    ) -> list[Document]:
        """The dataset's children (``limit`` 0: all of them)."""
        await parent_dataset(self.datasets, ctx, pid, self.actions.read)
        cursor = self.service.collection.find(self.link(pid), max_time_ms=self._timeout)
        if sort:
            cursor = cursor.sort(sort)
        if limit:
            cursor = cursor.limit(limit)
        documents: list[Document] = await cursor.to_list(None)
        return documents

    async def count(self, ctx: CallContext, pid: str) -> int:
        await parent_dataset(self.datasets, ctx, pid, self.actions.read)
        total: int = await self.service.collection.count_documents(
            self.link(pid), max_time_ms=self._timeout
        )
        return total

    async def patch(
        self,
        ctx: CallContext,
        pid: str,
        child_id: str,
        changes: Mapping[str, Any],
        *,
        unmodified_since: dt.datetime | None = None,
    ) -> Document:
        """Update one child of the dataset through the child's validation."""
        await parent_dataset(self.datasets, ctx, pid, self.actions.update)
        stored = await self._child(pid, child_id)
        check_unmodified_since(stored, unmodified_since)
        values = await self.service.validate_patch(ctx, stored, changes)
        frozen = PROTECTED | {self.service.spec.id_field}
        to_set = {key: value for key, value in values.items() if key not in frozen}
        return await self.service.apply_update(ctx, stored, to_set)

    async def delete(self, ctx: CallContext, pid: str, child_id: str) -> Document:
        """Delete one child of the dataset; answers what was removed."""
        await parent_dataset(self.datasets, ctx, pid, self.actions.delete)
        stored = await self._child(pid, child_id)
        removed = await self._remove(ctx, stored)
        if removed is None:
            raise NotFoundError(self.service.spec.not_found.format(id=child_id))
        return removed

    async def delete_all(self, ctx: CallContext, pid: str) -> int:
        """Delete every child of the dataset; answers how many."""
        if isinstance(self.service, DatasetChildService):
            # Its own rule (SciCat's action quirk) and one size refresh at the end.
            return await self.service.delete_all(ctx, pid)
        await parent_dataset(self.datasets, ctx, pid, self.actions.delete)
        children = await self.service.collection.find(
            self.link(pid), max_time_ms=self._timeout
        ).to_list(None)
        removed = 0
        for child in children:
            if await self._remove(ctx, child) is not None:
                removed += 1
        return removed

    async def _child(self, pid: str, child_id: str) -> Document:
        child: Document | None = await self.service.collection.find_one(
            {"$and": [{"_id": child_id}, self.link(pid)]}
        )
        if child is None:
            raise NotFoundError(self.service.spec.not_found.format(id=child_id))
        return child

    async def _remove(self, ctx: CallContext, stored: Document) -> Document | None:
        service = self.service
        removed: Document | None = await service.collection.find_one_and_delete(
            {"_id": stored["_id"]}
        )
        if removed is None:
            return None
        await service.deps.history.record(
            ctx, service.spec.collection, HistoryOperation.DELETE, removed, None
        )
        await service.after_delete(ctx, removed)
        await service.emit(ctx, EventAction.DELETED, removed)
        return removed
