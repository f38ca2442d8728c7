"""0001: the indexes SciCat's collections need, plus the ingest idempotency claims."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from common.errors import StoreQueryError
from migrations.runner import MigrationContext

logger = logging.getLogger(__name__)

INTENT = "Create SciCat's unique keys, lookup, history, text and ingest-claim indexes"

OWNABLE = (
    "Dataset",
    "OrigDatablock",
    "Datablock",
    "Attachment",
    "Sample",
    "Proposal",
    "Policy",
    "Job",
)
TEXT_INDEXED = (
    "Dataset",
    "OrigDatablock",
    "Sample",
    "Proposal",
    "Instrument",
    "Policy",
    "PublishedData",
    "Job",
)
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class IndexDecl:
    collection: str
    keys: tuple[tuple[str, Any], ...]
    options: dict[str, Any] = field(default_factory=dict)


def _single(collection: str, path: str, **options: Any) -> IndexDecl:
    return IndexDecl(collection, ((path, 1),), options)


def declared(ingest_claim_ttl_days: int) -> list[IndexDecl]:
    """Every index of this migration; the claim TTL comes from the settings."""
    indexes = [
        # unique business keys (reference §1)
        _single("Dataset", "pid", unique=True),
        _single("Datablock", "archiveId", unique=True, sparse=True),
        _single("Attachment", "aid", sparse=True),
        _single("Sample", "sampleId", unique=True),
        _single("Proposal", "proposalId", unique=True),
        _single("Instrument", "pid", unique=True),
        _single("Instrument", "uniqueName", unique=True),
        _single("PublishedData", "doi", unique=True),
        _single("Job", "id", unique=True),
        _single("User", "email", unique=True),
        _single("User", "username"),
        _single("Role", "name", unique=True),
        _single("RuntimeConfig", "cid", unique=True),
        # lookups by parent and by reference
        _single("OrigDatablock", "datasetId"),
        _single("Datablock", "datasetId"),
        _single("Attachment", "relationships.targetId"),
        _single("Dataset", "owner"),
        _single("Dataset", "type"),
        _single("Dataset", "creationTime"),
        _single("Dataset", "creationLocation"),
        _single("Dataset", "proposalIds"),
        _single("Dataset", "sampleIds"),
        _single("Dataset", "instrumentIds"),
        _single("Dataset", "datasetlifecycle.archiveStatusMessage"),
        _single("Sample", "proposalId"),
        _single("Job", "ownerUser"),
        _single("Job", "type"),
        _single("PublishedData", "registeredTime"),
        _single("PublishedData", "status"),
        _single("UserIdentity", "userId"),
        _single("UserIdentity", "externalId"),
        _single("UserRole", "userId"),
        _single("UserRole", "roleId"),
        _single("UserSetting", "userId"),
        _single("MetadataKeys", "sourceType"),
        _single("MetadataKeys", "sourceId"),
        _single("MetadataKeys", "key"),
        _single("MetadataKeys", "userGroups"),
        _single("MetadataKeys", "isPublished"),
        # History (reference §2.14)
        _single("History", "subsystem"),
        _single("History", "documentId"),
        _single("History", "operation"),
        _single("History", "timestamp"),
        _single("History", "user"),
        IndexDecl("History", (("subsystem", 1), ("documentId", 1))),
        IndexDecl("History", (("timestamp", -1),)),
        # ingest idempotency claims: one per (routing key, message id), expiring
        IndexDecl(
            "IngestClaim", (("routingKey", 1), ("messageId", 1)), {"unique": True}
        ),
        IndexDecl(
            "IngestClaim",
            (("claimedAt", 1),),
            {"expireAfterSeconds": ingest_claim_ttl_days * DAY_SECONDS},
        ),
    ]
    for name in OWNABLE:
        for path in ("ownerGroup", "accessGroups", "isPublished", "createdAt"):
            indexes.append(_single(name, path))
    for name in TEXT_INDEXED:
        indexes.append(IndexDecl(name, (("$**", "text"),)))
    return indexes


async def up(db: MigrationContext) -> None:
    """Create the missing indexes and note which ones this migration made."""
    created: list[list[str]] = []
    for decl in declared(db.settings.INGEST_IDEMPOTENCY_TTL_DAYS):
        collection = db.collection(decl.collection)
        before = await collection.index_information()
        if any(_same_keys(info, decl.keys) for info in before.values()):
            continue  # already there (an existing SciCat database has most)
        try:
            name = await collection.create_index(list(decl.keys), **decl.options)
        except StoreQueryError as exc:
            # An equivalent index with other options exists; keep SciCat's.
            logger.warning(
                "index left as found",
                extra={"collection": decl.collection, "error": str(exc)},
            )
            continue
        created.append([decl.collection, name])
    db.record["created"] = created


async def down(db: MigrationContext) -> None:
    """Drop exactly the indexes ``up`` created."""
    for collection_name, index_name in reversed(db.record.get("created", [])):
        try:
            await db.collection(collection_name).drop_index(index_name)
        except StoreQueryError:
            logger.warning(
                "index already gone",
                extra={"collection": collection_name, "index": index_name},
            )


def _same_keys(info: dict[str, Any], keys: tuple[tuple[str, Any], ...]) -> bool:
    stored = [tuple(k) for k in info.get("key", [])]
    if any(direction == "text" for _, direction in keys):
        # MongoDB reports every text index as {_fts: "text", _ftsx: 1}; the
        # embedded store reports the declared keys.
        return ("_fts", "text") in stored or stored == [tuple(k) for k in keys]
    return [tuple(k) for k in info.get("key", [])] == [tuple(k) for k in keys]
