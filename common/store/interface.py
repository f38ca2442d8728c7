"""The store contract both implementations honour: a subset of PyMongo's async API.

Services are written against these protocols, so the same code runs on MongoDB
(:mod:`common.store.mongo`) and on the embedded store
(:mod:`common.store.embedded`). Every method raises only the store errors of
:mod:`common.errors` (``DuplicateKeyError``, ``StoreQueryError``,
``StoreUnavailableError``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, Self

from pymongo.results import (
    DeleteResult,
    InsertManyResult,
    InsertOneResult,
    UpdateResult,
)

Document = dict[str, Any]
Filter = Mapping[str, Any]
Projection = Mapping[str, Any] | Sequence[str] | None
SortSpec = str | Sequence[tuple[str, int]] | Mapping[str, int] | None
IndexKeys = str | Sequence[tuple[str, Any]] | Mapping[str, Any]
StoreKind = Literal["mongodb", "embedded"]


class Cursor(Protocol):
    """A lazily evaluated query; chainable like PyMongo's ``AsyncCursor``."""

    def sort(self, key_or_list: SortSpec, direction: int | None = None) -> Self: ...

    def skip(self, skip: int) -> Self: ...

    def limit(self, limit: int) -> Self: ...

    def max_time_ms(self, max_time_ms: int | None) -> Self: ...

    async def to_list(self, length: int | None = None) -> list[Document]: ...

    def __aiter__(self) -> AsyncIterator[Document]: ...

    async def close(self) -> None: ...


class CommandCursor(Protocol):
    """The result of ``aggregate``."""

    async def to_list(self, length: int | None = None) -> list[Document]: ...

    def __aiter__(self) -> AsyncIterator[Document]: ...

    async def close(self) -> None: ...


class Collection(Protocol):
    """One named collection; method names and semantics are PyMongo's."""

    @property
    def name(self) -> str: ...

    async def insert_one(self, document: Document) -> InsertOneResult: ...

    async def insert_many(
        self, documents: Sequence[Document], ordered: bool = True
    ) -> InsertManyResult: ...

    async def find_one(
        self,
        filter: Filter | None = None,
        projection: Projection = None,
        *,
        sort: SortSpec = None,
        skip: int = 0,
        max_time_ms: int | None = None,
    ) -> Document | None: ...

    def find(
        self,
        filter: Filter | None = None,
        projection: Projection = None,
        *,
        sort: SortSpec = None,
        skip: int = 0,
        limit: int = 0,
        max_time_ms: int | None = None,
    ) -> Cursor: ...

    async def count_documents(
        self,
        filter: Filter,
        *,
        skip: int = 0,
        limit: int = 0,
        max_time_ms: int | None = None,
    ) -> int: ...

    async def estimated_document_count(self) -> int: ...

    async def distinct(
        self, key: str, filter: Filter | None = None, *, max_time_ms: int | None = None
    ) -> list[Any]: ...

    async def update_one(
        self,
        filter: Filter,
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        upsert: bool = False,
        *,
        array_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> UpdateResult: ...

    async def update_many(
        self,
        filter: Filter,
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        upsert: bool = False,
        *,
        array_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> UpdateResult: ...

    async def replace_one(
        self, filter: Filter, replacement: Document, upsert: bool = False
    ) -> UpdateResult: ...

    async def delete_one(self, filter: Filter) -> DeleteResult: ...

    async def delete_many(self, filter: Filter) -> DeleteResult: ...

    async def find_one_and_update(
        self,
        filter: Filter,
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        projection: Projection = None,
        sort: SortSpec = None,
        upsert: bool = False,
        return_document: bool = False,
        *,
        array_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> Document | None: ...

    async def find_one_and_replace(
        self,
        filter: Filter,
        replacement: Document,
        projection: Projection = None,
        sort: SortSpec = None,
        upsert: bool = False,
        return_document: bool = False,
    ) -> Document | None: ...

    async def find_one_and_delete(
        self, filter: Filter, projection: Projection = None, sort: SortSpec = None
    ) -> Document | None: ...

    async def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, max_time_ms: int | None = None
    ) -> CommandCursor: ...

    async def create_index(self, keys: IndexKeys, **kwargs: Any) -> str: ...

    async def drop_index(self, index_or_name: str) -> None: ...

    async def index_information(self) -> dict[str, Any]: ...

    async def drop(self) -> None: ...


class Store(Protocol):
    """An open store: a database of named collections."""

    @property
    def kind(self) -> StoreKind: ...

    @property
    def name(self) -> str: ...

    def collection(self, name: str) -> Collection: ...

    async def list_collection_names(self) -> list[str]: ...

    async def drop_collection(self, name: str) -> None: ...

    def generation(self, collections: Iterable[str]) -> Hashable | None:
        """A value that changes whenever one of ``collections`` is written.

        It lets a process keep what it derived from those collections until
        they change. None means the store cannot tell (MongoDB: other
        processes write too), and nothing derived may be kept.
        """
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
