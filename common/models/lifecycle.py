"""The dataset's ``datasetlifecycle`` sub-document (SciCat's LifecycleClass)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bson import ObjectId
from pydantic import BaseModel, ConfigDict

from common.models.checks import CVModel
from common.models.common import OptBool, OptDate, OptStr, StoredDate

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def year_shift(text: str | int | None) -> int:
    """A POLICY_*_SHIFT setting as whole years; anything but an integer is 0.

    SciCat turns a non-numeric value (its README's ``-1 (indefinitely)``) into
    an invalid date; we treat it as no shift (docs/deviations.md).
    """
    if isinstance(text, int):
        return text
    if text is None or not _INTEGER.match(text):
        return 0
    return int(text)


def shift_years(moment: datetime, years: int) -> datetime:
    """The same calendar day ``years`` later (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def lifecycle_defaults(
    now: datetime,
    *,
    retention_shift: str | int | None = 0,
    publication_shift: str | int | None = 0,
) -> dict[str, Any]:
    """SciCat's lifecycle defaults, with the dates computed at ``now``.

    SciCat evaluates these once at process start and uses the day of the week
    as the day of the month; we use the creation time and the real day.
    """
    return {
        "archivable": True,
        "retrievable": False,
        "publishable": False,
        "dateOfDiskPurging": now,
        "archiveRetentionTime": shift_years(now, year_shift(retention_shift)),
        "dateOfPublishing": shift_years(now, year_shift(publication_shift)),
        "publishedOn": now,
        "isOnCentralDisk": True,
        "archiveStatusMessage": "datasetCreated",
        "retrieveStatusMessage": "",
        "archiveReturnMessage": {},
        "retrieveReturnMessage": {},
        "retrieveIntegrityCheck": False,
    }


def new_lifecycle(
    incoming: dict[str, Any] | None,
    now: datetime,
    *,
    retention_shift: str | int | None = 0,
    publication_shift: str | int | None = 0,
) -> dict[str, Any]:
    """A new dataset's stored lifecycle: defaults, then what was sent, and an _id."""
    document: dict[str, Any] = {"_id": ObjectId()}
    document.update(
        lifecycle_defaults(
            now,
            retention_shift=retention_shift,
            publication_shift=publication_shift,
        )
    )
    document.update({k: v for k, v in (incoming or {}).items() if v is not None})
    if not isinstance(document["_id"], ObjectId):
        document["_id"] = ObjectId()
    return document


class UpdateDatasetLifecycleDto(CVModel):
    """Body of the lifecycle PATCH routes (every field optional, no ``id``)."""

    archivable: OptBool = None
    retrievable: OptBool = None
    publishable: OptBool = None
    dateOfDiskPurging: OptDate = None
    archiveRetentionTime: OptDate = None
    dateOfPublishing: OptDate = None
    publishedOn: OptDate = None
    isOnCentralDisk: OptBool = None
    archiveStatusMessage: OptStr = None
    retrieveStatusMessage: OptStr = None
    archiveReturnMessage: Any = None
    retrieveReturnMessage: Any = None
    exportedTo: Any = None
    retrieveIntegrityCheck: OptBool = None
    storageLocation: Any = None


class LifecycleInput(UpdateDatasetLifecycleDto):
    """A ``datasetlifecycle`` inside a dataset body.

    SciCat accepts it unvalidated and lets Mongoose drop unknown keys (and
    fail with a 500 on wrong types); we drop unknown keys and answer 400 for
    wrong types.
    """

    model_config = ConfigDict(extra="ignore")

    id: OptStr = None


class Lifecycle(BaseModel):
    """The stored sub-document, as read back."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    id: str | None = None
    archivable: bool = True
    retrievable: bool = False
    publishable: bool = False
    dateOfDiskPurging: StoredDate | None = None
    archiveRetentionTime: StoredDate | None = None
    dateOfPublishing: StoredDate | None = None
    publishedOn: StoredDate | None = None
    isOnCentralDisk: bool = True
    archiveStatusMessage: str = "datasetCreated"
    retrieveStatusMessage: str = ""
    archiveReturnMessage: Any = {}
    retrieveReturnMessage: Any = {}
    exportedTo: str | None = None
    retrieveIntegrityCheck: bool = False
    storageLocation: str | None = None
