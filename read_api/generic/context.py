"""What every entity handler takes from the request: services, caller, preconditions.

The domain services (:class:`common.services.Services`) reach the application
through :func:`use_runtime` (a ``cleanup_ctx`` that opens the process runtime on
the application's store) or :func:`use_services` (an already built set, for
tests); handlers get them with :func:`services_of`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from common.errors import StoreUnavailableError
from common.models.common import parse_datetime
from common.permissions.groups import GroupConfig
from common.runtime import Runtime
from common.services import Services
from common.services.context import ApiVersion, CallContext
from read_api.inputs import identity_of
from read_api.keys import REQUEST_ID, SERVICES, SETTINGS, STORE

__all__ = [
    "call_context",
    "group_config",
    "services_of",
    "unmodified_since",
    "use_runtime",
    "use_services",
]

logger = logging.getLogger(__name__)

Setup = Callable[[web.Application], None]


def use_services(services: Services) -> Setup:
    """A ``create_app`` setup that serves the routes from ``services``."""

    def setup(app: web.Application) -> None:
        app[SERVICES].add(Services, services)

    return setup


def use_runtime(app: web.Application) -> None:
    """A ``create_app`` setup: open the runtime on the app's store at start-up.

    The effects (events, indexer, mailer) are chosen from the settings and
    closed at shutdown; the store stays its opener's.
    """

    async def runtime_context(app: web.Application) -> AsyncIterator[None]:
        store = app[STORE]
        if store is None:
            yield
            return
        runtime = await Runtime.open(app[SETTINGS], store=store)
        app[SERVICES].add(Services, runtime.services)
        app[SERVICES].add(Runtime, runtime)
        try:
            yield
        finally:
            await runtime.close()

    app.cleanup_ctx.append(runtime_context)


def services_of(request: web.Request) -> Services:
    """The domain services; 503 when the API runs without a store."""
    container = request.app[SERVICES]
    if Services not in container:
        raise StoreUnavailableError("the catalogue services are not available")
    return container.get(Services)


def group_config(app: web.Application) -> GroupConfig:
    """The settings' group lists, built once per application."""
    container = app[SERVICES]
    if GroupConfig not in container:
        container.add(GroupConfig, GroupConfig.from_settings(app[SETTINGS]))
    return container.get(GroupConfig)


def call_context(request: web.Request, version: ApiVersion) -> CallContext:
    """The caller, the request id (events carry it) and the API version."""
    return CallContext(
        identity=identity_of(request),
        source_id=request.get(REQUEST_ID),
        api_version=version,
    )


def unmodified_since(request: web.Request) -> dt.datetime | None:
    """The ``If-Unmodified-Since`` header as a date; unparseable means absent.

    Clients send either the HTTP date form or an ISO date (JavaScript's
    ``new Date`` takes both), so both are read.
    """
    text = request.headers.get("If-Unmodified-Since")
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        pass
    try:
        return parse_datetime(text)
    except (TypeError, ValueError):
        logger.info("ignored unparseable If-Unmodified-Since", extra={"value": text})
        return None
