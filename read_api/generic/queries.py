"""A list request's ``filter`` read and translated for one entity's routes.

v3 routes speak the loopback language (operator renaming, ``order``); v4 routes
send MongoDB operators checked against the entity's key allow-list. Either way
the result is a :class:`ReadRequest`: the service's :class:`ListQuery`, the
relations to include and the names the caller asked for that are not stored
fields (``history``, relation names).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from common.errors import InvalidError
from common.query.allowlist import ALL_GROUPS, check_v4_filter
from common.query.include import IncludeSpec, Relation, parse_include, validate_include
from common.query.jsonparam import parse_json, parse_json_object
from common.query.limits import LimitDefaults, Limits, parse_v4_limits
from common.query.loopback import parse_loopback_filter
from common.query.operators import check_filter
from common.query.projection import Fields, normalize_fields, to_projection
from common.services.entity import ListQuery
from common.services.related import relation_names

__all__ = [
    "FilterLanguage",
    "ReadRequest",
    "filter_text",
    "include_param",
    "read_count_where",
    "read_request",
]

BOTH_FILTERS = "filter must be given either as query parameter or as header, not both"


class FilterLanguage(enum.StrEnum):
    """How a route's ``filter`` is written."""

    LOOPBACK = "loopback"  # v3: loopback operators, "order" limits
    MONGO = "mongo"  # v4: MongoDB operators under a key allow-list


@dataclass(frozen=True, slots=True)
class FilterRules:
    """One entity's filter language, defaults, keys and relations."""

    language: FilterLanguage
    limit_defaults: LimitDefaults
    entity_keys: frozenset[str] = frozenset()
    extra_words: frozenset[str] = frozenset()
    relations: Mapping[str, Relation] = field(default_factory=dict)
    header: bool = False  # v3 datasets also read the filter from a header
    # Names a caller may put in ``fields`` that are computed, not stored.
    computed_fields: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """A translated list request."""

    query: ListQuery
    include: tuple[IncludeSpec, ...] = ()
    relations: tuple[str, ...] = ()
    # Computed names requested in ``fields`` (e.g. ``history``).
    computed: frozenset[str] = frozenset()
    # Fields fetched only to compute or join, removed before answering.
    strip: frozenset[str] = frozenset()


def filter_text(request: web.Request, rules: FilterRules) -> str | None:
    """The ``filter`` query parameter, or (v3 datasets) the ``filter`` header."""
    query = request.query.get("filter")
    header = request.headers.get("filter") if rules.header else None
    if query is not None and header is not None:
        raise InvalidError(BOTH_FILTERS)
    return query if query is not None else header


def read_request(
    request: web.Request,
    rules: FilterRules,
    *,
    forced_where: Mapping[str, Any] | None = None,
    needed_fields: Iterable[str] = (),
    first_only: bool = False,
) -> ReadRequest:
    """Translate the request's ``filter`` for a list or findOne.

    ``forced_where`` is ANDed to the caller's where (public routes);
    ``needed_fields`` are fetched even when ``fields`` leaves them out.
    """
    text = filter_text(request, rules)
    if rules.language is FilterLanguage.LOOPBACK:
        parsed = parse_loopback_filter(text, limit_defaults=rules.limit_defaults)
        where, fields = parsed.where, parsed.fields
        limits, include = parsed.limits, parsed.include
    else:
        raw = _v4_filter(text, rules)
        where = _where(raw)
        fields = normalize_fields(raw.get("fields"))
        limits = parse_v4_limits(raw.get("limits"), rules.limit_defaults)
        include = parse_include(raw.get("include"))

    if include:
        validate_include(include, rules.relations)
    names = relation_names(include, rules.relations)
    if forced_where:
        where = {"$and": [where, dict(forced_where)]} if where else dict(forced_where)
    if first_only:
        limits = Limits(limit=1, skip=limits.skip, sort=limits.sort)

    projection, computed, strip = _projection(fields, rules, names, list(needed_fields))
    query = ListQuery(
        where=where,
        projection=projection,
        sort=list(limits.sort.items()) or None,
        skip=limits.skip,
        limit=limits.limit or 0,
    )
    return ReadRequest(query, tuple(include), tuple(names), computed, strip)


def read_count_where(
    request: web.Request,
    rules: FilterRules,
    *,
    forced_where: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``where`` of a count request (v4 allows nothing else in its filter)."""
    text = filter_text(request, rules)
    if rules.language is FilterLanguage.LOOPBACK:
        where = parse_loopback_filter(text, limit_defaults=rules.limit_defaults).where
    else:
        where = _where(_v4_filter(text, rules, groups=("where",)))
    if forced_where:
        return {"$and": [where, dict(forced_where)]} if where else dict(forced_where)
    return where


def include_param(request: web.Request, rules: FilterRules) -> list[IncludeSpec]:
    """The repeatable ``include`` query parameter of v4 get-by-id routes.

    Each value is a relation name, a JSON array of them, or ``a,b``.
    """
    names: list[Any] = []
    for value in request.query.getall("include", []):
        text = value.strip()
        if text.startswith("["):
            parsed = parse_json(text, what="include")
            names.extend(parsed if isinstance(parsed, list) else [parsed])
        else:
            names.extend(part.strip() for part in text.split(",") if part.strip())
    specs = parse_include(names) if names else []
    validate_include(specs, rules.relations)
    return specs


def _v4_filter(
    text: str | None, rules: FilterRules, groups: Iterable[str] = ALL_GROUPS
) -> dict[str, Any]:
    raw = parse_json_object(text, what="filter")
    check_v4_filter(
        raw, rules.entity_keys, groups=groups, extra_words=rules.extra_words
    )
    return raw


def _where(raw: Mapping[str, Any]) -> dict[str, Any]:
    where = raw.get("where")
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise InvalidError("where must be a JSON object")
    check_filter(where)
    return dict(where)


def _projection(
    fields: Fields | None,
    rules: FilterRules,
    relations: list[str],
    needed: list[str],
) -> tuple[dict[str, bool] | None, frozenset[str], frozenset[str]]:
    """The store projection, the computed names asked for, the fields to strip."""
    if fields is None:
        return None, frozenset(), frozenset()
    virtual = rules.computed_fields | set(rules.relations)
    if isinstance(fields, dict):
        computed = frozenset(k for k, v in fields.items() if v and k in virtual)
        stored: Fields = {k: v for k, v in fields.items() if k not in virtual}
    else:
        computed = frozenset(name for name in fields if name in virtual)
        stored = [name for name in fields if name not in virtual]
    computed = computed & rules.computed_fields
    if not stored:
        # Only computed names were asked for: keep the id and what they need.
        stored = ["_id"]
    projection = to_projection(stored)
    inclusive = any(flag for key, flag in projection.items() if key != "_id")
    if not inclusive and isinstance(stored, list):
        inclusive = True
    strip: set[str] = set()
    if inclusive:
        joins = [rules.relations[name].local_field for name in relations]
        for name in (*joins, *needed):
            if not projection.get(name):
                projection[name] = True
                strip.add(name)
    return projection, computed, frozenset(strip)
