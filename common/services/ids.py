"""The uuid ids of file lists, datablocks and attachments (pids: common.models)."""

from __future__ import annotations

import uuid

# Fixed namespace for ids derived from message ids, so a redelivered message
# derives the same id as its first delivery.
_MESSAGE_NAMESPACE = uuid.UUID("3f0d2c7a-9b8e-5d4c-a1f2-6e7b8c9d0a1b")


def derived_uuid(seed: str) -> str:
    """A uuid5 string derived from ``seed`` (a message id)."""
    return str(uuid.uuid5(_MESSAGE_NAMESPACE, seed))


def new_id() -> str:
    """SciCat's default string ``_id`` (uuid4) for file lists, datablocks, ..."""
    return str(uuid.uuid4())
