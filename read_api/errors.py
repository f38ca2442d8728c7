"""HTTP error bodies in SciCat's shapes, and the one place domain errors get a status.

SciCat (NestJS) answers errors in three shapes (reference §0):

* ``{"statusCode": 404, "message": "...", "error": "Not Found"}`` from Nest's
  built-in exceptions, with ``message`` a list of strings for validation errors;
* ``{"status": 400, "message": "..."}`` where it builds ``HttpException({status,
  message})`` itself;
* a bare JSON string where it builds ``HttpException("text", code)``.

Domain errors are rendered in the shape their route declares
(:class:`~read_api.routing.ErrorShape`); a handler that needs a particular body
raises :class:`HttpError` with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import web

from common import errors, jsoncodec
from common.models.validation import ResponseShape, ValidationFailed
from read_api.routing import ErrorShape

__all__ = [
    "HttpError",
    "domain_status",
    "error_body",
    "http_exception_response",
    "json_error",
]

JSON_TYPE = "application/json"

# Order matters: the first class an error is an instance of decides its status.
_STATUS_BY_ERROR: tuple[tuple[type[errors.SciCatError], int], ...] = (
    (errors.InvalidError, 400),
    (errors.UnauthenticatedError, 401),
    (errors.ForbiddenError, 403),
    (errors.NotFoundError, 404),
    (errors.DependencyMissingError, 404),
    (errors.ConflictError, 409),
    (errors.DuplicateKeyError, 409),
    (errors.PreconditionFailedError, 412),
    (errors.StoreQueryError, 400),
    (errors.StoreUnavailableError, 503),
    (errors.BrokerUnavailableError, 503),
    (errors.IndexerUnavailableError, 503),
)


_SHAPES = {
    ResponseShape.NEST: ErrorShape.NEST,
    ResponseShape.STATUS: ErrorShape.STATUS,
}


class HttpError(Exception):
    """An answer a handler gives on purpose: status, JSON body, optional headers."""

    def __init__(
        self, status: int, body: Any, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    @classmethod
    def nest(cls, status: int, message: Any) -> HttpError:
        """``{"statusCode", "message", "error"}`` as Nest's exceptions answer."""
        return cls(status, error_body(status, message, ErrorShape.NEST))

    @classmethod
    def status_message(cls, status: int, message: Any) -> HttpError:
        """``{"status", "message"}`` as SciCat's hand-built exceptions answer."""
        return cls(status, error_body(status, message, ErrorShape.STATUS))

    @classmethod
    def string(cls, status: int, message: str) -> HttpError:
        """A bare JSON string body."""
        return cls(status, message)


# Nest's exception names where they differ from Python's phrases.
_NEST_REASONS = {413: "Payload Too Large"}


def reason(status: int) -> str:
    """The ``error`` field Nest writes for ``status``."""
    if status in _NEST_REASONS:
        return _NEST_REASONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, message: Any, shape: ErrorShape) -> Any:
    """The body SciCat sends for ``status`` and ``message`` in ``shape``."""
    if shape is ErrorShape.STATUS:
        return {"status": status, "message": message}
    if shape is ErrorShape.STRING:
        return message
    return {"statusCode": status, "message": message, "error": reason(status)}


def json_error(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=jsoncodec.dumps(body),
        content_type=JSON_TYPE,
        charset="utf-8",
        headers=headers,
    )


def domain_status(exc: errors.SciCatError) -> int:
    """The HTTP status of a project error; 500 for anything unmapped."""
    for error_type, status in _STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


def domain_error_response(exc: errors.SciCatError, shape: ErrorShape) -> web.Response:
    status = domain_status(exc)
    if status == 500:
        return internal_error_response()
    message: Any = exc.message
    if isinstance(exc, ValidationFailed):
        # The translator knows which body SciCat uses for this kind of check.
        message = exc.response_message
        shape = _SHAPES[exc.response_shape]
    elif status == 400 and _is_message_list(exc.details):
        message = list(exc.details)
    return json_error(status, error_body(status, message, shape))


def internal_error_response() -> web.Response:
    return json_error(500, {"statusCode": 500, "message": "Internal server error"})


def http_exception_response(exc: web.HTTPException) -> web.Response:
    """aiohttp's own HTTP exceptions (body too large, ...) in Nest's shape."""
    status = exc.status
    if status == 413:
        message = "request entity too large"
    elif exc.text and not exc.text.startswith(f"{status}:"):
        message = exc.text
    else:
        message = reason(status)
    headers = {
        name: value
        for name, value in exc.headers.items()
        if name.lower() not in {"content-type", "content-length"}
    }
    return json_error(status, error_body(status, message, ErrorShape.NEST), headers)


def _is_message_list(details: Any) -> bool:
    return isinstance(details, list | tuple) and all(
        isinstance(item, str) for item in details
    )
