"""Field types and key sets of an entity, derived from its pydantic model.

The fullquery and fullfacet builders type values by schema path (SciCat asks
Mongoose); the v4 allow-list needs the entity's keys. Both come from the
models, so a new field needs no second edit here.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from common.query.fullquery import FieldType, QuerySpec

_MAX_NESTING = 5


def field_types_from_model(model: type[BaseModel]) -> dict[str, FieldType]:
    """Every field path of ``model`` (nested models as dotted paths) and its type."""
    types_by_path: dict[str, FieldType] = {}
    _collect(model, "", types_by_path, depth=0)
    return types_by_path


def query_spec(model: type[BaseModel], id_field: str) -> QuerySpec:
    """The fullquery/fullfacet description of the entity stored as ``model``."""
    types_by_path = field_types_from_model(model)
    return QuerySpec(
        id_field=id_field,
        field_types=types_by_path,
        has_owner_group="ownerGroup" in types_by_path,
    )


def keys_from_models(*models: type[BaseModel]) -> frozenset[str]:
    """Every field name of the models and of the models nested in them."""
    keys: set[str] = set()
    for model in models:
        for path in field_types_from_model(model):
            keys.update(path.split("."))
    return frozenset(keys)


def _collect(
    model: type[BaseModel], prefix: str, into: dict[str, FieldType], depth: int
) -> None:
    for name, info in model.model_fields.items():
        key = info.alias if info.alias and info.alias != name else name
        path = f"{prefix}{key}"
        kind, nested = _classify(info.annotation)
        into[path] = kind
        if nested is not None and depth < _MAX_NESTING:
            _collect(nested, f"{path}.", into, depth + 1)


def _classify(annotation: Any) -> tuple[FieldType, type[BaseModel] | None]:
    """The field type of an annotation and, for sub-documents, their model."""
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        item = get_args(annotation)[0] if get_args(annotation) else Any
        _, nested = _classify(item)
        return FieldType.ARRAY, nested
    if origin is Literal:
        return FieldType.STRING, None
    if origin in (dict, Mapping) or annotation in (dict, Any):
        return FieldType.OBJECT, None
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return FieldType.OBJECT, annotation
        if issubclass(annotation, bool):
            return FieldType.BOOLEAN, None
        if issubclass(annotation, datetime | date):
            return FieldType.DATE, None
        if issubclass(annotation, int | float):
            return FieldType.NUMBER, None
        if issubclass(annotation, list | tuple | set):
            return FieldType.ARRAY, None
        if issubclass(annotation, dict):
            return FieldType.OBJECT, None
    return FieldType.STRING, None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and optional ``None`` from an annotation."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return _first_informative(members)
            annotation = members[0]
        else:
            return annotation


def _first_informative(members: list[Any]) -> Any:
    """For a union such as ``float | list[float]`` the list decides (``$in``)."""
    for member in members:
        if get_origin(_unwrap(member)) in (list, tuple, set):
            return _unwrap(member)
    return _unwrap(members[0]) if members else Any
