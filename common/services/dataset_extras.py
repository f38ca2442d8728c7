"""The dataset operations beyond the generic ones (reference §3.3, §3.4).

``isValid``, the lifecycle update, v4's value/unit rule on PATCH,
``appendToArrayField`` and the thumbnail: each a function of the dataset
service, raising the domain errors SciCat's messages go with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from common import jsoncodec
from common.errors import ForbiddenError, InvalidError, NotFoundError
from common.models import dataset as dataset_models
from common.models.lifecycle import UpdateDatasetLifecycleDto
from common.models.validation import ErrorForm, is_valid_answer, validate
from common.permissions.datasets import DatasetAction
from common.query.operators import check_field_name
from common.scimeta import encode_key
from common.services import inputs
from common.services.context import ApiVersion, CallContext
from common.services.datasets import DatasetService
from common.services.entity import Document, check_unmodified_since

__all__ = [
    "EMPTY_LIFECYCLE",
    "append_to_array_field",
    "first_thumbnail",
    "is_valid",
    "patch_v4",
    "update_lifecycle",
    "value_unit_mismatches",
]

EMPTY_LIFECYCLE = "dataset lifecycle DTO must not be empty"
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


def value_unit_mismatches(
    update: Mapping[str, Any], stored: Mapping[str, Any], path: str = ""
) -> list[str]:
    """Paths where the stored object has both value and unit but the update
    sends only one of them (SciCat's v4 PATCH rule)."""
    found: list[str] = []
    for key, value in update.items():
        if not isinstance(value, Mapping):
            continue
        where = f"{path}.{key}" if path else key
        current = stored.get(key)
        if current is None and path.startswith("scientificMetadata"):
            current = stored.get(encode_key(key))
        if not isinstance(current, Mapping):
            continue
        stored_both = (
            current.get("value") is not None and current.get("unit") is not None
        )
        sends_one = ("value" in value) != ("unit" in value)
        if stored_both and sends_one:
            found.append(where)
            continue
        found.extend(value_unit_mismatches(value, current, where))
    return found


async def patch_v4(
    datasets: DatasetService,
    ctx: CallContext,
    pid: str,
    changes: Mapping[str, Any],
    *,
    merge: bool,
    unmodified_since: dt.datetime | None,
) -> Document:
    """v4 PATCH: 404, 403, 412, then the value/unit rule (400), then the update."""
    stored = await datasets.fetch(pid)
    if stored is None:
        raise NotFoundError("Dataset not found")
    if not datasets.can_update(ctx.identity, stored):
        raise ForbiddenError("Unauthorized to update this dataset")
    check_unmodified_since(stored, unmodified_since)
    mismatched = value_unit_mismatches(changes, stored)
    if mismatched:
        raise InvalidError(
            f"Original dataset {pid} contains both value and unit in "
            f"{', '.join(mismatched)}. Please provide both when updating."
        )
    if merge:
        changes = _with_stored_objects(stored, changes)
    return await datasets.patch(ctx, pid, changes, merge=merge)


def _with_stored_objects(
    stored: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """A merge patch whose objects carry every stored key in JSON form.

    TODO(services): EntityService.patch(merge=True) validates the merged
    objects, whose stored dates are datetimes the input models refuse as
    "ISO 8601 date strings"; sending the stored objects rendered as JSON
    avoids that until the service renders them itself.
    """
    result = dict(changes)
    for key, value in changes.items():
        current = stored.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            result[key] = _overlay(jsoncodec.loads(jsoncodec.dumps(current)), value)
    return result


def _overlay(base: Any, patch: Any) -> Any:
    # Unlike a merge, explicit nulls stay: the service's merge removes them.
    if not (isinstance(base, Mapping) and isinstance(patch, Mapping)):
        return patch
    merged = dict(base)
    for key, value in patch.items():
        merged[key] = None if value is None else _overlay(base.get(key), value)
    return merged


async def update_lifecycle(
    datasets: DatasetService,
    ctx: CallContext,
    pid: str,
    body: Any,
    *,
    merge: bool = False,
    not_found: str = "dataset with pid {id} not found",
) -> Any:
    """Merge ``body`` into the stored lifecycle; returns the updated lifecycle.

    Owners, admins and UPDATE_DATASET_LIFECYCLE_GROUPS members may; with
    ``merge`` a ``null`` removes a field (RFC 7386).
    """
    if not isinstance(body, Mapping) or all(value is None for value in body.values()):
        raise InvalidError(EMPTY_LIFECYCLE)
    sent = {key: value for key, value in body.items() if value is not None}
    fields = validate(UpdateDatasetLifecycleDto, sent, ErrorForm.NEST).payload()
    stored = await datasets.fetch(pid)
    if stored is None:
        raise NotFoundError(not_found.format(id=pid))
    if not datasets.access.allows(ctx.identity, DatasetAction.LIFECYCLE_UPDATE, stored):
        raise ForbiddenError("Unauthorized to update this dataset")

    lifecycle = dict(stored.get("datasetlifecycle") or {})
    lifecycle.update(fields)
    removed = [key for key, value in body.items() if value is None] if merge else []
    for key in removed:
        lifecycle.pop(key, None)
    updated = await datasets.apply_update(ctx, stored, {"datasetlifecycle": lifecycle})
    return updated.get("datasetlifecycle")


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
