"""``fields`` values turned into MongoDB projections.

Projection values are reduced to booleans, because an aggregation ``$project``
would otherwise evaluate any expression a caller put there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from common.errors import InvalidError
from common.query.operators import check_field_name
from common.query.types import Projection

Fields = list[str] | dict[str, bool]


def normalize_fields(fields: Any) -> Fields | None:
    """SciCat's normalisation: object form to booleans (only the true keys when any
    non-``_id`` key is true), array form kept; other shapes are refused."""
    if fields is None:
        return None
    if isinstance(fields, Mapping):
        flags = {str(key): _truthy(value) for key, value in fields.items()}
        for key in flags:
            check_field_name(key)
        if any(flag and key != "_id" for key, flag in flags.items()):
            return {k: v for k, v in flags.items() if v or k == "_id"}
        return flags
    if isinstance(fields, list):
        if not all(isinstance(item, str) for item in fields):
            raise InvalidError("fields must be an array of field names")
        for item in fields:
            check_field_name(item)
        return list(fields)
    raise InvalidError("Fields must be an array or a valid projection object")


def to_projection(fields: Fields, extra_fields: Iterable[str] = ()) -> Projection:
    """The projection document for ``fields``, with ``extra_fields`` also kept."""
    if isinstance(fields, dict):
        projection = dict(fields)
    else:
        projection = dict.fromkeys(fields, True)
    # Adding a kept field to an exclusion projection would make it invalid;
    # an exclusion keeps the extra fields anyway.
    inclusive = any(flag for key, flag in projection.items() if key != "_id")
    if inclusive:
        for name in extra_fields:
            projection[name] = True
    return projection


def _truthy(value: Any) -> bool:
    """JavaScript's ``!!value``."""
    if isinstance(value, str):
        return value != ""
    if isinstance(value, float) and value != value:
        return False
    return bool(value) or isinstance(value, dict | list)
