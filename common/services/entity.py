"""One generic service per entity: get, list, count, patch, replace, delete, insert.

Everything that is the same for every entity is written here once: visibility
and the 404-versus-403 decision, ``updatedBy``/``updatedAt``, merge-patch,
``If-Unmodified-Since``, History rows, and the effects after each write
(indexing and events). An entity module configures it with an
:class:`EntitySpec` and overrides the hooks for what is its own (validation,
ids, derived fields, sizes, metadata keys).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pymongo import ReturnDocument

from common import jsoncodec
from common.effects.events import Event, EventAction, EventPublisher
from common.effects.indexer import Indexer
from common.errors import (
    ConflictError,
    DuplicateKeyError,
    ForbiddenError,
    NotFoundError,
    PreconditionFailedError,
)
from common.identity.principal import Identity
from common.services.context import CallContext
from common.services.history import HistoryOperation, HistoryRecorder
from common.services.metadata_keys import MetadataKeysTable
from common.services.policies import Policies
from common.services.store_types import StoreLike
from common.settings import Settings

logger = logging.getLogger(__name__)

Document = dict[str, Any]

# Fields a PATCH or PUT never changes (SciCat keeps them on replace as well).
PROTECTED = frozenset({"_id", "__v", "createdBy", "createdAt"})


class AlreadyExistsError(ConflictError):
    """The document's own id is taken (a redelivery, for the worker).

    ``existing`` is the stored document with that id, for a reply that repeats
    the first outcome.
    """

    def __init__(
        self, message: str, *, existing_id: str, existing: Document | None = None
    ) -> None:
        super().__init__(message, details={"id": existing_id})
        self.existing_id = existing_id
        self.existing = existing


class EntityAccess(Protocol):
    """The permission decisions the generic service asks for one entity."""

    def visibility(self, identity: Identity) -> Mapping[str, Any] | None:
        """A store filter of the documents the caller may list; None for all."""
        ...

    def can_read(self, identity: Identity, document: Mapping[str, Any]) -> bool: ...

    def can_update(self, identity: Identity, document: Mapping[str, Any]) -> bool: ...

    def can_delete(self, identity: Identity, document: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """What differs between entities in the generic operations."""

    entity: str  # event and log name: "dataset", "origdatablock", ...
    collection: str  # SciCat's collection name
    id_field: str  # business id field ("pid", "aid", "_id")
    not_found: str  # message; "{id}" is replaced
    read_denied: str = "Unauthorized access"
    update_denied: str = "Unauthorized access"
    delete_denied: str = "Unauthorized access"
    duplicate: str = "A document with this unique key already exists!"


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A translated list request: caller filter, projection, order and page."""

    where: Mapping[str, Any] = field(default_factory=dict)
    projection: Mapping[str, Any] | None = None
    sort: Sequence[tuple[str, int]] | None = None
    skip: int = 0
    limit: int = 0


@dataclass(slots=True)
class ServiceDeps:
    """What every service needs: the store, settings and the effects."""

    store: StoreLike
    settings: Settings
    events: EventPublisher
    indexer: Indexer
    history: HistoryRecorder
    metadata_keys: MetadataKeysTable
    policies: Policies


