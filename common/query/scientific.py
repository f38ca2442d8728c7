"""Conditions on scientific metadata (fullquery ``scientific``/``characteristics``).

Each condition is ``{lhs, relation, rhs, unit?}``; ``lhs`` is encoded like the
stored keys and ``F`` below is ``<metadata field>.<encoded lhs>``:

* ``EQUAL_TO_STRING``: ``F``, ``F.v`` or ``F.value`` equals ``rhs``;
* ``EQUAL_TO_NUMERIC``: ``F.value`` equals ``rhs``, or with a unit
  ``F.valueSI``/``F.unitSI`` equal ``rhs`` converted to SI;
* ``GREATER_THAN``, ``LESS_THAN``, ``GREATER_THAN_OR_EQUAL``,
  ``LESS_THAN_OR_EQUAL``: the comparison on ``F``/``F.v``/``F.value``, or with
  a unit on ``F.valueSI`` with ``F.unitSI`` equal to the SI unit;
* ``RANGE`` (``rhs = [min, max]``, exclusive): on ``F.value`` or, with a unit,
  on ``F.valueSI``;
* ``CONTAINS_STRING``: a case-insensitive substring match on ``F``/``F.v``/
  ``F.value``. SciCat emits an operator literally named ``/<rhs>/`` here,
  which MongoDB refuses; we match the escaped text instead.

Two comparisons on the same key are combined (SciCat lets the second one
overwrite the first, so ``> 1`` and ``< 5`` on one key was only ``< 5``).
"""

from __future__ import annotations

import enum
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from common.errors import InvalidError
from common.query.types import MongoFilter
from common.scimeta import encode_key
from common.units import UnitError, convert, to_si

logger = logging.getLogger(__name__)

METADATA_FIELDS = {
    "scientific": "scientificMetadata",
    "characteristics": "sampleCharacteristics",
    # SciCat's fullfacet dispatches on this name as well.
    "sampleCharacteristics": "sampleCharacteristics",
}
MAX_CONDITIONS = 100
_GENERIC_SUFFIXES = ("", ".v", ".value")


class Relation(enum.StrEnum):
    EQUAL_TO_STRING = "EQUAL_TO_STRING"
    EQUAL_TO_NUMERIC = "EQUAL_TO_NUMERIC"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"
    GREATER_THAN_OR_EQUAL = "GREATER_THAN_OR_EQUAL"
    LESS_THAN_OR_EQUAL = "LESS_THAN_OR_EQUAL"
    CONTAINS_STRING = "CONTAINS_STRING"
    RANGE = "RANGE"


_COMPARISONS = {
    Relation.GREATER_THAN: "$gt",
    Relation.LESS_THAN: "$lt",
    Relation.GREATER_THAN_OR_EQUAL: "$gte",
    Relation.LESS_THAN_OR_EQUAL: "$lte",
}


def scientific_filter(key: str, conditions: Any) -> MongoFilter:
    """The MongoDB filter for the conditions under fullquery key ``key``."""
    field = METADATA_FIELDS[key]
    if not isinstance(conditions, list):
        raise InvalidError(f"{key} must be an array of conditions")
    if len(conditions) > MAX_CONDITIONS:
        raise InvalidError(f"{key} takes at most {MAX_CONDITIONS} conditions")

    query: MongoFilter = {}
    alternatives: list[MongoFilter] = []
    for condition in conditions:
        lhs, relation, rhs, unit = _parse_condition(key, condition)
        base = f"{field}.{encode_key(lhs)}"
        builder = _BUILDERS[relation]
        for path, expression in builder(base, rhs, unit, alternatives):
            merge_condition(query, path, expression)

    if len(alternatives) == 1:
        query["$or"] = alternatives[0]["$or"]
    elif alternatives:
        query.setdefault("$and", []).extend(alternatives)
    return query


def merge_condition(query: MongoFilter, path: str, expression: Any) -> None:
    """Add ``{path: expression}`` to ``query``, AND-ing with what is there."""
    if path not in query:
        query[path] = expression
        return
    current = query[path]
    if (
        isinstance(current, dict)
        and isinstance(expression, dict)
        and all(k.startswith("$") for k in [*current, *expression])
        and not set(current) & set(expression)
    ):
        query[path] = {**current, **expression}
        return
    query.setdefault("$and", []).append({path: expression})


def _parse_condition(key: str, condition: Any) -> tuple[str, Relation, Any, str]:
    if not isinstance(condition, Mapping):
        raise InvalidError(f"{key} conditions must be objects {{lhs, relation, rhs}}")
    lhs = condition.get("lhs")
    if not isinstance(lhs, str) or not lhs:
        raise InvalidError(f"{key} conditions need a non-empty string lhs")
    try:
        relation = Relation(str(condition.get("relation")))
    except ValueError:
        raise InvalidError(
            f"Unknown relation {condition.get('relation')!r} in {key}",
            details={"allowed": [r.value for r in Relation]},
        ) from None
    unit = condition.get("unit") or ""
    if not isinstance(unit, str):
        raise InvalidError(f"{key} condition unit must be a string")
    rhs = condition.get("rhs")
    if isinstance(rhs, dict):
        raise InvalidError(f"{key} condition rhs must be a value, not an object")
    return lhs, relation, rhs, unit


Builder = Callable[[str, Any, str, list[MongoFilter]], list[tuple[str, Any]]]


def _equal_to_string(
    base: str, rhs: Any, unit: str, alternatives: list[MongoFilter]
) -> list[tuple[str, Any]]:
    alternatives.append(_any_of(base, {"$eq": rhs}))
    return []


