"""Cursors of the embedded store: a find runs on first fetch, aggregates are eager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Self

from common.store.embedded.documents import sort_list
from common.store.interface import Document, Filter, Projection, SortSpec

if TYPE_CHECKING:
    from common.store.embedded.collection import EmbeddedCollection


class EmbeddedCursor:
    """A find cursor; the query runs on the first fetch."""

    def __init__(
        self,
        collection: EmbeddedCollection,
        filter: Filter | None,
        projection: Projection,
        sort: list[Any],
        skip: int,
        limit: int,
        max_time_ms: int | None,
    ) -> None:
        self._collection = collection
        self._filter = filter
        self._projection = projection
        self._sort = sort
        self._skip = skip
        self._limit = limit
        self._max_time_ms = max_time_ms
        self._results: list[Document] | None = None
        self._position = 0

    def sort(self, key_or_list: SortSpec, direction: int | None = None) -> Self:
        self._sort = sort_list(key_or_list, direction)
        return self

    def skip(self, skip: int) -> Self:
        self._skip = skip
        return self

    def limit(self, limit: int) -> Self:
        self._limit = limit
        return self

    def max_time_ms(self, max_time_ms: int | None) -> Self:
        self._max_time_ms = max_time_ms
        return self

    def _fetch(self) -> list[Document]:
        if self._results is None:
            self._results = self._collection._find(
                self._filter,
                self._projection,
                self._sort,
                self._skip,
                self._limit,
                self._max_time_ms,
            )
        return self._results

    async def to_list(self, length: int | None = None) -> list[Document]:
        results = self._fetch()
        start = self._position
        stop = len(results) if length is None else min(len(results), start + length)
        self._position = stop
        return results[start:stop]

    def __aiter__(self) -> AsyncIterator[Document]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Document]:
        results = self._fetch()
        while self._position < len(results):
            self._position += 1
            yield results[self._position - 1]

    async def next(self) -> Document:
        results = self._fetch()
        if self._position >= len(results):
            raise StopAsyncIteration
        self._position += 1
        return results[self._position - 1]

    async def close(self) -> None:
        self._results = []
        self._position = 0


class EmbeddedCommandCursor:
    """An aggregation result, already computed."""

    def __init__(self, documents: list[Document]) -> None:
        self._documents = documents
        self._position = 0

    async def to_list(self, length: int | None = None) -> list[Document]:
        start = self._position
        end = len(self._documents)
        stop = end if length is None else min(end, start + length)
        self._position = stop
        return self._documents[start:stop]

    def __aiter__(self) -> AsyncIterator[Document]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Document]:
        while self._position < len(self._documents):
            self._position += 1
            yield self._documents[self._position - 1]

    async def close(self) -> None:
        self._position = len(self._documents)
