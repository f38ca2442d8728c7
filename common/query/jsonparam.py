"""JSON query parameters (``filter``, ``fields``, ``limits``, ``facets`` ...)."""

from __future__ import annotations

import json
from typing import Any

from common.errors import InvalidError

# Query strings and headers are far smaller; this only bounds a direct caller.
MAX_PARAMETER_LENGTH = 1_000_000


def _no_constants(name: str) -> Any:
    # JSON has no NaN or Infinity; Python's parser would accept them.
    raise ValueError(f"unexpected token {name}")


def parse_json(text: str, *, what: str = "filter") -> Any:
    """Parse a JSON parameter; bad JSON raises InvalidError("Invalid JSON in ...")."""
    if not isinstance(text, str):
        raise InvalidError(f"Invalid JSON in {what}: expected a string")
    if len(text) > MAX_PARAMETER_LENGTH:
        raise InvalidError(
            f"Invalid JSON in {what}: longer than {MAX_PARAMETER_LENGTH}"
        )
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise InvalidError(f"Invalid JSON in {what}: nested too deeply") from None
    except ValueError as error:
        raise InvalidError(f"Invalid JSON in {what}: {error}") from None


def parse_json_object(text: str | None, *, what: str = "filter") -> dict[str, Any]:
    """Parse a parameter that must hold a JSON object; absent or empty means ``{}``."""
    if text is None or text.strip() == "":
        return {}
    value = parse_json(text, what=what)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidError(f"Invalid JSON in {what}: expected an object")
    return value


def parse_string_list(text: str | None, *, what: str = "facets") -> list[str]:
    """Parse a parameter that must hold a JSON array of strings; absent means ``[]``."""
    if text is None or text.strip() == "":
        return []
    value = parse_json(text, what=what)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidError(f"Invalid JSON in {what}: expected an array of strings")
    return value
