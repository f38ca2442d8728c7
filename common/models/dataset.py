"""Dataset bodies (v3 and v4), the stored document and the v3 <-> stored mapping.

Input models mirror SciCat's DTOs field for field (names, required set,
class-validator checks); unknown properties are refused. ``payload()`` gives
the fields to store. The v3 body is chosen by ``type`` on create and by the
stored type on update (:func:`v3_create_model`, :func:`v3_update_model`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from common.models.checks import (
    CONTACT_EMAIL,
    CV,
    IS_ARRAY,
    IS_EMAIL,
    IS_INT,
    IS_NOT_EMPTY,
    IS_NUMBER,
    IS_OBJECT,
    IS_STRING,
    IS_URL,
    UNDEFINED,
    CVModel,
    is_enum,
)
from common.models.common import (
    OptBool,
    OptDate,
    OptStr,
    OptStrList,
    Ownable,
    OwnableInput,
    ReqDate,
    ReqStr,
    StoredDate,
    StrList,
)
from common.models.lifecycle import Lifecycle, LifecycleInput, new_lifecycle
from common.models.partial import partial_model
from common.scimeta import decode_keys, prepare_for_storage

RAW = "raw"
DERIVED = "derived"

# --- behaviours ------------------------------------------------------------


def strip_trailing_slash(folder: str) -> str:
    """SciCat's sourceFolder setter: drop one trailing ``/`` unless it is just ``/``."""
    if folder != "/" and folder.endswith("/"):
        return folder[:-1]
    return folder


def dataset_name_from_folder(folder: Any) -> str | None:
    """The last two non-empty segments of ``sourceFolder``, joined by ``/``."""
    if not isinstance(folder, str):
        return None
    segments = [part for part in folder.split("/") if part]
    return "/".join(segments[-2:])


def join_pid(prefix: str, suffix: str) -> str:
    """``<prefix without its trailing slash>/<suffix>``; a bare suffix without prefix.

    SciCat produces ``undefined/<uuid>`` when PID_PREFIX is unset; we leave
    the prefix out instead (docs/deviations.md).
    """
    prefix = prefix.removesuffix("/")
    return f"{prefix}/{suffix}" if prefix else suffix


def new_pid(prefix: str) -> str:
    """A fresh dataset pid: ``<PID_PREFIX>/<uuid4>``."""
    return join_pid(prefix, str(uuid.uuid4()))


# Fixed namespace, so that a message id always derives the same pid.
_MESSAGE_NAMESPACE = uuid.UUID("9b0f3c1e-5d2a-5c4e-8f43-2b7f1f0d6a11")


def derived_pid(prefix: str, message_id: str) -> str:
    """The pid for message ``message_id`` (uuid5), the same on every redelivery."""
    return join_pid(prefix, str(uuid.uuid5(_MESSAGE_NAMESPACE, message_id)))


_AV = re.compile(r"(?<=AV=).*?(?=,)")


def classification_for(incoming: str | None, policy_tape_redundancy: str | None) -> str:
    """The classification SciCat stores on create.

    ``policy_tape_redundancy`` is the tapeRedundancy of the Policy of the
    dataset's ownerGroup, ``None`` when there is no such policy; only then is
    ``AV=<x>,`` read from the incoming classification.
    """
    if policy_tape_redundancy is not None:
        availability = policy_tape_redundancy or "low"
    else:
        match = _AV.search(incoming or "")
        availability = match.group(0) if match and match.group(0) else "low"
    return f"IN=medium,AV={availability},CO=low"


# --- field types --------------------------------------------------------------


def _metadata(value: Any) -> Any:
    return prepare_for_storage(value) if isinstance(value, dict) else value


OptEmail = Annotated[str | None, CV(IS_EMAIL, optional=True)]
ContactEmail = Annotated[str, CV(CONTACT_EMAIL)]
SourceFolder = Annotated[
    str, AfterValidator(strip_trailing_slash), CV(IS_NOT_EMPTY, IS_STRING)
]
OptUrl = Annotated[str | None, CV(IS_URL, optional=True)]
OptInt = Annotated[int | None, CV(IS_INT, optional=True)]
Size = Annotated[int, CV(IS_INT, optional=True)]
OptNumber = Annotated[int | float | None, CV(IS_NUMBER, optional=True)]
OptObject = Annotated[dict[str, Any] | None, CV(IS_OBJECT, optional=True)]
ScientificMetadata = Annotated[
    dict[str, Any] | None, AfterValidator(_metadata), CV(IS_OBJECT, optional=True)
]
LifecycleField = Annotated[LifecycleInput | None, CV(IS_OBJECT, optional=True)]


