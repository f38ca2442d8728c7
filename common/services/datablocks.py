"""Archive units (Datablock): created under a dataset, feeding its packed sizes.

Ownership comes from the body when sent, else from the dataset (reference
§2.4; the dataset sub-route always copies the dataset's). After every write the
dataset's ``packedSize`` and ``numberOfFilesArchived`` are recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.models.datablock import new_datablock_document
from common.permissions.datasets import DatasetAction
from common.services import inputs
from common.services.children import DatasetChildService
from common.services.context import ApiVersion, CallContext
from common.services.entity import Document, EntitySpec, now
from common.services.sizes import ARCHIVE_SIZES


class DatablockService(DatasetChildService):
    spec = EntitySpec(
        entity="datablock",
        collection="Datablock",
        id_field="_id",
        not_found="Datablock: {id} not found",
        duplicate="A datablock with this this unique key already exists!",
    )
    size_rule = ARCHIVE_SIZES
    missing_dataset = "Dataset: {id} not found for attaching a datablock"
    sub_route_create = DatasetAction.DATABLOCK_CREATE
    sub_route_delete = DatasetAction.DATABLOCK_DELETE

    def validate_create(
        self, body: Any, version: ApiVersion, *, sub_route: bool
    ) -> dict[str, Any]:
        return inputs.datablock_create(body, version, sub_route=sub_route)

    def build(
        self,
        fields: dict[str, Any],
        dataset: dict[str, Any],
        *,
        username: str,
        sub_route: bool,
        block_id: str,
    ) -> Document:
        return new_datablock_document(
            fields,
            dataset=dataset,
            username=username,
            now=now(),
            from_body=not sub_route,
            block_id=block_id,
        )

    async def validate_patch(
        self, ctx: CallContext, stored: Document, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        return inputs.datablock_patch(changes, ctx.api_version)
