"""What file lists and datablocks share: a parent dataset, its ownership, its sizes.

Both are created against an existing dataset (a missing one is
:class:`DependencyMissingError`, which the worker retries), take the
dataset's ownership fields, and after every create, update or delete of one of
them the dataset's size fields are recomputed from all of its children.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from common.effects.events import EventAction
from common.errors import DependencyMissingError, ForbiddenError, NotFoundError
from common.identity.principal import Identity
from common.permissions.datasets import DatasetAction
from common.services.context import ApiVersion, CallContext
from common.services.datasets import DatasetService
from common.services.entity import (
    AlreadyExistsError,
    Document,
    EntityAccess,
    EntityService,
    ServiceDeps,
)
from common.services.history import HistoryOperation
from common.services.ids import derived_uuid, new_id
from common.services.sizes import SizeRule

logger = logging.getLogger(__name__)


class CreateAccess(EntityAccess, Protocol):
    """The entity's decisions plus its own create check."""

    def can_create(self, identity: Identity, doc: Mapping[str, Any]) -> bool: ...


class DatasetChildService(EntityService, abc.ABC):
    """File lists and datablocks: created under a dataset whose sizes they feed."""

    size_rule: ClassVar[SizeRule]
    missing_dataset: ClassVar[str]  # "{id}" is replaced by the dataset id
    # Dataset-level actions checked when reached through a dataset sub-route.
    sub_route_create: ClassVar[DatasetAction]
    sub_route_delete: ClassVar[DatasetAction]
    access: CreateAccess

    def __init__(
        self, deps: ServiceDeps, access: CreateAccess, datasets: DatasetService
    ) -> None:
        super().__init__(deps, access)
        self.datasets = datasets

    @abc.abstractmethod
    def validate_create(
        self, body: Any, version: ApiVersion, *, sub_route: bool
    ) -> dict[str, Any]:
        """The create body as stored fields (sub-route bodies have no datasetId)."""

    @abc.abstractmethod
    def build(
        self,
        fields: dict[str, Any],
        dataset: dict[str, Any],
        *,
        username: str,
        sub_route: bool,
        block_id: str,
    ) -> Document:
        """The stored document of a new child (ownership rules per entity)."""

    async def create(
        self,
        ctx: CallContext,
        body: Mapping[str, Any],
        *,
        dataset_id: str | None = None,
        id_seed: str | None = None,
    ) -> Document:
        """Create a child of ``dataset_id`` (sub-route) or of the body's datasetId.

        ``id_seed`` (a message id) derives the ``_id``, so a redelivery is an
        :class:`AlreadyExistsError` and changes no size.
        """
        sub_route = dataset_id is not None
        fields = self.validate_create(body, ctx.api_version, sub_route=sub_route)
        parent_id = dataset_id if dataset_id is not None else str(fields["datasetId"])

        dataset = await self.datasets.fetch(parent_id)
        if dataset is None:
            raise DependencyMissingError(
                self.missing_dataset.format(id=parent_id), details={"id": parent_id}
            )
        block_id = derived_uuid(id_seed) if id_seed else new_id()
        document = self.build(
            fields,
            dataset,
            username=ctx.username,
            sub_route=sub_route,
            block_id=block_id,
        )
        self.check_create(ctx, document, dataset, sub_route=sub_route)

        try:
            return await self.insert(ctx, document)
        except AlreadyExistsError:
            # An earlier attempt may have stopped before the sizes were written.
            await self.datasets.refresh_sizes(ctx, parent_id, self.size_rule)
            raise

    def check_create(
        self,
        ctx: CallContext,
        document: Mapping[str, Any],
        dataset: Mapping[str, Any],
        *,
        sub_route: bool,
    ) -> None:
        if sub_route:
            allowed = self.datasets.access.allows(
                ctx.identity, self.sub_route_create, dataset
            )
        else:
            allowed = self.access.can_create(ctx.identity, document)
            if allowed and ctx.api_version is ApiVersion.V4:
                # v4 also needs the right to update the parent dataset.
                allowed = self.datasets.access.can_update(ctx.identity, dataset)
        if not allowed:
            raise ForbiddenError("Unauthorized access")

    async def delete_all(self, ctx: CallContext, dataset_id: str) -> int:
        """Delete every child of one dataset (sub-route); returns how many."""
        dataset = await self.datasets.fetch(dataset_id)
        if dataset is None:
            raise NotFoundError(self.datasets.spec.not_found.format(id=dataset_id))
        if not self.datasets.access.allows(
            ctx.identity, self.sub_route_delete, dataset
        ):
            raise ForbiddenError("Unauthorized access")
        children = await self.collection.find({"datasetId": dataset_id}).to_list(None)
        for child in children:
            removed = await self.collection.find_one_and_delete({"_id": child["_id"]})
            if removed is not None:
                await self.after_delete_one(ctx, removed)
        await self.datasets.refresh_sizes(ctx, dataset_id, self.size_rule)
        return len(children)

    async def after_delete_one(self, ctx: CallContext, removed: Document) -> None:
        await self.deps.history.record(
            ctx, self.spec.collection, HistoryOperation.DELETE, removed, None
        )
        await self.emit(ctx, EventAction.DELETED, removed)

    # --- sizes after every write -------------------------------------------------

    async def after_create(self, ctx: CallContext, document: Document) -> None:
        await self.datasets.refresh_sizes(ctx, document["datasetId"], self.size_rule)

    async def after_update(
        self, ctx: CallContext, before: Document, after: Document
    ) -> None:
        for dataset_id in {before.get("datasetId"), after.get("datasetId")}:
            if isinstance(dataset_id, str):
                await self.datasets.refresh_sizes(ctx, dataset_id, self.size_rule)

    async def after_delete(self, ctx: CallContext, document: Document) -> None:
        await self.datasets.refresh_sizes(ctx, document["datasetId"], self.size_rule)
