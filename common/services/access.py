"""The permission decisions of :mod:`common.permissions`, shaped for the services.

Each class answers the questions the generic :class:`EntityService` asks
(visibility, read, update, delete) plus the entity's create check; none of
them decides anything itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.identity.principal import Identity
from common.permissions.datasets import (
    DatasetAction,
    EntityAction,
    attachment_allows,
    attachment_visibility_filter,
    datablock_allows,
    datablock_visibility_filter,
    dataset_allows,
    dataset_visibility_filter,
    origdatablock_allows,
    origdatablock_visibility_filter,
)
from common.permissions.groups import GroupConfig

Document = Mapping[str, Any]


class DatasetAccess:
    def __init__(self, config: GroupConfig) -> None:
        self.config = config

    def visibility(self, identity: Identity) -> dict[str, Any] | None:
        return dataset_visibility_filter(identity, self.config)

    def allows(self, identity: Identity, action: DatasetAction, doc: Document) -> bool:
        return dataset_allows(identity, action, doc, self.config)

    def can_create(self, identity: Identity, doc: Document) -> bool:
        return self.allows(identity, DatasetAction.CREATE, doc)

    def can_read(self, identity: Identity, doc: Document) -> bool:
        return self.allows(identity, DatasetAction.READ, doc)

    def can_update(self, identity: Identity, doc: Document) -> bool:
        return self.allows(identity, DatasetAction.UPDATE, doc)

    def can_delete(self, identity: Identity, doc: Document) -> bool:
        return self.allows(identity, DatasetAction.DELETE, doc)


class OrigDatablockAccess:
    def __init__(self, config: GroupConfig) -> None:
        self.config = config

    def visibility(self, identity: Identity) -> dict[str, Any] | None:
        return origdatablock_visibility_filter(identity, self.config)

    def can_create(self, identity: Identity, doc: Document) -> bool:
        return origdatablock_allows(identity, EntityAction.CREATE, doc, self.config)

    def can_read(self, identity: Identity, doc: Document) -> bool:
        return origdatablock_allows(identity, EntityAction.READ, doc, self.config)

    def can_update(self, identity: Identity, doc: Document) -> bool:
        return origdatablock_allows(identity, EntityAction.UPDATE, doc, self.config)

    def can_delete(self, identity: Identity, doc: Document) -> bool:
        return origdatablock_allows(identity, EntityAction.DELETE, doc, self.config)


class DatablockAccess:
    def __init__(self, config: GroupConfig) -> None:
        self.config = config

    def visibility(self, identity: Identity) -> dict[str, Any] | None:
        return datablock_visibility_filter(identity, self.config)

    def can_create(self, identity: Identity, doc: Document) -> bool:
        return datablock_allows(identity, EntityAction.CREATE, doc, self.config)

    def can_read(self, identity: Identity, doc: Document) -> bool:
        return datablock_allows(identity, EntityAction.READ, doc, self.config)

    def can_update(self, identity: Identity, doc: Document) -> bool:
        return datablock_allows(identity, EntityAction.UPDATE, doc, self.config)

    def can_delete(self, identity: Identity, doc: Document) -> bool:
        return datablock_allows(identity, EntityAction.DELETE, doc, self.config)


class AttachmentAccess:
    def __init__(self, config: GroupConfig) -> None:
        self.config = config

    def visibility(self, identity: Identity) -> dict[str, Any] | None:
        return attachment_visibility_filter(identity, self.config)

    def can_create(self, identity: Identity, doc: Document) -> bool:
        return attachment_allows(identity, EntityAction.CREATE, doc, self.config)

    def can_read(self, identity: Identity, doc: Document) -> bool:
        return attachment_allows(identity, EntityAction.READ, doc, self.config)

    def can_update(self, identity: Identity, doc: Document) -> bool:
        return attachment_allows(identity, EntityAction.UPDATE, doc, self.config)

    def can_delete(self, identity: Identity, doc: Document) -> bool:
        return attachment_allows(identity, EntityAction.DELETE, doc, self.config)
