"""Typed keys for what the application and each request carry."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from aiohttp import web

from common.identity.principal import Authenticator, Identity
from common.settings import Settings
from common.store.interface import Store
from read_api.metrics import Metrics
from read_api.routing import Router

__all__ = [
    "AUTHENTICATOR",
    "IDENTITY",
    "MATCHED_ROUTE",
    "METRICS",
    "REQUEST_ID",
    "ROUTER",
    "SERVICES",
    "SETTINGS",
    "STORE",
    "Services",
]

T = TypeVar("T")


class Services:
    """A typed container where later layers put their service objects.

    ``services.add(DatasetService, instance)`` at start-up, then
    ``request.app[SERVICES].get(DatasetService)`` in a handler.
    """

    def __init__(self) -> None:
        self._items: dict[type[Any], Any] = {}

    def add(self, kind: type[T], instance: T) -> None:
        self._items[kind] = instance

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._items[kind])
        except KeyError:
            raise LookupError(f"no service registered for {kind.__name__}") from None

    def __contains__(self, kind: type[Any]) -> bool:
        return kind in self._items


SETTINGS = web.AppKey("settings", Settings)
# None when the API runs without a store (health then answers 503).
STORE: web.AppKey[Store | None] = web.AppKey("store")
AUTHENTICATOR: web.AppKey[Authenticator | None] = web.AppKey("authenticator")
SERVICES = web.AppKey("services", Services)
ROUTER = web.AppKey("router", Router)
METRICS = web.AppKey("metrics", Metrics)

IDENTITY = web.RequestKey("identity", Identity)
REQUEST_ID = web.RequestKey("request_id", str)
# The route template that served the request (metrics label), set by dispatch.
MATCHED_ROUTE = web.RequestKey("matched_route", str)
