"""Which MetadataKeys rows a caller may list (reference §5.3).

Admins list every row; authenticated callers the rows whose ``userGroups``
share a group with theirs, or that are published; anonymous callers the
published rows.
"""

from __future__ import annotations

from typing import Any

from common.identity.principal import Identity
from common.permissions.groups import GroupConfig, is_admin

__all__ = ["metadata_keys_visibility_filter"]


def metadata_keys_visibility_filter(
    identity: Identity, config: GroupConfig
) -> dict[str, Any] | None:
    """The filter narrowing MetadataKeys rows to the caller's; None for all."""
    if identity.is_anonymous:
        return {"isPublished": True}
    if is_admin(identity, config):
        return None
    return {
        "$or": [
            {"userGroups": {"$in": list(identity.groups)}},
            {"isPublished": True},
        ]
    }
