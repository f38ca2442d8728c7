"""The routing keys the worker consumes and the service call behind each.

A route only translates: message body and identity in, the service's stored
document out. The rules (validation, permissions, ids, sizes) are the
services'. Ids derived from the message id make a redelivery find its own
earlier write instead of writing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from common.models import datablock as datablock_models
from common.models import dataset as dataset_models
from common.models import origdatablock as odb_models
from common.models.dataset import derived_pid, stored_to_v3
from common.services import Services
from common.services.context import ApiVersion, CallContext
from common.services.entity import AlreadyExistsError, Document, EntityService
from common.services.ids import derived_uuid
from common.settings import Settings

Apply = Callable[[Services, CallContext, Mapping[str, Any], str], Awaitable[Document]]


@dataclass(frozen=True, slots=True)
class IngestRoute:
    """One consumed routing key: which service creates what, and how ids derive."""

    routing_key: str
    summary: str
    apply: Apply
    service: Callable[[Services], EntityService]
    derived_id: Callable[[Settings, str], str]
    id_field: str
    # Create body models for the AsyncAPI document: (v3 shape, v4 shape).
    payloads: tuple[tuple[type[BaseModel], ...], tuple[type[BaseModel], ...]]
    render_v3: Callable[[Document], dict[str, Any]] = dict

    def document_id(self, document: Mapping[str, Any]) -> str:
        return str(document[self.id_field])

    def renderer(self, version: ApiVersion) -> Callable[[Document], dict[str, Any]]:
        """How the matching REST route of ``version`` shows a stored document."""
        return self.render_v3 if version is ApiVersion.V3 else dict

    def is_own_write(
        self,
        settings: Settings,
        message_id: str,
        exc: AlreadyExistsError,
        ctx: CallContext,
        earlier_attempt_at: dt.datetime | None,
    ) -> bool:
        """Whether the id that is taken was taken by this message before.

        A derived id can only come from this message. A pid sent in the body
        counts as ours when an unfinished earlier attempt of this message
        claimed it and the stored dataset was created by the same caller no
        earlier than that attempt (a crash between write and settlement).
        """
        if exc.existing_id == self.derived_id(settings, message_id):
            return True
        if earlier_attempt_at is None or exc.existing is None:
            return False
        created_at = exc.existing.get("createdAt")
        if not isinstance(created_at, dt.datetime):
            return False
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=dt.UTC)
        return bool(
            exc.existing.get("createdBy") == ctx.username
            and created_at >= earlier_attempt_at - dt.timedelta(seconds=1)
        )


async def _create_dataset(
    services: Services, ctx: CallContext, body: Mapping[str, Any], message_id: str
) -> Document:
    return await services.datasets.create(ctx, body, id_seed=message_id)


async def _create_origdatablock(
    services: Services, ctx: CallContext, body: Mapping[str, Any], message_id: str
) -> Document:
    return await services.origdatablocks.create(ctx, body, id_seed=message_id)


async def _create_datablock(
    services: Services, ctx: CallContext, body: Mapping[str, Any], message_id: str
) -> Document:
    return await services.datablocks.create(ctx, body, id_seed=message_id)


def _derived_block_id(_settings: Settings, message_id: str) -> str:
    return derived_uuid(message_id)


def _derived_pid(settings: Settings, message_id: str) -> str:
    return derived_pid(settings.PID_PREFIX, message_id)


INGEST_ROUTES: tuple[IngestRoute, ...] = (
    IngestRoute(
        routing_key="dataset.create",
        summary="Create a dataset (the body of POST /api/v3/datasets)",
        apply=_create_dataset,
        service=lambda services: services.datasets,
        derived_id=_derived_pid,
        id_field="pid",
        payloads=(
            (
                dataset_models.CreateRawDatasetObsoleteDto,
                dataset_models.CreateDerivedDatasetObsoleteDto,
            ),
            (dataset_models.CreateDatasetDto,),
        ),
        render_v3=stored_to_v3,
    ),
    IngestRoute(
        routing_key="origdatablock.create",
        summary="Create a file list (the body of POST /api/v3/origdatablocks)",
        apply=_create_origdatablock,
        service=lambda services: services.origdatablocks,
        derived_id=_derived_block_id,
        id_field="_id",
        payloads=(
            (odb_models.CreateOrigDatablockDto,),
            (odb_models.CreateOrigDatablockDto,),
        ),
    ),
    IngestRoute(
        routing_key="datablock.create",
        summary="Create a datablock (the body of POST /api/v3/datablocks)",
        apply=_create_datablock,
        service=lambda services: services.datablocks,
        derived_id=_derived_block_id,
        id_field="_id",
        payloads=(
            (datablock_models.CreateDatablockDto,),
            (datablock_models.CreateDatablockDto,),
        ),
    ),
)
