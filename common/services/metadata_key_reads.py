"""Reading the MetadataKeys side table (``/api/v4/metadatakeys``, reference §3.14).

Rows are written by the sources' services (:mod:`common.services.metadata_keys`);
this read-only service lists them through the generic entity operations with
the rows' own visibility rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.identity.principal import Identity
from common.permissions.groups import GroupConfig
from common.permissions.metadata_keys import metadata_keys_visibility_filter
from common.services.entity import EntityService, EntitySpec, ServiceDeps
from common.services.metadata_keys import METADATA_KEYS_COLLECTION

__all__ = ["MetadataKeyAccess", "MetadataKeyService"]


class MetadataKeyAccess:
    """Rows are read-only over HTTP; reads follow the visibility filter."""

    def __init__(self, config: GroupConfig) -> None:
        self.config = config

    def visibility(self, identity: Identity) -> dict[str, Any] | None:
        return metadata_keys_visibility_filter(identity, self.config)

    def can_read(self, identity: Identity, document: Mapping[str, Any]) -> bool:
        if self.visibility(identity) is None:
            return True
        groups = set(identity.groups)
        shared = any(group in groups for group in document.get("userGroups") or [])
        return shared or document.get("isPublished") is True

    def can_update(self, identity: Identity, document: Mapping[str, Any]) -> bool:
        return False

    def can_delete(self, identity: Identity, document: Mapping[str, Any]) -> bool:
        return False


class MetadataKeyService(EntityService):
    spec = EntitySpec(
        entity="metadatakey",
        collection=METADATA_KEYS_COLLECTION,
        id_field="_id",
        not_found="MetadataKey: {id} not found",
    )

    @classmethod
    def build(cls, deps: ServiceDeps) -> MetadataKeyService:
        return cls(deps, MetadataKeyAccess(GroupConfig.from_settings(deps.settings)))