class TechniqueInput(CVModel):
    pid: ReqStr
    name: ReqStr


class RelationshipInput(CVModel):
    pid: ReqStr
    relationship: ReqStr


Techniques = Annotated[list[TechniqueInput] | None, CV(IS_ARRAY, optional=True)]
Relationships = Annotated[list[RelationshipInput] | None, CV(IS_ARRAY, optional=True)]

# --- v4 bodies ----------------------------------------------------------------


class UpdateDatasetDto(OwnableInput):
    """v4 PUT body (SciCat's UpdateDatasetDto)."""

    owner: OptStr = None
    ownerEmail: OptEmail = None
    orcidOfOwner: OptStr = None
    contactEmail: ContactEmail
    sourceFolder: SourceFolder
    sourceFolderHost: OptUrl = None
    # SciCat's class initialisers: a full body without sizes stores zeros.
    size: Size = 0
    packedSize: Size = 0
    numberOfFiles: Size = 0
    numberOfFilesArchived: OptInt = None
    creationTime: ReqDate
    validationStatus: OptStr = None
    keywords: OptStrList = None
    description: OptStr = None
    datasetName: ReqStr
    classification: OptStr = None
    license: OptStr = None
    isPublished: OptBool = None
    techniques: Techniques = None
    sharedWith: OptStrList = None
    relationships: Relationships = None
    datasetlifecycle: LifecycleField = None
    scientificMetadata: ScientificMetadata = None
    scientificMetadataSchema: OptStr = None
    scientificMetadataValid: OptBool = None
    comment: OptStr = None
    dataQualityMetrics: OptNumber = None
    principalInvestigators: OptStrList = None
    startTime: OptDate = None
    endTime: OptDate = None
    creationLocation: OptStr = None
    dataFormat: OptStr = None
    proposalIds: OptStrList = None
    sampleIds: OptStrList = None
    instrumentIds: OptStrList = None
    inputDatasets: OptStrList = None
    usedSoftware: OptStrList = None
    jobParameters: OptObject = None
    jobLogData: OptStr = None
    runNumber: OptStr = None


class CreateDatasetDto(UpdateDatasetDto):
    """v4 POST body; also v3 bodies whose type is neither raw nor derived."""

    pid: OptStr = None
    type: ReqStr


# A partial update must leave sizes alone: no zero initialisers here
# (SciCat's PartialType copies them; docs/deviations.md).
PartialUpdateDatasetDto = partial_model(UpdateDatasetDto, "PartialUpdateDatasetDto")

# --- v3 bodies ----------------------------------------------------------------


class UpdateDatasetObsoleteDto(OwnableInput):
    """Fields common to the v3 raw and derived bodies."""

    owner: ReqStr
    ownerEmail: OptEmail = None
    orcidOfOwner: OptStr = None
    contactEmail: ContactEmail
    sourceFolder: SourceFolder
    sourceFolderHost: OptUrl = None
    size: OptInt = None
    packedSize: OptInt = None
    numberOfFiles: OptInt = None
    numberOfFilesArchived: OptInt = None
    creationTime: ReqDate
    validationStatus: OptStr = None
    keywords: OptStrList = None
    description: OptStr = None
    datasetName: OptStr = None
    classification: OptStr = None
    license: OptStr = None
    isPublished: OptBool = None
    techniques: Techniques = None
    sharedWith: OptStrList = None
    relationships: Relationships = None
    datasetlifecycle: LifecycleField = None
    scientificMetadata: ScientificMetadata = None
    scientificMetadataSchema: OptStr = None
    scientificMetadataValid: OptBool = None
    comment: OptStr = None
    dataQualityMetrics: OptNumber = None
    proposalId: OptStr = None
    runNumber: OptStr = None


class UpdateRawDatasetObsoleteDto(UpdateDatasetObsoleteDto):
    principalInvestigator: ReqStr
    startTime: OptDate = None
    endTime: OptDate = None
    creationLocation: ReqStr
    dataFormat: OptStr = None
    sampleId: OptStr = None
    instrumentId: OptStr = None
    # Tolerated without checks on raw datasets, as in SciCat.
    investigator: Any = None
    inputDatasets: Any = None
    usedSoftware: Any = None
    jobParameters: Any = None
    jobLogData: Any = None


