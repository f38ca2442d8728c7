"""The one aiohttp handler: resolve the raw path, call the route, render its result."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from common import jsoncodec
from common.errors import UnauthenticatedError
from read_api.errors import HttpError, error_body
from read_api.inputs import identity_of
from read_api.keys import MATCHED_ROUTE
from read_api.routing import ErrorShape, Handler, Reply, Route, Router

__all__ = ["ROUTE", "make_dispatcher", "render"]

JSON_CONTENT_TYPE = "application/json"

# The route serving the request, for the error middleware (which error shape).
ROUTE: web.RequestKey[Route] = web.RequestKey("route")


def make_dispatcher(router: Router) -> Handler:
    """Build the catch-all handler that serves every declared route."""

    async def dispatch(request: web.Request) -> web.StreamResponse:
        method = request.method
        match = router.resolve(method, request.raw_path)
        route = match.route
        if route is None:
            return _unmatched(method, request.raw_path, match.allowed)

        request[ROUTE] = route
        request[MATCHED_ROUTE] = route.path
        # Handlers read path parameters the usual aiohttp way.
        request.match_info.clear()
        request.match_info.update(match.params)

        if route.auth and identity_of(request).is_anonymous:
            raise UnauthenticatedError("Unauthenticated")

        return render(route, await route.handler(request))

    return dispatch


def render(route: Route, result: Any) -> web.StreamResponse:
    """Turn a handler's return value into the response SciCat would send."""
    if type(result) is dict or type(result) is list:
        # Most answers; tested first, as StreamResponse is an ABC (a slow check).
        return _json_response(result, route.success_status, None)
    if isinstance(result, web.StreamResponse):
        return result
    if isinstance(result, Reply):
        return _json_response(result.body, result.status, result.headers)
    # Nest answers 200 with an empty body for a null result, even for POST.
    if result is None:
        return web.Response(status=200)
    return _json_response(result, route.success_status, None)


def _json_response(body: Any, status: int, headers: Any) -> web.Response:
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        body=jsoncodec.dumps(body),
        content_type=JSON_CONTENT_TYPE,
        charset="utf-8",
        headers=headers,
    )


def _unmatched(method: str, raw_path: str, allowed: frozenset[str]) -> web.Response:
    if not allowed:
        # Express/Nest: 404 "Cannot GET /the/original/url" for unknown paths.
        message = f"Cannot {method} {raw_path}"
        raise HttpError(404, error_body(404, message, ErrorShape.NEST))

    allow = ", ".join(sorted(allowed | {"OPTIONS"}))
    if method == "OPTIONS":
        return web.Response(status=204, headers={"Allow": allow})
    message = f"Cannot {method} {raw_path}"
    raise HttpError(
        405, error_body(405, message, ErrorShape.NEST), headers={"Allow": allow}
    )
