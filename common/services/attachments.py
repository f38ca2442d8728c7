"""Attachments (v4 shape stored: ``aid`` = ``_id`` and ``relationships``).

The v3 dataset sub-route creates one attached to a dataset, taking the
dataset's ownerGroup (reference §2.5, §3.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.errors import ForbiddenError, NotFoundError
from common.models.attachment import (
    DEFAULT_RELATION,
    TargetType,
    new_attachment_document,
)
from common.permissions.datasets import DatasetAction
from common.services import inputs
from common.services.access import AttachmentAccess
from common.services.context import CallContext
from common.services.datasets import DatasetService
from common.services.entity import (
    Document,
    EntityService,
    EntitySpec,
    ServiceDeps,
    now,
)
from common.services.ids import derived_uuid, new_id


class AttachmentService(EntityService):
    spec = EntitySpec(
        entity="attachment",
        collection="Attachment",
        id_field="aid",
        not_found="Attachment: {id} not found",
        duplicate="An attachment with aid {id} already exists!",
    )
    access: AttachmentAccess

    def __init__(
        self, deps: ServiceDeps, access: AttachmentAccess, datasets: DatasetService
    ) -> None:
        super().__init__(deps, access)
        self.datasets = datasets

    async def create(
        self,
        ctx: CallContext,
        body: Mapping[str, Any],
        *,
        id_seed: str | None = None,
    ) -> Document:
        """v4 create: the caller must be allowed to create it as sent."""
        fields = inputs.attachment_create(body, ctx.api_version)
        if not self.access.can_create(ctx.identity, fields):
            raise ForbiddenError("Unauthorized access")
        return await self.insert(ctx, self._document(ctx, fields, id_seed))

    async def create_for_dataset(
        self,
        ctx: CallContext,
        pid: str,
        body: Mapping[str, Any],
        *,
        id_seed: str | None = None,
    ) -> Document:
        """v3 ``POST /datasets/{pid}/attachments``: attached to that dataset."""
        fields = inputs.attachment_create(body, ctx.api_version)
        dataset = await self.datasets.fetch(pid)
        if dataset is None:
            raise NotFoundError(self.datasets.spec.not_found.format(id=pid))
        if not self.datasets.access.allows(
            ctx.identity, DatasetAction.ATTACHMENT_CREATE, dataset
        ):
            raise ForbiddenError("Unauthorized access")
        fields["ownerGroup"] = dataset.get("ownerGroup")
        relation = {
            "targetId": pid,
            "targetType": TargetType.DATASET.value,
            "relationType": DEFAULT_RELATION,
        }
        others = [
            r for r in fields.get("relationships") or [] if r.get("targetId") != pid
        ]
        fields["relationships"] = [*others, relation]
        return await self.insert(ctx, self._document(ctx, fields, id_seed))

    async def validate_patch(
        self, ctx: CallContext, stored: Document, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        return inputs.attachment_patch(changes, ctx.api_version)

    async def validate_replace(
        self, ctx: CallContext, stored: Document, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        return inputs.attachment_replace(body, ctx.api_version)

    def _document(
        self, ctx: CallContext, fields: dict[str, Any], id_seed: str | None
    ) -> Document:
        if not fields.get("aid"):
            fields["aid"] = derived_uuid(id_seed) if id_seed else new_id()
        return new_attachment_document(fields, username=ctx.username, now=now())
