"""The API's composition root: :func:`create_app` builds the aiohttp application.

Route groups are discovered in :mod:`read_api.routes` (every module-level
:class:`~read_api.routing.RouteGroup`), so adding an entity's routes means
adding a module there. Nothing is wired at import time.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping

from aiohttp import web

from common.identity.principal import Authenticator
from common.settings import Settings
from common.store.interface import Store
from read_api.dispatch import make_dispatcher
from read_api.explorer import explorer_routes
from read_api.health import HEALTH_PROBES, HealthProbe
from read_api.keys import (
    AUTHENTICATOR,
    METRICS,
    ROUTER,
    SERVICES,
    SETTINGS,
    STORE,
    Services,
)
from read_api.metrics import Metrics
from read_api.middleware import (
    cors_middleware,
    errors_middleware,
    identity_middleware,
    observe_middleware,
)
from read_api.openapi import OPENAPI, OpenApiCache
from read_api.routing import Route, RouteGroup, Router

__all__ = ["create_app", "discover_route_groups"]

Setup = Callable[[web.Application], None]


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    authenticator: Authenticator | None = None,
    route_groups: Iterable[Iterable[Route]] | None = None,
    extra_routes: Iterable[Iterable[Route]] = (),
    health_probes: Mapping[str, HealthProbe] | None = None,
    metrics: Metrics | None = None,
    services: Services | None = None,
    setups: Iterable[Setup] = (),
) -> web.Application:
    """Build the API application.

    ``store``: the open store, owned by the caller (the process entry point
    opens one store and shares it between API and worker); None serves
    without one (health then answers 503).
    ``route_groups``: the routes to serve (default: those in
    :mod:`read_api.routes`); ``extra_routes`` are added to them.
    ``health_probes``: non-critical components shown in health ``details``
    (the worker's broker status as ``rabbitmq``).
    ``setups``: callables run on the new application, e.g. to add
    ``cleanup_ctx`` entries that build services from the store.
    """
    router = Router()
    groups = discover_route_groups() if route_groups is None else route_groups
    for group in (*groups, *extra_routes):
        router.include(group)
    router.include(explorer_routes(settings.SWAGGER_PATH))

    metrics = metrics if metrics is not None else Metrics()
    app = web.Application(
        middlewares=[
            observe_middleware(metrics),
            cors_middleware,
            errors_middleware,
            identity_middleware,
        ],
        # aiohttp enforces the limit itself when a handler reads the body.
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[STORE] = store
    app[AUTHENTICATOR] = authenticator
    app[SERVICES] = services if services is not None else Services()
    app[ROUTER] = router
    app[METRICS] = metrics
    app[HEALTH_PROBES] = dict(health_probes or {})
    app[OPENAPI] = OpenApiCache(router, settings)

    app.router.add_route("*", "/{tail:.*}", make_dispatcher(router))
    for setup in setups:
        setup(app)
    return app


def discover_route_groups() -> list[RouteGroup]:
    """Every module-level RouteGroup in the modules of :mod:`read_api.routes`."""
    package = importlib.import_module("read_api.routes")
    groups: dict[int, RouteGroup] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            # A module may import another's group; mount each group once.
            if isinstance(value, RouteGroup):
                groups.setdefault(id(value), value)
    return list(groups.values())