def now() -> dt.datetime:
    """Stored timestamps: aware UTC, truncated to milliseconds as MongoDB keeps them."""
    stamp = dt.datetime.now(dt.UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def and_filters(*filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """AND the non-empty filters; one filter is returned as it is."""
    parts = [dict(part) for part in filters if part]
    if not parts:
        return {}
    if len(parts) == 1:
        return parts[0]
    return {"$and": parts}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge, ``null`` removes, the rest replaces."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_form(value: Any) -> Any:
    """``value`` as a client would send it: dates as ISO strings, ids as hex."""
    return jsoncodec.loads(jsoncodec.dumps(value))


def check_unmodified_since(
    document: Mapping[str, Any], unmodified_since: dt.datetime | None
) -> None:
    """SciCat's If-Unmodified-Since rule: header <= updatedAt fails (412)."""
    if unmodified_since is None:
        return
    updated_at = document.get("updatedAt")
    if not isinstance(updated_at, dt.datetime):
        return
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=dt.UTC)
    if unmodified_since.tzinfo is None:
        unmodified_since = unmodified_since.replace(tzinfo=dt.UTC)
    if unmodified_since <= updated_at:
        raise PreconditionFailedError("Resource has been modified on server")


class EntityService:
    """The generic operations over one entity's collection, on behalf of a caller."""

    spec: EntitySpec

    def __init__(self, deps: ServiceDeps, access: EntityAccess) -> None:
        self.deps = deps
        self.access = access
        self.collection = deps.store.collection(self.spec.collection)

    # --- reads ----------------------------------------------------------------

    async def fetch(self, doc_id: str) -> Document | None:
        """The stored document, without any permission check."""
        result: Document | None = await self.collection.find_one({"_id": doc_id})
        return result

    async def get(self, ctx: CallContext, doc_id: str) -> Document:
        """One document: NotFoundError if absent, ForbiddenError if not visible."""
        document = await self.fetch(doc_id)
        if document is None:
            raise NotFoundError(self.spec.not_found.format(id=doc_id))
        if not self.can_read(ctx, document):
            raise ForbiddenError(self.spec.read_denied)
        return document

    async def find(self, ctx: CallContext, query: ListQuery) -> list[Document]:
        """The visible documents matching the caller's (translated) filter."""
        where = and_filters(self.access.visibility(ctx.identity), query.where)
        cursor = self.collection.find(
            where,
            dict(query.projection) if query.projection else None,
            max_time_ms=self.deps.settings.STORE_QUERY_TIMEOUT_MS,
        )
        if query.sort:
            cursor = cursor.sort(list(query.sort))
        if query.skip:
            cursor = cursor.skip(query.skip)
        if query.limit:
            cursor = cursor.limit(query.limit)
        documents: list[Document] = await cursor.to_list(None)
        return documents

    async def find_one(self, ctx: CallContext, query: ListQuery) -> Document | None:
        """The first visible match, or None."""
        page = ListQuery(query.where, query.projection, query.sort, query.skip, 1)
        documents = await self.find(ctx, page)
        return documents[0] if documents else None

    async def count(self, ctx: CallContext, where: Mapping[str, Any]) -> int:
        """How many visible documents match ``where``."""
        total: int = await self.collection.count_documents(
            and_filters(self.access.visibility(ctx.identity), where),
            max_time_ms=self.deps.settings.STORE_QUERY_TIMEOUT_MS,
        )
        return total

    # --- writes -----------------------------------------------------------------

    async def patch(
        self,
        ctx: CallContext,
        doc_id: str,
        changes: Mapping[str, Any],
        *,
        merge: bool = False,
        unmodified_since: dt.datetime | None = None,
    ) -> Document:
        """Partial update (``$set``), or an RFC 7386 merge patch when ``merge``."""
        stored = await self._load_for_update(ctx, doc_id)
        check_unmodified_since(stored, unmodified_since)

        if merge:
            changes = self.merge_keys(changes)
            merged = merge_patch(stored, changes)
            removed = [key for key, value in changes.items() if value is None]
            # Merged objects carry stored values (datetimes, ObjectIds); the
            # input models read them in their JSON form, as a client sends them.
            values = {
                key: json_form(merged[key])
                if isinstance(changes[key], Mapping)
                else merged[key]
                for key in changes
                if key in merged
            }
        else:
            removed, values = [], dict(changes)
        to_set = await self.validate_patch(ctx, stored, values)
        to_set = {k: v for k, v in to_set.items() if k not in self._frozen()}
        to_unset = [k for k in removed if k not in self._frozen()]
        self.check_removable(to_unset)

        return await self.apply_update(ctx, stored, to_set, to_unset)

    async def replace(
        self,
        ctx: CallContext,
        doc_id: str,
        body: Mapping[str, Any],
        *,
        unmodified_since: dt.datetime | None = None,
    ) -> Document:
        """PUT: replace the document, keeping its ids, createdBy and createdAt."""
        stored = await self._load_for_update(ctx, doc_id)
        check_unmodified_since(stored, unmodified_since)

        replacement = await self.validate_replace(ctx, stored, body)
        for key in (*PROTECTED, self.spec.id_field):
            if key in stored:
                replacement[key] = stored[key]
        replacement["updatedBy"] = ctx.username
        replacement["updatedAt"] = now()

        updated: Document | None = await self._translate_duplicates(
            self.collection.find_one_and_replace(
                {"_id": stored["_id"]},
                replacement,
                return_document=ReturnDocument.AFTER,
            )
        )
        if updated is None:
            raise NotFoundError(self.spec.not_found.format(id=doc_id))
        # SciCat's history plugin does not hook replacements (reference §10.1).
        await self.after_update(ctx, stored, updated)
        await self.emit(ctx, EventAction.UPDATED, updated)
        return updated

    async def delete(self, ctx: CallContext, doc_id: str) -> Document:
        """Delete one document the caller may delete; returns what was removed."""
        stored = await self.fetch(doc_id)
        if stored is None:
            raise NotFoundError(self.spec.not_found.format(id=doc_id))
        if not self.access.can_delete(ctx.identity, stored):
            raise ForbiddenError(self.spec.delete_denied)

        removed: Document | None = await self.collection.find_one_and_delete(
            {"_id": stored["_id"]}
        )
        if removed is None:
            raise NotFoundError(self.spec.not_found.format(id=doc_id))
        await self.deps.history.record(
            ctx, self.spec.collection, HistoryOperation.DELETE, removed, None
        )
        await self.after_delete(ctx, removed)
        await self.emit(ctx, EventAction.DELETED, removed)
        return removed

    async def apply_update(
        self,
        ctx: CallContext,
        stored: Document,
        to_set: Mapping[str, Any],
        to_unset: Sequence[str] = (),
        *,
        system: bool = False,
    ) -> Document:
        """Write validated changes, then history, the entity's upkeep and effects.

        ``system`` marks updates the service makes itself (size recomputation):
        they keep ``updatedBy`` unless a caller is known.
        """
        update: dict[str, Any] = {
            "$set": {**to_set, "updatedBy": ctx.username, "updatedAt": now()}
        }
        if system and ctx.identity.is_anonymous:
            update["$set"].pop("updatedBy")
        if to_unset:
            update["$unset"] = {key: "" for key in to_unset}
        updated: Document | None = await self._translate_duplicates(
            self.collection.find_one_and_update(
                {"_id": stored["_id"]}, update, return_document=ReturnDocument.AFTER
            )
        )
        if updated is None:
            raise NotFoundError(self.spec.not_found.format(id=stored["_id"]))
        await self.deps.history.record(
            ctx, self.spec.collection, HistoryOperation.UPDATE, stored, updated
        )
        await self.after_update(ctx, stored, updated)
        await self.emit(ctx, EventAction.UPDATED, updated)
        return updated

    async def insert(self, ctx: CallContext, document: Document) -> Document:
        """Insert a fully built document, then the entity's upkeep and effects.

        A taken ``_id`` is :class:`AlreadyExistsError` (the same document was
        applied before); any other unique key is :class:`ConflictError`.
        """
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError as exc:
            existing = await self.fetch(document["_id"])
            if existing is not None:
                doc_id = str(document.get(self.spec.id_field, document["_id"]))
                raise AlreadyExistsError(
                    self.spec.duplicate.format(id=doc_id),
                    existing_id=doc_id,
                    existing=existing,
                ) from exc
            raise ConflictError(
                self.spec.duplicate.format(id="unknown"), details=exc.key
            ) from exc
        await self.after_create(ctx, document)
        await self.emit(ctx, EventAction.CREATED, document)
        return document

    # --- hooks for the entity modules -------------------------------------------

    async def validate_patch(
        self, ctx: CallContext, stored: Document, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Check a partial update against the entity's update model; return $set."""
        return dict(changes)

    async def validate_replace(
        self, ctx: CallContext, stored: Document, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Check a replacement against the entity's full model; return the document."""
        return dict(body)

    def merge_keys(self, changes: Mapping[str, Any]) -> Mapping[str, Any]:
        """A merge patch's keys as stored, so they meet the stored ones."""
        return changes

    def check_removable(self, fields: Sequence[str]) -> None:
        """Reject a merge patch that removes a required field (InvalidError)."""
        return None

    def can_read(self, ctx: CallContext, document: Mapping[str, Any]) -> bool:
        return self.access.can_read(ctx.identity, document)

    def can_update(self, identity: Identity, document: Mapping[str, Any]) -> bool:
        return self.access.can_update(identity, document)

    async def after_create(self, ctx: CallContext, document: Document) -> None:
        return None

    async def after_update(
        self, ctx: CallContext, before: Document, after: Document
    ) -> None:
        return None

    async def after_delete(self, ctx: CallContext, document: Document) -> None:
        return None

    async def index(self, action: EventAction, document: Document) -> None:
        """Keep the search index in step; only datasets are indexed."""
        return None

    # --- shared steps -----------------------------------------------------------

    async def emit(
        self, ctx: CallContext, action: EventAction, document: Document
    ) -> None:
        """Index and publish after a stored write; neither failure fails the write."""
        event = Event(self.spec.entity, action, document, ctx.source_id)
        results = await asyncio.gather(
            self.index(action, document),
            self.deps.events.publish(event),
            return_exceptions=True,
        )
        for what, result in zip(("index", "event"), results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                logger.error(
                    "effect after write failed",
                    extra={
                        "effect": what,
                        "entity": self.spec.entity,
                        "id": document.get("_id"),
                        "error": repr(result),
                    },
                )

    def _frozen(self) -> frozenset[str]:
        return PROTECTED | {self.spec.id_field}

    async def _load_for_update(self, ctx: CallContext, doc_id: str) -> Document:
        stored = await self.fetch(doc_id)
        if stored is None:
            raise NotFoundError(self.spec.not_found.format(id=doc_id))
        if not self.can_update(ctx.identity, stored):
            raise ForbiddenError(self.spec.update_denied)
        return stored

    async def _translate_duplicates(self, call: Any) -> Any:
        try:
            return await call
        except DuplicateKeyError as exc:
            raise ConflictError(
                self.spec.duplicate.format(id="unknown"), details=exc.key
            ) from exc