def _equal_to_numeric(
    base: str, rhs: Any, unit: str, alternatives: list[MongoFilter]
) -> list[tuple[str, Any]]:
    if not unit:
        return [(f"{base}.value", {"$eq": rhs})]
    value_si, unit_si = _si(rhs, unit)
    return [
        (f"{base}.valueSI", {"$eq": value_si}),
        (f"{base}.unitSI", {"$eq": unit_si}),
    ]


def _comparison(relation: Relation) -> Builder:
    operator = _COMPARISONS[relation]

    def build(
        base: str, rhs: Any, unit: str, alternatives: list[MongoFilter]
    ) -> list[tuple[str, Any]]:
        if not unit:
            alternatives.append(_any_of(base, {operator: rhs}))
            return []
        value_si, unit_si = _si(rhs, unit)
        return [
            (f"{base}.valueSI", {operator: value_si}),
            (f"{base}.unitSI", {"$eq": unit_si}),
        ]

    return build


def _contains_string(
    base: str, rhs: Any, unit: str, alternatives: list[MongoFilter]
) -> list[tuple[str, Any]]:
    if not isinstance(rhs, str | int | float) or isinstance(rhs, bool):
        raise InvalidError("CONTAINS_STRING needs a string rhs")
    pattern = re.escape(str(rhs))
    alternatives.append(_any_of(base, {"$regex": pattern, "$options": "i"}))
    return []


def _range(
    base: str, rhs: Any, unit: str, alternatives: list[MongoFilter]
) -> list[tuple[str, Any]]:
    if not isinstance(rhs, list) or len(rhs) != 2:
        # SciCat ignores such a condition (with a warning); so do we.
        logger.warning("RANGE condition without [min, max]", extra={"rhs": repr(rhs)})
        return []
    low, high = rhs
    if not unit:
        return [(f"{base}.value", {"$gt": low, "$lt": high})]
    low_si, unit_si = _si(low, unit)
    high_si, _ = _si(high, unit)
    return [
        (f"{base}.valueSI", {"$gt": low_si, "$lt": high_si}),
        (f"{base}.unitSI", {"$eq": unit_si}),
    ]


_BUILDERS: dict[Relation, Builder] = {
    Relation.EQUAL_TO_STRING: _equal_to_string,
    Relation.EQUAL_TO_NUMERIC: _equal_to_numeric,
    Relation.CONTAINS_STRING: _contains_string,
    Relation.RANGE: _range,
    **{relation: _comparison(relation) for relation in _COMPARISONS},
}


def _any_of(base: str, expression: MongoFilter) -> MongoFilter:
    return {"$or": [{f"{base}{suffix}": expression} for suffix in _GENERIC_SUFFIXES]}


def _number(value: Any) -> float:
    """JavaScript's ``Number(value)`` for the values a client sends."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip() or "0")
        except ValueError:
            pass
    raise InvalidError(f"A condition with a unit needs a numeric rhs, not {value!r}")


def _si(value: Any, unit: str) -> tuple[Any, str]:
    number = _number(value)
    if not math.isfinite(number):
        raise InvalidError("A condition with a unit needs a finite rhs")
    try:
        return to_si(number, unit)
    except UnitError as error:
        # SciCat falls back to the value and unit as given, which is also what
        # it stored for such a unit, so the condition still finds those.
        logger.info(
            "condition unit has no SI form", extra={"unit": unit, "error": str(error)}
        )
        return (int(number) if number.is_integer() else number), unit


# --- v3 fullquery response post-processing ----------------------------------


def convert_to_requested_units(
    documents: Sequence[dict[str, Any]], conditions: Any, key: str = "scientific"
) -> None:
    """Express ``value``/``unit`` of each conditioned quantity in the condition's
    unit (3 significant digits), in place, on decoded v3 output documents."""
    if not isinstance(conditions, list):
        return
    field = METADATA_FIELDS[key]
    wanted = [
        (c["lhs"], c["unit"])
        for c in conditions
        if isinstance(c, Mapping)
        and isinstance(c.get("lhs"), str)
        and isinstance(c.get("unit"), str)
        and c["unit"]
    ]
    for document in documents:
        metadata = document.get(field)
        if not isinstance(metadata, dict):
            continue
        for lhs, unit in wanted:
            quantity = _quantity_at(metadata, lhs)
            if quantity is not None:
                _convert_quantity(quantity, unit)


def _quantity_at(metadata: dict[str, Any], lhs: str) -> dict[str, Any] | None:
    """The quantity object at ``lhs``: a decoded or encoded key, or a dotted path."""
    candidate = metadata.get(lhs, metadata.get(encode_key(lhs)))
    if candidate is None:
        node: Any = metadata
        for part in lhs.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        candidate = node
    return candidate if isinstance(candidate, dict) else None


def _convert_quantity(quantity: dict[str, Any], unit: str) -> None:
    current_unit = quantity.get("unit")
    value = quantity.get("value")
    if not isinstance(current_unit, str) or not current_unit or current_unit == unit:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    try:
        converted = convert(value, current_unit, unit)
    except UnitError as error:
        # SciCat answers 500 here; we leave the quantity as stored.
        logger.info(
            "cannot express quantity in requested unit",
            extra={"unit": unit, "from_unit": current_unit, "error": str(error)},
        )
        return
    quantity["value"] = round_significant(float(converted), 3)
    quantity["unit"] = unit


def round_significant(value: float, digits: int) -> float | int:
    """``value`` to ``digits`` significant digits, whole numbers as int (mathjs)."""
    if value == 0 or not math.isfinite(value):
        return value
    rounded = float(f"{value:.{digits}g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
