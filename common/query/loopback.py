"""The loopback ``filter`` of the v3 routes translated into MongoDB terms.

SciCat's filter pipe, step by step (reference §4.1.2):

1. the parameter is parsed as JSON, and string values that hold a JSON object
   or array are parsed too (clients stringify nested parts);
2. inside ``where`` the loopback operators are renamed: ``inq``, ``nin``,
   ``and``, ``or``, ``like``, ``ilike`` (adds ``$options: "i"``), ``gt``,
   ``gte``, ``lt``, ``lte``. We also translate ``neq``, ``between``,
   ``exists``, ``nlike``, ``nilike`` and ``regexp`` as loopback does, where
   SciCat passes them to MongoDB untranslated (and fails);
3. inside ``where`` string values that denote a date become dates
   (:mod:`common.query.dates`, stricter than V8);
4. ``fields`` in object form is normalised to booleans.

The result goes through the operator allow-list, so a ``$where`` hidden in a
loopback filter is refused like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from common.errors import InvalidError
from common.query.dates import parse_lenient_date
from common.query.include import IncludeSpec, parse_include
from common.query.jsonparam import parse_json
from common.query.limits import V3_DEFAULTS, LimitDefaults, Limits, parse_v3_limits
from common.query.operators import check_filter, check_regex, check_regex_options
from common.query.projection import Fields, normalize_fields, to_projection
from common.query.types import MongoFilter, Projection

RENAMED_OPERATORS = {
    "inq": "$in",
    "nin": "$nin",
    "and": "$and",
    "or": "$or",
    "like": "$regex",
    "ilike": "$regex",
    "gt": "$gt",
    "gte": "$gte",
    "lt": "$lt",
    "lte": "$lte",
    "neq": "$ne",
    "exists": "$exists",
}
# Values under these keys are patterns or flags, never dates.
_NOT_DATES = frozenset(
    {"like", "ilike", "nlike", "nilike", "regexp", "$regex", "$options"}
)
_REGEXP_LITERAL = re.compile(r"^/(.*)/([a-z]*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class LoopbackFilter:
    """A parsed loopback filter; ``raw`` keeps the whole translated object."""

    where: MongoFilter = field(default_factory=dict)
    fields: Fields | None = None
    limits: Limits = field(default_factory=Limits)
    include: list[IncludeSpec] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def projection(self) -> Projection | None:
        """``fields`` as a projection document, or None to keep every field."""
        return to_projection(self.fields) if self.fields else None


def parse_loopback_filter(
    text: str | None,
    *,
    field_map: Mapping[str, str] | None = None,
    allow_object_fields: bool = True,
    limit_defaults: LimitDefaults = V3_DEFAULTS,
    parse_limits: Callable[[Any, LimitDefaults], Limits] = parse_v3_limits,
) -> LoopbackFilter:
    """Parse and translate the ``filter`` parameter; bad input raises InvalidError."""
    if text is None or text.strip() == "":
        return LoopbackFilter(limits=parse_limits(None, limit_defaults))
    parsed = parse_json(text, what="filter")
    return translate_loopback_filter(
        parsed,
        field_map=field_map,
        allow_object_fields=allow_object_fields,
        limit_defaults=limit_defaults,
        parse_limits=parse_limits,
    )


def translate_loopback_filter(
    parsed: Any,
    *,
    field_map: Mapping[str, str] | None = None,
    allow_object_fields: bool = True,
    limit_defaults: LimitDefaults = V3_DEFAULTS,
    parse_limits: Callable[[Any, LimitDefaults], Limits] = parse_v3_limits,
) -> LoopbackFilter:
    """Translate an already parsed filter object (see :func:`parse_loopback_filter`)."""
    if parsed is None:
        parsed = {}
    if not isinstance(parsed, Mapping):
        raise InvalidError("Invalid JSON in filter: expected an object")
    names = dict(field_map or {})
    raw = {key: parse_nested_json(value) for key, value in parsed.items()}

    where = translate_where(raw.get("where"), field_map=names)
    raw["where"] = where

    fields = raw.get("fields")
    if fields is not None:
        if isinstance(fields, Mapping) and not allow_object_fields:
            raise InvalidError("fields must be an array of field names")
        fields = normalize_fields(_rename_fields(fields, names))
        raw["fields"] = fields

    limits_value = raw.get("limits")
    if names and isinstance(limits_value, Mapping) and "order" in limits_value:
        limits_value = {
            **limits_value,
            "order": _rename_order(limits_value["order"], names),
        }
    limits = parse_limits(limits_value, limit_defaults)
    include = parse_include(raw.get("include"))
    return LoopbackFilter(
        where=where, fields=fields, limits=limits, include=include, raw=raw
    )


def translate_where(
    where: Any, *, field_map: Mapping[str, str] | None = None
) -> MongoFilter:
    """Translate a loopback ``where`` object and check it against the allow-list."""
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise InvalidError("where must be a JSON object")
    translated = _translate_object(where, dict(field_map or {}))
    check_filter(translated)
    return translated


def parse_nested_json(value: Any) -> Any:
    """Parse string values holding a JSON object or array, at any depth.

    Unlike SciCat, plain strings such as ``"123"`` or ``"true"`` stay strings,
    so an id made of digits keeps matching.
    """
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in {"{", "["}:
            try:
                return parse_nested_json(parse_json(stripped))
            except InvalidError:
                return value
        return value
    if isinstance(value, Mapping):
        return {key: parse_nested_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [parse_nested_json(item) for item in value]
    return value


def _translate(value: Any, names: dict[str, str], key: str | None) -> Any:
    if isinstance(value, Mapping):
        return _translate_object(value, names)
    if isinstance(value, list):
        return [_translate(item, names, None) for item in value]
    if isinstance(value, str) and key is not None and key not in _NOT_DATES:
        date = parse_lenient_date(value)
        return value if date is None else date
    return value


def _translate_object(source: Mapping[str, Any], names: dict[str, str]) -> MongoFilter:
    result: MongoFilter = {}
    for key, value in source.items():
        if not isinstance(key, str):
            raise InvalidError("Filter keys must be strings")
        if key == "between":
            result.update(_between(value))
        elif key in {"nlike", "nilike"}:
            # Flags inline: mongomock does not take $options inside $not.
            flags = "(?i)" if key == "nilike" else ""
            result["$not"] = {"$regex": flags + _pattern(value)}
        elif key == "regexp":
            result.update(_regexp(value))
        elif key == "ilike":
            result["$regex"] = _pattern(value)
            result["$options"] = "i"
        elif key == "like":
            result["$regex"] = _pattern(value)
        else:
            new_key = RENAMED_OPERATORS.get(key) or names.get(key, key)
            result[new_key] = _translate(value, names, key)
    return result


def _between(value: Any) -> MongoFilter:
    if not isinstance(value, list) or len(value) != 2:
        raise InvalidError("between needs an array of two values")
    low, high = (_translate(item, {}, "between") for item in value)
    return {"$gte": low, "$lte": high}


def _pattern(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidError("like and ilike need a string pattern")
    check_regex(value)
    return value


def _regex(value: Any, options: str) -> MongoFilter:
    regex: MongoFilter = {"$regex": _pattern(value)}
    if options:
        regex["$options"] = options
    return regex


def _regexp(value: Any) -> MongoFilter:
    """Loopback's ``regexp``: ``"/pattern/flags"`` or a bare pattern."""
    if not isinstance(value, str):
        raise InvalidError("regexp needs a string such as '/^abc/i'")
    match = _REGEXP_LITERAL.match(value)
    if match is None:
        return _regex(value, "")
    # JavaScript's g (and y, u) flags mean nothing to a query.
    flags = "".join(flag for flag in match.group(2) if flag not in "guy")
    check_regex_options(flags)
    return _regex(match.group(1), flags)


def _rename_fields(fields: Any, names: dict[str, str]) -> Any:
    if not names:
        return fields
    if isinstance(fields, Mapping):
        return {names.get(key, key): value for key, value in fields.items()}
    if isinstance(fields, list):
        return [
            names.get(item, item) if isinstance(item, str) else item for item in fields
        ]
    return fields


def _rename_order(order: Any, names: dict[str, str]) -> Any:
    def rename(item: Any) -> Any:
        if not isinstance(item, str):
            return item
        name, sep, direction = item.partition(":")
        return f"{names.get(name, name)}{sep}{direction}"

    return (
        [rename(item) for item in order] if isinstance(order, list) else rename(order)
    )
