"""Dataset writes and reads on behalf of a caller (reference §2.2, §3.3, §3.4).

Create follows SciCat's decision order (hard part 10): input validation (400),
permission (403), pid format (400), then the store's duplicate check (409).
Around the write: classification and the default policy, MetadataKeys rows,
proposal counters, and the index and event effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

from common.effects.events import EventAction
from common.errors import ForbiddenError, InvalidError, NotFoundError
from common.models.dataset import derived_pid, new_pid
from common.permissions.datasets import DatasetAction
from common.scimeta import encode_key, encode_keys
from common.services import inputs
from common.services.access import DatasetAccess
from common.services.context import ApiVersion, CallContext
from common.services.entity import (
    AlreadyExistsError,
    Document,
    EntityService,
    EntitySpec,
    ServiceDeps,
    check_unmodified_since,
    now,
)
from common.services.metadata_keys import SourceType, metadata_key_rows, same_rows
from common.services.sizes import SizeRule, changed_fields, summed_sizes

logger = logging.getLogger(__name__)

PROPOSAL_COLLECTION = "Proposal"


def value_unit_mismatches(
    update: Mapping[str, Any], stored: Mapping[str, Any], path: str = ""
) -> list[str]:
    """Paths where the stored object has value and unit but the update sends one.

    SciCat's v4 PATCH refuses those, so a quantity never loses its unit.
    """
    found: list[str] = []
    for key, value in update.items():
        if not isinstance(value, Mapping):
            continue
        current = stored.get(key, stored.get(encode_key(key)))
        if not isinstance(current, Mapping):
            continue
        here = f"{path}.{key}" if path else key
        sends_one = ("value" in value) != ("unit" in value)
        has_both = current.get("value") is not None and current.get("unit") is not None
        if sends_one and has_both:
            found.append(here)
        found.extend(value_unit_mismatches(value, current, here))
    return found


_SIZE_ATTEMPTS = 5


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class DatasetService(EntityService):
    """Datasets: the generic operations plus SciCat's dataset rules."""

    spec = EntitySpec(
        entity="dataset",
        collection="Dataset",
        id_field="pid",
        not_found="dataset: {id} not found",
        update_denied="Unauthorized to update this dataset",
        delete_denied="Unauthorized to delete this dataset",
        duplicate="A dataset with pid {id} already exists!",
    )
    access: DatasetAccess

    def __init__(self, deps: ServiceDeps, access: DatasetAccess) -> None:
        super().__init__(deps, access)
        self._size_locks = KeyedLocks()
        settings = deps.settings
        self._pid_pattern: re.Pattern[str] | None = None
        if (
            settings.DATASET_CREATION_VALIDATION_ENABLED
            and settings.DATASET_CREATION_VALIDATION_REGEX
        ):
            self._pid_pattern = re.compile(settings.DATASET_CREATION_VALIDATION_REGEX)

    async def create(
        self,
        ctx: CallContext,
        body: Mapping[str, Any],
        *,
        id_seed: str | None = None,
    ) -> Document:
        """Create a dataset; ``id_seed`` (a message id) derives a missing pid.

        Raises InvalidError, ForbiddenError, or AlreadyExistsError when the pid
        is taken (with a derived pid: this very message was applied before).
        """
        fields = inputs.dataset_create(body, ctx.api_version)

        given_pid = fields.get("pid") or None
        if not self.access.can_create(ctx.identity, {**fields, "pid": given_pid}):
            raise ForbiddenError("Unauthorized to create this dataset")
        if given_pid is not None:
            self.check_pid_format(given_pid)

        prefix = self.deps.settings.PID_PREFIX
        pid = given_pid or (
            derived_pid(prefix, id_seed) if id_seed else new_pid(prefix)
        )
        document = inputs.dataset_document(
            fields,
            pid=pid,
            version=ctx.api_version.value,
            username=ctx.username,
            settings=self.deps.settings,
            stamp=now(),
        )

        # Classification depends on the group's policy; a group's first dataset
        # creates it (awaited, idempotent: see policies.py).
        owner_group = str(document["ownerGroup"])
        tape_redundancy = await self.deps.policies.tape_redundancy(owner_group)
        document["classification"] = inputs.classification_for(
            fields.get("classification"), tape_redundancy
        )
        if tape_redundancy is None:
            await self.deps.policies.ensure_default(
                document, inputs.requested_availability(fields.get("classification"))
            )

        try:
            return await self.insert(ctx, document)
        except AlreadyExistsError:
            logger.info("dataset already exists", extra={"pid": pid})
            if id_seed is not None and given_pid is None:
                await self._repair_redelivery(pid)
            raise

    async def _repair_redelivery(self, pid: str) -> None:
        # An earlier delivery may have stopped between the insert and the
        # MetadataKeys rows; rebuilding them is idempotent.
        # TODO(services): proposal counters are $inc'ed as SciCat does and are
        # not repaired here; recomputing them by count would make this exact.
        existing = await self.fetch(pid)
        if existing is not None:
            await self.deps.metadata_keys.replace(
                SourceType.DATASET.value, pid, self._key_rows(existing)
            )

    def can_read(self, ctx: CallContext, document: Mapping[str, Any]) -> bool:
        """v3 single reads go through the list filter, so sharedWith counts there."""
        if self.access.can_read(ctx.identity, document):
            return True
        email = ctx.identity.email
        shared = document.get("sharedWith") or []
        return ctx.api_version is ApiVersion.V3 and bool(email) and email in shared

    async def update_lifecycle(
        self,
        ctx: CallContext,
        pid: str,
        changes: Mapping[str, Any],
        *,
        unmodified_since: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """The lifecycle routes: merge into the stored lifecycle; returns it.

        Lifecycle-group members may do this without update rights (§10.4).
        """
        fields = inputs.lifecycle_patch(changes)
        stored = await self.fetch(pid)
        if stored is None:
            raise NotFoundError(f"dataset with pid {pid} not found")
        if not self.access.allows(ctx.identity, DatasetAction.LIFECYCLE_UPDATE, stored):
            raise ForbiddenError("Unauthorized to update this dataset")
        check_unmodified_since(stored, unmodified_since)
        current = stored.get("datasetlifecycle") or {}
        merged = {**current, **fields}
        updated = await self.apply_update(ctx, stored, {"datasetlifecycle": merged})
        lifecycle: dict[str, Any] = updated["datasetlifecycle"]
        return lifecycle

    def check_pid_format(self, pid: str) -> None:
        """DATASET_CREATION_VALIDATION_ENABLED: a given pid must match the regex."""
        if self._pid_pattern is not None and not self._pid_pattern.search(pid):
            raise InvalidError("PID is not following required standards")

    async def validate_patch(
        self, ctx: CallContext, stored: Document, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        if ctx.api_version is ApiVersion.V4:
            mismatched = value_unit_mismatches(changes, stored)
            if mismatched:
                raise InvalidError(
                    f"Original dataset {stored['pid']} contains both value and unit "
                    f"in {', '.join(mismatched)}. Please provide both when updating."
                )
        return inputs.dataset_patch(changes, ctx.api_version, stored)

    async def validate_replace(
        self, ctx: CallContext, stored: Document, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        return inputs.dataset_replace(body, ctx.api_version, stored)

    def merge_keys(self, changes: Mapping[str, Any]) -> Mapping[str, Any]:
        # Stored metadata keys are encoded; a patch's keys must be too before
        # they are merged, or `"a.b": null` would miss the stored `a%2Eb`.
        metadata = changes.get("scientificMetadata")
        if not isinstance(metadata, dict):
            return changes
        return {**changes, "scientificMetadata": encode_keys(metadata)}

    def check_removable(self, fields: Any) -> None:
        required = [name for name in fields if name in inputs.DATASET_REQUIRED]
        if required:
            raise InvalidError(
                f"{', '.join(required)} cannot be removed",
                details=[{"field": name, "message": "required"} for name in required],
            )

    # --- upkeep around writes ---------------------------------------------------

    async def after_create(self, ctx: CallContext, document: Document) -> None:
        await self.deps.metadata_keys.insert(self._key_rows(document))
        await self._count_in_proposals(document, +1)

    async def after_update(
        self, ctx: CallContext, before: Document, after: Document
    ) -> None:
        rows = self._key_rows(after)
        # Most updates (sizes, lifecycle, descriptions) leave the rows as they
        # were; rewriting 50 rows for those would dominate the update's cost.
        # Rows missing from the store (datasets older than the MetadataKeys
        # collection) are still filled in, as SciCat's rebuild does.
        table = self.deps.metadata_keys
        if same_rows(self._key_rows(before), rows) and await table.has_rows(
            SourceType.DATASET.value, after["pid"], len(rows)
        ):
            return
        await table.replace(SourceType.DATASET.value, after["pid"], rows)

    async def after_delete(self, ctx: CallContext, document: Document) -> None:
        await self.deps.metadata_keys.delete(SourceType.DATASET.value, document["pid"])
        await self._count_in_proposals(document, -1)

    async def index(self, action: EventAction, document: Document) -> None:
        if action is EventAction.DELETED:
            await self.deps.indexer.delete(document["pid"])
        else:
            await self.deps.indexer.upsert(document)

    async def refresh_sizes(
        self, ctx: CallContext, dataset_id: str, rule: SizeRule
    ) -> Document | None:
        """Recompute the dataset's fields of ``rule`` from all its children.

        Writes (with history, index and event) only when a value changed, and
        checks again after each write: a concurrent writer (another process
        on MongoDB) may have stored older sums after ours, and whoever writes
        last also checks last, so the stored sizes converge on the true sums.
        Within one process the refreshes of a dataset take turns.
        """
        async with self._size_locks.hold(dataset_id):
            dataset = await self.fetch(dataset_id)
            for _ in range(_SIZE_ATTEMPTS):
                if dataset is None:
                    return None
                sums = await summed_sizes(self.deps.store, rule, dataset_id)
                changes = changed_fields(dataset, sums)
                if not changes:
                    return dataset
                logger.info(
                    "dataset sizes recomputed", extra={"pid": dataset_id, **changes}
                )
                await self.apply_update(ctx, dataset, changes, system=True)
                dataset = await self.fetch(dataset_id)
            logger.warning(
                "dataset sizes still changing after retries",
                extra={"pid": dataset_id, "attempts": _SIZE_ATTEMPTS},
            )
            return dataset

    def _key_rows(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        return metadata_key_rows(
            SourceType.DATASET,
            document["pid"],
            document.get("scientificMetadata"),
            owner_group=document.get("ownerGroup"),
            access_groups=document.get("accessGroups"),
            is_published=bool(document.get("isPublished")),
        )

    async def _count_in_proposals(self, document: Mapping[str, Any], step: int) -> None:
        proposal_ids = [p for p in document.get("proposalIds") or [] if p]
        if not proposal_ids:
            return
        await self.deps.store.collection(PROPOSAL_COLLECTION).update_many(
            {"_id": {"$in": proposal_ids}}, {"$inc": {"numberOfDatasets": step}}
        )
