"""Request bodies validated through :mod:`common.models` into stored fields.

The services call these; they choose the v3 or v4 model as SciCat does (v3 by
``type`` on create and by the stored type on update) and turn a pydantic
``ValidationError`` into :class:`common.errors.InvalidError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from common.errors import InvalidError
from common.models import attachment as attachment_models
from common.models import datablock as datablock_models
from common.models import dataset as dataset_models
from common.models import lifecycle as lifecycle_models
from common.models import origdatablock as odb_models
from common.models.checks import CVModel
from common.models.datafile import stored_file_list
from common.models.validation import ErrorForm, to_invalid
from common.services.context import ApiVersion
from common.settings import Settings

Fields = dict[str, Any]

# Stored fields a merge patch may not remove (the stored schema requires them).
DATASET_REQUIRED = frozenset(
    {
        "pid",
        "owner",
        "contactEmail",
        "sourceFolder",
        "size",
        "numberOfFiles",
        "creationTime",
        "type",
        "datasetName",
        "version",
        "datasetlifecycle",
        "ownerGroup",
        "isPublished",
    }
)

_AV = re.compile(r"(?<=AV=).*?(?=,)")


def invalid(exc: ValidationError, form: ErrorForm = ErrorForm.NEST) -> InvalidError:
    """SciCat's messages for a failed validation, in the route's error form."""
    return to_invalid(exc, form)


def _dataset_form(version: ApiVersion) -> ErrorForm:
    # v3 dataset routes answer a JSON-stringified class-validator error list.
    return ErrorForm.V3_DATASET if version is ApiVersion.V3 else ErrorForm.NEST


def _validate(
    model: type[CVModel], body: Any, form: ErrorForm = ErrorForm.NEST
) -> CVModel:
    if not isinstance(body, Mapping):
        raise InvalidError("request body must be a JSON object")
    try:
        return model.model_validate(dict(body))
    except ValidationError as exc:
        raise invalid(exc, form) from exc


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=True)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _sent(model: CVModel) -> Fields:
    """The fields of a validated body the client sent (plus stored defaults)."""
    return {key: _plain(value) for key, value in model.payload().items()}


def dataset_create(body: Any, version: ApiVersion) -> Fields:
    """Validate a create body (v3: model by ``type``) into stored field names."""
    if version is ApiVersion.V4:
        return _sent(_validate(dataset_models.CreateDatasetDto, body))
    if not isinstance(body, Mapping):
        raise InvalidError("request body must be a JSON object")
    try:
        model = dataset_models.validate_v3_create(dict(body))
    except ValidationError as exc:
        raise invalid(exc, ErrorForm.V3_DATASET) from exc
    fields = _sent(model)
    return dataset_models.v3_to_stored_fields(fields, fields.get("type"))


def dataset_document(
    fields: Fields,
    *,
    pid: str,
    version: str,
    username: str,
    settings: Settings,
    stamp: Any,
) -> Fields:
    """The full stored document of a new dataset (classification set later)."""
    return dataset_models.new_dataset_document(
        fields,
        pid=pid,
        version=version,
        username=username,
        now=stamp,
        classification="",
        retention_shift=settings.POLICY_RETENTION_SHIFT,
        publication_shift=settings.POLICY_PUBLICATION_SHIFT,
    )


def classification_for(incoming: Any, tape_redundancy: str | None) -> str:
    text = incoming if isinstance(incoming, str) else None
    return dataset_models.classification_for(text, tape_redundancy)


def requested_availability(incoming: Any) -> str:
    """The ``AV=<x>,`` part of an incoming classification, ``low`` without one."""
    match = _AV.search(incoming) if isinstance(incoming, str) else None
    return match.group(0) if match and match.group(0) else "low"


def _merge_lifecycle(update: Fields, stored: Mapping[str, Any]) -> Fields:
    # A partial lifecycle in a generic update keeps the stored values of the
    # omitted fields (SciCat resets them to defaults; docs/deviations.md).
    incoming = update.get("datasetlifecycle")
    current = stored.get("datasetlifecycle")
    if isinstance(incoming, Mapping) and isinstance(current, Mapping):
        sent = {key: value for key, value in incoming.items() if value is not None}
        update["datasetlifecycle"] = {**current, **sent}
    return update


def dataset_patch(
    changes: Mapping[str, Any], version: ApiVersion, stored: Mapping[str, Any]
) -> Fields:
    """Validate a partial update (v3: model of the STORED type) into ``$set`` fields."""
    stored_type = stored.get("type")
    if version is ApiVersion.V4:
        model: type[CVModel] = dataset_models.PartialUpdateDatasetDto
    else:
        model = dataset_models.v3_update_model(stored_type, partial=True)
    fields = _sent(_validate(model, changes, _dataset_form(version)))
    if version is ApiVersion.V3:
        fields = dataset_models.v3_to_stored_fields(fields, stored_type)
    return _merge_lifecycle(fields, stored)


def dataset_replace(
    body: Mapping[str, Any], version: ApiVersion, stored: Mapping[str, Any]
) -> Fields:
    """Validate a full replacement body into the new stored document."""
    stored_type = stored.get("type")
    if version is ApiVersion.V4:
        model: type[CVModel] = dataset_models.UpdateDatasetDto
    else:
        model = dataset_models.v3_update_model(stored_type, partial=False)
    validated = _validate(model, body, _dataset_form(version))
    fields = _sent(validated)
    if version is ApiVersion.V3:
        fields = dataset_models.v3_to_stored_fields(fields, stored_type)
    # What the service maintains itself survives a replacement when not sent
    # (SciCat's DTO initialisers would zero the sizes; docs/deviations.md).
    for key in _KEPT_ON_REPLACE:
        unsent = key not in validated.model_fields_set or fields.get(key) is None
        if unsent and key in stored:
            fields[key] = stored[key]
    return _merge_lifecycle(fields, stored)


_KEPT_ON_REPLACE = (
    "type",
    "version",
    "classification",
    "datasetlifecycle",
    "isPublished",
    "size",
    "packedSize",
    "numberOfFiles",
    "numberOfFilesArchived",
)


def lifecycle_patch(changes: Any) -> Fields:
    """A lifecycle route body; an empty one is refused as SciCat does."""
    model = _validate(lifecycle_models.UpdateDatasetLifecycleDto, changes)
    fields = {k: v for k, v in _sent(model).items() if v is not None}
    if not fields:
        raise InvalidError("dataset lifecycle DTO must not be empty")
    return fields


# --- file lists and datablocks --------------------------------------------------


def _files_stored(fields: Fields) -> Fields:
    if isinstance(fields.get("dataFileList"), list):
        fields["dataFileList"] = stored_file_list(fields["dataFileList"])
    return fields


def origdatablock_create(body: Any, version: ApiVersion, *, sub_route: bool) -> Fields:
    """A file list's create body (the dataset sub-route's has no datasetId)."""
    model: type[CVModel] = (
        odb_models.CreateDatasetOrigDatablockDto
        if sub_route
        else odb_models.CreateOrigDatablockDto
    )
    return _sent(_validate(model, body))


def origdatablock_patch(changes: Any, version: ApiVersion) -> Fields:
    fields = _sent(_validate(odb_models.PartialUpdateOrigDatablockDto, changes))
    return _files_stored(fields)


def datablock_create(body: Any, version: ApiVersion, *, sub_route: bool) -> Fields:
    """A datablock's create body (the dataset sub-route's has no datasetId)."""
    model: type[CVModel] = (
        datablock_models.CreateDatasetDatablockDto
        if sub_route
        else datablock_models.CreateDatablockDto
    )
    return _sent(_validate(model, body))


def datablock_patch(changes: Any, version: ApiVersion) -> Fields:
    fields = _sent(_validate(datablock_models.PartialUpdateDatablockDto, changes))
    return _files_stored(fields)


# --- attachments ------------------------------------------------------------------


def attachment_create(body: Any, version: ApiVersion) -> Fields:
    """A create body as v4 fields (v3 parent ids become relationships)."""
    if version is ApiVersion.V4:
        return _sent(_validate(attachment_models.CreateAttachmentV4Dto, body))
    fields = _sent(_validate(attachment_models.CreateAttachmentV3Dto, body))
    return attachment_models.v3_to_v4(fields)


def attachment_patch(changes: Any, version: ApiVersion) -> Fields:
    if version is ApiVersion.V4:
        model: type[CVModel] = attachment_models.PartialUpdateAttachmentV4Dto
    else:
        model = attachment_models.PartialUpdateAttachmentV3Dto
    fields = _sent(_validate(model, changes))
    if isinstance(fields.get("relationships"), list):
        fields["relationships"] = attachment_models.stored_relationships(
            fields["relationships"]
        )
    return fields


def attachment_replace(body: Any, version: ApiVersion) -> Fields:
    if version is ApiVersion.V4:
        fields = _sent(_validate(attachment_models.UpdateAttachmentV4Dto, body))
    else:
        fields = _sent(_validate(attachment_models.UpdateAttachmentV3Dto, body))
    fields["relationships"] = attachment_models.stored_relationships(
        fields.get("relationships") or []
    )
    return fields
