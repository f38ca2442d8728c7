"""A MetadataKeys row as stored and answered (reference §2.15)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class OutputMetadataKeyDto(BaseModel):
    """One top-level metadata key of one source document."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id_: str = Field(alias="_id")
    id: str
    key: str
    humanReadableName: str = ""
    userGroups: list[str] = []
    sourceType: str
    sourceId: str
    isPublished: bool = False
    createdBy: str | None = None
    updatedBy: str | None = None
    createdAt: datetime | None = None
    updatedAt: datetime | None = None
