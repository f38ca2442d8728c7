"""The fullquery ``fields`` object translated into a MongoDB filter.

Keys of ``fields`` (reference §4.2):

* ``mode``: a filter merged as it is (the entity's id field renamed ``_id``);
* ``text``: ``$text`` search;
* ``scientific`` / ``characteristics``: metadata conditions
  (:mod:`common.query.scientific`);
* ``userGroups``: documents whose ``ownerGroup`` or ``accessGroups`` hold one
  of the groups;
* ``metadataKey``: consumed by the metadataKeys listing, not a condition
  (SciCat turns it into a condition on a field no document has);
* any other key: a condition on that field, shaped by the field's type:
  strings (a one-element list is the element, a longer one ``$in``), dates
  (``{begin, end}``), booleans, numbers (``{min, max}``), arrays (``$in``).

Conditions are AND-ed; where SciCat lets a later key overwrite an earlier one
(two ``$and``s, ``mode`` over a field), we keep both. The result passes the
operator allow-list, so ``mode`` cannot smuggle in ``$where``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from common.errors import InvalidError
from common.query.dates import parse_lenient_date
from common.query.operators import check_filter
from common.query.scientific import METADATA_FIELDS, merge_condition, scientific_filter
from common.query.types import MongoFilter

IGNORED_KEYS = frozenset({"metadataKey"})


class FieldType(enum.StrEnum):
    """Schema types that change how a fullquery value is read."""

    STRING = "String"
    DATE = "Date"
    BOOLEAN = "Boolean"
    NUMBER = "Number"
    ARRAY = "Array"
    OBJECT = "Object"


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """What the builders need to know of one entity."""

    id_field: str
    # Dotted paths (``datasetlifecycle.archivable``) may be listed too.
    field_types: Mapping[str, FieldType] = field(default_factory=dict)
    has_owner_group: bool = True

    def type_of(self, name: str, value: Any = None) -> FieldType:
        """SciCat's schemaTypeOf: unknown paths are strings (dates given ``begin``)."""
        known = self.field_types.get(name)
        if known is not None:
            return known
        if isinstance(value, Mapping) and "begin" in value:
            return FieldType.DATE
        return FieldType.STRING


class ReadTier(enum.Enum):
    """How much of an entity a caller may list (decided by the permissions module)."""

    ANY = "any"
    ACCESS = "access"
    OWNER = "owner"
    NONE = "none"


def search_expression(spec: QuerySpec, name: str, value: Any) -> Any:
    """The condition for one ``fields`` entry, shaped by the field's type."""
    if name == "text":
        if not isinstance(value, str):
            raise InvalidError("fields.text must be a string")
        return {"$search": value}
    if name.startswith("$"):
        return value

    kind = spec.type_of(name, value)
    if kind == FieldType.STRING:
        if isinstance(value, list):
            return value[0] if len(value) == 1 else {"$in": value}
        return value
    if kind == FieldType.DATE:
        return _date_range(name, value)
    if kind == FieldType.BOOLEAN:
        return {"$eq": value}
    if isinstance(value, list):
        return {"$in": value}
    is_range = isinstance(value, Mapping) and ("min" in value or "max" in value)
    if kind == FieldType.NUMBER and is_range:
        bounds = {"$gte": value.get("min"), "$lte": value.get("max")}
        return {op: bound for op, bound in bounds.items() if bound is not None}
    return value


def build_fullquery_filter(spec: QuerySpec, fields: Any) -> MongoFilter:
    """The MongoDB filter for a fullquery ``fields`` object."""
    if fields is None:
        return {}
    if not isinstance(fields, Mapping):
        raise InvalidError("fields must be a JSON object")

    query: MongoFilter = {}
    for key, value in fields.items():
        if key in IGNORED_KEYS:
            continue
        if key == "mode":
            merge_filters(query, mode_filter(spec, value))
        elif key == "text":
            merge_filters(query, {"$text": search_expression(spec, key, value)})
        elif key in METADATA_FIELDS:
            merge_filters(query, scientific_filter(key, value))
        elif key == "userGroups":
            merge_filters(query, {"$and": [user_groups_condition(spec, value)]})
        else:
            merge_filters(query, {key: search_expression(spec, key, value)})
    check_filter(query)
    return query


def mode_filter(spec: QuerySpec, mode: Any) -> MongoFilter:
    """``mode`` as a filter, the id field renamed ``_id``."""
    if not isinstance(mode, Mapping):
        raise InvalidError("fields.mode must be a JSON object")
    expression = dict(mode)
    if spec.id_field in expression:
        expression["_id"] = expression.pop(spec.id_field)
    return expression


def user_groups_condition(spec: QuerySpec, groups: Any) -> MongoFilter:
    """Documents owned by or shared with one of ``groups``."""
    return {
        "$or": [
            {"ownerGroup": search_expression(spec, "ownerGroup", groups)},
            {"accessGroups": search_expression(spec, "accessGroups", groups)},
        ]
    }


def augment_access_fields(
    fields: Mapping[str, Any] | None,
    tier: ReadTier,
    groups: Sequence[str],
    *,
    public_fallback: bool,
) -> dict[str, Any]:
    """SciCat's access augmentation of ``fields`` before building.

    Callers who may read any document, or who ask for published ones only,
    get ``fields`` unchanged; the access tier gets ``userGroups`` set to its
    groups, the owner tier ``ownerGroup``; anyone else (v3 only,
    ``public_fallback``) gets ``isPublished = true``.

    SciCat appends the caller's groups to any ``userGroups``/``ownerGroup``
    the caller sent, so naming another group showed that group's datasets.
    We keep only the named groups the caller belongs to instead.
    """
    augmented = dict(fields or {})
    if tier == ReadTier.ANY or _truthy(augmented.get("isPublished")):
        return augmented
    if tier == ReadTier.ACCESS:
        augmented["userGroups"] = _restrict(augmented.get("userGroups"), groups)
    elif tier == ReadTier.OWNER:
        augmented["ownerGroup"] = _restrict(augmented.get("ownerGroup"), groups)
    elif public_fallback:
        augmented["isPublished"] = True
    return augmented


def _restrict(requested: Any, groups: Sequence[str]) -> list[Any]:
    if requested is None:
        return list(groups)
    return [group for group in _as_list(requested) if group in groups]


def merge_filters(query: MongoFilter, addition: MongoFilter) -> None:
    """AND ``addition`` into ``query`` in place, keeping both where keys meet."""
    for key, value in addition.items():
        if key == "$and" and isinstance(value, list):
            query.setdefault("$and", []).extend(value)
        elif key in query and key.startswith("$"):
            query.setdefault("$and", []).append({key: value})
        else:
            merge_condition(query, key, value)


def _date_range(name: str, value: Any) -> MongoFilter:
    if not isinstance(value, Mapping) or not ({"begin", "end"} & set(value)):
        raise InvalidError(f"fields.{name} needs an object {{begin, end}}")
    bounds = {"$gte": value.get("begin"), "$lte": value.get("end")}
    return {op: _date(name, bound) for op, bound in bounds.items() if bound is not None}


def _date(name: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            pass
    if isinstance(value, str):
        parsed = parse_lenient_date(value)
        if parsed is not None:
            return parsed
    raise InvalidError(f"fields.{name} begin and end must be dates")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _truthy(value: Any) -> bool:
    return bool(value) and value != "false"
