"""Ordered views of single-field indexes: sorted pages without sorting everything.

A view keeps every document of a collection ordered by mongomock's sort key
for one field, ties in natural (insertion) order. It is built the first time
a query sorts by that field and kept up to date by every write afterwards,
so a sorted page walks the view until it has ``skip + limit`` matches.
Descending walks keep ties in natural order too, as mongomock's stable
reverse sort does.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from bson import ObjectId

from common.store.embedded import mongomock_api as mm

# Types whose BSON order within their rank is Python's own order (mongomock
# compares them with the plain operator), with mongomock's rank of each.
_NATIVE_RANKS: dict[type, int] = {
    int: 10,
    float: 10,
    str: 15,
    ObjectId: 35,
    bool: 40,
    dt.datetime: 45,
}


def native_sort_key(field_name: str, document: Mapping[str, Any]) -> tuple[Any, ...]:
    """mongomock's sort key as a tuple Python compares in C where it can."""
    outer, comparable = mm.sort_key(field_name, document)
    value = comparable.obj
    if value is None:
        return (outer, 5, 0)
    rank = _NATIVE_RANKS.get(type(value))
    if rank is not None:
        return (outer, rank, value)
    return (outer, mm.compare_type(value), comparable)


class _Entry:
    """(sort key, natural position, document key), ordered by the first two."""

    __slots__ = ("document_key", "position", "sort_key")

    def __init__(self, sort_key: Any, position: int, document_key: Hashable) -> None:
        self.sort_key = sort_key
        self.position = position
        self.document_key = document_key

    def __lt__(self, other: _Entry) -> bool:
        if self.sort_key < other.sort_key:
            return True
        if other.sort_key < self.sort_key:
            return False
        return self.position < other.position

    def ties(self, other: _Entry) -> bool:
        return not (self.sort_key < other.sort_key or other.sort_key < self.sort_key)


class OrderedView:
    """All documents of a collection in the order of one field."""

    def __init__(
        self,
        field_name: str,
        documents: Mapping[Hashable, Mapping[str, Any]],
        order: Mapping[Hashable, int],
    ) -> None:
        self.field_name = field_name
        self._by_document: dict[Hashable, _Entry] = {}
        entries = [self._entry(key, doc, order[key]) for key, doc in documents.items()]
        entries.sort()
        self._entries = entries

    def _entry(
        self, key: Hashable, document: Mapping[str, Any], position: int
    ) -> _Entry:
        entry = _Entry(native_sort_key(self.field_name, document), position, key)
        self._by_document[key] = entry
        return entry

    def put(self, key: Hashable, document: Mapping[str, Any], position: int) -> None:
        """File a new or changed document."""
        self.remove(key)
        bisect.insort(self._entries, self._entry(key, document, position))

    def remove(self, key: Hashable) -> None:
        entry = self._by_document.pop(key, None)
        if entry is None:
            return
        index = bisect.bisect_left(self._entries, entry)
        if index < len(self._entries) and self._entries[index] is entry:
            del self._entries[index]
            return
        # NOTE: unreachable while sort keys stay comparable; kept as a safe path.
        self._entries = [e for e in self._entries if e is not entry]

    def keys(self, direction: int) -> Iterator[Hashable]:
        """Document keys in sort order (ties in natural order either way)."""
        if direction > 0:
            return (entry.document_key for entry in self._entries)
        return self._descending()

    def _descending(self) -> Iterator[Hashable]:
        entries = self._entries
        end = len(entries)
        while end > 0:
            start = end - 1
            while start > 0 and entries[start - 1].ties(entries[end - 1]):
                start -= 1
            for entry in entries[start:end]:
                yield entry.document_key
            end = start
