"""The MongoDB store: PyMongo's native asyncio client, errors translated at the edge.

Collections and cursors are thin proxies over ``AsyncCollection`` and
``AsyncCursor`` whose only job is to turn PyMongo's exceptions into
``common.errors`` ones and to give reads the default time limit.
"""

from __future__ import annotations

import logging
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Hashable,
    Iterable,
    Mapping,
    Sequence,
)
from typing import Any, Self, TypeVar

from bson.errors import BSONError
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.command_cursor import AsyncCommandCursor
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from pymongo.results import (
    DeleteResult,
    InsertManyResult,
    InsertOneResult,
    UpdateResult,
)
from pymongo.uri_parser import parse_uri

from common.errors import StoreQueryError
from common.store.errors import translate_pymongo
from common.store.interface import (
    Document,
    Filter,
    IndexKeys,
    Projection,
    SortSpec,
    StoreKind,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_DATABASE = "scicat"


async def _call(awaitable: Awaitable[T]) -> T:
    try:
        return await awaitable
    except PyMongoError as exc:
        raise translate_pymongo(exc) from exc
    except (BSONError, TypeError, ValueError) as exc:
        # PyMongo validates requests client-side (an update without
        # operators, a document BSON cannot hold) with these.
        raise StoreQueryError(str(exc)) from exc


def _limit(max_time_ms: int | None, default: int) -> int | None:
    value = default if max_time_ms is None else max_time_ms
    return value or None


class MongoCursor:
    """``AsyncCursor`` with translated errors."""

    def __init__(self, cursor: AsyncCursor[Document]) -> None:
        self._cursor = cursor

    def sort(self, key_or_list: SortSpec, direction: int | None = None) -> Self:
        try:
            self._cursor.sort(key_or_list, direction)  # type: ignore[arg-type]
        except PyMongoError as exc:
            raise translate_pymongo(exc) from exc
        return self

    def skip(self, skip: int) -> Self:
        self._cursor.skip(skip)
        return self

    def limit(self, limit: int) -> Self:
        self._cursor.limit(limit)
        return self

    def max_time_ms(self, max_time_ms: int | None) -> Self:
        self._cursor.max_time_ms(max_time_ms)
        return self

    async def to_list(self, length: int | None = None) -> list[Document]:
        return await _call(self._cursor.to_list(length))

    def __aiter__(self) -> AsyncIterator[Document]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Document]:
        try:
            async for document in self._cursor:
                yield document
        except PyMongoError as exc:
            raise translate_pymongo(exc) from exc

    async def close(self) -> None:
        await self._cursor.close()


class MongoCommandCursor:
    """``AsyncCommandCursor`` with translated errors."""

    def __init__(self, cursor: AsyncCommandCursor[Document]) -> None:
        self._cursor = cursor

    async def to_list(self, length: int | None = None) -> list[Document]:
        return await _call(self._cursor.to_list(length))

    def __aiter__(self) -> AsyncIterator[Document]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Document]:
        try:
            async for document in self._cursor:
                yield document
        except PyMongoError as exc:
            raise translate_pymongo(exc) from exc

    async def close(self) -> None:
        await self._cursor.close()


