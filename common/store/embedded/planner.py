"""Candidate selection for filters: which documents can match, from the hash maps.

A plan is a set of document keys that holds every document mongomock's
matcher would accept (a superset), so the matcher still decides. It is
``exact`` when the set is precisely the matching documents, and then no
document needs to be evaluated at all (counts of the visibility filter).

* equality and ``$in`` on a field with a single-field index look the values
  up in its map (array fields are multikey: every element is filed);
* a document's clauses and ``$and`` intersect the conjuncts that have
  candidates; conjuncts without any only make the plan inexact;
* ``$or`` unions its branches when every branch has candidates (a branch
  without any could match anything, so the filter is scanned).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from common.store.embedded.indexes import HashIndex, freeze

IdLookup = Callable[[list[Hashable]], set[Hashable]]
# Builds (or declines to build) a hidden map for an unindexed top-level field.
ImplicitIndex = Callable[[str], HashIndex | None]

# Values whose hash-map equality is exactly mongomock's equality (floats are
# left out for NaN, which equals nothing in Python but itself in MongoDB).
_EXACT_TYPES = (str, bool, int)


@dataclass
class Plan:
    """Candidate documents for a filter; ``exact`` means no re-check is needed."""

    keys: set[Hashable]
    exact: bool


def plan(
    filter: Mapping[str, Any],
    indexes: Mapping[str, HashIndex],
    id_lookup: IdLookup,
    implicit_index: ImplicitIndex | None = None,
) -> Plan | None:
    """Narrow a filter to candidate keys from the hash indexes, or None to scan."""
    by_field: dict[str, HashIndex] = {}
    for index in indexes.values():
        if len(index.fields) == 1:
            by_field.setdefault(index.fields[0], index)
    return _Planner(by_field, id_lookup, implicit_index).document(filter)


class _Planner:
    def __init__(
        self,
        by_field: dict[str, HashIndex],
        id_lookup: IdLookup,
        implicit_index: ImplicitIndex | None,
    ) -> None:
        self._by_field = by_field
        self._id_lookup = id_lookup
        self._implicit_index = implicit_index

    def document(self, filter: Mapping[str, Any]) -> Plan | None:
        """All clauses of a filter document hold: intersect what can be narrowed."""
        plans: list[Plan] = []
        complete = True
        for field_name, condition in filter.items():
            found = self._clause(field_name, condition)
            if found is None:
                complete = False
            else:
                plans.append(found)
        return _intersect(plans, complete)

    def _clause(self, field_name: str, condition: Any) -> Plan | None:
        if field_name == "$and":
            if not isinstance(condition, list) or not condition:
                return None
            plans: list[Plan] = []
            complete = True
            for sub in condition:
                found = self.document(sub) if isinstance(sub, dict) else None
                if found is None:
                    complete = False
                else:
                    plans.append(found)
            return _intersect(plans, complete)
        if field_name == "$or":
            if not isinstance(condition, list) or not condition:
                return None
            union: set[Hashable] = set()
            exact = True
            for sub in condition:
                found = self.document(sub) if isinstance(sub, dict) else None
                if found is None:
                    return None
                union |= found.keys
                exact = exact and found.exact
            return Plan(union, exact)
        if field_name.startswith("$"):
            return None
        values = equality_values(condition)
        if values is None:
            return None
        if field_name == "_id":
            return Plan(self._id_lookup(values), exact=False)
        index = self._by_field.get(field_name)
        if index is None and self._implicit_index is not None:
            if "." not in field_name:
                index = self._implicit_index(field_name)
            if index is not None:
                self._by_field[field_name] = index
        if index is None:
            return None
        keys = index.lookup((freeze(v),) for v in values)
        exact = (
            "." not in field_name
            and not index.spec.sparse
            and index.spec.partial_filter is None
            and all(type(v) in _EXACT_TYPES for v in values)
        )
        return Plan(keys, exact)


def _intersect(plans: list[Plan], complete: bool) -> Plan | None:
    """The conjunction of plans; exact only if every conjunct was exact."""
    if not plans:
        return None
    plans.sort(key=lambda p: len(p.keys))
    keys = plans[0].keys
    for other in plans[1:]:
        if not keys:
            break
        keys = keys & other.keys
    return Plan(keys, complete and all(p.exact for p in plans))


def equality_values(condition: Any) -> list[Hashable] | None:
    """Scalar values an equality condition accepts, or None if it is not one."""
    if isinstance(condition, dict):
        if len(condition) != 1:
            return None
        ((operator, operand),) = condition.items()
        if operator == "$eq":
            return equality_values(operand)
        if operator == "$in" and isinstance(operand, list | tuple):
            values: list[Hashable] = []
            for item in operand:
                single = equality_values(item)
                if single is None:
                    return None
                values.extend(single)
            return values
        return None
    return _scalar(condition)


def _scalar(condition: Any) -> list[Hashable] | None:
    if condition is None or isinstance(condition, list | tuple | dict):
        return None
    if hasattr(condition, "pattern") or hasattr(condition, "try_compile"):
        return None  # a regular expression, not a value
    try:
        hash(condition)
    except TypeError:
        return None
    return [condition]


def iter_in_order(
    keys: Iterable[Hashable], order: Mapping[Hashable, int]
) -> list[Hashable]:
    """Candidate keys in natural (insertion) order, as a scan would yield them."""
    return sorted(keys, key=order.__getitem__)
