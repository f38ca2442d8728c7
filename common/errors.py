"""The project's exception tree.

    SciCatError                      root: every error this code raises on purpose
    ├── DomainError                  an outcome of a service call, mapped once per edge
    │   ├── InvalidError             bad input (HTTP 400, message code ``invalid``)
    │   ├── UnauthenticatedError     no identity where one is needed (401)
    │   ├── ForbiddenError           identity known, action denied (403)
    │   ├── NotFoundError            the document does not exist (404, ``not_found``)
    │   ├── ConflictError            unique key taken (409, ``conflict``)
    │   ├── PreconditionFailedError  If-Unmodified-Since failed (412)
    │   └── DependencyMissingError   a referenced document is not there yet (retryable
    │                                in the worker: a file list before its dataset)
    ├── StoreError                   the store refused or failed
    │   ├── StoreQueryError          the request caused it (bad operator or regex): 400
    │   └── StoreUnavailableError    the store is unreachable or timed out: 503, retry
    ├── BrokerUnavailableError       RabbitMQ unreachable
    ├── IndexerUnavailableError      Elasticsearch unreachable
    └── ConfigurationError           settings or configuration files are wrong

Only the HTTP edge knows status codes and only the worker edge knows ack, reject
and retry; both map these classes in one place. Errors carry structured fields
(``message``, ``details``) rather than only text.
"""

from __future__ import annotations

from typing import Any


class SciCatError(Exception):
    """Root of every error raised on purpose by this project."""

    code: str = "error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class DomainError(SciCatError):
    """An outcome of a service call that the edges translate."""

    retryable: bool = False


class InvalidError(DomainError):
    """The input is invalid. ``details`` holds the validation messages."""

    code = "invalid"


class UnauthenticatedError(DomainError):
    code = "unauthenticated"


class ForbiddenError(DomainError):
    code = "forbidden"


class NotFoundError(DomainError):
    code = "not_found"


class ConflictError(DomainError):
    code = "conflict"


class PreconditionFailedError(DomainError):
    code = "precondition_failed"


class DependencyMissingError(DomainError):
    """A document this one refers to does not exist yet; retrying may succeed."""

    code = "not_found"
    retryable = True


class StoreError(SciCatError):
    code = "store"


class StoreQueryError(StoreError):
    """The store refused the query because of what the caller asked."""

    code = "invalid"


class StoreUnavailableError(StoreError):
    """The store cannot be reached or did not answer in time."""

    code = "unavailable"
    retryable = True


class DuplicateKeyError(StoreError):
    """A unique index refused a write; services turn it into ConflictError."""

    code = "conflict"

    def __init__(
        self, message: str, *, key: dict[str, Any] | None = None, details: Any = None
    ) -> None:
        super().__init__(message, details=details)
        self.key = key or {}


class BrokerUnavailableError(SciCatError):
    code = "unavailable"
    retryable = True


class IndexerUnavailableError(SciCatError):
    code = "unavailable"
    retryable = True


class ConfigurationError(SciCatError):
    code = "configuration"
