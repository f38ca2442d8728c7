"""The search index of datasets: an interface, and the null one used without search.

The search issue adds the Elasticsearch implementation. Implementations raise
:class:`common.errors.IndexerUnavailableError` when the index cannot be
reached; the services log it and keep the stored write (``scicat reindex``
rebuilds the index from the store).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Indexer(Protocol):
    """Keeps the dataset search index in step with the store."""

    async def upsert(self, document: Mapping[str, Any]) -> None:
        """Index (insert or replace) one stored dataset, keyed by its ``pid``."""
        ...

    async def delete(self, pid: str) -> None:
        """Remove one dataset from the index; a missing one is not an error."""
        ...

    async def close(self) -> None: ...


class NullIndexer:
    """No search index configured: every call does nothing."""

    async def upsert(self, document: Mapping[str, Any]) -> None:
        return None

    async def delete(self, pid: str) -> None:
        return None

    async def close(self) -> None:
        return None
