"""``include`` (related documents) as ``$lookup`` stages.

An include item is a relation name or ``{relation, scope: {where, fields,
limits}}``; ``all`` stands for every relation of the entity. Each relation is
joined with MongoDB's equality form (``localField``/``foreignField``, which
matches array elements too) plus, when needed, a sub-pipeline holding the
caller's access filter and the scope. The scope's stages run ``$match``,
``$project``, ``$sort``, ``$skip``, ``$limit``: SciCat sorts after limiting,
which sorts only a truncated page, and we do not copy that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from common.errors import InvalidError
from common.query.limits import Limits, parse_order, parse_sort
from common.query.operators import check_filter
from common.query.projection import Fields, normalize_fields, to_projection
from common.query.types import MongoFilter, Stage

ALL = "all"


@dataclass(frozen=True, slots=True)
class IncludeScope:
    """What to keep of the related documents."""

    where: MongoFilter | None = None
    fields: Fields | None = None
    limits: Limits | None = None


@dataclass(frozen=True, slots=True)
class IncludeSpec:
    """One requested relation."""

    relation: str
    scope: IncludeScope = field(default_factory=IncludeScope)


@dataclass(frozen=True, slots=True)
class Relation:
    """How one relation is joined: documents of ``collection`` whose
    ``foreign_field`` equals (an element of) ``local_field``."""

    name: str
    collection: str
    local_field: str
    foreign_field: str
    # Extra condition on the related documents, part of the relation itself.
    match: MongoFilter | None = None


DATASET_RELATIONS: dict[str, Relation] = {
    relation.name: relation
    for relation in (
        Relation("instruments", "Instrument", "instrumentIds", "pid"),
        Relation("proposals", "Proposal", "proposalIds", "proposalId"),
        Relation("origdatablocks", "OrigDatablock", "pid", "datasetId"),
        Relation("datablocks", "Datablock", "pid", "datasetId"),
        # TODO(query): the targetType condition is not tied to the same
        # relationship element as targetId; ids are unique across entities, so
        # this only matters for hand-made data. A correlated `let` sub-pipeline
        # would fix it once the embedded store runs `$lookup` with `let`.
        Relation(
            "attachments",
            "Attachment",
            "pid",
            "relationships.targetId",
            match={"relationships.targetType": "dataset"},
        ),
        Relation("samples", "Sample", "sampleIds", "sampleId"),
    )
}
ORIGDATABLOCK_RELATIONS: dict[str, Relation] = {
    "dataset": Relation("dataset", "Dataset", "datasetId", "pid"),
}
# Relations whose related documents SciCat v4 filters by the caller's access.
ACCESS_FILTERED_DATASET_RELATIONS = frozenset(
    {"proposals", "origdatablocks", "datablocks", "samples"}
)


@dataclass(frozen=True, slots=True)
class IncludePlan:
    """The ``$lookup`` stages and the output keys they add."""

    stages: list[Stage]
    relations: list[str]


def parse_include(value: Any) -> list[IncludeSpec]:
    """Parse an ``include`` value (string, object or list of them)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [_parse_item(item) for item in items]


def _parse_item(item: Any) -> IncludeSpec:
    if isinstance(item, str):
        return IncludeSpec(item)
    if not isinstance(item, Mapping) or not isinstance(item.get("relation"), str):
        raise InvalidError("include items must be relation names or {relation, scope}")
    unknown = set(item) - {"relation", "scope"}
    if unknown:
        raise InvalidError(f"Property include.{sorted(unknown)[0]} should not exist")
    return IncludeSpec(item["relation"], _parse_scope(item.get("scope")))


def _parse_scope(scope: Any) -> IncludeScope:
    if scope is None:
        return IncludeScope()
    if not isinstance(scope, Mapping):
        raise InvalidError("include scope must be an object")
    unknown = set(scope) - {"where", "fields", "limits"}
    if unknown:
        raise InvalidError(f"Property scope.{sorted(unknown)[0]} should not exist")
    where = scope.get("where")
    if where is not None:
        check_filter(where, allow_text=False)
    return IncludeScope(
        where=dict(where) if where is not None else None,
        fields=normalize_fields(scope.get("fields")),
        limits=_parse_scope_limits(scope.get("limits")),
    )


def _parse_scope_limits(limits: Any) -> Limits | None:
    """Scope limits apply only what is given: no default page size."""
    if limits is None:
        return None
    if not isinstance(limits, Mapping):
        raise InvalidError("include scope limits must be an object")
    sort: dict[str, int] = {}
    if limits.get("sort") is not None:
        sort = parse_sort(limits["sort"])
    if limits.get("order") is not None:
        sort = parse_order(limits["order"])
    page = {key: limits.get(key) for key in ("limit", "skip")}
    for key, number in page.items():
        if number is not None and (
            isinstance(number, bool) or not isinstance(number, int) or number < 0
        ):
            raise InvalidError(f"include scope {key} must be a non-negative integer")
    return Limits(limit=page["limit"] or None, skip=page["skip"] or 0, sort=sort)


def validate_include(
    specs: Sequence[IncludeSpec], relations: Mapping[str, Relation]
) -> None:
    """Raise InvalidError (SciCat's message) for a relation the entity does not have."""
    for spec in specs:
        if spec.relation != ALL and spec.relation not in relations:
            name = json.dumps(spec.relation)
            raise InvalidError(
                f"Provided include field {name} is not part of the dataset relations"
            )


def build_lookups(
    specs: Sequence[IncludeSpec],
    relations: Mapping[str, Relation],
    access_filters: Mapping[str, MongoFilter] | None = None,
) -> IncludePlan:
    """``$lookup`` stages for ``specs``; ``access_filters`` (per relation name)
    restrict the related documents to those the caller may read."""
    validate_include(specs, relations)
    scopes = {spec.relation: spec.scope for spec in specs}
    if ALL in scopes:
        names = list(relations)
    else:
        names = list(dict.fromkeys(spec.relation for spec in specs))

    stages = []
    for name in names:
        relation = relations[name]
        access = (access_filters or {}).get(name)
        stages.append(_lookup(relation, scopes.get(name, IncludeScope()), access))
    return IncludePlan(stages=stages, relations=names)


def _lookup(
    relation: Relation, scope: IncludeScope, access: MongoFilter | None
) -> Stage:
    pipeline: list[Stage] = []
    conditions = [c for c in (relation.match, access, scope.where) if c]
    if len(conditions) == 1:
        pipeline.append({"$match": conditions[0]})
    elif conditions:
        pipeline.append({"$match": {"$and": conditions}})
    if scope.fields is not None:
        pipeline.append({"$project": to_projection(scope.fields)})
    if scope.limits is not None:
        pipeline.extend(_scope_limit_stages(scope.limits))

    lookup: dict[str, Any] = {
        "from": relation.collection,
        "localField": relation.local_field,
        "foreignField": relation.foreign_field,
        "as": relation.name,
    }
    if pipeline:
        lookup["pipeline"] = pipeline
    return {"$lookup": lookup}


def _scope_limit_stages(limits: Limits) -> list[Stage]:
    stages: list[Stage] = []
    if limits.sort:
        stages.append({"$sort": dict(limits.sort)})
    if limits.skip:
        stages.append({"$skip": limits.skip})
    if limits.limit is not None:
        stages.append({"$limit": limits.limit})
    return stages
