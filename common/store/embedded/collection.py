"""One collection of the embedded store, behind PyMongo's async collection API.

Documents live in memory in mongomock's layout (naive UTC dates), filed by
``_id`` in insertion order; every index declared by a migration has a hash
map beside them. Reads are answered from the maps where a filter allows it
and from mongomock's engine otherwise. Writes are applied in memory, checked
against the unique maps first, and then awaited until the journal has
committed them.
"""

from __future__ import annotations

import copy
import datetime as dt
import heapq
import itertools
import logging
import time
from collections.abc import (
    Hashable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import TYPE_CHECKING, Any

import bson
import bson.errors
from bson.objectid import ObjectId
from pymongo.operations import (
    DeleteMany,
    DeleteOne,
    InsertOne,
    ReplaceOne,
    UpdateMany,
    UpdateOne,
)
from pymongo.results import (
    BulkWriteResult,
    DeleteResult,
    InsertManyResult,
    InsertOneResult,
    UpdateResult,
)

from common.errors import (
    DuplicateKeyError,
    StoreError,
    StoreQueryError,
    StoreUnavailableError,
)
from common.store.embedded import mongomock_api as mm
from common.store.embedded.cursor import EmbeddedCommandCursor, EmbeddedCursor
from common.store.embedded.documents import (
    NAIVE,
    aware,
    check_document,
    check_regexes,
    check_update,
    export,
    id_bytes,
    normalize,
    simple_projection,
    sort_key,
    sort_list,
)
from common.store.embedded.engine import EngineCollection, QueryTimeout
from common.store.embedded.indexes import (
    MISSING,
    PLAIN,
    HashIndex,
    IndexSpec,
    IndexTable,
    document_key,
    path_values,
)
from common.store.embedded.journal import (
    Change,
    CollectionChange,
    Entry,
    IndexChange,
    JournalError,
)
from common.store.embedded.ordered import OrderedView
from common.store.embedded.pipeline import Runner
from common.store.embedded.planner import Plan, residual_check
from common.store.embedded.text import (
    parse_text_operator,
    split_text_clause,
    strings_in,
)
from common.store.errors import duplicate_key, translate_engine
from common.store.interface import (
    Document,
    Filter,
    IndexKeys,
    Projection,
    SortSpec,
)

if TYPE_CHECKING:
    from common.store.embedded.store import EmbeddedStore

logger = logging.getLogger(__name__)

_INDEX_OPTIONS = {"unique", "sparse", "name", "expireAfterSeconds"}
_IGNORED_INDEX_OPTIONS = {"background"}
_FEW_CANDIDATES = 2000
_PLAIN_VALUES = frozenset({str, int, bool, ObjectId})
_NOTHING = object()
# A candidate's sort key costs about this many ordered-view steps.
_SORT_KEY_COST = 50


def _plain_condition(value: Any) -> bool:
    """A plain value, or ``$in`` of plain values: nothing a filter pass changes."""
    if type(value) in _PLAIN_VALUES:
        return True
    if type(value) is not dict or len(value) != 1:
        return False
    operand = value.get("$in")
    return type(operand) is list and all(
        type(item) in _PLAIN_VALUES for item in operand
    )


class EmbeddedCollection:
    """A named collection of the embedded store (PyMongo ``AsyncCollection`` API)."""

    def __init__(self, store: EmbeddedStore, engine: EngineCollection) -> None:
        self._store = store
        self._engine = engine
        self._specs: dict[str, IndexSpec] = {}
        self._hash = IndexTable()
        self._order: dict[Hashable, int] = {}
        self._sequence = itertools.count()
        self.exists = False
        self._views: dict[str, OrderedView] = {}
        engine.attach(self._hash, self._order)

    @property
    def name(self) -> str:
        return str(self._engine.name)

    @property
    def _documents(self) -> dict[Hashable, Document]:
        return self._engine.documents

    def __repr__(self) -> str:
        return f"EmbeddedCollection({self.name!r})"

    # --- loading (start-up) -------------------------------------------------

    def load_index(self, spec: IndexSpec) -> None:
        self._specs[spec.name] = spec
        self.exists = True

    def load_document(self, document: Document) -> None:
        key = document_key(document["_id"])
        self._documents[key] = document
        self._order[key] = next(self._sequence)
        self.exists = True

    def build_indexes(self) -> None:
        for spec in self._specs.values():
            if spec.is_hashable:
                self._hash.put(spec.name, self._build(spec, strict=False))

    def _build(self, spec: IndexSpec, *, strict: bool) -> HashIndex:
        index = HashIndex(spec)
        for key, document in self._documents.items():
            entries = index.keys_of(document)
            if strict and spec.unique:
                clash = index.conflicts(key, entries)
                if clash is not None:
                    raise self._duplicate(index, clash)
            index.add(key, entries)
        return index

    # --- reads --------------------------------------------------------------

    async def find_one(
        self,
        filter: Filter | None = None,
        projection: Projection = None,
        *,
        sort: SortSpec = None,
        skip: int = 0,
        max_time_ms: int | None = None,
    ) -> Document | None:
        if (
            filter is not None
            and type(filter) is not dict
            and not isinstance(filter, Mapping)
        ):
            filter = {"_id": filter}
        found = self._find(filter, projection, sort_list(sort), skip, 1, max_time_ms)
        return found[0] if found else None

    def find(
        self,
        filter: Filter | None = None,
        projection: Projection = None,
        *,
        sort: SortSpec = None,
        skip: int = 0,
        limit: int = 0,
        max_time_ms: int | None = None,
    ) -> EmbeddedCursor:
        return EmbeddedCursor(
            self, filter, projection, sort_list(sort), skip, limit, max_time_ms
        )

    async def count_documents(
        self,
        filter: Filter,
        *,
        skip: int = 0,
        limit: int = 0,
        max_time_ms: int | None = None,
    ) -> int:
        with self._engine_call(max_time_ms):
            total = self._engine.count_matching(self._prepare_filter(filter))
        total = max(0, total - skip)
        return min(total, limit) if limit else total

    async def estimated_document_count(self) -> int:
        return len(self._documents)

    async def distinct(
        self, key: str, filter: Filter | None = None, *, max_time_ms: int | None = None
    ) -> list[Any]:
        with self._engine_call(max_time_ms):
            prepared = self._prepare_filter(filter or {})
            values: list[Any] = []
            for document in self._engine._iter_documents(prepared):
                for value in path_values(document, key.split(".")):
                    if value is not MISSING and value not in values:
                        values.append(value)
        return list(aware(values))

    async def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, max_time_ms: int | None = None
    ) -> EmbeddedCommandCursor:
        if not isinstance(pipeline, Sequence) or not all(
            isinstance(stage, Mapping) and len(stage) == 1 for stage in pipeline
        ):
            raise StoreQueryError("a pipeline is a list of one-key stages")
        stages = list(pipeline)
        with self._engine_call(max_time_ms):
            match: Mapping[str, Any] = {}
            if stages and "$match" in stages[0]:
                match = stages.pop(0)["$match"]
                if not isinstance(match, Mapping):
                    raise StoreQueryError("$match takes a document")
            prepared = self._prepare_filter(match)
            source = list(self._engine._iter_documents(prepared))
            runner = Runner(
                self._run_in_mongomock, self._foreign_find, self._engine.deadline
            )
            result = runner.run(source, mm.naive_dates(stages))
            return EmbeddedCommandCursor([_exported(doc) for doc in result])

    def _run_in_mongomock(
        self, documents: list[Document], stages: list[Mapping[str, Any]]
    ) -> list[Document]:
        """The stages the native runner leaves to mongomock (documents are copies)."""
        return mm.process_pipeline(documents, self._engine.database, stages)

    def _foreign_find(self, name: str, query: Mapping[str, Any]) -> list[Document]:
        """Stored documents of another collection matching a ``$lookup`` query."""
        foreign = self._store.collection(name)
        return list(foreign._engine._iter_documents(query))

    def _find(
        self,
        filter: Filter | None,
        projection: Projection,
        sort: list[Any],
        skip: int,
        limit: int,
        max_time_ms: int | None,
    ) -> list[Document]:
        if skip < 0 or limit < 0:
            raise StoreQueryError("skip and limit must not be negative")
        with self._engine_call(max_time_ms):
            prepared = self._prepare_filter(filter or {})
            found = self._engine.plan(prepared) if prepared else None
            if found is not None and found.exact and not found.keys:
                # Nothing can match (a point read of a missing value): only
                # the sort specification is left to vet.
                _sort_keys(sort)
                return []
            view = (
                self._ordered_view(sort)
                if self._walk_pays(found, skip, limit)
                else None
            )
            page: Iterable[Document]
            if view is not None:
                page = self._ordered_page(
                    view, sort[0][1], prepared, found, skip, limit
                )
            else:
                matched = self._engine.iter_planned(prepared, found)
                page = self._page(matched, sort, skip, limit)
            return [self._project(document, projection) for document in page]

    def _walk_pays(self, found: Plan | None, skip: int, limit: int) -> bool:
        """Whether walking an ordered view beats sorting the candidates.

        A walk visits about ``(skip + limit) * total / candidates`` keys (a set
        lookup each); sorting computes a sort key per candidate, some fifty
        times dearer.
        """
        if found is None:
            return True
        candidates = len(found.keys)
        if candidates <= _FEW_CANDIDATES // 20:
            return False
        total = len(self._documents)
        visits = (skip + limit) * total / candidates if limit else total
        return visits < candidates * _SORT_KEY_COST

    def _ordered_view(self, sort: list[Any]) -> OrderedView | None:
        """The view serving a one-key sort on an indexed top-level field, if any."""
        if len(sort) != 1 or sort[0][1] not in (1, -1):
            return None
        field_name = sort[0][0]
        view = self._views.get(field_name)
        if view is None and any(
            index.fields == [field_name] and "." not in field_name
            for index in self._hash.values()
        ):
            started = time.monotonic()
            view = OrderedView(field_name, self._documents, self._order)
            self._views[field_name] = view
            # Building the view is index maintenance, not this query's cost.
            if self._engine.deadline is not None:
                self._engine.deadline += time.monotonic() - started
            logger.info(
                "ordered view built",
                extra={"collection": self.name, "field": field_name},
            )
        return view

    def _ordered_page(
        self,
        view: OrderedView,
        direction: int,
        prepared: dict[str, Any],
        found: Plan | None,
        skip: int,
        limit: int,
    ) -> list[Document]:
        """Walk the view, keeping matches, until the page is full."""
        documents = self._documents
        residual = prepared if found is None else found.residual
        check = residual_check(residual, mm.filter_applies) if residual else None
        deadline = self._engine.deadline
        wanted = skip + limit if limit else None
        page: list[Document] = []
        for walked, key in enumerate(view.keys(direction)):
            if (
                deadline is not None
                and walked % 256 == 0
                and time.monotonic() > deadline
            ):
                raise QueryTimeout("operation exceeded time limit")
            if found is not None and key not in found.keys:
                continue
            document = documents[key]
            if check is not None and not check(document):
                continue
            page.append(document)
            if wanted is not None and len(page) >= wanted:
                break
        return page[skip:]

    def _page(
        self,
        documents: Iterator[Document],
        sort: list[Any],
        skip: int,
        limit: int,
    ) -> Iterable[Document]:
        keys = _sort_keys(sort)
        if keys and keys[0][0] == "$natural":
            ordered = list(documents)
            if keys[0][1] < 0:
                ordered.reverse()
            return ordered[skip : skip + limit if limit else None]
        if not keys:
            stop = skip + limit if limit else None
            return itertools.islice(documents, skip, stop)
        order = sort_key(keys)
        if limit:
            return heapq.nsmallest(skip + limit, documents, key=order)[skip:]
        return sorted(documents, key=order)[skip:]

    def _project(self, document: Document, projection: Projection) -> Document:
        if projection is None:
            return export(document)
        fields: Any = (
            dict(projection)
            if isinstance(projection, Mapping)
            else mm.fields_list_to_dict(list(projection))
        )
        simple = simple_projection(fields)
        if simple is not None:
            return export(simple(document))
        return export(self._engine.project(document, fields))

    # --- writes -------------------------------------------------------------

    async def insert_one(self, document: Document) -> InsertOneResult:
        entries: list[Entry] = []
        try:
            inserted = self._insert(document, entries)
        finally:
            await self._persist(entries)
        return InsertOneResult(inserted, acknowledged=True)

    async def insert_many(
        self, documents: Sequence[Document], ordered: bool = True
    ) -> InsertManyResult:
        if isinstance(documents, Mapping) or not documents:
            raise StoreQueryError("insert_many takes a non-empty list of documents")
        entries: list[Entry] = []
        ids: list[Any] = []
        failure: StoreError | None = None
        try:
            for document in documents:
                try:
                    ids.append(self._insert(document, entries))
                except (DuplicateKeyError, StoreQueryError) as exc:
                    failure = failure or exc
                    if ordered:
                        break
        finally:
            await self._persist(entries)
        if failure is not None:
            raise failure
        return InsertManyResult(ids, acknowledged=True)

    async def update_one(
        self,
        filter: Filter,
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        upsert: bool = False,
        *,
        array_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> UpdateResult:
        outcome = await self._write_update(
            filter, update, upsert, many=False, array_filters=array_filters
        )
        return outcome.result()

    async def update_many(
        self,
        filter: Filter,
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        upsert: bool = False,
        *,
        array_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> UpdateResult:
        outcome = await self._write_update(
            filter, update, upsert, many=True, array_filters=array_filters
        )
        return outcome.result()

    async def replace_one(
        self, filter: Filter, replacement: Document, upsert: bool = False
    ) -> UpdateResult:
        outcome = await self._write_replace(filter, replacement, upsert, sort=[])
        return outcome.result()

    async def delete_one(self, filter: Filter) -> DeleteResult:
        removed = await self._write_delete(filter, many=False, sort=[])
        return DeleteResult({"n": len(removed), "ok": 1.0}, acknowledged=True)

    async def delete_many(self, filter: Filter) -> DeleteResult:
        removed = await self._write_delete(filter, many=True, sort=[])
        return DeleteResult({"n": len(removed), "ok": 1.0}, acknowledged=True)

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
        outcome = await self._write_update(
            filter,
            update,
            upsert,
            many=False,
            array_filters=array_filters,
            sort=sort_list(sort),
        )
        chosen = outcome.after if return_document else outcome.before
        return None if chosen is None else self._project(chosen, projection)

    async def find_one_and_replace(
        self,
        filter: Filter,
        replacement: Document,
        projection: Projection = None,
        sort: SortSpec = None,
        upsert: bool = False,
        return_document: bool = False,
    ) -> Document | None:
        outcome = await self._write_replace(
            filter, replacement, upsert, sort=sort_list(sort)
        )
        chosen = outcome.after if return_document else outcome.before
        return None if chosen is None else self._project(chosen, projection)

    async def find_one_and_delete(
        self, filter: Filter, projection: Projection = None, sort: SortSpec = None
    ) -> Document | None:
        removed = await self._write_delete(filter, many=False, sort=sort_list(sort))
        return self._project(removed[0], projection) if removed else None

    async def bulk_write(
        self, requests: Sequence[Any], ordered: bool = True
    ) -> BulkWriteResult:
        """PyMongo's ``bulk_write`` (InsertOne, ReplaceOne, UpdateOne/Many,
        DeleteOne/Many), applied in order and committed in one transaction.

        A refused request (duplicate key, bad document) stops an ordered bulk
        and is skipped by an unordered one; the first such error is raised
        after what was applied is committed, as ``insert_many`` does.
        """
        if isinstance(requests, Mapping) or not requests:
            raise StoreQueryError("bulk_write takes a non-empty list of requests")
        totals = {"nInserted": 0, "nUpserted": 0, "nMatched": 0, "nModified": 0}
        totals["nRemoved"] = 0
        upserted: list[dict[str, Any]] = []
        entries: list[Entry] = []
        failure: StoreError | None = None
        try:
            for position, request in enumerate(requests):
                try:
                    upserted_id = self._bulk_request(request, totals, entries)
                except (DuplicateKeyError, StoreQueryError) as exc:
                    failure = failure or exc
                    if ordered:
                        break
                    continue
                if upserted_id is not _NOTHING:
                    upserted.append({"index": position, "_id": upserted_id})
        finally:
            await self._persist(entries)
        if failure is not None:
            raise failure
        return BulkWriteResult(
            {
                **totals,
                "upserted": upserted,
                "writeErrors": [],
                "writeConcernErrors": [],
            },
            acknowledged=True,
        )

    def _bulk_request(
        self, request: Any, totals: dict[str, int], entries: list[Entry]
    ) -> Any:
        """Apply one bulk request; returns an upserted ``_id`` or ``_NOTHING``."""
        if isinstance(request, InsertOne):
            self._insert(request._doc, entries)
            totals["nInserted"] += 1
            return _NOTHING
        if isinstance(request, DeleteOne | DeleteMany):
            many = isinstance(request, DeleteMany)
            removed = self._delete_now(request._filter, many, [], entries)
            totals["nRemoved"] += len(removed)
            return _NOTHING
        if isinstance(request, ReplaceOne):
            outcome = self._replace_now(
                request._filter, dict(request._doc), bool(request._upsert), [], entries
            )
        elif isinstance(request, UpdateOne | UpdateMany):
            outcome = self._update_now(
                request._filter,
                request._doc,
                bool(request._upsert),
                isinstance(request, UpdateMany),
                request._array_filters,
                [],
                entries,
            )
        else:
            raise StoreQueryError(f"unsupported bulk request {type(request).__name__}")
        totals["nMatched"] += outcome.matched
        totals["nModified"] += outcome.modified
        if outcome.upserted_id is not None:
            totals["nUpserted"] += 1
            return outcome.upserted_id
        return _NOTHING

    async def drop(self) -> None:
        self._documents.clear()
        self._order.clear()
        self._specs.clear()
        self._hash.clear()
        self._views.clear()
        self.exists = False
        await self._persist([CollectionChange(self.name, dropped=True)])

    # --- indexes ------------------------------------------------------------

    async def create_index(self, keys: IndexKeys, **kwargs: Any) -> str:
        spec = self._index_spec(keys, kwargs)
        existing = self._specs.get(spec.name)
        if existing is not None:
            if existing.information() != spec.information():
                raise StoreQueryError(
                    f"an index named {spec.name} exists with different options"
                )
            return spec.name
        for other in self._specs.values():
            if other.keys == spec.keys:
                raise StoreQueryError(f"index {other.name} already covers these keys")
            if other.is_text and spec.is_text:
                raise StoreQueryError("only one text index per collection")
        if spec.is_hashable:
            self._hash.put(spec.name, self._build(spec, strict=True))
        self._specs[spec.name] = spec
        record = bson.encode(spec.to_record())
        entries = [*self._touch(), IndexChange(self.name, spec.name, record)]
        if spec.expire_after_seconds is not None:
            entries.extend(self.expire())
        await self._persist(entries)
        return spec.name

    async def drop_index(self, index_or_name: str) -> None:
        name = index_or_name
        if not isinstance(name, str):
            name = mm.index_name(mm.index_list(index_or_name))
        if name == "_id_":
            raise StoreQueryError("cannot drop the _id index")
        if name not in self._specs:
            raise StoreQueryError(f"index not found with name [{name}]")
        del self._specs[name]
        self._hash.remove(name)
        self._views.clear()  # rebuilt on demand from the indexes that remain
        await self._persist([IndexChange(self.name, name, None)])

    async def index_information(self) -> dict[str, Any]:
        info: dict[str, Any] = {"_id_": {"v": 2, "key": [("_id", 1)]}}
        for name, spec in self._specs.items():
            info[name] = spec.information()
        return info

    def index_specs(self) -> list[IndexSpec]:
        return list(self._specs.values())

    def _index_spec(self, keys: IndexKeys, options: dict[str, Any]) -> IndexSpec:
        try:
            key_list = (
                list(keys.items()) if isinstance(keys, Mapping) else mm.index_list(keys)
            )
        except (TypeError, ValueError) as exc:
            raise StoreQueryError(f"bad index keys: {exc}") from exc
        if not key_list:
            raise StoreQueryError("an index needs at least one key")
        extra = {
            k: v
            for k, v in options.items()
            if k not in _INDEX_OPTIONS | _IGNORED_INDEX_OPTIONS
            and k != "partialFilterExpression"
        }
        ttl = options.get("expireAfterSeconds")
        if ttl is not None and (
            isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0
        ):
            raise StoreQueryError("expireAfterSeconds must be a non-negative number")
        partial = options.get("partialFilterExpression")
        if partial is not None:
            partial = mm.naive_dates(dict(partial))
        return IndexSpec(
            name=options.get("name") or mm.index_name(key_list),
            keys=[(str(k), d) for k, d in key_list],
            unique=bool(options.get("unique", False)),
            sparse=bool(options.get("sparse", False)),
            expire_after_seconds=ttl,
            partial_filter=partial,
            options=extra,
        )

    # --- TTL ----------------------------------------------------------------

    def expire(self) -> list[Entry]:
        """Delete documents past a TTL index's age; returns the journal entries."""
        entries: list[Entry] = []
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for spec in list(self._specs.values()):
            if spec.expire_after_seconds is None or len(spec.keys) != 1:
                continue
            cutoff = now - dt.timedelta(seconds=float(spec.expire_after_seconds))
            field_path = spec.keys[0][0].split(".")
            expired = [
                key
                for key, document in self._documents.items()
                if _expired(path_values(document, field_path), cutoff)
            ]
            for key in expired:
                self._remove(key, entries)
        if entries:
            logger.info(
                "expired documents removed",
                extra={"collection": self.name, "count": len(entries)},
            )
        return entries

    # --- internals ----------------------------------------------------------

    def _engine_call(self, max_time_ms: int | None) -> _EngineCall:
        """Run mongomock with a deadline and translate what it raises."""
        self._store.check_open()
        limit = self._store.query_timeout_ms if max_time_ms is None else max_time_ms
        return _EngineCall(self, limit)

    def _prepare_filter(self, filter: Filter | None) -> dict[str, Any]:
        if filter is None:
            return {}
        # A dict is tested first: isinstance against an ABC costs a Python call.
        if type(filter) is not dict and not isinstance(filter, Mapping):
            raise StoreQueryError("a filter must be a document")
        if all(
            type(key) is str and not key.startswith("$") and _plain_condition(value)
            for key, value in filter.items()
        ):
            # Field equalities to plain values (point reads): nothing to vet,
            # no $text to split off, no dates to make naive.
            return dict(filter)
        check_regexes(filter)
        operand, rest = split_text_clause(filter)
        prepared: dict[str, Any] = mm.naive_dates(rest)
        if operand is None:
            return prepared
        ids = self._text_matches(parse_text_operator(operand))
        text_clause = {"_id": {"$in": ids}}
        if not prepared:
            return text_clause
        return {"$and": [text_clause, prepared]}

    def _text_matches(self, query: Any) -> list[Any]:
        spec = next((s for s in self._specs.values() if s.is_text), None)
        if spec is None:
            raise StoreQueryError("text index required for $text query")
        paths = None
        if not any(path == "$**" for path, _ in spec.keys):
            paths = [path for path, direction in spec.keys if direction == "text"]
        return [
            document["_id"]
            for document in self._documents.values()
            if query.matches(strings_in(document, paths))
        ]

    def _touch(self) -> list[Entry]:
        if self.exists:
            return []
        self.exists = True
        return [CollectionChange(self.name, dropped=False)]

    def _insert(self, document: Document, entries: list[Entry]) -> Any:
        self._store.check_open()
        check_document(document)
        if "_id" not in document:
            # PyMongo sets the generated _id on the caller's document too.
            document["_id"] = ObjectId()
        raw, stored = normalize(document)
        key = document_key(stored["_id"])
        documents = self._documents
        if key in documents:
            raise duplicate_key(
                f"E11000 duplicate key error collection: {self.name} index: _id_",
                {"keyValue": {"_id": stored["_id"]}},
            )
        self._index(key, stored, None)
        documents[key] = stored
        self._order[key] = next(self._sequence)
        for view in self._views.values():
            view.put(key, stored, self._order[key])
        entries.extend(self._touch())
        entries.append(Change(self.name, id_bytes(stored["_id"]), raw))
        return document["_id"]

    def _index(self, key: Hashable, document: Document, old: Document | None) -> None:
        """Check unique maps, then file the document in every hash index."""
        planned: list[tuple[HashIndex, tuple[Hashable, ...]]] = []
        for index in self._hash.values():
            # keys_of's own fast path, inlined: most indexed fields hold one
            # plain value, and a row of a batch insert passes several indexes.
            field = index.top_level
            if field is not None and type(value := document.get(field)) in PLAIN:
                entries: tuple[Hashable, ...] = ((value,),)
            else:
                entries = index.keys_of(document)
            if index.spec.unique:
                clash = index.conflicts(key, entries)
                if clash is not None:
                    raise self._duplicate(index, clash)
            planned.append((index, entries))
        for index, entries in planned:
            if old is not None:
                index.remove(key)
            index.add(key, entries)

    def _duplicate(self, index: HashIndex, clash: Any) -> DuplicateKeyError:
        values = {
            path: aware(value) for path, value in zip(index.fields, clash, strict=False)
        }
        return duplicate_key(
            f"E11000 duplicate key error collection: {self.name} "
            f"index: {index.spec.name} dup key: {values}",
            {"keyValue": values, "index": index.spec.name},
        )

    def _remove(self, key: Hashable, entries: list[Entry]) -> Document:
        document = self._documents.pop(key)
        self._order.pop(key, None)
        for index in self._hash.values():
            index.remove(key)
        for view in self._views.values():
            view.remove(key)
        entries.append(Change(self.name, id_bytes(document["_id"]), None))
        return document

    def _replace_stored(
        self, key: Hashable, document: Document, entries: list[Entry]
    ) -> Document:
        raw, stored = normalize(document)
        self._index(key, stored, self._documents[key])
        self._documents[key] = stored
        for view in self._views.values():
            view.put(key, stored, self._order[key])
        entries.append(Change(self.name, id_bytes(stored["_id"]), raw))
        return stored

    def _targets(
        self, filter: Filter, sort: list[Any], many: bool
    ) -> tuple[dict[str, Any], list[Document]]:
        with self._engine_call(0):
            prepared = self._prepare_filter(filter)
            matched = self._engine._iter_documents(prepared)
            if sort:
                return prepared, list(self._page(matched, sort, 0, 1))
            if many:
                return prepared, list(matched)
            return prepared, list(itertools.islice(matched, 1))

    async def _write_update(
        self,
        filter: Filter,
        update: Any,
        upsert: bool,
        *,
        many: bool,
        array_filters: Sequence[Mapping[str, Any]] | None,
        sort: list[Any] | None = None,
    ) -> _Outcome:
        entries: list[Entry] = []
        try:
            return self._update_now(
                filter, update, upsert, many, array_filters, sort or [], entries
            )
        finally:
            await self._persist(entries)

    def _update_now(
        self,
        filter: Filter,
        update: Any,
        upsert: bool,
        many: bool,
        array_filters: Sequence[Mapping[str, Any]] | None,
        sort: list[Any],
        entries: list[Entry],
    ) -> _Outcome:
        """Apply an update in memory; its journal entries go to ``entries``."""
        check_update(update)
        if array_filters:
            raise StoreQueryError(
                "array_filters are not supported by the embedded store",
                details={"limitation": True},
            )
        prepared, targets = self._targets(filter, sort, many)
        update = mm.naive_dates(update)
        outcome = _Outcome()
        with self._engine_call(0):
            if not targets and upsert:
                self._upsert_update(prepared, update, outcome, entries)
            for current in targets:
                self._update_document(current, prepared, update, outcome, entries)
        return outcome

    def _update_document(
        self,
        current: Document,
        prepared: dict[str, Any],
        update: Any,
        outcome: _Outcome,
        entries: list[Entry],
    ) -> None:
        outcome.matched += 1
        if outcome.before is None:
            outcome.before = current
        changed = bson.decode(bson.encode(current), codec_options=NAIVE)
        self._apply(changed, prepared, update, was_insert=False)
        if changed.get("_id") != current["_id"]:
            raise StoreQueryError("the (immutable) field '_id' cannot be altered")
        key = document_key(current["_id"])
        if changed == current:
            outcome.after = outcome.after or current
            return
        stored = self._replace_stored(key, changed, entries)
        outcome.modified += 1
        outcome.after = outcome.after or stored

    def _upsert_update(
        self,
        prepared: dict[str, Any],
        update: Any,
        outcome: _Outcome,
        entries: list[Entry],
    ) -> None:
        seed = self._upsert_seed(prepared)
        self._apply(seed, prepared, update, was_insert=True)
        if "_id" not in seed:
            seed["_id"] = ObjectId()
        self._insert(seed, entries)
        outcome.upserted_id = seed["_id"]
        outcome.after = self._documents[document_key(seed["_id"])]

    def _upsert_seed(self, prepared: dict[str, Any]) -> Document:
        """The document an upsert starts from: the filter's equality fields."""
        equalities = {k: v for k, v in prepared.items() if not k.startswith("$")}
        for clause in prepared.get("$and", []):
            if isinstance(clause, Mapping):
                equalities.update(
                    {k: v for k, v in clause.items() if not k.startswith("$")}
                )
        return self._engine.upsert_seed(equalities)

    def _apply(
        self, document: Document, spec: dict[str, Any], update: Any, was_insert: bool
    ) -> None:
        self._engine.apply_update(document, spec, update, was_insert=was_insert)

    async def _write_replace(
        self, filter: Filter, replacement: Document, upsert: bool, *, sort: list[Any]
    ) -> _Outcome:
        entries: list[Entry] = []
        try:
            return self._replace_now(filter, replacement, upsert, sort, entries)
        finally:
            await self._persist(entries)

    def _replace_now(
        self,
        filter: Filter,
        replacement: Document,
        upsert: bool,
        sort: list[Any],
        entries: list[Entry],
    ) -> _Outcome:
        """Replace (or upsert) in memory; its journal entries go to ``entries``."""
        check_document(replacement)
        prepared, targets = self._targets(filter, sort, many=False)
        outcome = _Outcome()
        if targets:
            current = targets[0]
            if "_id" in replacement and replacement["_id"] != current["_id"]:
                raise StoreQueryError("the (immutable) field '_id' cannot be altered")
            new = {"_id": current["_id"], **replacement}
            outcome.matched = 1
            outcome.before = current
            key = document_key(current["_id"])
            if normalize(new)[1] != current:
                outcome.modified = 1
            outcome.after = self._replace_stored(key, new, entries)
        elif upsert:
            new = dict(replacement)
            if "_id" not in new:
                seed_id = self._upsert_seed(prepared).get("_id")
                new["_id"] = ObjectId() if seed_id is None else seed_id
            self._insert(new, entries)
            outcome.upserted_id = new["_id"]
            outcome.after = self._documents[document_key(new["_id"])]
        return outcome

    async def _write_delete(
        self, filter: Filter, *, many: bool, sort: list[Any]
    ) -> list[Document]:
        entries: list[Entry] = []
        try:
            return self._delete_now(filter, many, sort, entries)
        finally:
            await self._persist(entries)

    def _delete_now(
        self, filter: Filter, many: bool, sort: list[Any], entries: list[Entry]
    ) -> list[Document]:
        _, targets = self._targets(filter, sort, many)
        return [self._remove(document_key(d["_id"]), entries) for d in targets]

    async def _persist(self, entries: list[Entry]) -> None:
        if not entries:
            return
        try:
            await self._store.journal_submit(entries)
        except JournalError as exc:
            raise StoreUnavailableError(
                "the embedded store could not write its file", details=str(exc)
            ) from exc


class _EngineCall:
    """The deadline of one engine call, and the translation of what it raises.

    A class rather than a generator-based context manager: it wraps every
    read, and costs a third as much.
    """

    __slots__ = ("_collection", "_limit")

    def __init__(self, collection: EmbeddedCollection, limit: int) -> None:
        self._collection = collection
        self._limit = limit

    def __enter__(self) -> None:
        limit = self._limit
        self._collection._engine.deadline = (
            time.monotonic() + limit / 1000 if limit else None
        )

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        collection = self._collection
        collection._engine.deadline = None
        if exc is None:
            return
        if isinstance(exc, QueryTimeout):
            raise StoreUnavailableError(
                "query exceeded its time limit", details={"max_time_ms": self._limit}
            ) from exc
        # Only what mongomock (or bson, or re) raised while evaluating the
        # request is the request's fault; anything else is our bug.
        if isinstance(exc, StoreError) or not isinstance(exc, Exception):
            return
        if not _from_engine(exc):
            return
        logger.info(
            "store query refused",
            extra={"collection": collection.name, "error": str(exc)},
        )
        raise translate_engine(exc) from exc


class _Outcome:
    """What an update or replace did, for the result and find_one_and_* forms."""

    def __init__(self) -> None:
        self.matched = 0
        self.modified = 0
        self.upserted_id: Any = None
        self.before: Document | None = None
        self.after: Document | None = None

    def result(self) -> UpdateResult:
        raw: dict[str, Any] = {
            "n": self.matched + (1 if self.upserted_id is not None else 0),
            "nModified": self.modified,
            "ok": 1.0,
            "updatedExisting": self.matched > 0,
        }
        if self.upserted_id is not None:
            raw["upserted"] = self.upserted_id
        return UpdateResult(raw, acknowledged=True)


def _sort_keys(sort: list[Any]) -> list[tuple[str, int]]:
    """The keys of a sort specification that order documents, vetted.

    ``$meta`` entries (a mapping as direction) are left out; ``$natural``
    comes alone.
    """
    if not sort:
        return []
    keys = [(k, d) for k, d in sort if type(d) is int or not isinstance(d, Mapping)]
    if any(k == "$natural" for k, _ in keys):
        if len(keys) > 1:
            raise StoreQueryError("$natural cannot be combined with other keys")
        return keys
    for field_name, direction in keys:
        if direction not in (1, -1) or field_name.startswith("$"):
            raise StoreQueryError(f"bad sort specification for {field_name!r}")
    return keys


def _exported(document: Document) -> Document:
    """A caller-owned copy of an aggregation result (mongomock's may hold odd types)."""
    try:
        return export(document)
    except (bson.errors.BSONError, TypeError, ValueError, OverflowError):
        return aware(copy.deepcopy(document))  # type: ignore[no-any-return]


def _expired(values: list[Any], cutoff: dt.datetime) -> bool:
    dates = [v for v in values if isinstance(v, dt.datetime)]
    return bool(dates) and min(dates) <= cutoff


def _from_engine(exc: BaseException) -> bool:
    """Whether an exception was raised inside mongomock (or by our text parser)."""
    traceback = exc.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module == "re" or module.startswith(("re.", "mongomock", "bson", "sre_")):
            return True
        traceback = traceback.tb_next
    return isinstance(exc, mm.WriteError)