class MongoCollection:
    """``AsyncCollection`` behind the store contract."""

    def __init__(self, collection: AsyncCollection[Document], timeout_ms: int) -> None:
        self._collection = collection
        self._timeout_ms = timeout_ms

    @property
    def name(self) -> str:
        return self._collection.name

    async def insert_one(self, document: Document) -> InsertOneResult:
        return await _call(self._collection.insert_one(document))

    async def insert_many(
        self, documents: Sequence[Document], ordered: bool = True
    ) -> InsertManyResult:
        return await _call(self._collection.insert_many(documents, ordered=ordered))

    async def find_one(
        self,
        filter: Filter | None = None,
        projection: Projection = None,
        *,
        sort: SortSpec = None,
        skip: int = 0,
        max_time_ms: int | None = None,
    ) -> Document | None:
        kwargs: dict[str, Any] = {"skip": skip}
        if sort is not None:
            kwargs["sort"] = sort
        limit = _limit(max_time_ms, self._timeout_ms)
        if limit:
            kwargs["max_time_ms"] = limit
        return await _call(self._collection.find_one(filter, projection, **kwargs))

    def find(
        self,
        filter: Filter | None = None,
        projection: Projection = None,
        *,
        sort: SortSpec = None,
        skip: int = 0,
        limit: int = 0,
        max_time_ms: int | None = None,
    ) -> MongoCursor:
        kwargs: dict[str, Any] = {"skip": skip, "limit": limit}
        if sort is not None:
            kwargs["sort"] = sort
        time_limit = _limit(max_time_ms, self._timeout_ms)
        if time_limit:
            kwargs["max_time_ms"] = time_limit
        try:
            cursor = self._collection.find(filter, projection, **kwargs)
        except PyMongoError as exc:
            raise translate_pymongo(exc) from exc
        except (TypeError, ValueError) as exc:
            raise StoreQueryError(str(exc)) from exc
        return MongoCursor(cursor)

    async def count_documents(
        self,
        filter: Filter,
        *,
        skip: int = 0,
        limit: int = 0,
        max_time_ms: int | None = None,
    ) -> int:
        kwargs: dict[str, Any] = {}
        if skip:
            kwargs["skip"] = skip
        if limit:
            kwargs["limit"] = limit
        time_limit = _limit(max_time_ms, self._timeout_ms)
        if time_limit:
            kwargs["maxTimeMS"] = time_limit
        return await _call(self._collection.count_documents(filter, **kwargs))

    async def estimated_document_count(self) -> int:
        return await _call(self._collection.estimated_document_count())

    async def distinct(
        self, key: str, filter: Filter | None = None, *, max_time_ms: int | None = None
    ) -> list[Any]:
        kwargs: dict[str, Any] = {}
        time_limit = _limit(max_time_ms, self._timeout_ms)
        if time_limit:
            kwargs["maxTimeMS"] = time_limit
        return await _call(self._collection.distinct(key, filter, **kwargs))

    async def update_one(
        self,
        filter: Filter,
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        upsert: bool = False,
        *,
        array_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> UpdateResult:
        return await _call(
            self._collection.update_one(
                filter, update, upsert=upsert, array_filters=array_filters
            )
        )

    async def update_many(
        self,
        filter: Filter,
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        upsert: bool = False,
        *,
        array_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> UpdateResult:
        return await _call(
            self._collection.update_many(
                filter, update, upsert=upsert, array_filters=array_filters
            )
        )

    async def replace_one(
        self, filter: Filter, replacement: Document, upsert: bool = False
    ) -> UpdateResult:
        return await _call(
            self._collection.replace_one(filter, replacement, upsert=upsert)
        )

    async def delete_one(self, filter: Filter) -> DeleteResult:
        return await _call(self._collection.delete_one(filter))

    async def delete_many(self, filter: Filter) -> DeleteResult:
        return await _call(self._collection.delete_many(filter))

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
    ) -> Document | None:
        return await _call(
            self._collection.find_one_and_update(
                filter,
                update,
                projection=projection,
                sort=sort,
                upsert=upsert,
                return_document=return_document,
                array_filters=array_filters,
            )
        )

    async def find_one_and_replace(
        self,
        filter: Filter,
        replacement: Document,
        projection: Projection = None,
        sort: SortSpec = None,
        upsert: bool = False,
        return_document: bool = False,
    ) -> Document | None:
        return await _call(
            self._collection.find_one_and_replace(
                filter,
                replacement,
                projection=projection,
                sort=sort,
                upsert=upsert,
                return_document=return_document,
            )
        )

    async def find_one_and_delete(
        self, filter: Filter, projection: Projection = None, sort: SortSpec = None
    ) -> Document | None:
        return await _call(
            self._collection.find_one_and_delete(
                filter,
                projection=projection,
                sort=sort,
            )
        )

    async def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, max_time_ms: int | None = None
    ) -> MongoCommandCursor:
        kwargs: dict[str, Any] = {}
        time_limit = _limit(max_time_ms, self._timeout_ms)
        if time_limit:
            kwargs["maxTimeMS"] = time_limit
        cursor = await _call(self._collection.aggregate(list(pipeline), **kwargs))
        return MongoCommandCursor(cursor)

    async def create_index(self, keys: IndexKeys, **kwargs: Any) -> str:
        if isinstance(keys, Mapping):
            keys = list(keys.items())
        return await _call(self._collection.create_index(keys, **kwargs))

    async def drop_index(self, index_or_name: str) -> None:
        await _call(self._collection.drop_index(index_or_name))

    async def index_information(self) -> dict[str, Any]:
        return dict(await _call(self._collection.index_information()))

    async def drop(self) -> None:
        await _call(self._collection.drop())


class MongoStore:
    """A MongoDB database reached through ``AsyncMongoClient``."""

    def __init__(self, uri: str, *, query_timeout_ms: int = 5000) -> None:
        database = parse_uri(uri).get("database") or DEFAULT_DATABASE
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            uri, tz_aware=True, connect=False
        )
        self._database: AsyncDatabase[Document] = self._client[database]
        self._timeout_ms = query_timeout_ms

    @property
    def kind(self) -> StoreKind:
        return "mongodb"

    @property
    def name(self) -> str:
        return self._database.name

    @property
    def database(self) -> AsyncDatabase[Document]:
        return self._database

    def collection(self, name: str) -> MongoCollection:
        return MongoCollection(self._database[name], self._timeout_ms)

    async def list_collection_names(self) -> list[str]:
        return sorted(await _call(self._database.list_collection_names()))

    async def drop_collection(self, name: str) -> None:
        await _call(self._database.drop_collection(name))

    def generation(self, collections: Iterable[str]) -> Hashable | None:
        # Other processes write to the same database: no change is seen here.
        return None

    async def drop_database(self) -> None:
        """Drop the whole database (test teardown)."""
        await _call(self._client.drop_database(self._database.name))

    async def ping(self) -> None:
        await _call(self._database.command("ping"))

    async def close(self) -> None:
        await self._client.close()

    @classmethod
    def with_database(
        cls, uri: str, database: str, *, query_timeout_ms: int = 5000
    ) -> MongoStore:
        """The same server, another database (tests use one per run)."""
        store = cls(uri, query_timeout_ms=query_timeout_ms)
        store._database = store._client[database]
        return store
