"""Route declarations and the resolver that matches them on the raw request path.

aiohttp's own router decodes ``%2F`` before matching and runs before any
middleware, which breaks SciCat's pids (``20.500.12269/abc`` arrives as
``20.500.12269%2Fabc``). So the application registers one catch-all aiohttp
route whose handler, :func:`dispatch`, resolves ``request.raw_path`` here:

* literal segments match case-insensitively, as Express does;
* a trailing slash is tolerated;
* ``{param}`` segments match the still-encoded segment, then are
  percent-decoded, so an encoded ``/`` stays inside one parameter;
* a literal segment beats a parameter at every depth (``/count`` beats
  ``/{pid}``), falling back to the parameter when the literal branch has no
  route for the rest of the path.

A route is declared once, with its models, and the same declaration feeds the
OpenAPI generator (:mod:`read_api.openapi`)::

    datasets = RouteGroup("/api/v3/datasets", tags=("datasets",))

    @datasets.get("/{pid}", summary="Get one dataset", response=DatasetOut)
    async def get_dataset(request: web.Request) -> DatasetOut:
        pid = request.match_info["pid"]
        ...
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from aiohttp import web
from pydantic import BaseModel

from common.errors import InvalidError

__all__ = [
    "METHODS",
    "ErrorShape",
    "Handler",
    "Match",
    "Reply",
    "Route",
    "RouteGroup",
    "Router",
]

Handler = Callable[[web.Request], Awaitable[Any]]
H = TypeVar("H", bound=Handler)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ErrorShape(enum.StrEnum):
    """How a route renders the domain errors its handler raises (reference §0)."""

    NEST = "nest"  # {"statusCode": n, "message": ..., "error": "Not Found"}
    STATUS = "status"  # {"status": n, "message": ...}
    STRING = "string"  # "message" as a bare JSON string


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler result with a status or headers other than the route's default."""

    body: Any = None
    status: int = 200
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """One operation: method, path template, handler and what OpenAPI shows."""

    method: str
    path: str
    handler: Handler
    summary: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    query: tuple[type[BaseModel], ...] = ()
    # Success body type (a model, ``list[Model]``, ``dict[str, int]`` ...).
    response: Any = None
    # Other documented answers: status -> body type (None: no body schema).
    responses: Mapping[int, Any] = field(default_factory=dict)
    status: int | None = None
    auth: bool = False
    error_shape: ErrorShape = ErrorShape.NEST
    content_types: tuple[str, ...] = ("application/json",)
    operation_id: str | None = None
    deprecated: bool = False
    in_schema: bool = True
    # Derived from ``path`` once; the resolver reads it on every request.
    param_names: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown HTTP method {self.method!r}")
        if not self.path.startswith("/"):
            raise ValueError(f"route path must start with '/': {self.path!r}")
        names = tuple(
            segment[1:-1] for segment in _segments(self.path) if _is_param(segment)
        )
        object.__setattr__(self, "param_names", names)

    @property
    def success_status(self) -> int:
        """SciCat's default: 201 for POST, 200 otherwise, unless declared."""
        if self.status is not None:
            return self.status
        return 201 if self.method == "POST" else 200


