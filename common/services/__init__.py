"""Domain services: every write and read of the catalogue, on behalf of a caller.

Both edges (REST API and ingest worker) call these; neither re-implements
them. :class:`Services` builds one of each from a store, the settings and the
effects; :mod:`common.runtime` builds it for a process.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.effects.events import EventPublisher
from common.effects.indexer import Indexer
from common.permissions.groups import GroupConfig
from common.services.access import (
    AttachmentAccess,
    DatablockAccess,
    DatasetAccess,
    OrigDatablockAccess,
)
from common.services.attachments import AttachmentService
from common.services.context import ApiVersion, CallContext
from common.services.datablocks import DatablockService
from common.services.datasets import DatasetService
from common.services.entity import (
    AlreadyExistsError,
    EntityService,
    ListQuery,
    ServiceDeps,
)
from common.services.history import HistoryRecorder
from common.services.metadata_keys import MetadataKeysTable
from common.services.origdatablocks import OrigDatablockService
from common.services.policies import Policies
from common.services.store_types import StoreLike
from common.settings import Settings

__all__ = [
    "AlreadyExistsError",
    "ApiVersion",
    "CallContext",
    "EntityService",
    "ListQuery",
    "Services",
]


@dataclass(slots=True)
class Services:
    """One service per entity, sharing the store and the effects."""

    deps: ServiceDeps
    datasets: DatasetService
    origdatablocks: OrigDatablockService
    datablocks: DatablockService
    attachments: AttachmentService

    @classmethod
    def build(
        cls,
        store: StoreLike,
        settings: Settings,
        *,
        events: EventPublisher,
        indexer: Indexer,
    ) -> Services:
        deps = ServiceDeps(
            store=store,
            settings=settings,
            events=events,
            indexer=indexer,
            history=HistoryRecorder(
                store, settings.TRACKABLES, settings.TRACKABLE_STRATEGY
            ),
            metadata_keys=MetadataKeysTable(store),
            policies=Policies(store, settings.DEFAULT_MANAGER),
        )
        groups = GroupConfig.from_settings(settings)
        datasets = DatasetService(deps, DatasetAccess(groups))
        return cls(
            deps=deps,
            datasets=datasets,
            origdatablocks=OrigDatablockService(
                deps, OrigDatablockAccess(groups), datasets
            ),
            datablocks=DatablockService(deps, DatablockAccess(groups), datasets),
            attachments=AttachmentService(deps, AttachmentAccess(groups), datasets),
        )
