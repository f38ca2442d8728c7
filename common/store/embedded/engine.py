"""mongomock's query engine, narrowed by our hash indexes and bounded in time.

mongomock evaluates filters, sorts, projections, updates and aggregation
stages; this module lets it find candidate documents through the hash indexes
instead of scanning, and stops a scan that runs past its deadline.

# NOTE: mongomock 4.3 has no hook for candidate selection; we override its
# private ``_iter_documents`` (the single place every read goes through) and
# call its private update helpers. The version is pinned by tests that
# compare indexed and scanned answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Any

import mongomock
from bson.codec_options import CodecOptions
from mongomock.collection import Collection as MockCollection

from common.store.embedded.indexes import HashIndex, IndexSpec, IndexTable
from common.store.embedded.mongomock_api import filter_applies
from common.store.embedded.planner import (
    Plan,
    iter_in_order,
    plan,
    residual_check,
)

_DEADLINE_CHECK_EVERY = 256
# Past this many implicit maps in a collection, unindexed fields are scanned.
_MAX_IMPLICIT = 16
IMPLICIT_PREFIX = "\x00implicit_"

logger = logging.getLogger(__name__)


class QueryTimeout(Exception):
    """A query ran past its ``max_time_ms``."""


class EngineCollection(MockCollection):
    """A mongomock collection whose reads use our indexes and deadline."""

    hash_indexes: IndexTable
    order: dict[Hashable, int]
    deadline: float | None

    def attach(self, hash_indexes: IndexTable, order: dict[Hashable, int]) -> None:
        self.hash_indexes = hash_indexes
        self.order = order
        self.deadline = None

    @property
    def documents(self) -> dict[Hashable, dict[str, Any]]:
        return self._store._documents  # type: ignore[no-any-return]

    def plan(self, filter: Mapping[str, Any]) -> Plan | None:
        documents = self.documents
        return plan(
            filter,
            self.hash_indexes.by_field(),
            lambda values: {v for v in values if v in documents},
            self.implicit_index,
        )

    def implicit_index(self, field_name: str) -> HashIndex | None:
        """A hidden map for an unindexed top-level field queried by equality.

        Built on first use (one pass) and then kept by every write like a
        declared index, so an ``$or`` branch such as ``sharedWith: email`` does
        not force a scan; ``index_information`` does not show it.
        """
        names = self.hash_indexes.names()
        implicit = sum(1 for name in names if name.startswith(IMPLICIT_PREFIX))
        if implicit >= _MAX_IMPLICIT or not self.documents:
            return None
        spec = IndexSpec(name=IMPLICIT_PREFIX + field_name, keys=[(field_name, 1)])
        index = HashIndex(spec)
        for key, document in self.documents.items():
            index.add(key, index.keys_of(document))
        self.hash_indexes.put(spec.name, index)
        logger.info(
            "implicit index built",
            extra={"collection": self.name, "field": field_name},
        )
        return index

    def count_matching(self, filter: Mapping[str, Any]) -> int:
        """How many documents match, evaluating only the plan's candidates."""
        documents = self.documents
        if not filter:
            return len(documents)
        if not documents:
            filter_applies(filter, {})  # still reject a malformed filter
            return 0
        found = self.plan(filter)
        if found is None:
            return sum(1 for _ in self._scan(documents.values(), filter))
        if found.residual is None:
            return len(found.keys)
        if not found.keys:
            filter_applies(found.residual, {})  # still reject a malformed filter
        check = residual_check(found.residual, filter_applies)
        deadline = self.deadline
        total = 0
        for count, key in enumerate(found.keys):
            if (
                deadline is not None
                and count % _DEADLINE_CHECK_EVERY == 0
                and time.monotonic() > deadline
            ):
                raise QueryTimeout("operation exceeded time limit")
            total += check(documents[key])
        return total

    def _iter_documents(self, filter: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        documents = self.documents
        if not documents:
            filter_applies(filter, {})  # still reject a malformed filter
            return iter(())
        return self.iter_planned(filter, self.plan(filter))

    def iter_planned(
        self, filter: Mapping[str, Any], found: Plan | None
    ) -> Iterator[dict[str, Any]]:
        """Matching documents in natural order, given the filter's plan."""
        documents = self.documents
        if found is None:
            return self._scan(list(documents.values()), filter)
        selected = [documents[k] for k in iter_in_order(found.keys, self.order)]
        if found.residual is None:
            return iter(selected)
        if not selected:
            filter_applies(found.residual, {})  # still reject a malformed filter
        return self._scan(selected, found.residual)

    def project(
        self, document: Mapping[str, Any], fields: dict[str, Any]
    ) -> dict[str, Any]:
        """mongomock's projection of one document (a copy)."""
        return dict(self._copy_only_fields(document, fields, dict))  # type: ignore[no-untyped-call]

    def apply_update(
        self,
        document: dict[str, Any],
        spec: Mapping[str, Any],
        update: Any,
        *,
        was_insert: bool,
    ) -> None:
        """Apply update operators (or an update pipeline) to a document in place."""
        if isinstance(update, list):
            self._apply_update_pipeline(document, update, None)  # type: ignore[no-untyped-call]
        else:
            self._apply_update_document(document, spec, update, was_insert)  # type: ignore[no-untyped-call]

    def upsert_seed(self, equalities: dict[str, Any]) -> dict[str, Any]:
        """The document an upsert starts from, built from a filter's equalities."""
        expanded = self._expand_dots(equalities)  # type: ignore[no-untyped-call]
        seed, _ = self._discard_operators(expanded)  # type: ignore[no-untyped-call]
        return dict(seed)

    def _scan(
        self, documents: Iterable[dict[str, Any]], filter: Mapping[str, Any]
    ) -> Iterator[dict[str, Any]]:
        deadline = self.deadline
        for count, document in enumerate(documents):
            if (
                deadline is not None
                and count % _DEADLINE_CHECK_EVERY == 0
                and time.monotonic() > deadline
            ):
                raise QueryTimeout("operation exceeded time limit")
            if filter_applies(filter, document):
                yield document


def new_database(name: str) -> Any:
    """A mongomock database whose dates come back naive UTC, as stored."""
    client: Any = mongomock.MongoClient(tz_aware=False)
    return client.get_database(name, codec_options=CodecOptions(tz_aware=False))


def engine_collection(database: Any, name: str) -> EngineCollection:
    """Create (or return) the engine collection ``name`` in a mongomock database."""
    existing = database._collection_accesses.get(name)
    if isinstance(existing, EngineCollection):
        return existing
    collection = EngineCollection(  # type: ignore[no-untyped-call]
        database,
        name=name,
        read_concern=None,
        write_concern=None,
        read_preference=database.read_preference,
        codec_options=database.codec_options,
        _db_store=database._store,
    )
    database._collection_accesses[name] = collection
    database._store[name].create()
    return collection
