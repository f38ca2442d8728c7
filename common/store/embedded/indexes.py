"""Hash indexes of the embedded store: equality lookups and unique keys.

An index maps the values found at its field paths (with MongoDB's multikey
traversal of arrays) to the set of document keys holding them. A lookup
returns a superset of the documents mongomock's matcher accepts for an
equality, so the matcher still decides; for a single top-level field queried
with a string, the set is exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from common.store.embedded.mongomock_api import filter_applies, hashdict

MISSING = object()


def document_key(document_id: Any) -> Hashable:
    """The key a document is filed under (mongomock's convention for dict ids)."""
    if isinstance(document_id, dict):
        return hashdict(document_id)
    return document_id  # type: ignore[no-any-return]


PLAIN = frozenset({str, int, float, bool, type(None)})


def freeze(value: Any) -> Hashable:
    """A hashable stand-in that compares as mongomock compares the value."""
    if type(value) in PLAIN:
        return value  # type: ignore[no-any-return]
    if isinstance(value, dict):
        return ("\x00doc", tuple((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("\x00arr", tuple(freeze(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return ("\x00repr", repr(value))
    return value  # type: ignore[no-any-return]


def path_values(document: Any, parts: Sequence[str]) -> list[Any]:
    """Values at a dotted path, expanding arrays like MongoDB's multikey indexes."""
    if not parts:
        if isinstance(document, list):
            return list(document) if document else [MISSING]
        return [document]
    if isinstance(document, dict):
        if parts[0] not in document:
            return [MISSING]
        return path_values(document[parts[0]], parts[1:])
    if isinstance(document, list):
        found: list[Any] = []
        for item in document:
            if isinstance(item, dict):
                found.extend(v for v in path_values(item, parts) if v is not MISSING)
        return found or [MISSING]
    return [MISSING]


@dataclass
class IndexSpec:
    """What ``create_index`` declared, in the shape ``index_information`` shows."""

    name: str
    keys: list[tuple[str, Any]]
    unique: bool = False
    sparse: bool = False
    expire_after_seconds: float | None = None
    partial_filter: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def is_text(self) -> bool:
        return any(direction == "text" for _, direction in self.keys)

    @property
    def is_hashable(self) -> bool:
        """Whether a hash map can serve it: plain field paths, no text/geo keys."""
        return not any(
            not isinstance(direction, int) and direction != "hashed"
            for _, direction in self.keys
        ) and not any(
            part.isdigit() for path, _ in self.keys for part in path.split(".")
        )

    def information(self) -> dict[str, Any]:
        info: dict[str, Any] = {"v": 2, "key": list(self.keys)}
        if self.unique:
            info["unique"] = True
        if self.sparse:
            info["sparse"] = True
        if self.expire_after_seconds is not None:
            info["expireAfterSeconds"] = self.expire_after_seconds
        if self.partial_filter is not None:
            info["partialFilterExpression"] = self.partial_filter
        info.update(self.options)
        return info

    def to_record(self) -> dict[str, Any]:
        return {"name": self.name, **self.information()}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> IndexSpec:
        rest = {
            k: v
            for k, v in record.items()
            if k
            not in {
                "name",
                "v",
                "key",
                "unique",
                "sparse",
                "expireAfterSeconds",
                "partialFilterExpression",
            }
        }
        return cls(
            name=record["name"],
            keys=[(str(k), d) for k, d in record["key"]],
            unique=bool(record.get("unique", False)),
            sparse=bool(record.get("sparse", False)),
            expire_after_seconds=record.get("expireAfterSeconds"),
            partial_filter=record.get("partialFilterExpression"),
            options=rest,
        )


class HashIndex:
    """Value tuple -> document keys, for one hashable index."""

    def __init__(self, spec: IndexSpec) -> None:
        self.spec = spec
        self.paths = [path.split(".") for path, _ in spec.keys]
        self.fields = [path for path, _ in spec.keys]
        self._entries: dict[Hashable, set[Hashable]] = {}
        self._by_document: dict[Hashable, tuple[Hashable, ...]] = {}
        # The common case, one top-level field on a plain index, has a fast path.
        self.top_level = (
            self.fields[0]
            if len(self.fields) == 1
            and "." not in self.fields[0]
            and not spec.sparse
            and spec.partial_filter is None
            else None
        )

    def keys_of(self, document: Mapping[str, Any]) -> tuple[Hashable, ...]:
        """The index entries a document produces (none when sparse/partial skip it)."""
        if self.top_level is not None:
            value = document.get(self.top_level, MISSING)
            if type(value) in PLAIN:
                return ((value,),)
            if type(value) is list:
                if not value:
                    return ((None,),)
                if PLAIN.issuperset(map(type, value)):
                    # Plain values are their own frozen form: 1-tuples via zip.
                    return tuple(dict.fromkeys(zip(value)))
                return tuple(dict.fromkeys((freeze(v),) for v in value))
            return ((None if value is MISSING else freeze(value),),)
        per_path = [path_values(document, parts) for parts in self.paths]
        if self.spec.sparse and all(
            all(v is MISSING for v in values) for values in per_path
        ):
            return ()
        if self.spec.partial_filter is not None and not filter_applies(
            self.spec.partial_filter, document
        ):
            return ()
        combos = itertools.product(
            *[[None if v is MISSING else freeze(v) for v in vs] for vs in per_path]
        )
        return tuple(dict.fromkeys(combos))

    def conflicts(
        self, key: Hashable, entries: tuple[Hashable, ...]
    ) -> tuple[Hashable, ...] | None:
        """The first entry already held by another document, if any."""
        for entry in entries:
            holders = self._entries.get(entry)
            if holders and (len(holders) > 1 or key not in holders):
                return entry  # type: ignore[return-value]
        return None

    def add(self, key: Hashable, entries: tuple[Hashable, ...]) -> None:
        self._by_document[key] = entries
        held = self._entries
        for entry in entries:
            holders = held.get(entry)
            if holders is None:
                held[entry] = {key}
            else:
                holders.add(key)

    def remove(self, key: Hashable) -> None:
        for entry in self._by_document.pop(key, ()):
            holders = self._entries.get(entry)
            if holders is not None:
                holders.discard(key)
                if not holders:
                    del self._entries[entry]

    def lookup(self, values: Iterable[tuple[Hashable, ...]]) -> set[Hashable]:
        """Keys of the documents holding any of the values; read-only (for one
        value it is the index's own set, not a copy)."""
        sets = [held for value in values if (held := self._entries.get(value))]
        if len(sets) == 1:
            return sets[0]
        return set().union(*sets)

    def lookup_one(self, value: Hashable) -> set[Hashable]:
        """:meth:`lookup` of one plain value (its own frozen form)."""
        held = self._entries.get((value,))
        return held if held else set()

    def entries_count(self) -> int:
        return len(self._entries)


class IndexTable:
    """A collection's hash indexes by name, and which one serves each field.

    Every change goes through :meth:`put`, :meth:`remove` or :meth:`clear`, so
    the field map the planner reads on every query is rebuilt only after one.
    """

    def __init__(self) -> None:
        self._by_name: dict[str, HashIndex] = {}
        self._by_field: dict[str, HashIndex] | None = None

    def names(self) -> Iterable[str]:
        return self._by_name.keys()

    def values(self) -> Iterable[HashIndex]:
        return self._by_name.values()

    def put(self, name: str, index: HashIndex) -> None:
        self._by_name[name] = index
        self._by_field = None

    def remove(self, name: str) -> None:
        if self._by_name.pop(name, None) is not None:
            self._by_field = None

    def clear(self) -> None:
        self._by_name.clear()
        self._by_field = None

    def by_field(self) -> dict[str, HashIndex]:
        """Field -> the first single-field index on it (the planner may add an
        implicit one it built; any change of the table starts a new map)."""
        if self._by_field is None:
            by_field: dict[str, HashIndex] = {}
            for index in self._by_name.values():
                if len(index.fields) == 1:
                    by_field.setdefault(index.fields[0], index)
            self._by_field = by_field
        return self._by_field
