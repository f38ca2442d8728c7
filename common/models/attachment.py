"""Attachments in their two shapes: v4 (``aid`` + ``relationships``) and v3.

v3 bodies name their parent with ``datasetId``/``sampleId``/``proposalId``;
each becomes one relationship. v3 output replaces ``relationships`` by those
keys again (the last relationship of each type wins) and ``aid`` by ``id``.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from common.models.checks import CV, IS_BOOLEAN, CVModel, is_enum
from common.models.common import OptStr, Ownable, OwnableInput, ReqStr
from common.models.partial import partial_model


class TargetType(enum.StrEnum):
    DATASET = "dataset"
    PROPOSAL = "proposal"
    SAMPLE = "sample"
    PUBLISHED_DATA = "published_data"


DEFAULT_RELATION = "is attached to"


class AttachmentRelationshipDto(CVModel):
    targetId: ReqStr
    targetType: Annotated[TargetType, CV(is_enum(t.value for t in TargetType))]
    relationType: OptStr = None


class UpdateAttachmentV4Dto(OwnableInput):
    """v4 PUT body (partial for PATCH)."""

    thumbnail: OptStr = None
    caption: ReqStr
    relationships: list[AttachmentRelationshipDto] | None = None
    isPublished: Annotated[bool, CV(IS_BOOLEAN)]


class CreateAttachmentV4Dto(UpdateAttachmentV4Dto):
    """v4 POST body; ``aid`` optional (a uuid4 otherwise)."""

    aid: OptStr = None


PartialUpdateAttachmentV4Dto = partial_model(
    UpdateAttachmentV4Dto, "PartialUpdateAttachmentV4Dto"
)


class UpdateAttachmentV3Dto(OwnableInput):
    """v3 attachment PUT body."""

    thumbnail: OptStr = None
    caption: ReqStr


class CreateAttachmentV3Dto(UpdateAttachmentV3Dto):
    """``POST /api/v3/attachments`` style body naming its parents."""

    id: OptStr = None
    datasetId: OptStr = None
    proposalId: OptStr = None
    sampleId: OptStr = None


class CreateSubAttachmentV3Dto(CVModel):
    """``POST /api/v3/{datasets|samples|proposals}/{id}/attachments`` body."""

    thumbnail: OptStr = None
    caption: ReqStr


PartialUpdateAttachmentV3Dto = partial_model(
    UpdateAttachmentV3Dto, "PartialUpdateAttachmentV3Dto"
)

_V3_PARENTS = (
    ("datasetId", TargetType.DATASET),
    ("sampleId", TargetType.SAMPLE),
    ("proposalId", TargetType.PROPOSAL),
)


def v3_to_v4(fields: dict[str, Any]) -> dict[str, Any]:
    """A v3 attachment body as v4 fields: each parent id becomes a relationship.

    SciCat keeps no ``id`` from a v3 body (Mongoose drops it); neither do we.
    """
    converted = {
        key: value
        for key, value in fields.items()
        if key not in ("id", "datasetId", "sampleId", "proposalId")
    }
    relationships = list(converted.get("relationships") or [])
    for key, target_type in _V3_PARENTS:
        if fields.get(key):
            relationships.append(
                {
                    "targetId": fields[key],
                    "targetType": target_type.value,
                    "relationType": DEFAULT_RELATION,
                }
            )
    converted["relationships"] = relationships
    return converted


def v4_to_v3(document: dict[str, Any]) -> dict[str, Any]:
    """A stored attachment in v3 shape; unchanged when it has no relationships."""
    relationships = document.get("relationships")
    if not relationships:
        return document
    reverted = {k: v for k, v in document.items() if k not in ("relationships", "aid")}
    parent_keys = {target.value: key for key, target in _V3_PARENTS}
    for relation in relationships:
        key = parent_keys.get(relation.get("targetType"))
        if key is not None:
            reverted[key] = relation.get("targetId") or ""
    reverted["id"] = document.get("aid")
    return reverted


def stored_relationships(relationships: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Relationships with SciCat's schema defaults (no sub-document _id)."""
    return [
        {
            "targetId": item.get("targetId") or "",
            "targetType": str(item["targetType"]),
            "relationType": item.get("relationType") or DEFAULT_RELATION,
        }
        for item in relationships
    ]


def new_attachment_document(
    fields: dict[str, Any], *, username: str, now: datetime
) -> dict[str, Any]:
    """A stored attachment: ``_id = aid`` (uuid4 unless given), defaults applied."""
    aid = fields.get("aid") or str(uuid.uuid4())
    document: dict[str, Any] = {"_id": aid}
    document.update(fields)
    document["aid"] = aid
    document["relationships"] = stored_relationships(fields.get("relationships") or [])
    document.setdefault("accessGroups", [])
    document.setdefault("isPublished", False)
    document["createdBy"] = username
    document["updatedBy"] = username
    document["createdAt"] = now
    document["updatedAt"] = now
    document["__v"] = 0
    return document


class AttachmentRelationship(BaseModel):
    targetId: str = ""
    targetType: str
    relationType: str = DEFAULT_RELATION


class OutputAttachmentV4Dto(Ownable):
    """A stored attachment as v4 returns it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id_: str | None = Field(default=None, alias="_id")
    aid: str
    thumbnail: str | None = None
    caption: str | None = None
    relationships: list[AttachmentRelationship] = []


class OutputAttachmentV3Dto(Ownable):
    """An attachment as v3 returns it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str | None = None
    thumbnail: str | None = None
    caption: str | None = None
    datasetId: str | None = None
    sampleId: str | None = None
    proposalId: str | None = None
    accessGroups: list[str] = []
