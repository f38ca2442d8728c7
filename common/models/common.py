"""Fields every entity shares (SciCat's Ownable and Queryable) and date handling."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from common.models.checks import (
    CV,
    EACH_STRING,
    IS_BOOLEAN,
    IS_DATE_STRING,
    IS_STRING,
    CVModel,
)

_FRACTION = re.compile(r"([.,])(\d{6})\d+")


def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 string or datetime as an aware UTC datetime.

    Strings with an offset keep their instant; naive values are taken as UTC
    (SciCat takes them in the server's zone; see docs/deviations.md).
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = _FRACTION.sub(r"\1\2", value.strip()).replace("z", "Z")
        parsed = datetime.fromisoformat(text)
    else:
        raise ValueError(f"not a date: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _to_datetime(value: Any) -> Any:
    if isinstance(value, str | datetime):
        return parse_datetime(value)
    return value


def format_datetime(value: datetime) -> str:
    """SciCat's JSON rendering of a date: ``2026-01-02T03:04:05.000Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# Input field types: the class-validator checks first, then the conversion.
def _listify(value: Any) -> Any:
    # class-validator's `each` accepts a lone string and Mongoose casts it to
    # a one-element array; keep that tolerance.
    return [value] if isinstance(value, str) else value


ReqStr = Annotated[str, CV(IS_STRING)]
OptStr = Annotated[str | None, CV(IS_STRING, optional=True)]
StrList = Annotated[list[str], BeforeValidator(_listify), CV(EACH_STRING)]
OptStrList = Annotated[
    list[str] | None, BeforeValidator(_listify), CV(EACH_STRING, optional=True)
]
OptBool = Annotated[bool | None, CV(IS_BOOLEAN, optional=True)]
ReqDate = Annotated[datetime, BeforeValidator(_to_datetime), CV(IS_DATE_STRING)]
OptDate = Annotated[
    datetime | None,
    BeforeValidator(_to_datetime),
    CV(IS_DATE_STRING, optional=True),
]
# Stored/output field types: any date (datetime or ISO string) as aware UTC.
StoredDate = Annotated[datetime, BeforeValidator(_to_datetime)]


class OwnableInput(CVModel):
    """SciCat's OwnableDto: ownerGroup required, the rest optional."""

    ownerGroup: ReqStr
    accessGroups: OptStrList = None
    instrumentGroup: OptStr = None


class OptionalOwnableInput(CVModel):
    """Ownable fields where the route fills them in (they may still be sent)."""

    ownerGroup: OptStr = None
    accessGroups: OptStrList = None
    instrumentGroup: OptStr = None


class Queryable(BaseModel):
    """System-set audit fields of every catalogue entity (SciCat's QueryableClass)."""

    model_config = ConfigDict(extra="allow")

    createdBy: str | None = None
    updatedBy: str | None = None
    createdAt: StoredDate | None = None
    updatedAt: StoredDate | None = None


class Ownable(Queryable):
    """Stored ownership fields (SciCat's OwnableClass)."""

    ownerGroup: str | None = None
    accessGroups: list[str] = []
    instrumentGroup: str | None = None
    isPublished: bool = False
