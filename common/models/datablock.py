"""Datablock bodies and the stored document (archive units of a dataset)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from common.models.checks import CVModel
from common.models.common import OptStr, OptStrList, Ownable, ReqStr
from common.models.datafile import DataFile, DataFileList
from common.models.origdatablock import (
    OWNERSHIP_FIELDS,
    Integer,
    OptNonEmptyStr,
    new_block_document,
    ownership_of,
)
from common.models.partial import partial_model


class UpdateDatablockDto(CVModel):
    """Datablock PUT/PATCH body (partial for PATCH)."""

    ownerGroup: OptNonEmptyStr = None
    accessGroups: OptStrList = None
    instrumentGroup: OptStr = None
    archiveId: ReqStr
    size: Integer
    packedSize: Integer
    chkAlg: OptNonEmptyStr = None
    version: ReqStr
    dataFileList: DataFileList


class CreateDatablockDto(UpdateDatablockDto):
    """``POST /api/v3/datablocks``: the parent dataset named in the body."""

    datasetId: ReqStr


class CreateDatasetDatablockDto(CVModel):
    """``POST /api/v3/datasets/{pid}/datablocks``: no datasetId, no ownership."""

    archiveId: ReqStr
    size: Integer
    packedSize: Integer
    chkAlg: OptNonEmptyStr = None
    version: ReqStr
    dataFileList: DataFileList


PartialUpdateDatablockDto = partial_model(
    UpdateDatablockDto, "PartialUpdateDatablockDto"
)


def datablock_ownership(
    fields: dict[str, Any], dataset: dict[str, Any]
) -> dict[str, Any]:
    """Ownership for ``/datablocks``: each field from the body, else the dataset."""
    inherited = ownership_of(dataset)
    return {
        name: fields[name] if fields.get(name) is not None else inherited[name]
        for name in OWNERSHIP_FIELDS
    }


def new_datablock_document(
    fields: dict[str, Any],
    *,
    dataset: dict[str, Any],
    username: str,
    now: datetime,
    from_body: bool,
    block_id: str | None = None,
) -> dict[str, Any]:
    """A stored datablock; ownership from the body first when ``from_body``."""
    ownership = (
        datablock_ownership(fields, dataset) if from_body else ownership_of(dataset)
    )
    body = {
        k: v
        for k, v in fields.items()
        if k != "datasetId" and k not in OWNERSHIP_FIELDS
    }
    return new_block_document(
        body,
        dataset_id=dataset["pid"],
        ownership=ownership,
        username=username,
        now=now,
        block_id=block_id,
    )


class Datablock(Ownable):
    """A stored datablock as returned."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id_: str = Field(alias="_id")
    datasetId: str
    archiveId: str
    size: int | float
    packedSize: int | float
    chkAlg: str | None = None
    version: str
    dataFileList: list[DataFile] = []
