"""``/api/v4/datasets`` and ``/api/v4/datasets/public`` (reference §3.4).

The generic entity routes serve list, count, findOne, get, create, patch,
replace and delete; this module adds what is the dataset's own: ``isValid``,
the lifecycle routes and the public family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from common.identity.principal import Identity
from common.models.dataset import (
    CreateDatasetDto,
    OutputDatasetDto,
    PartialUpdateDatasetDto,
    Relationship,
    Technique,
    UpdateDatasetDto,
)
from common.models.lifecycle import Lifecycle
from common.permissions.datasets import DatasetAction, dataset_endpoint_allows
from common.permissions.groups import GroupConfig, access_filter, is_admin
from common.query.include import (
    ACCESS_FILTERED_DATASET_RELATIONS,
    DATASET_RELATIONS,
)
from common.query.limits import V4_DATASET_DEFAULTS
from common.services import Services
from common.services.context import ApiVersion
from common.services.entity import EntityService
from read_api.generic import (
    EntityRoutes,
    FilterLanguage,
    FilterRules,
    Operation,
    expose,
)
from read_api.routing import RouteGroup

__all__ = ["DATASET_KEYS", "V4_DATASETS", "dataset_gate", "datasets_v4"]


def _keys(*models: type[BaseModel]) -> frozenset[str]:
    names: set[str] = set()
    for model in models:
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
    return frozenset(names)


# Every key a v4 dataset filter may name (SciCat's allow-list, §4.1.3): the
# output keys, the lifecycle's, History's and those of techniques and
# relationships.
DATASET_KEYS = _keys(OutputDatasetDto, Lifecycle, Technique, Relationship) | {
    "_id",
    "updatedAt",
    "updatedBy",
    "datasetlifecycle",
}


def dataset_gate(action: DatasetAction) -> Any:
    """The datasets endpoint's route gate for ``action``."""

    def gate(identity: Identity, config: GroupConfig) -> bool:
        return dataset_endpoint_allows(identity, action, config)

    return gate


def related_access(
    identity: Identity, config: GroupConfig
) -> Mapping[str, Mapping[str, Any] | None]:
    """v4 narrows included proposals, file lists, datablocks and samples to
    what the caller may see; instruments and attachments are not narrowed."""
    if is_admin(identity, config):
        return {}
    visible = access_filter(identity)
    return dict.fromkeys(ACCESS_FILTERED_DATASET_RELATIONS, visible)


def _datasets(services: Services) -> EntityService:
    return services.datasets


DATASET_FILTERS = FilterRules(
    language=FilterLanguage.MONGO,
    limit_defaults=V4_DATASET_DEFAULTS,
    entity_keys=DATASET_KEYS,
    relations=DATASET_RELATIONS,
)

V4_DATASETS = EntityRoutes(
    name="datasets",
    version=ApiVersion.V4,
    service=_datasets,
    filters=DATASET_FILTERS,
    output=OutputDatasetDto,
    id_param="pid",
    gates={
        Operation.CREATE: dataset_gate(DatasetAction.CREATE),
        Operation.LIST: dataset_gate(DatasetAction.READ),
        Operation.COUNT: dataset_gate(DatasetAction.READ),
        Operation.FIND_ONE: dataset_gate(DatasetAction.READ),
        Operation.GET: dataset_gate(DatasetAction.READ),
        Operation.PATCH: dataset_gate(DatasetAction.UPDATE),
        Operation.REPLACE: dataset_gate(DatasetAction.UPDATE),
        Operation.DELETE: dataset_gate(DatasetAction.DELETE),
    },
    # Create, update and delete answer Mongoose documents; reads are
    # aggregation results without the virtual id.
    virtual_id=frozenset(
        {Operation.CREATE, Operation.PATCH, Operation.REPLACE, Operation.DELETE}
    ),
    merge_patch=True,
    bodies={
        Operation.CREATE: CreateDatasetDto,
        Operation.PATCH: PartialUpdateDatasetDto,
        Operation.REPLACE: UpdateDatasetDto,
    },
    related_access=related_access,
)

datasets_v4 = RouteGroup("/api/v4/datasets", tags=("datasets v4",))
expose(datasets_v4, V4_DATASETS)
