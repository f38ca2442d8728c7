"""Typed entry points into the parts of mongomock (4.3) the embedded store uses.

mongomock ships no type hints; this module is the one place that calls it
untyped, so the rest of the store stays checked.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from mongomock import aggregate, filtering, helpers
from pymongo.errors import WriteError as WriteError


def filter_applies(filter: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    """mongomock's matcher: does the document satisfy the filter."""
    return bool(filtering.filter_applies(filter, document))  # type: ignore[no-untyped-call]


def naive_dates(value: Any) -> Any:
    """Dates as mongomock stores and compares them: naive UTC, milliseconds."""
    return helpers.patch_datetime_awareness_in_document(value)  # type: ignore[no-untyped-call]


def process_pipeline(
    documents: list[dict[str, Any]], database: Any, stages: Sequence[Any]
) -> list[dict[str, Any]]:
    cursor = aggregate.process_pipeline(documents, database, stages, None)  # type: ignore[no-untyped-call]
    return list(cursor)


def fields_list_to_dict(fields: list[str]) -> dict[str, Any]:
    return dict(helpers.fields_list_to_dict(fields))  # type: ignore[no-untyped-call]


def index_list(keys: Any) -> list[tuple[str, Any]]:
    return list(helpers.create_index_list(keys))  # type: ignore[no-untyped-call]


def index_name(keys: Sequence[tuple[str, Any]]) -> str:
    return str(helpers.gen_index_name(keys))  # type: ignore[no-untyped-call]


def sort_key(field_name: str, document: Mapping[str, Any]) -> Any:
    return filtering.resolve_sort_key(field_name, document)  # type: ignore[no-untyped-call]


def hashdict(value: dict[str, Any]) -> Hashable:
    found: Hashable = helpers.hashdict(value)
    return found


def compare_type(value: Any) -> int:
    """mongomock's rank of a value's type in BSON comparison order."""
    return int(filtering._get_compare_type(value))  # type: ignore[no-untyped-call]


def bson_comparable(value: Any) -> Any:
    """A wrapper ordering values as mongomock orders ``$group`` keys (BSON order)."""
    return filtering.BsonComparable(value)  # type: ignore[no-untyped-call]
