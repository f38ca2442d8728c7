"""The embedded store: MongoDB's async API over mongomock, durable in SQLite."""

from common.store.embedded.collection import EmbeddedCollection
from common.store.embedded.store import EmbeddedStore

__all__ = ["EmbeddedCollection", "EmbeddedStore"]
