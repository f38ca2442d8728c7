"""What became of one message, and the one mapping from errors to those outcomes.

    Applied    the effect is stored (``created``) or was stored before
               (``duplicate``): reply, ack
    Rejected   a permanent failure: reply, dead letter, ack
    Retry      a transient failure: re-published to a delay queue, ack; past
               the last delay it becomes ``Rejected(retries_exhausted)``

Only :func:`outcome_for_error` decides whether an error is permanent or
transient; the services raise :mod:`common.errors` and know nothing of queues.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.errors import (
    ConflictError,
    DomainError,
    DuplicateKeyError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    SciCatError,
    StoreQueryError,
    UnauthenticatedError,
)

from .contract import ErrorCode, ReplyStatus


@dataclass(frozen=True, slots=True)
class Applied:
    status: ReplyStatus
    id: str
    stored: dict[str, Any] | None
    # How the document is shown in a reply; only called when one is sent.
    render: Callable[[dict[str, Any]], dict[str, Any]] = dict

    def document(self) -> dict[str, Any] | None:
        return self.render(self.stored) if self.stored is not None else None


@dataclass(frozen=True, slots=True)
class Rejected:
    code: ErrorCode
    message: str
    details: Any = None


@dataclass(frozen=True, slots=True)
class Retry:
    reason: str
    details: Any = None


Outcome = Applied | Rejected | Retry

_PERMANENT: tuple[tuple[type[SciCatError], ErrorCode], ...] = (
    (UnauthenticatedError, ErrorCode.UNAUTHENTICATED),
    (ForbiddenError, ErrorCode.FORBIDDEN),
    (ConflictError, ErrorCode.CONFLICT),
    (DuplicateKeyError, ErrorCode.CONFLICT),
    (NotFoundError, ErrorCode.NOT_FOUND),
    (InvalidError, ErrorCode.INVALID),
    (StoreQueryError, ErrorCode.INVALID),
)


def outcome_for_error(exc: SciCatError) -> Rejected | Retry:
    """Transient (``retryable``) errors are retried; the rest are rejected."""
    if getattr(exc, "retryable", False):
        return Retry(exc.message, exc.details)
    for kind, code in _PERMANENT:
        if isinstance(exc, kind):
            return Rejected(code, exc.message, exc.details)
    if isinstance(exc, DomainError):
        return Rejected(ErrorCode.INVALID, exc.message, exc.details)
    return Rejected(ErrorCode.INTERNAL, exc.message, exc.details)


def internal_error(exc: BaseException) -> Rejected:
    """An exception nobody expected: a bug, dead-lettered for a replay after the fix."""
    return Rejected(
        ErrorCode.INTERNAL,
        "the worker failed unexpectedly",
        {"exception": type(exc).__name__, "error": str(exc)[:1000]},
    )