class UpdateDerivedDatasetObsoleteDto(UpdateDatasetObsoleteDto):
    investigator: ReqStr
    inputDatasets: StrList
    usedSoftware: StrList
    jobParameters: OptObject = None
    jobLogData: OptStr = None


def _name_from_folder(data: Any) -> Any:
    if isinstance(data, dict) and data.get("datasetName") in (None, UNDEFINED):
        name = dataset_name_from_folder(data.get("sourceFolder"))
        if name is not None:
            return {**data, "datasetName": name}
    return data


class _V3CreateFields(CVModel):
    pid: OptStr = None
    version: OptStr = None
    datasetName: ReqStr

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        return _name_from_folder(data)


class CreateRawDatasetObsoleteDto(_V3CreateFields, UpdateRawDatasetObsoleteDto):
    """v3 raw dataset create body; datasetName defaults from sourceFolder."""

    type: Annotated[str, CV(is_enum((RAW, DERIVED)))] = RAW


class CreateDerivedDatasetObsoleteDto(_V3CreateFields, UpdateDerivedDatasetObsoleteDto):
    """v3 derived dataset create body; datasetName defaults from sourceFolder."""

    type: Annotated[str, CV(is_enum((RAW, DERIVED)))] = DERIVED


PartialUpdateRawDatasetObsoleteDto = partial_model(
    UpdateRawDatasetObsoleteDto, "PartialUpdateRawDatasetObsoleteDto"
)
PartialUpdateDerivedDatasetObsoleteDto = partial_model(
    UpdateDerivedDatasetObsoleteDto, "PartialUpdateDerivedDatasetObsoleteDto"
)


def v3_create_model(body: Any) -> type[CVModel]:
    """The v3 create body model SciCat picks for this body's ``type``."""
    kind = body.get("type") if isinstance(body, dict) else None
    if kind == RAW:
        return CreateRawDatasetObsoleteDto
    if kind == DERIVED:
        return CreateDerivedDatasetObsoleteDto
    return CreateDatasetDto


def validate_v3_create(body: Any) -> CVModel:
    """Validate a v3 create body with the model its type selects."""
    return v3_create_model(body).model_validate(body)


def v3_update_model(stored_type: str | None, *, partial: bool) -> type[CVModel]:
    """The v3 update body model for the STORED dataset's type (PATCH: partial)."""
    if stored_type == RAW:
        return (
            PartialUpdateRawDatasetObsoleteDto
            if partial
            else UpdateRawDatasetObsoleteDto
        )
    if stored_type == DERIVED:
        return (
            PartialUpdateDerivedDatasetObsoleteDto
            if partial
            else UpdateDerivedDatasetObsoleteDto
        )
    return PartialUpdateDatasetDto if partial else UpdateDatasetDto


# --- v3 <-> stored ------------------------------------------------------------

_V3_ONLY = ("proposalId", "sampleId", "instrumentId", "principalInvestigator")


def v3_to_stored_fields(
    fields: dict[str, Any], dataset_type: str | None
) -> dict[str, Any]:
    """Map a validated v3 body onto stored field names.

    ``proposalId`` -> ``proposalIds``; raw ``sampleId``/``instrumentId``/
    ``principalInvestigator`` -> the arrays; derived ``investigator`` ->
    ``principalInvestigators``. Keys the stored schema lacks are dropped, as
    Mongoose's strict mode does.
    """
    mapped = {key: value for key, value in fields.items() if key not in _V3_ONLY}
    if fields.get("proposalId") is not None:
        mapped["proposalIds"] = [fields["proposalId"]]
    if dataset_type == RAW:
        mapped.pop("investigator", None)
        for single, plural in (
            ("sampleId", "sampleIds"),
            ("instrumentId", "instrumentIds"),
            ("principalInvestigator", "principalInvestigators"),
        ):
            if fields.get(single) is not None:
                mapped[plural] = [fields[single]]
    elif dataset_type == DERIVED:
        investigator = mapped.pop("investigator", None)
        if investigator is not None:
            mapped["principalInvestigators"] = [investigator]
    else:
        mapped.pop("investigator", None)
    return mapped


def _first(values: Any) -> Any:
    if isinstance(values, list) and values:
        return values[0]
    return None


