"""The v4 filter key allow-list (SciCat's FilterValidationPipe).

The parsed filter is flattened into dotted paths, arrays being leaves whose
contents are not inspected here (the operator allow-list checks them). Every
segment of every path must be a key of the entity or a word of an enabled
filter group; below ``scientificMetadata``, ``jobParameters``, ``jobParams``
and ``jobResultObject`` anything goes. A violation is SciCat's 400
``Property <path> should not exist in the filter object``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from common.errors import InvalidError

FREE_BELOW = frozenset(
    {"scientificMetadata", "jobParameters", "jobParams", "jobResultObject"}
)
WHERE_WORDS = frozenset(
    {
        "where",
        "$in",
        "$or",
        "$and",
        "$nor",
        "$match",
        "$eq",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$ne",
        "$nin",
        "$not",
        "$exists",
        "$regex",
        "$options",
    }
)
FILTER_GROUPS: dict[str, frozenset[str]] = {
    "where": WHERE_WORDS,
    "include": frozenset({"include"}),
    "limits": frozenset({"limits", "limit", "skip", "sort"}),
    "fields": frozenset({"fields"}),
}
ALL_GROUPS = frozenset(FILTER_GROUPS)
# Attachments and metadata keys also take $elemMatch (relationships, userGroups).
ELEM_MATCH = frozenset({"$elemMatch"})


def check_v4_filter(
    parsed: Any,
    entity_keys: frozenset[str],
    *,
    groups: Iterable[str] = ALL_GROUPS,
    extra_words: frozenset[str] = frozenset(),
) -> None:
    """Raise InvalidError for any path of ``parsed`` outside the allow-list."""
    if parsed is None:
        return
    if not isinstance(parsed, Mapping):
        raise InvalidError("Invalid JSON in filter: expected an object")
    allowed = set(entity_keys) | set(extra_words)
    for group in groups:
        allowed |= FILTER_GROUPS[group]
    for path in flatten_paths(parsed):
        _check_path(path, allowed)


def flatten_paths(value: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths to the leaves of ``value``; arrays and scalars are leaves.

    An empty object is a leaf as well, so its key is still checked.
    """
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            yield from flatten_paths(item, f"{path}.")
        else:
            yield path


def _check_path(path: str, allowed: set[str]) -> None:
    for segment in path.split("."):
        if segment in FREE_BELOW:
            return
        if segment not in allowed:
            raise InvalidError(f"Property {path} should not exist in the filter object")
