"""The default Policy created once for every new ownerGroup (reference §2.2.1, §2.9).

SciCat creates it fire-and-forget and can create two under concurrency. Here it
is awaited and upserted under an ``_id`` derived from the ownerGroup, so
concurrent first datasets of a group converge on one policy; a policy already
stored under another id (an existing SciCat database) is found by ownerGroup
and left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from common.errors import DuplicateKeyError
from common.services.store_types import StoreLike

logger = logging.getLogger(__name__)

POLICY_COLLECTION = "Policy"
_POLICY_NAMESPACE = uuid.UUID("6b1f3c8e-2a4d-5e7f-9c0b-1d2e3f4a5b6c")


def default_policy_id(owner_group: str) -> str:
    """The stable id of the default policy of one ownerGroup."""
    return str(uuid.uuid5(_POLICY_NAMESPACE, owner_group))


def default_policy(
    dataset: Mapping[str, Any],
    tape_redundancy: str,
    *,
    default_manager: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The policy SciCat derives from the first dataset of an ownerGroup."""
    stamp = now or dt.datetime.now(dt.UTC)
    owner_email = dataset.get("ownerEmail")
    if isinstance(owner_email, str) and owner_email:
        managers = owner_email.split(",")
    else:
        managers = [default_manager]
    owner_group = str(dataset["ownerGroup"])
    return {
        "_id": default_policy_id(owner_group),
        "ownerGroup": owner_group,
        "accessGroups": list(dataset.get("accessGroups") or []),
        "isPublished": False,
        "manager": managers,
        "tapeRedundancy": tape_redundancy,
        "autoArchive": False,
        "autoArchiveDelay": 7,
        "archiveEmailNotification": True,
        "archiveEmailsToBeNotified": [],
        "retrieveEmailNotification": True,
        "retrieveEmailsToBeNotified": [],
        "embargoPeriod": 3,
        "createdBy": dataset.get("createdBy"),
        "updatedBy": dataset.get("createdBy"),
        "createdAt": stamp,
        "updatedAt": stamp,
        "__v": 0,
    }


class Policies:
    """Looks up and creates the policies that dataset creation depends on."""

    def __init__(self, store: StoreLike, default_manager: str = "") -> None:
        self._policies = store.collection(POLICY_COLLECTION)
        self._default_manager = default_manager

    async def tape_redundancy(self, owner_group: str) -> str | None:
        """The group's policy's tapeRedundancy (``low`` if unset), None if none."""
        policy = await self._policies.find_one(
            {"ownerGroup": owner_group}, {"tapeRedundancy": 1}
        )
        if policy is None:
            return None
        value = policy.get("tapeRedundancy")
        return value if isinstance(value, str) and value else "low"

    async def ensure_default(
        self, dataset: Mapping[str, Any], tape_redundancy: str
    ) -> bool:
        """Create the group's default policy unless one exists; True if created."""
        policy = default_policy(
            dataset, tape_redundancy, default_manager=self._default_manager
        )
        owner_group = policy.pop("ownerGroup")
        try:
            result = await self._policies.update_one(
                {"ownerGroup": owner_group}, {"$setOnInsert": policy}, upsert=True
            )
        except DuplicateKeyError:
            # A concurrent creation of the same group's policy won the race.
            return False
        created = result.upserted_id is not None
        if created:
            logger.info(
                "default policy created",
                extra={"ownerGroup": owner_group, "policy_id": policy["_id"]},
            )
        return created
