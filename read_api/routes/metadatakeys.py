"""``/api/v4/metadatakeys`` (reference §3.14): the MetadataKeys rows a caller may see.

Open to everyone; the rows are narrowed by their ``userGroups`` and
``isPublished``. The ``filter`` takes MongoDB operators under the key
allow-list (``$elemMatch`` included); defaults limit 100, newest first.
"""

from __future__ import annotations

from common.models.metadata_key import OutputMetadataKeyDto
from common.query.allowlist import ELEM_MATCH
from common.query.limits import V4_METADATAKEYS_DEFAULTS
from common.query.schema import keys_from_models
from common.services import Services
from common.services.context import ApiVersion
from common.services.entity import EntityService
from common.services.metadata_key_reads import MetadataKeyService
from read_api.generic import (
    EntityRoutes,
    FilterLanguage,
    FilterRules,
    Operation,
    expose,
)
from read_api.routing import RouteGroup

__all__ = ["V4_METADATAKEYS", "metadatakeys_v4"]


def _service(services: Services) -> EntityService:
    return MetadataKeyService.build(services.deps)


V4_METADATAKEYS = EntityRoutes(
    name="metadatakeys",
    version=ApiVersion.V4,
    service=_service,
    filters=FilterRules(
        language=FilterLanguage.MONGO,
        limit_defaults=V4_METADATAKEYS_DEFAULTS,
        entity_keys=keys_from_models(OutputMetadataKeyDto) | {"_id"},
        extra_words=ELEM_MATCH,
    ),
    output=OutputMetadataKeyDto,
)

metadatakeys_v4 = RouteGroup("/api/v4/metadatakeys", tags=("metadatakeys",))
expose(metadatakeys_v4, V4_METADATAKEYS, (Operation.LIST,))
