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

TODO(embedded store): range operators (``$gt`` ...) never narrow candidates;
the ordered views could answer them by bisection once a bound's place in the
view follows mongomock's type bracketing and its array rules (arrays sort by
an element chosen per direction), with the equivalence tests extended to it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from common.store.embedded.indexes import PLAIN, HashIndex, freeze

IdLookup = Callable[[list[Hashable]], set[Hashable]]
# Builds (or declines to build) a hidden map for an unindexed top-level field.
ImplicitIndex = Callable[[str], HashIndex | None]

# Values whose hash-map equality is exactly mongomock's equality (floats are
# left out for NaN, which equals nothing in Python but itself in MongoDB).
_EXACT_TYPES = (str, bool, int, ObjectId)
# Ids found by a dict lookup are exactly the matching ones for these types (not
# for numbers: True and 1 are one dict key but different values in MongoDB).
_EXACT_ID_TYPES = (str, ObjectId)


@dataclass
class Plan:
    """Candidate documents for a filter and what of the filter they must still pass.

    ``keys`` may be an index's own set: read it, never change it.
    ``residual`` is the part of the filter the candidates are not known to
    satisfy (None: every candidate matches, the plan is exact).
    """

    keys: set[Hashable]
    residual: dict[str, Any] | None

    @property
    def exact(self) -> bool:
        return self.residual is None


def plan(
    filter: Mapping[str, Any],
    by_field: dict[str, HashIndex],
    id_lookup: IdLookup,
    implicit_index: ImplicitIndex | None = None,
) -> Plan | None:
    """Narrow a filter to candidate keys from the hash indexes, or None to scan.

    ``by_field``: the collection's single-field indexes by field
    (:meth:`IndexTable.by_field`); implicit indexes built on the way are added
    to it.
    """
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
        residual: dict[str, Any] = {}
        for field_name, condition in filter.items():
            found = self._clause(field_name, condition)
            if found is None:
                residual[field_name] = condition
                continue
            if not found.keys and found.residual is None and _plain(filter):
                # Plain equalities cannot be malformed: once one matches
                # nothing, the rest need neither planning nor checking.
                return found
            plans.append(found)
            if found.residual is not None:
                if field_name == "$and":
                    residual[field_name] = found.residual["$and"]
                else:
                    residual[field_name] = condition
        return _intersect(plans, residual)

    def _clause(self, field_name: str, condition: Any) -> Plan | None:
        if field_name == "$and":
            if not isinstance(condition, list) or not condition:
                return None
            plans: list[Plan] = []
            rest: list[Any] = []
            for sub in condition:
                found = self.document(sub) if isinstance(sub, dict) else None
                if found is None:
                    rest.append(sub)
                else:
                    plans.append(found)
                    if found.residual is not None:
                        rest.append(found.residual)
            return _intersect(plans, {"$and": rest} if rest else {})
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
            return Plan(union, None if exact else {"$or": condition})
        if field_name.startswith("$"):
            return None
        if type(condition) in _EXACT_TYPES:
            # The usual point read: one plain value, no operator to unpack.
            return self._values(field_name, condition, [condition], exact=True)
        values = equality_values(condition)
        if values is None:
            return None
        exact = all(type(v) in _EXACT_TYPES for v in values)
        return self._values(field_name, condition, values, exact=exact)

    def _values(
        self, field_name: str, condition: Any, values: list[Hashable], *, exact: bool
    ) -> Plan | None:
        """Equality of ``field_name`` to any of ``values`` (``exact``: all of
        them have types whose map equality is mongomock's equality)."""
        if field_name == "_id":
            exact_id = all(type(v) in _EXACT_ID_TYPES for v in values)
            residual = None if exact_id else {field_name: condition}
            return Plan(self._id_lookup(values), residual)
        index = self._by_field.get(field_name)
        if index is None and self._implicit_index is not None:
            if "." not in field_name:
                index = self._implicit_index(field_name)
            if index is not None:
                self._by_field[field_name] = index
        if index is None:
            return None
        if len(values) == 1 and type(values[0]) in PLAIN:
            keys = index.lookup_one(values[0])  # plain values are their own freeze
        else:
            keys = index.lookup((freeze(v),) for v in values)
        exact = (
            exact
            and "." not in field_name
            and not index.spec.sparse
            and index.spec.partial_filter is None
        )
        return Plan(keys, None if exact else {field_name: condition})


def _plain(filter: Mapping[str, Any]) -> bool:
    """Every clause is a field equal to a plain value."""
    return all(
        type(condition) in _EXACT_TYPES and not field_name.startswith("$")
        for field_name, condition in filter.items()
    )


def _intersect(plans: list[Plan], residual: dict[str, Any]) -> Plan | None:
    """The conjunction of plans; ``residual``: the conjuncts still to check."""
    if not plans:
        return None
    if len(plans) == 1:
        return Plan(plans[0].keys, residual or None)
    plans.sort(key=lambda p: len(p.keys))
    keys = plans[0].keys
    for other in plans[1:]:
        if not keys:
            break
        keys = keys & other.keys
    return Plan(keys, residual or None)


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


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}
_NUMBERS = (int, float)


def residual_check(
    residual: Mapping[str, Any],
    matcher: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate equal to ``matcher(residual, document)``, faster for the
    common numeric range clauses (``size > x``, also inside ``$and``) on
    numbers; any other clause, and any other value type, is left to ``matcher``."""
    parts: list[Callable[[Mapping[str, Any]], bool]] = []
    for field_name, condition in residual.items():
        if (
            field_name == "$and"
            and isinstance(condition, list)
            and condition
            and all(isinstance(sub, dict) for sub in condition)
        ):
            parts.extend(residual_check(sub, matcher) for sub in condition)
            continue
        clause = {field_name: condition}
        parts.append(
            _range_check(field_name, condition, clause, matcher)
            or (lambda document, c=clause: matcher(c, document))  # type: ignore[misc]
        )
    if len(parts) == 1:
        return parts[0]
    return lambda document: all(part(document) for part in parts)


def _range_check(
    field_name: str,
    condition: Any,
    clause: Mapping[str, Any],
    matcher: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
) -> Callable[[Mapping[str, Any]], bool] | None:
    if field_name.startswith("$") or "." in field_name:
        return None
    if not isinstance(condition, dict) or not condition:
        return None
    ranges: list[tuple[Callable[[Any, Any], bool], Any]] = []
    for operator, operand in condition.items():
        compare = _COMPARISONS.get(operator)
        if compare is None or type(operand) not in _NUMBERS or operand != operand:
            return None
        ranges.append((compare, operand))

    def check(document: Mapping[str, Any]) -> bool:
        value = document.get(field_name)
        if type(value) in _NUMBERS and value == value:
            return all(compare(value, operand) for compare, operand in ranges)
        return matcher(clause, document)

    return check
