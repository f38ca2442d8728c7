"""Document handling shared by the embedded collection and its cursors.

Stored documents are normalised by a BSON round trip (what MongoDB would
store) and copied out the same way, with dates made tz-aware UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

import bson
from bson import Int64, ObjectId
from bson.codec_options import CodecOptions
from bson.decimal128 import Decimal128
from bson.errors import BSONError

from common.errors import StoreQueryError
from common.store.embedded import mongomock_api as mm
from common.store.interface import Document, SortSpec

AWARE: CodecOptions[Document] = CodecOptions(tz_aware=True, tzinfo=dt.UTC)
NAIVE: CodecOptions[Document] = CodecOptions(tz_aware=False)


# Values a BSON round trip gives back equal and immutable: a copy may share them.
_SHARED: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), bytes, ObjectId, Decimal128, Int64}
)


class _Foreign(Exception):
    """A value outside the plain BSON types: the copy falls back to BSON."""


def export(document: Mapping[str, Any]) -> Document:
    """A caller-owned copy of a stored document, dates tz-aware UTC.

    What a BSON round trip with tz-aware decoding returns, made by walking
    dicts and lists (about twice as fast for SciCat's documents); a value of
    any other type sends the whole document through BSON.
    """
    try:
        return _copy_dict(document)
    except _Foreign:
        return bson.decode(bson.encode(document), codec_options=AWARE)


def _copy_dict(document: Mapping[str, Any]) -> dict[str, Any]:
    # A C-level shallow copy, then only the values that are not shared replaced.
    copied = dict(document)
    for key, value in document.items():
        if type(value) not in _SHARED:
            copied[key] = _copy(value)
    return copied


def _copy(value: Any) -> Any:
    """A copy of a value not in ``_SHARED`` (callers pass shared ones by)."""
    kind = type(value)
    if kind is dict:
        return _copy_dict(value)
    if kind is list:
        copied = value.copy()
        for index, item in enumerate(value):
            if type(item) not in _SHARED:
                copied[index] = _copy(item)
        return copied
    if kind is dt.datetime:
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        # BSON keeps milliseconds (stored dates have no more already). The
        # constructor is about three times faster than ``replace``.
        return dt.datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond - value.microsecond % 1000,
            dt.UTC,
        )
    raise _Foreign


def aware(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: aware(v) for k, v in value.items()}
    if isinstance(value, list):
        return [aware(v) for v in value]
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def normalize(document: Mapping[str, Any]) -> tuple[bytes, Document]:
    """BSON-encode a document (MongoDB's validation) and the stored form of it."""
    try:
        raw = bson.encode(document)
    except (BSONError, TypeError, ValueError, OverflowError) as exc:
        raise StoreQueryError(f"document cannot be stored: {exc}") from exc
    return raw, bson.decode(raw, codec_options=NAIVE)


def id_bytes(document_id: Any) -> bytes:
    return bson.encode({"_id": document_id})


def check_document(document: Mapping[str, Any]) -> None:
    if not isinstance(document, Mapping):
        raise StoreQueryError("a document must be a mapping")
    try:
        joined = "\x00".join(document)
    except TypeError:
        joined = "$"  # a key that is not a string: the walk below says which
    # One scan of the joined keys clears the usual document; a hit (possibly a
    # key merely containing NUL-dollar) is settled key by key.
    if joined.startswith("$") or "\x00$" in joined:
        _check_keys(document)
    if isinstance(document.get("_id"), list):
        raise StoreQueryError("_id cannot be an array")


def _check_keys(document: Mapping[str, Any]) -> None:
    for key in document:
        if not isinstance(key, str):
            raise StoreQueryError("document keys must be strings")
        if key.startswith("$"):
            raise StoreQueryError(f"field names must not start with '$': {key}")


def check_update(update: Any) -> None:
    if isinstance(update, list):
        if not all(isinstance(stage, Mapping) for stage in update):
            raise StoreQueryError("an update pipeline is a list of stages")
        return
    if not isinstance(update, Mapping) or not update:
        raise StoreQueryError("update must be a non-empty document of operators")
    if not all(isinstance(k, str) and k.startswith("$") for k in update):
        raise StoreQueryError("update only works with $ operators")


def sort_list(key_or_list: SortSpec, direction: int | None = None) -> list[Any]:
    if key_or_list is None:
        return []
    if type(key_or_list) is list:  # the usual [(key, direction), ...]
        return [tuple(item) for item in key_or_list]
    if isinstance(key_or_list, str):
        return [(key_or_list, 1 if direction is None else direction)]
    if isinstance(key_or_list, Mapping):
        return list(key_or_list.items())
    return [tuple(item) for item in key_or_list]


_REGEX_OPTIONS = frozenset("imxsu")


def check_regexes(value: Any) -> None:
    """Refuse a bad ``$regex`` even where no document would reach the matcher."""
    if isinstance(value, Mapping):
        pattern = value.get("$regex")
        if isinstance(pattern, str):
            options = value.get("$options", "")
            if not isinstance(options, str) or set(options) - _REGEX_OPTIONS:
                raise StoreQueryError(f"invalid regex options: {options!r}")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise StoreQueryError(f"invalid regular expression: {exc}") from exc
        elif pattern is not None and not hasattr(pattern, "pattern"):
            raise StoreQueryError("$regex has to be a string")
        for item in value.values():
            check_regexes(item)
    elif isinstance(value, list):
        for item in value:
            check_regexes(item)


class _Order:
    """Sort position of a document under a multi-key, mixed-direction sort."""

    __slots__ = ("directions", "parts")

    def __init__(self, parts: tuple[Any, ...], directions: tuple[int, ...]) -> None:
        self.parts = parts
        self.directions = directions

    def __lt__(self, other: _Order) -> bool:
        # mongomock's sort keys define only "<", so equality is "neither less".
        for mine, theirs, direction in zip(
            self.parts, other.parts, self.directions, strict=True
        ):
            if mine < theirs:
                return direction > 0
            if theirs < mine:
                return direction < 0
        return False

    def __eq__(self, other: object) -> bool:
        # heapq decorates keys into tuples, which test "==" before "<"; without
        # this, ties would not fall through to the stable position.
        if not isinstance(other, _Order):
            return NotImplemented
        return not (self < other or other < self)

    __hash__ = None  # type: ignore[assignment]


def sort_key(keys: list[tuple[str, int]]) -> Callable[[Document], _Order]:
    directions = tuple(direction for _, direction in keys)
    fields = [field_name for field_name, _ in keys]

    def order(document: Document) -> _Order:
        return _Order(tuple(mm.sort_key(f, document) for f in fields), directions)

    return order


def simple_projection(
    fields: Mapping[str, Any],
) -> Callable[[Document], Document] | None:
    """A fast path for plain top-level inclusion or exclusion, else None.

    mongomock's projection copies every field deeply before it is encoded
    again; for ``{"a": 1, "b": 1}`` or ``{"a": 0}`` we select keys instead
    (in document order, as MongoDB returns them).
    """
    if not fields or any(
        "." in key or key.startswith("$") or type(value) not in (int, bool)
        for key, value in fields.items()
    ):
        return None
    keep_id = bool(fields.get("_id", 1))
    others = {key: bool(value) for key, value in fields.items() if key != "_id"}
    if not others:
        if keep_id:
            return None  # {"_id": 1} alone: leave the odd cases to mongomock
        return lambda document: {k: v for k, v in document.items() if k != "_id"}
    if len(set(others.values())) != 1:
        return None  # mixed: mongomock raises MongoDB's error
    if next(iter(others.values())):
        wanted = set(others) | ({"_id"} if keep_id else set())
        return lambda document: {k: v for k, v in document.items() if k in wanted}
    dropped = set(others) | (set() if keep_id else {"_id"})
    return lambda document: {k: v for k, v in document.items() if k not in dropped}
