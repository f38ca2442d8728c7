"""``/api/v4/attachments`` (reference §3.7) on the generic entity routes.

Everyone passes the read gate (the instance rules then decide), only admins
create and update, admins and delete groups delete. Filters take MongoDB
operators under the key allow-list, with ``$elemMatch`` for relationships.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from common.identity.principal import Identity
from common.models.attachment import (
    AttachmentRelationship,
    CreateAttachmentV4Dto,
    OutputAttachmentV4Dto,
    PartialUpdateAttachmentV4Dto,
    UpdateAttachmentV4Dto,
)
from common.models.validation import ValidationFailed, validate
from common.permissions.datasets import EntityAction, attachment_endpoint_allows
from common.permissions.groups import GroupConfig
from common.query.allowlist import ELEM_MATCH
from common.query.limits import V4_DEFAULTS
from common.query.schema import keys_from_models
from common.services import Services
from common.services.context import ApiVersion
from common.services.entity import EntityService
from read_api.generic import (
    EntityRoutes,
    FilterLanguage,
    FilterRules,
    Gate,
    Operation,
    check_gate,
    expose,
)
from read_api.inputs import raw_body
from read_api.routing import RouteGroup

__all__ = ["PUBLIC_ATTACHMENTS", "V4_ATTACHMENTS", "attachments_v4"]


def attachment_gate(action: EntityAction) -> Gate:
    """The gate of ``action`` on the attachments endpoint."""

    def gate(identity: Identity, config: GroupConfig) -> bool:
        return attachment_endpoint_allows(identity, action, config)

    return gate


def _service(services: Services) -> EntityService:
    return services.attachments


ATTACHMENT_KEYS = keys_from_models(OutputAttachmentV4Dto, AttachmentRelationship) | {
    "_id"
}
_READ = attachment_gate(EntityAction.READ)

V4_ATTACHMENTS = EntityRoutes(
    name="attachments",
    version=ApiVersion.V4,
    service=_service,
    filters=FilterRules(
        language=FilterLanguage.MONGO,
        limit_defaults=V4_DEFAULTS,
        entity_keys=ATTACHMENT_KEYS,
        extra_words=ELEM_MATCH,
    ),
    output=OutputAttachmentV4Dto,
    id_param="aid",
    gates={
        Operation.CREATE: attachment_gate(EntityAction.CREATE),
        Operation.LIST: _READ,
        Operation.GET: _READ,
        Operation.PATCH: attachment_gate(EntityAction.UPDATE),
        Operation.REPLACE: attachment_gate(EntityAction.UPDATE),
        Operation.DELETE: attachment_gate(EntityAction.DELETE),
    },
    virtual_id=frozenset(
        {
            Operation.CREATE,
            Operation.GET,
            Operation.PATCH,
            Operation.REPLACE,
            Operation.DELETE,
        }
    ),
    merge_patch=True,
    bodies={
        Operation.CREATE: CreateAttachmentV4Dto,
        Operation.PATCH: PartialUpdateAttachmentV4Dto,
        Operation.REPLACE: UpdateAttachmentV4Dto,
    },
)

attachments_v4 = RouteGroup("/api/v4/attachments", tags=("attachments v4",))
expose(
    attachments_v4,
    V4_ATTACHMENTS,
    (
        Operation.CREATE,
        Operation.LIST,
        Operation.GET,
        Operation.PATCH,
        Operation.REPLACE,
        Operation.DELETE,
    ),
)

PUBLIC_ATTACHMENTS = replace(
    V4_ATTACHMENTS,
    name="public_attachments",
    gates={},
    forced_where={"isPublished": True},
)
public_attachments_v4 = RouteGroup(
    "/api/v4/attachments/public", tags=("attachments v4",)
)
expose(public_attachments_v4, PUBLIC_ATTACHMENTS, (Operation.LIST,))


class ValidOut(BaseModel):
    """``{valid, reason}``: the constraint messages when invalid."""

    valid: bool
    reason: list[str] = []


@attachments_v4.post(
    "/isValid",
    summary="Check an attachment body without storing it",
    body=CreateAttachmentV4Dto,
    response=ValidOut,
    responses={403: None},
    status=200,
)
async def is_valid_v4(request: web.Request) -> dict[str, Any]:
    check_gate(request, V4_ATTACHMENTS, Operation.CREATE)
    try:
        validate(CreateAttachmentV4Dto, await raw_body(request))
    except ValidationFailed as failed:
        return {"valid": False, "reason": failed.messages}
    return {"valid": True, "reason": []}
