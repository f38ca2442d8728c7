"""Claims on (routing key, message id): the first writer wins, only success binds.

A claim is inserted (unique index on ``routingKey``, ``messageId``) before any
effect. It ends in one of two ways:

* success: the claim becomes ``succeeded`` with the document's id; a later
  delivery of the same message answers ``duplicate`` without touching anything;
* anything else (rejection, retry): the claim is deleted, so that the same
  message, replayed after a fix, is processed again.

A claim left ``processing`` by a dead process is taken over. On the embedded
store only one process can exist (its file lock), so any claim this process
does not have in flight is such a leftover; on MongoDB, where several workers
compete, a foreign claim is taken over only after its lease expired. Claims
expire after ``INGEST_IDEMPOTENCY_TTL_DAYS`` through the ``claimedAt`` TTL index.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pymongo import ReturnDocument

from common.errors import DuplicateKeyError
from common.store.interface import Store

logger = logging.getLogger(__name__)

CLAIMS = "IngestClaim"
_TAKEOVER_ATTEMPTS = 5


class ClaimState(enum.StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"


class ClaimKind(enum.Enum):
    OWNED = "owned"  # ours to process
    DONE = "done"  # succeeded before: a duplicate
    BUSY = "busy"  # another live worker holds it


@dataclass(frozen=True, slots=True)
class Claim:
    kind: ClaimKind
    claim_id: str
    document_id: str | None = None
    # When an earlier, unfinished attempt of this message claimed it.
    earlier_attempt_at: dt.datetime | None = None


def _now() -> dt.datetime:
    stamp = dt.datetime.now(dt.UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def _aware(value: Any) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class ClaimBook:
    """The claims of one process; share one instance between its consumers."""

    def __init__(self, store: Store, *, lease_seconds: float) -> None:
        self._claims = store.collection(CLAIMS)
        self._single_process = store.kind == "embedded"
        self._lease = dt.timedelta(seconds=lease_seconds)
        self.owner = uuid.uuid4().hex
        self._inflight: dict[str, asyncio.Event] = {}

    @contextlib.asynccontextmanager
    async def exclusive(self, routing_key: str, message_id: str) -> AsyncIterator[str]:
        """Hold the message in this process; a concurrent copy waits its turn."""
        claim_id = f"{routing_key}/{message_id}"
        while (busy := self._inflight.get(claim_id)) is not None:
            await busy.wait()
        done = self._inflight[claim_id] = asyncio.Event()
        try:
            yield claim_id
        finally:
            del self._inflight[claim_id]
            done.set()

    async def claim(self, claim_id: str, routing_key: str, message_id: str) -> Claim:
        """Claim inside :meth:`exclusive`; StoreUnavailableError propagates."""
        for _ in range(_TAKEOVER_ATTEMPTS):
            now = _now()
            try:
                await self._claims.insert_one(
                    {
                        "_id": claim_id,
                        "routingKey": routing_key,
                        "messageId": message_id,
                        "state": ClaimState.PROCESSING.value,
                        "owner": self.owner,
                        "claimedAt": now,
                        "leaseUntil": now + self._lease,
                    }
                )
                return Claim(ClaimKind.OWNED, claim_id)
            except DuplicateKeyError:
                existing = await self._claims.find_one({"_id": claim_id})
            if existing is None:
                continue  # released meanwhile: insert again
            if existing.get("state") == ClaimState.SUCCEEDED.value:
                return Claim(
                    ClaimKind.DONE, claim_id, document_id=existing.get("documentId")
                )
            if not self._abandoned(existing, now):
                return Claim(ClaimKind.BUSY, claim_id)
            taken = await self._take_over(existing, now)
            if taken is not None:
                return taken
        return Claim(ClaimKind.BUSY, claim_id)

    def _abandoned(self, existing: dict[str, Any], now: dt.datetime) -> bool:
        # Our own claims are only in flight inside exclusive(); one found
        # here is from an attempt that ended without settling.
        if self._single_process or existing.get("owner") == self.owner:
            return True
        lease = _aware(existing.get("leaseUntil"))
        return lease is None or lease <= now

    async def _take_over(
        self, existing: dict[str, Any], now: dt.datetime
    ) -> Claim | None:
        updated = await self._claims.find_one_and_update(
            {
                "_id": existing["_id"],
                "owner": existing.get("owner"),
                "state": ClaimState.PROCESSING.value,
            },
            {"$set": {"owner": self.owner, "leaseUntil": now + self._lease}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            return None
        logger.info(
            "unfinished claim taken over",
            extra={"claim": existing["_id"], "previous_owner": existing.get("owner")},
        )
        return Claim(
            ClaimKind.OWNED,
            existing["_id"],
            earlier_attempt_at=_aware(existing.get("claimedAt")),
        )

    async def succeed(self, claim_id: str, document_id: str) -> None:
        """Make the success binding: later copies of the message are duplicates."""
        await self._claims.update_one(
            {"_id": claim_id, "owner": self.owner},
            {
                "$set": {
                    "state": ClaimState.SUCCEEDED.value,
                    "documentId": document_id,
                    "finishedAt": _now(),
                }
            },
        )

    async def release(self, claim_id: str) -> None:
        """Forget a claim that did not succeed: the message may be processed again."""
        await self._claims.delete_one(
            {"_id": claim_id, "owner": self.owner, "state": ClaimState.PROCESSING.value}
        )