class RouteGroup:
    """Routes sharing a path prefix and tags: one group per entity or concern."""

    def __init__(
        self,
        prefix: str = "",
        *,
        tags: Iterable[str] = (),
        auth: bool = False,
        error_shape: ErrorShape = ErrorShape.NEST,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.tags = tuple(tags)
        self.auth = auth
        self.error_shape = error_shape
        self.routes: list[Route] = []

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)

    def add(self, method: str, path: str, handler: Handler, **options: Any) -> Route:
        """Declare ``handler`` for ``method`` on ``prefix + path``."""
        options.setdefault("tags", self.tags)
        options.setdefault("auth", self.auth)
        options.setdefault("error_shape", self.error_shape)
        if isinstance(options.get("query"), type):
            options["query"] = (options["query"],)
        full_path = self.prefix + (path if path != "/" else "") or "/"
        route = Route(method=method.upper(), path=full_path, handler=handler, **options)
        self.routes.append(route)
        return route

    def route(self, method: str, path: str, **options: Any) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.add(method, path, handler, **options)
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("DELETE", path, **options)


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome of resolving a request path.

    ``route`` is None when the path exists but not for this method (then
    ``allowed`` lists the methods it has), or when nothing matched at all
    (``allowed`` is empty).
    """

    route: Route | None
    params: dict[str, str] = field(default_factory=dict)
    allowed: frozenset[str] = frozenset()


_NO_MATCH = Match(route=None)


class _Node:
    __slots__ = ("literals", "param", "routes")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.routes: dict[str, Route] = {}


class Router:
    """A trie of routes keyed by lower-cased literal segments."""

    def __init__(self) -> None:
        self._root = _Node()
        self._routes: list[Route] = []

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    def add(self, route: Route) -> None:
        node = self._root
        for segment in _segments(route.path):
            if _is_param(segment):
                if node.param is None:
                    node.param = _Node()
                node = node.param
            else:
                node = node.literals.setdefault(segment.lower(), _Node())
        if route.method in node.routes:
            raise ValueError(f"route declared twice: {route.method} {route.path}")
        node.routes[route.method] = route
        self._routes.append(route)

    def include(self, routes: Iterable[Route]) -> None:
        for route in routes:
            self.add(route)

    def resolve(self, method: str, raw_path: str) -> Match:
        """Find the route for ``method`` on a raw (still percent-encoded) path.

        Raises InvalidError when a parameter segment is not valid percent-encoded
        UTF-8 (Express answers 400 for that too).
        """
        path = raw_path.split("?", 1)[0]
        segments = path.split("/")[1:]
        if segments and segments[-1] == "":
            segments.pop()

        fast = self._descend(segments, method)
        if fast is not None:
            node, raw_values = fast
            route = node.routes.get(method) or node.routes["GET"]
            return Match(route=route, params=_decode(route.param_names, raw_values))

        found: list[tuple[_Node, list[str]]] = []
        others: list[_Node] = []
        self._walk(self._root, segments, 0, [], method, found, others)
        if found:
            node, raw_values = found[0]
            route = node.routes.get(method) or node.routes["GET"]
            return Match(route=route, params=_decode(route.param_names, raw_values))
        if not others:
            return _NO_MATCH
        allowed = frozenset(name for node in others for name in node.routes)
        return Match(route=None, allowed=allowed)

    def _descend(
        self, segments: list[str], method: str
    ) -> tuple[_Node, list[str]] | None:
        """The common case without backtracking: literals first, then params."""
        node = self._root
        values: list[str] = []
        for segment in segments:
            child = node.literals.get(segment.lower())
            if child is None:
                if node.param is None or not segment:
                    return None
                child = node.param
                values.append(segment)
            node = child
        if method in node.routes or (method == "HEAD" and "GET" in node.routes):
            return node, values
        return None

    def _walk(
        self,
        node: _Node,
        segments: list[str],
        depth: int,
        values: list[str],
        method: str,
        found: list[tuple[_Node, list[str]]],
        others: list[_Node],
    ) -> bool:
        """Depth-first, literals first; stop at the first node serving ``method``.

        Nodes that match the path but not the method are collected in
        ``others`` so the caller can answer 405 (with ``Allow``) rather than 404.
        """
        if depth == len(segments):
            if method in node.routes or (method == "HEAD" and "GET" in node.routes):
                found.append((node, list(values)))
                return True
            if node.routes:
                others.append(node)
            return False

        segment = segments[depth]
        literal = node.literals.get(segment.lower())
        if literal is not None and self._walk(
            literal, segments, depth + 1, values, method, found, others
        ):
            return True
        if node.param is not None and segment:
            values.append(segment)
            if self._walk(
                node.param, segments, depth + 1, values, method, found, others
            ):
                return True
            values.pop()
        return False


def _segments(path: str) -> list[str]:
    return [segment for segment in path.strip("/").split("/") if segment]


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _decode(names: tuple[str, ...], raw_values: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, raw in zip(names, raw_values, strict=True):
        if "%" not in raw:
            params[name] = raw
            continue
        try:
            # Twice as fast as unquote(); bad UTF-8 and lone surrogates refused.
            params[name] = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeError as exc:
            raise InvalidError(f"Failed to decode param '{raw}'") from exc
    return params
