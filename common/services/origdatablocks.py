"""File lists (OrigDatablock): created under a dataset, feeding its size fields.

Ownership is always copied from the dataset (reference §2.3); after every
create, update or delete the dataset's ``size`` and ``numberOfFiles`` are
recomputed from all of its file lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.models.origdatablock import new_origdatablock_document
from common.permissions.datasets import DatasetAction
from common.services import inputs
from common.services.children import DatasetChildService
from common.services.context import ApiVersion, CallContext
from common.services.entity import Document, EntitySpec, now
from common.services.sizes import FILE_SIZES


class OrigDatablockService(DatasetChildService):
    spec = EntitySpec(
        entity="origdatablock",
        collection="OrigDatablock",
        id_field="_id",
        not_found="origDatablock: {id} not found",
        duplicate="An origdatablock with id {id} already exists!",
    )
    size_rule = FILE_SIZES
    missing_dataset = "Dataset: {id} not found for attaching an origdatablock"
    sub_route_create = DatasetAction.ORIGDATABLOCK_CREATE
    # SciCat checks the datablock delete action here (reference §3.3, Q).
    sub_route_delete = DatasetAction.DATABLOCK_DELETE

    def validate_create(
        self, body: Any, version: ApiVersion, *, sub_route: bool
    ) -> dict[str, Any]:
        return inputs.origdatablock_create(body, version, sub_route=sub_route)

    def build(
        self,
        fields: dict[str, Any],
        dataset: dict[str, Any],
        *,
        username: str,
        sub_route: bool,
        block_id: str,
    ) -> Document:
        return new_origdatablock_document(
            fields, dataset=dataset, username=username, now=now(), block_id=block_id
        )

    async def validate_patch(
        self, ctx: CallContext, stored: Document, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        return inputs.origdatablock_patch(changes, ctx.api_version)
