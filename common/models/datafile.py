"""A file entry of an origdatablock or datablock (SciCat's DataFile)."""

from __future__ import annotations

from typing import Annotated, Any

from bson import ObjectId
from pydantic import BaseModel, ConfigDict

from common.models.checks import ARRAY_NOT_EMPTY, CV, IS_ARRAY, IS_NUMBER, CVModel
from common.models.common import OptStr, ReqDate, ReqStr, StoredDate


class DataFileDto(CVModel):
    """One entry of a ``dataFileList`` as sent."""

    path: ReqStr
    size: Annotated[int | float, CV(IS_NUMBER)]
    time: ReqDate
    chk: OptStr = None
    uid: OptStr = None
    gid: OptStr = None
    perm: OptStr = None
    type: OptStr = None


# class-validator registers @ArrayNotEmpty before @IsArray (bottom-up).
DataFileList = Annotated[list[DataFileDto], CV(ARRAY_NOT_EMPTY, IS_ARRAY)]


def stored_file_list(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """File entries as stored: unset keys left out, each with an ObjectId _id."""
    stored: list[dict[str, Any]] = []
    for entry in files:
        item = {key: value for key, value in entry.items() if value is not None}
        item["_id"] = ObjectId()
        stored.append(item)
    return stored


class DataFile(BaseModel):
    """A stored file entry."""

    model_config = ConfigDict(extra="allow")

    path: str
    size: int | float
    time: StoredDate | None = None
    chk: str | None = None
    uid: str | None = None
    gid: str | None = None
    perm: str | None = None
    type: str | None = None
