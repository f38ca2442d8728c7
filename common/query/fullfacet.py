"""fullfacet: counts of documents per value of the requested fields.

The pipeline is SciCat's (reference §4.3): a ``$match`` built from
``fields``, then one ``$facet`` with, per facet, (``$unwind`` for arrays) →
``$match`` of the other facets' conditions → ``$group`` by value (dates by
``{year, month, day}``) → ``$sort {_id: -1}``, and ``all`` counting the
matches as ``totalSets``. The answer is a one-element list
``[{"<facet>": [{"_id": ..., "count": n}], "all": [{"totalSets": n}]}]``
(``all`` is ``[]`` when nothing matches).

Differences from SciCat: facets ``datasetlifecycle.<x>`` group by the lifecycle
field (SciCat groups by a top-level ``<x>`` that does not exist and answers
``_id: null``); the output key stays ``<x>``. ``characteristics`` is read as
metadata conditions here too. Unknown facets are skipped with a warning, as
in SciCat.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from common.errors import InvalidError
from common.query.fullquery import (
    IGNORED_KEYS,
    FieldType,
    QuerySpec,
    merge_filters,
    mode_filter,
    search_expression,
    user_groups_condition,
)
from common.query.operators import check_field_name, check_filter
from common.query.scientific import METADATA_FIELDS, scientific_filter
from common.query.types import MongoFilter, Stage

logger = logging.getLogger(__name__)

GLOBAL_ACCESS = "globalaccess"
LIFECYCLE_PREFIX = "datasetlifecycle."
MAX_FACETS = 50


def build_match_stages(spec: QuerySpec, fields: Any) -> list[Stage]:
    """The ``$match`` SciCat puts before the facets, as one stage (or none).

    SciCat adds one ``$match`` per ``fields`` key; one stage with all of them
    AND-ed selects the same documents and lets the store use its indexes.
    """
    if fields is None:
        return []
    if not isinstance(fields, Mapping):
        raise InvalidError("fields must be a JSON object")
    query: MongoFilter = {}
    for key, value in fields.items():
        if key in IGNORED_KEYS:
            continue
        if key == "text":
            # SciCat ignores a text value that is not a string.
            if isinstance(value, str):
                merge_filters(query, {"$text": {"$search": value}})
        elif key == spec.id_field:
            merge_filters(query, {key: search_expression(spec, key, value)})
        elif key == "mode":
            merge_filters(query, mode_filter(spec, value))
        elif key == "userGroups":
            if _restricts_groups(spec, value):
                merge_filters(query, {"$and": [user_groups_condition(spec, value)]})
        elif key in METADATA_FIELDS:
            merge_filters(query, scientific_filter(key, value))
        else:
            merge_filters(query, {key: search_expression(spec, key, value)})
    if not query:
        return []
    check_filter(query)
    return [{"$match": query}]


def build_fullfacet_pipeline(
    spec: QuerySpec, fields: Any, facets: Sequence[str], sub_field: str = ""
) -> list[Stage]:
    """The aggregation pipeline answering a fullfacet request."""
    if len(facets) > MAX_FACETS:
        raise InvalidError(f"At most {MAX_FACETS} facets can be requested")
    pipeline = build_match_stages(spec, fields)
    facet_match = _facet_conditions(spec, fields, facets)

    branches: dict[str, list[Stage]] = {}
    for facet in facets:
        check_field_name(facet)
        located = _locate(spec, facet)
        if located is None:
            logger.warning("facet is not a field of the entity", extra={"facet": facet})
            continue
        output_key, path, kind = located
        branches[output_key] = _facet_branch(facet, path, kind, facet_match)

    branches["all"] = [{"$match": facet_match}]
    if sub_field:
        branches["all"].append({"$unwind": f"${sub_field}"})
    branches["all"].extend(_count_stages())
    pipeline.append({"$facet": branches})
    return pipeline


def build_fullfacet_count_pipeline(
    spec: QuerySpec, fields: Any, sub_field: str = ""
) -> list[Stage]:
    """Only the ``totalSets`` count of a fullfacet request: ``[{"totalSets": n}]``
    or ``[]``, without grouping or returning documents."""
    pipeline = build_match_stages(spec, fields)
    if sub_field:
        pipeline.append({"$unwind": f"${sub_field}"})
    pipeline.extend(_count_stages())
    return pipeline


def _count_stages() -> list[Stage]:
    """``$count`` as group and project: the same answer, and an empty input gives
    ``[]`` on every engine (mongomock's ``$count``, and its ``$group`` on a null
    ``_id``, answer ``[{totalSets: 0}]``)."""
    return [
        {"$group": {"_id": 1, "totalSets": {"$sum": 1}}},
        {"$project": {"_id": 0, "totalSets": 1}},
    ]


def _facet_conditions(
    spec: QuerySpec, fields: Any, facets: Sequence[str]
) -> MongoFilter:
    if not isinstance(fields, Mapping):
        return {}
    return {
        key: search_expression(spec, key, value)
        for key, value in fields.items()
        if key in facets
    }


def _locate(spec: QuerySpec, facet: str) -> tuple[str, str, FieldType] | None:
    """Output key, field path and type of a facet, or None if unknown."""
    if facet.startswith(LIFECYCLE_PREFIX):
        return facet[len(LIFECYCLE_PREFIX) :], facet, spec.type_of(facet)
    if facet in spec.field_types:
        return facet, facet, spec.field_types[facet]
    return None


def _facet_branch(
    facet: str, path: str, kind: FieldType, facet_match: MongoFilter
) -> list[Stage]:
    stages: list[Stage] = []
    if kind == FieldType.ARRAY:
        stages.append({"$unwind": f"${path}"})
    others = {key: value for key, value in facet_match.items() if key != facet}
    if others:
        stages.append({"$match": others})
    group_id: Any = f"${path}"
    if kind == FieldType.DATE:
        group_id = {
            "year": {"$year": f"${path}"},
            "month": {"$month": f"${path}"},
            "day": {"$dayOfMonth": f"${path}"},
        }
    stages.append({"$group": {"_id": group_id, "count": {"$sum": 1}}})
    stages.append({"$sort": {"_id": -1}})
    return stages


def _restricts_groups(spec: QuerySpec, groups: Any) -> bool:
    """SciCat skips the groups condition for ``globalaccess`` or no value; an
    empty list still restricts (to nothing)."""
    if groups is None or not spec.has_owner_group:
        return False
    values = groups if isinstance(groups, list) else [groups]
    return GLOBAL_ACCESS not in values
