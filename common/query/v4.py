"""The v4 ``filter`` parameter and the list pipeline it drives.

v4 endpoints take raw MongoDB operators (no loopback renaming), checked by the
key allow-list and then by the operator allow-list. The list pipeline is
SciCat's, but paged before joining (see :func:`list_pipeline`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from common.errors import InvalidError
from common.query.allowlist import ALL_GROUPS, check_v4_filter
from common.query.include import (
    IncludePlan,
    IncludeSpec,
    Relation,
    build_lookups,
    parse_include,
)
from common.query.jsonparam import parse_json_object
from common.query.limits import V4_DEFAULTS, LimitDefaults, Limits, parse_v4_limits
from common.query.operators import check_filter
from common.query.projection import Fields, normalize_fields, to_projection
from common.query.types import MongoFilter, Stage


@dataclass(frozen=True, slots=True)
class V4Filter:
    """A checked v4 filter."""

    where: MongoFilter = field(default_factory=dict)
    fields: Fields | None = None
    limits: Limits = field(default_factory=Limits)
    include: list[IncludeSpec] = field(default_factory=list)


def parse_v4_filter(
    text: str | None,
    *,
    entity_keys: frozenset[str],
    groups: Iterable[str] = ALL_GROUPS,
    extra_words: frozenset[str] = frozenset(),
    limit_defaults: LimitDefaults = V4_DEFAULTS,
    relations: Mapping[str, Relation] | None = None,
) -> V4Filter:
    """Parse and check a v4 ``filter``; violations raise InvalidError (400)."""
    parsed = parse_json_object(text, what="filter")
    check_v4_filter(parsed, entity_keys, groups=groups, extra_words=extra_words)

    where = parsed.get("where") or {}
    if not isinstance(where, dict):
        raise InvalidError("where must be a JSON object")
    check_filter(where)

    include = parse_include(parsed.get("include"))
    if include:
        build_lookups(include, relations or {})
    return V4Filter(
        where=where,
        fields=normalize_fields(parsed.get("fields")),
        limits=parse_v4_limits(parsed.get("limits"), limit_defaults),
        include=include,
    )


def list_pipeline(
    where: MongoFilter,
    *,
    fields: Fields | None = None,
    limits: Limits | None = None,
    include: IncludePlan | None = None,
) -> list[Stage]:
    """``$match`` → sort/skip/limit → lookups → ``$project`` (relations kept).

    SciCat sorts after projecting, so sorting by a field left out of ``fields``
    did nothing, and it joins relations for every match before paging. We page
    first, unless the sort is on an included relation, which needs the join.
    """
    relations = include.relations if include is not None else []
    lookups = include.stages if include is not None else []
    paging = limits.stages() if limits is not None else []
    sorts_on_relation = limits is not None and any(
        key.split(".")[0] in relations for key in limits.sort
    )

    pipeline: list[Stage] = [{"$match": where}]
    if sorts_on_relation:
        pipeline.extend(lookups)
        pipeline.extend(paging)
    else:
        pipeline.extend(paging)
        pipeline.extend(lookups)
    if fields:
        pipeline.append({"$project": to_projection(fields, relations)})
    return pipeline
