"""Translation of driver and engine errors into the store errors of `common.errors`.

This is the one boundary where PyMongo's and mongomock's exceptions are
turned into ours; callers ``raise translate_...(exc) from exc``.
"""

from __future__ import annotations

import re
from typing import Any

from bson.errors import InvalidDocument
from pymongo import errors as pymongo_errors

from common.errors import (
    DuplicateKeyError,
    StoreError,
    StoreQueryError,
    StoreUnavailableError,
)

# Server codes meaning "the request was wrong", not "the server failed":
# BadValue, FailedToParse, TypeMismatch, InvalidOptions, IndexNotFound,
# IndexOptionsConflict, IndexKeySpecsConflict, CannotCreateIndex, InvalidNamespace,
# Location codes for unknown operators / bad regex / $where being disabled,
# QueryFeatureNotAllowed, text-index-required, and ConversionFailure.
_QUERY_CODES = frozenset(
    {
        2,
        9,
        14,
        16,
        17,
        27,
        51,
        67,
        72,
        73,
        85,
        86,
        168,
        224,
        241,
        2942,
        4681,
        15998,
        16020,
        17287,
        31249,
        40323,
        40324,
        40352,
        51091,
        51108,
    }
)
# Server codes for "try again later": ExecutionTimeout/MaxTimeMSExpired,
# interrupted operations, not primary, shutdown in progress.
_UNAVAILABLE_CODES = frozenset({50, 11600, 11601, 11602, 189, 91, 10107, 13435})

_DUP_KEY = re.compile(r"dup key: (\{.*\})\s*$")


class StoreLockedError(StoreUnavailableError):
    """The embedded store's folder is held by another process."""


def translate_pymongo(exc: pymongo_errors.PyMongoError) -> StoreError:
    """Map a PyMongo error to ours; unknown operation failures count as unavailable."""
    if isinstance(exc, pymongo_errors.DuplicateKeyError):
        return duplicate_key(str(exc), getattr(exc, "details", None))
    if isinstance(exc, pymongo_errors.BulkWriteError):
        for error in exc.details.get("writeErrors", []):
            if error.get("code") == 11000:
                return duplicate_key(error.get("errmsg", "duplicate key"), error)
        return StoreQueryError(str(exc), details=exc.details)
    if isinstance(
        exc,
        pymongo_errors.ConnectionFailure
        | pymongo_errors.ServerSelectionTimeoutError
        | pymongo_errors.ExecutionTimeout
        | pymongo_errors.WTimeoutError,
    ):
        return StoreUnavailableError(str(exc) or type(exc).__name__)
    if isinstance(exc, pymongo_errors.OperationFailure):
        code = exc.code
        if code in _UNAVAILABLE_CODES:
            return StoreUnavailableError(str(exc), details={"code": code})
        if code in _QUERY_CODES or (code is not None and code >= 10000):
            return StoreQueryError(_server_message(exc), details={"code": code})
        return StoreUnavailableError(str(exc), details={"code": code})
    if isinstance(exc, pymongo_errors.InvalidOperation | pymongo_errors.InvalidName):
        return StoreQueryError(str(exc))
    if isinstance(exc, InvalidDocument | pymongo_errors.InvalidURI):
        return StoreQueryError(str(exc))
    return StoreUnavailableError(str(exc) or type(exc).__name__)


def translate_engine(exc: Exception) -> StoreError:
    """Map an error raised while mongomock evaluated a request."""
    if isinstance(exc, pymongo_errors.DuplicateKeyError):
        return duplicate_key(str(exc), None)
    if isinstance(exc, NotImplementedError):
        return StoreQueryError(
            f"not supported by the embedded store: {exc}",
            details={"limitation": True},
        )
    return StoreQueryError(str(exc) or type(exc).__name__)


def duplicate_key(message: str, details: Any) -> DuplicateKeyError:
    """A DuplicateKeyError whose ``.key`` names the clashing fields and values."""
    key: dict[str, Any] = {}
    if isinstance(details, dict) and isinstance(details.get("keyValue"), dict):
        key = dict(details["keyValue"])
    else:
        match = _DUP_KEY.search(message)
        if match is not None:
            key = {"raw": match.group(1)}
    return DuplicateKeyError(message, key=key, details=details)


def _server_message(exc: pymongo_errors.OperationFailure) -> str:
    details = exc.details or {}
    message = details.get("errmsg") if isinstance(details, dict) else None
    return str(message or exc)
