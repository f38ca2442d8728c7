"""Paging and sorting (``limits``) with SciCat's defaults per API.

* v3: ``{limit, skip, order: "field:asc|desc"}``, default limit 100, no sort;
  a ``sort`` object is also taken, as SciCat copies it through.
* v4: ``{limit, skip, sort: {field: "asc"|"desc"}}``; datasets merge the given
  keys over the defaults (limit 10, skip 0, ``createdAt`` descending), other
  entities use the defaults only when ``limits`` is absent.
* policies read ``limit``/``skip``/``order`` from the top level of the filter.

Limits are integers >= 0 and are capped at :data:`MAX_LIMIT`; anything else is
an InvalidError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.errors import InvalidError
from common.query.operators import check_field_name
from common.query.types import Stage

MAX_LIMIT = 10_000
MAX_SKIP = 2**53
_ORDER = re.compile(r"^\s*([^:\s]+)(?:\s*[:\s]\s*(\S+))?\s*$")


@dataclass(frozen=True, slots=True)
class Limits:
    """A page of results: ``limit`` None means no limit; ``sort`` maps field to 1/-1."""

    limit: int | None = None
    skip: int = 0
    sort: dict[str, int] = field(default_factory=dict)

    def stages(self) -> list[Stage]:
        """``$sort`` (if any), ``$skip``, ``$limit`` (if any), SciCat's order."""
        stages: list[Stage] = []
        if self.sort:
            stages.append({"$sort": dict(self.sort)})
        stages.append({"$skip": self.skip})
        if self.limit is not None:
            stages.append({"$limit": self.limit})
        return stages

    def find_options(self) -> dict[str, Any]:
        """Keyword arguments for ``collection.find``: ``sort``, ``skip``, ``limit``."""
        options: dict[str, Any] = {"skip": self.skip, "limit": self.limit or 0}
        if self.sort:
            options["sort"] = list(self.sort.items())
        return options


@dataclass(frozen=True, slots=True)
class LimitDefaults:
    """Defaults of one endpoint; ``merge`` fills missing keys of a given ``limits``."""

    limit: int | None
    skip: int = 0
    sort: dict[str, int] = field(default_factory=dict)
    merge: bool = False


V3_DEFAULTS = LimitDefaults(limit=100)
V4_DATASET_DEFAULTS = LimitDefaults(limit=10, sort={"createdAt": -1}, merge=True)
V4_DEFAULTS = LimitDefaults(limit=10, sort={"createdAt": -1})
V4_METADATAKEYS_DEFAULTS = LimitDefaults(limit=100, sort={"createdAt": -1})
V4_JOBS_DEFAULTS = LimitDefaults(limit=None)


def parse_v3_limits(limits: Any, defaults: LimitDefaults = V3_DEFAULTS) -> Limits:
    """v3 ``limits``: ``order`` as ``"field:dir"`` (or a list of them), or ``sort``."""
    if limits is None:
        return Limits(
            limit=defaults.limit, skip=defaults.skip, sort=dict(defaults.sort)
        )
    given = _mapping(limits)
    sort = parse_sort(given["sort"]) if given.get("sort") is not None else {}
    if given.get("order") is not None:
        sort = parse_order(given["order"])
    return Limits(
        limit=_limit(given.get("limit"), defaults.limit),
        skip=_skip(given.get("skip")),
        sort=sort,
    )


def parse_v4_limits(limits: Any, defaults: LimitDefaults = V4_DEFAULTS) -> Limits:
    """v4 ``limits``: ``{limit, skip, sort}``; ``order`` is not accepted here."""
    if limits is None:
        return Limits(
            limit=defaults.limit, skip=defaults.skip, sort=dict(defaults.sort)
        )
    given = _mapping(limits)
    if "order" in given:
        raise InvalidError(
            "Property limits.order should not exist in the filter object"
        )
    if defaults.merge:
        sort = dict(defaults.sort)
        if given.get("sort") is not None:
            sort = parse_sort(given["sort"])
        skip = _skip(given.get("skip", defaults.skip))
    else:
        sort = parse_sort(given["sort"]) if given.get("sort") is not None else {}
        skip = _skip(given.get("skip"))
    return Limits(
        limit=_limit(given.get("limit"), defaults.limit), skip=skip, sort=sort
    )


def parse_policy_limits(filter_object: Mapping[str, Any]) -> Limits:
    """Policies: ``limit``, ``skip`` and ``order`` at the top level of the filter."""
    order = filter_object.get("order")
    return Limits(
        limit=_limit(filter_object.get("limit"), V3_DEFAULTS.limit),
        skip=_skip(filter_object.get("skip")),
        sort=parse_order(order) if order is not None else {},
    )


def parse_order(order: Any) -> dict[str, int]:
    """``"field:asc"``, ``"field desc"`` or a list of them; an unknown direction
    means no sort for that field, as in SciCat; a missing one means ascending."""
    items = order if isinstance(order, list) else [order]
    sort: dict[str, int] = {}
    for item in items:
        if not isinstance(item, str):
            raise InvalidError("order must be a string such as 'createdAt:desc'")
        match = _ORDER.match(item)
        if match is None:
            raise InvalidError("order must be a string such as 'createdAt:desc'")
        name, direction = match.group(1), (match.group(2) or "asc").lower()
        check_field_name(name)
        if direction in {"asc", "desc"}:
            sort[name] = 1 if direction == "asc" else -1
    return sort


def parse_sort(sort: Any) -> dict[str, int]:
    """``{field: "asc"|"desc"|1|-1}`` into ``{field: 1|-1}``."""
    if not isinstance(sort, Mapping):
        raise InvalidError("limits.sort must be an object such as {createdAt: 'desc'}")
    parsed: dict[str, int] = {}
    for name, direction in sort.items():
        check_field_name(name)
        parsed[name] = _direction(name, direction)
    return parsed


def _direction(name: str, direction: Any) -> int:
    if isinstance(direction, str) and direction.lower() in {"asc", "desc"}:
        return 1 if direction.lower() == "asc" else -1
    if direction in (1, -1) and not isinstance(direction, bool):
        return int(direction)
    raise InvalidError(f"Sort direction of {name} must be 'asc' or 'desc'")


def _mapping(limits: Any) -> Mapping[str, Any]:
    if not isinstance(limits, Mapping):
        raise InvalidError("limits must be an object such as {limit: 10, skip: 0}")
    return limits


def _integer(value: Any, name: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidError(f"{name} must be a non-negative integer")
    if value < 0:
        raise InvalidError(f"{name} must be a non-negative integer")
    return value


def _limit(value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    limit = _integer(value, "limit")
    if limit == 0:
        # SciCat's `limit || default`: zero means the default.
        return default
    return min(limit, MAX_LIMIT)


def _skip(value: Any) -> int:
    if value is None:
        return 0
    skip = _integer(value, "skip")
    if skip > MAX_SKIP:
        raise InvalidError(f"skip must be at most {MAX_SKIP}")
    return skip
