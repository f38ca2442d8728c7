"""JSON encoding shared by both edges, rendering values the way SciCat does.

Dates come out as ``2026-01-02T03:04:05.000Z`` (UTC, milliseconds, ``Z``), as
JavaScript's ``Date.toJSON`` writes them; ``ObjectId`` as its hex string;
pydantic models by alias. orjson does the work; only the values it cannot
render itself reach :func:`_default`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Mapping
from typing import Any

import orjson
from bson import ObjectId
from bson.decimal128 import Decimal128
from pydantic import BaseModel

__all__ = ["JSONDecodeError", "dumps", "format_datetime", "loads"]

JSONDecodeError = orjson.JSONDecodeError

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_ISO_MILLIS = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ"


def format_datetime(value: dt.datetime) -> str:
    """Render a datetime as JavaScript does: UTC, milliseconds, ``Z``.

    A naive datetime is taken to be UTC already (PyMongo's default for stored
    dates).
    """
    if value.tzinfo is not None and value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    # Formatting the fields is several times faster than strftime (and %-style
    # twice as fast as an f-string with format specs), and pads the year to
    # four digits as JavaScript does (strftime's %Y does not below 1000).
    return _ISO_MILLIS % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond // 1000,
    )


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python", by_alias=True)
    if isinstance(value, Decimal128):
        return float(value.to_decimal())
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def dumps(obj: Any) -> bytes:
    """Encode ``obj`` as compact UTF-8 JSON with SciCat's renderings."""
    return orjson.dumps(obj, default=_default, option=_OPTIONS)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Decode strict JSON (no NaN or Infinity); raises :data:`JSONDecodeError`."""
    return orjson.loads(data)
