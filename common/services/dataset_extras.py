"""Dataset operations of the v3/v4 routes beyond the service's own (§3.3, §3.4).

``isValid``, v4 PATCH, ``appendToArrayField`` and the thumbnail: each a
function of the dataset service, raising the domain errors SciCat's messages
go with. (The lifecycle update is a method of the service.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from common.errors import ForbiddenError, InvalidError, NotFoundError
from common.models import dataset as dataset_models
from common.models.validation import is_valid_answer
from common.query.operators import check_field_name
from common.services import inputs
from common.services.context import ApiVersion, CallContext
from common.services.datasets import DatasetService, value_unit_mismatches
from common.services.entity import Document, check_unmodified_since

__all__ = ["append_to_array_field", "first_thumbnail", "is_valid", "patch_v4"]

ATTACHMENT_COLLECTION = "Attachment"
# Fields appendToArrayField may not touch: ids, audit and ownership stamps.
_NOT_APPENDABLE = frozenset(
    {"_id", "pid", "__v", "createdBy", "createdAt", "updatedBy", "updatedAt"}
)


def is_valid(datasets: DatasetService, ctx: CallContext, body: Any) -> dict[str, Any]:
    """``isValid``: 403 and the pid rule first, then the body's validity.

    v3 answers ``{valid, error}`` (constraint messages joined by ``; ``), v4
    ``{valid}``.
    """
    if not isinstance(body, Mapping):
        raise InvalidError("request body must be a JSON object")
    pid = body.get("pid") if isinstance(body.get("pid"), str) else None
    if not datasets.access.can_create(ctx.identity, {**body, "pid": pid or None}):
        raise ForbiddenError("Unauthorized to create this dataset")
    if pid:
        datasets.check_pid_format(pid)

    if ctx.api_version is ApiVersion.V3:
        return is_valid_answer(dataset_models.v3_create_model(dict(body)), dict(body))
    try:
        dataset_models.CreateDatasetDto.model_validate(dict(body))
    except ValidationError:
        return {"valid": False}
    return {"valid": True}


async def patch_v4(
    datasets: DatasetService,
    ctx: CallContext,
    pid: str,
    changes: Mapping[str, Any],
    *,
    merge: bool,
    unmodified_since: dt.datetime | None,
) -> Document:
    """v4 PATCH: 404 ``Dataset not found``, 403, 412, the value/unit rule, update.

    TODO(services): DatasetService.validate_patch applies the value/unit rule
    to the merged objects, which always carry both, so a merge patch escapes
    it; the rule is checked here on the patch as sent until the service does.
    """
    stored = await datasets.fetch(pid)
    if stored is None:
        raise NotFoundError("Dataset not found")
    if not datasets.can_update(ctx.identity, stored):
        raise ForbiddenError(datasets.spec.update_denied)
    check_unmodified_since(stored, unmodified_since)
    mismatched = value_unit_mismatches(changes, stored)
    if mismatched:
        raise InvalidError(
            f"Original dataset {pid} contains both value and unit in "
            f"{', '.join(mismatched)}. Please provide both when updating."
        )
    return await datasets.patch(ctx, pid, changes, merge=merge)


async def append_to_array_field(
    datasets: DatasetService,
    ctx: CallContext,
    pid: str,
    field_name: str | None,
    data: Any,
) -> Document:
    """Add ``data``'s values missing from the array ``field_name`` ($addToSet).

    SciCat checks the delete abilities here (only delete-group members pass).
    """
    if not field_name:
        raise InvalidError("fieldName must be given")
    check_field_name(field_name)
    if field_name in _NOT_APPENDABLE or "." in field_name:
        raise InvalidError(f"{field_name} cannot be appended to")
    if not isinstance(data, list):
        raise InvalidError("data must be a JSON array")
    stored = await datasets.fetch(pid)
    if stored is None:
        raise NotFoundError(datasets.spec.not_found.format(id=pid))
    if not datasets.access.can_delete(ctx.identity, stored):
        raise ForbiddenError("Unauthorized to update this dataset")
    current = stored.get(field_name)
    if current is not None and not isinstance(current, list):
        raise InvalidError(f"{field_name} is not an array")

    values = list(current or [])
    for item in data:
        if item not in values:
            values.append(item)
    checked = inputs.dataset_patch({field_name: values}, ApiVersion.V4, stored)
    return await datasets.apply_update(ctx, stored, checked)


async def first_thumbnail(
    datasets: DatasetService, ctx: CallContext, pid: str
) -> dict[str, Any]:
    """``{thumbnail}`` of the dataset's first attachment, or ``{}`` (read check)."""
    await datasets.get(ctx, pid)
    attachments = datasets.deps.store.collection(ATTACHMENT_COLLECTION)
    found = await attachments.find_one(
        {
            "$or": [
                {"relationships.targetId": pid},
                # Attachments stored by SciCat v3 carry datasetId instead.
                {"datasetId": pid},
            ]
        },
        sort=[("createdAt", 1)],
        max_time_ms=datasets.deps.settings.STORE_QUERY_TIMEOUT_MS,
    )
    if not found or not found.get("thumbnail"):
        return {}
    return {"thumbnail": found["thumbnail"]}
