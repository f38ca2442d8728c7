"""The document store: MongoDB with ``MONGODB_URI``, else the embedded store.

    store = await open_store(settings)
    datasets = store.collection("Dataset")
    await datasets.insert_one({...})
    ...
    await store.close()

Both implementations follow :mod:`common.store.interface` and raise only the
store errors of :mod:`common.errors`.
"""

from __future__ import annotations

import logging

from common.settings import Settings
from common.store.embedded import EmbeddedStore
from common.store.errors import StoreLockedError
from common.store.interface import (
    Collection,
    CommandCursor,
    Cursor,
    Document,
    Store,
    StoreKind,
)
from common.store.mongo import MongoStore

logger = logging.getLogger(__name__)

__all__ = [
    "Collection",
    "CommandCursor",
    "Cursor",
    "Document",
    "EmbeddedStore",
    "MongoStore",
    "Store",
    "StoreKind",
    "StoreLockedError",
    "open_store",
]


async def open_store(settings: Settings) -> Store:
    """Open the store the settings name; the caller closes it."""
    if settings.MONGODB_URI:
        store = MongoStore(
            settings.MONGODB_URI, query_timeout_ms=settings.STORE_QUERY_TIMEOUT_MS
        )
        logger.info("store opened", extra={"kind": "mongodb", "db": store.name})
        return store
    embedded = EmbeddedStore(
        settings.EMBEDDED_STORE_PATH,
        query_timeout_ms=settings.STORE_QUERY_TIMEOUT_MS,
        synchronous=settings.EMBEDDED_STORE_SYNC.upper(),
    )
    await embedded.open()
    return embedded
