"""OrigDatablock bodies (v3 and v4) and the stored document."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from common.models.checks import CV, IS_INT, IS_NOT_EMPTY, IS_STRING, CVModel
from common.models.common import OptBool, OptStr, OptStrList, Ownable, ReqStr
from common.models.datafile import DataFile, DataFileList, stored_file_list
from common.models.partial import partial_model

Integer = Annotated[int, CV(IS_INT)]
# SciCat checks these with @IsOptional @IsString @IsNotEmpty.
OptNonEmptyStr = Annotated[str | None, CV(IS_NOT_EMPTY, IS_STRING, optional=True)]


class UpdateOrigDatablockDto(CVModel):
    """PUT/PATCH body (partial for PATCH); ownership is optional here."""

    ownerGroup: OptNonEmptyStr = None
    accessGroups: OptStrList = None
    instrumentGroup: OptStr = None
    size: Integer
    chkAlg: OptNonEmptyStr = None
    dataFileList: DataFileList
    isPublished: OptBool = None


class CreateOrigDatablockDto(UpdateOrigDatablockDto):
    """``POST /api/v3/origdatablocks`` and v4: the parent dataset named in the body."""

    datasetId: ReqStr


class CreateDatasetOrigDatablockDto(CVModel):
    """``POST /api/v3/datasets/{pid}/origdatablocks``: no datasetId, no ownership."""

    size: Integer
    chkAlg: OptNonEmptyStr = None
    dataFileList: DataFileList
    isPublished: OptBool = None


PartialUpdateOrigDatablockDto = partial_model(
    UpdateOrigDatablockDto, "PartialUpdateOrigDatablockDto"
)

OWNERSHIP_FIELDS = ("ownerGroup", "accessGroups", "instrumentGroup")


def ownership_of(dataset: dict[str, Any]) -> dict[str, Any]:
    """The ownership fields a file list or datablock copies from its dataset."""
    return {
        "ownerGroup": dataset.get("ownerGroup"),
        "accessGroups": list(dataset.get("accessGroups") or []),
        "instrumentGroup": dataset.get("instrumentGroup"),
    }


def new_block_document(
    fields: dict[str, Any],
    *,
    dataset_id: str,
    ownership: dict[str, Any],
    username: str,
    now: datetime,
    block_id: str | None = None,
) -> dict[str, Any]:
    """A stored file list or datablock: uuid4 _id, file ObjectIds, audit fields."""
    document: dict[str, Any] = {"_id": block_id or str(uuid.uuid4())}
    document.update(fields)
    document.update({k: v for k, v in ownership.items() if v is not None})
    document["datasetId"] = dataset_id
    document.setdefault("accessGroups", [])
    document.setdefault("isPublished", False)
    document["dataFileList"] = stored_file_list(document.get("dataFileList") or [])
    document["createdBy"] = username
    document["updatedBy"] = username
    document["createdAt"] = now
    document["updatedAt"] = now
    document["__v"] = 0
    return document


def new_origdatablock_document(
    fields: dict[str, Any],
    *,
    dataset: dict[str, Any],
    username: str,
    now: datetime,
    block_id: str | None = None,
) -> dict[str, Any]:
    """A stored origdatablock; ownership always comes from the dataset."""
    return new_block_document(
        {k: v for k, v in fields.items() if k != "datasetId"},
        dataset_id=dataset["pid"],
        ownership=ownership_of(dataset),
        username=username,
        now=now,
        block_id=block_id,
    )


class OrigDatablock(Ownable):
    """A stored origdatablock as returned."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id_: str = Field(alias="_id")
    datasetId: str
    size: int | float
    chkAlg: str | None = None
    dataFileList: list[DataFile] = []
