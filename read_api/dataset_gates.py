"""The datasets endpoint's route gates (SciCat's PoliciesGuard abilities, §5.2)."""

from __future__ import annotations

from common.identity.principal import Identity
from common.permissions.datasets import DatasetAction, dataset_endpoint_allows
from common.permissions.groups import GroupConfig
from read_api.generic.exposure import Gate

__all__ = ["dataset_gate", "dataset_read_gate"]


def dataset_gate(action: DatasetAction) -> Gate:
    """The gate of ``action`` on the datasets endpoint."""

    def gate(identity: Identity, config: GroupConfig) -> bool:
        return dataset_endpoint_allows(identity, action, config)

    return gate


def dataset_read_gate(identity: Identity, config: GroupConfig) -> bool:
    """v3 reads: DatasetRead, or the public read ability (anonymous callers)."""
    return dataset_endpoint_allows(
        identity, DatasetAction.READ, config
    ) or dataset_endpoint_allows(identity, DatasetAction.READ_PUBLIC, config)
