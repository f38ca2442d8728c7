"""The API's middlewares, outermost first: observe, CORS, errors, identity.

* observe: request id, one INFO line and the metrics per request;
* CORS: every origin allowed, preflights answered before routing (as Express's
  ``cors()`` does);
* errors: the one place exceptions become SciCat error bodies;
* identity: the bearer token turned into an :class:`Identity` on the request.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from common.errors import SciCatError
from common.identity.principal import ANONYMOUS
from common.logging import request_id_var
from read_api.dispatch import ROUTE
from read_api.errors import (
    HttpError,
    domain_error_response,
    http_exception_response,
    internal_error_response,
    json_error,
)
from read_api.keys import AUTHENTICATOR, IDENTITY, MATCHED_ROUTE, REQUEST_ID
from read_api.metrics import UNMATCHED_ROUTE, Metrics
from read_api.routing import ErrorShape

__all__ = [
    "RequestIds",
    "bearer_token",
    "cors_middleware",
    "errors_middleware",
    "identity_middleware",
    "observe_middleware",
]

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
# An incoming request id is reused only when it cannot mangle a log line.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Status logged when the client went away before the answer (nginx's 499).
_CLIENT_CLOSED = 499

_CORS_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


class RequestIds:
    """New request ids (32 hex digits): unique, not secret.

    A random prefix per process and a counter, instead of a ``getrandom``
    system call per request (about 3 us of each request on a VM). A forked
    child draws its own prefix, so processes forked from one parent do not
    repeat each other's ids.
    """

    def __init__(self) -> None:
        self._reseed()
        os.register_at_fork(after_in_child=self._reseed)

    def _reseed(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


new_request_id = RequestIds()


def observe_middleware(metrics: Metrics) -> Middleware:
    """Request id, one structured log line and the metrics for every request."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else new_request_id()
        request[REQUEST_ID] = request_id
        context = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            response.headers[REQUEST_ID_HEADER] = request_id
            return response
        except asyncio.CancelledError:
            status = _CLIENT_CLOSED
            raise
        finally:
            seconds = time.perf_counter() - started
            route = request.get(MATCHED_ROUTE, UNMATCHED_ROUTE)
            metrics.observe_request(request.method, route, status, seconds)
            if logger.isEnabledFor(logging.INFO):
                _log_request(request, route, status, seconds, request_id)
            request_id_var.reset(context)

    return observe


def _log_request(
    request: web.Request, route: str, status: int, seconds: float, request_id: str
) -> None:
    # The path only: the query may carry an access_token.
    logger.info(
        "request",
        extra={
            "method": request.method,
            "path": request.raw_path.split("?", 1)[0],
            "route": route,
            "status": status,
            "ms": round(seconds * 1000, 2),
            "request_id": request_id,
        },
    )


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Allow every origin; answer preflights without routing them."""
    origin = request.headers.get("Origin")
    if (
        request.method == "OPTIONS"
        and origin is not None
        and "Access-Control-Request-Method" in request.headers
    ):
        headers = {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": _CORS_METHODS,
            "Vary": "Access-Control-Request-Headers",
            "Content-Length": "0",
        }
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested:
            headers["Access-Control-Allow-Headers"] = requested
        return web.Response(status=204, headers=headers)

    response = await handler(request)
    if origin is not None:
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Every exception becomes a SciCat-shaped answer; unexpected ones a 500."""
    try:
        return await handler(request)
    except HttpError as exc:
        return json_error(exc.status, exc.body, exc.headers)
    except SciCatError as exc:
        route = request.get(ROUTE)
        shape = route.error_shape if route is not None else ErrorShape.NEST
        response = domain_error_response(exc, shape)
        if response.status == 503:
            # Expected during outages: one line, no traceback.
            logger.warning(
                "dependency unavailable",
                extra={"error_code": exc.code, "error": exc.message},
            )
        elif response.status >= 500:
            logger.error(
                "request failed",
                exc_info=exc,
                extra={"error_code": exc.code, "status": response.status},
            )
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            return exc
        return http_exception_response(exc)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        logger.exception(
            "unhandled error",
            extra={"error_type": type(exc).__name__, "path": request.path},
        )
        return internal_error_response()


def bearer_token(request: web.Request) -> str | None:
    """The token from ``Authorization`` or ``access_token``, ``Bearer `` optional."""
    value = request.headers.get("Authorization")
    if not value:
        value = request.query.get("access_token")
    if not value:
        return None
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


@web.middleware
async def identity_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Put the caller's identity on the request; a bad token means anonymous."""
    authenticator = request.app[AUTHENTICATOR]
    token = bearer_token(request)
    identity = ANONYMOUS
    if authenticator is not None and token is not None:
        identity = await authenticator.authenticate(token)
    request[IDENTITY] = identity
    return await handler(request)
