"""The message contract's own shapes: reply bodies, error codes and header names.

These pydantic models are what a publisher sees (DESIGN §4); the AsyncAPI
document (``docs/asyncapi.yaml``) is generated from them and from the create
body models of :mod:`common.models`.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Headers a publisher may set.
AUTHORIZATION_HEADER = "authorization"
API_VERSION_HEADER = "x-scicat-api-version"

# Headers the worker adds to retries and dead letters.
ATTEMPTS_HEADER = "x-scicat-attempts"
ERROR_CODE_HEADER = "x-scicat-error-code"
ERROR_HEADER = "x-scicat-error"
ROUTING_KEY_HEADER = "x-scicat-routing-key"
DEAD_AT_HEADER = "x-scicat-dead-at"
# A broker-verified AMQP user_id carried across a re-publication, which the
# broker would refuse under another connection's user; signed by the worker.
AMQP_USER_HEADER = "x-scicat-amqp-user"
AMQP_USER_SIGNATURE_HEADER = "x-scicat-amqp-user-signature"
REPLAYED_AT_HEADER = "x-scicat-replayed-at"

# Headers the broker maintains; a replayed message starts without them.
BROKER_HEADERS = (
    "x-delivery-count",
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
)


class ErrorCode(enum.StrEnum):
    """Why a message was rejected: in replies and in ``x-scicat-error-code``."""

    INVALID = "invalid"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    NOT_FOUND = "not_found"
    RETRIES_EXHAUSTED = "retries_exhausted"
    # Not one of DESIGN §4's codes: an unexpected exception in the worker (a
    # bug); dead-lettered at once so that it can be replayed after the fix.
    INTERNAL = "internal"


class ReplyStatus(enum.StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class ReplyError(BaseModel):
    """Why the message was rejected."""

    model_config = ConfigDict(extra="forbid")

    code: ErrorCode
    message: str
    details: Any = None


class Reply(BaseModel):
    """The one reply to a message that set ``reply_to`` (same ``correlation_id``)."""

    model_config = ConfigDict(extra="forbid")

    status: ReplyStatus
    id: str | None = Field(
        default=None, description="pid of a dataset, _id of a file list or datablock"
    )
    document: dict[str, Any] | None = Field(
        default=None, description="the stored document (created or duplicate)"
    )
    error: ReplyError | None = None

    def body(self) -> dict[str, Any]:
        """The JSON object sent: only the keys that apply to the status."""
        # Python values: the codec renders dates and ids as SciCat does.
        return self.model_dump(mode="python", exclude_none=True)


class DeadLetterError(BaseModel):
    """The JSON value of the ``x-scicat-error`` header of a dead letter."""

    model_config = ConfigDict(extra="forbid")

    message: str
    details: Any = None