def stored_to_v3(document: dict[str, Any]) -> dict[str, Any]:
    """The v3 rendering of a stored dataset: singular ids synthesised, keys decoded."""
    output = dict(document)
    output["proposalId"] = _first(document.get("proposalIds"))
    output["sampleId"] = _first(document.get("sampleIds"))
    output["instrumentId"] = _first(document.get("instrumentIds"))
    output["principalInvestigator"] = _first(document.get("principalInvestigators"))
    for key in ("proposalId", "sampleId", "instrumentId", "principalInvestigator"):
        if output[key] is None:
            del output[key]
    if "scientificMetadata" in document:
        output["scientificMetadata"] = decode_keys(document["scientificMetadata"])
    return output


# --- the stored document ------------------------------------------------------

_ARRAY_DEFAULTS = (
    "accessGroups",
    "keywords",
    "techniques",
    "relationships",
    "sharedWith",
    "principalInvestigators",
    "proposalIds",
    "sampleIds",
    "instrumentIds",
    "inputDatasets",
    "usedSoftware",
)


def new_dataset_document(
    fields: dict[str, Any],
    *,
    pid: str,
    version: str,
    username: str,
    now: datetime,
    classification: str,
    retention_shift: str | int | None = 0,
    publication_shift: str | int | None = 0,
) -> dict[str, Any]:
    """The document SciCat stores for a new dataset (schema defaults applied).

    ``fields`` are stored-field names (after :func:`v3_to_stored_fields`).
    """
    from bson import ObjectId

    document: dict[str, Any] = {"_id": pid, "pid": pid}
    document.update({key: value for key, value in fields.items() if key != "pid"})
    document["version"] = version
    document["classification"] = classification
    document.setdefault("size", 0)
    document.setdefault("packedSize", 0)
    document.setdefault("numberOfFiles", 0)
    document.setdefault("numberOfFilesArchived", 0)
    document.setdefault("isPublished", False)
    document.setdefault("scientificMetadata", {})
    for key in _ARRAY_DEFAULTS:
        if document.get(key) is None:
            document[key] = []
    for key in ("techniques", "relationships"):
        document[key] = [{**item, "_id": ObjectId()} for item in document[key]]
    document["datasetlifecycle"] = new_lifecycle(
        document.get("datasetlifecycle"),
        now,
        retention_shift=retention_shift,
        publication_shift=publication_shift,
    )
    document["createdBy"] = username
    document["updatedBy"] = username
    document["createdAt"] = now
    document["updatedAt"] = now
    document["__v"] = 0
    return document


class Technique(BaseModel):
    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    pid: str
    name: str


class Relationship(BaseModel):
    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    pid: str
    relationship: str


class OutputDatasetDto(Ownable):
    """A stored dataset as v4 returns it (SciCat's DatasetClass / OutputDatasetDto)."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    pid: str
    owner: str | None = None
    ownerEmail: str | None = None
    orcidOfOwner: str | None = None
    contactEmail: str | None = None
    sourceFolder: str | None = None
    sourceFolderHost: str | None = None
    size: int | float = 0
    packedSize: int | float = 0
    numberOfFiles: int | float = 0
    numberOfFilesArchived: int | float = 0
    creationTime: StoredDate | None = None
    type: str | None = None
    validationStatus: str | None = None
    keywords: list[str] = []
    description: str | None = None
    datasetName: str | None = None
    classification: str | None = None
    license: str | None = None
    version: str | None = None
    datasetlifecycle: Lifecycle | None = None
    techniques: list[Technique] = []
    relationships: list[Relationship] = []
    sharedWith: list[str] = []
    scientificMetadata: dict[str, Any] = {}
    scientificMetadataSchema: str | None = None
    scientificMetadataValid: bool | None = None
    comment: str | None = None
    dataQualityMetrics: int | float | None = None
    principalInvestigators: list[str] = []
    startTime: StoredDate | None = None
    endTime: StoredDate | None = None
    creationLocation: str | None = None
    dataFormat: str | None = None
    runNumber: str | None = None
    proposalIds: list[str] = []
    sampleIds: list[str] = []
    instrumentIds: list[str] = []
    inputDatasets: list[str] = []
    usedSoftware: list[str] = []
    jobParameters: dict[str, Any] | None = None
    jobLogData: str | None = None
    v: int | None = Field(default=None, alias="__v")
    id_: str | None = Field(default=None, alias="_id")


class OutputDatasetObsoleteDto(OutputDatasetDto):
    """A dataset as v3 returns it: singular ids and decoded metadata keys."""

    proposalId: str | None = None
    sampleId: str | None = None
    instrumentId: str | None = None
    principalInvestigator: str | None = None
    investigator: str | None = None
    history: list[dict[str, Any]] | None = None
