"""Scientific metadata: SciCat's key encoding and its SI augmentation walk.

Keys of ``scientificMetadata`` (and of sample ``sampleCharacteristics``) are
stored URI-encoded, with ``.`` as ``%2E``, so that MongoDB accepts them and
no key can start with ``$``. v3 responses decode them again.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

from common.errors import InvalidError
from common.units import UnitError, to_si

logger = logging.getLogger(__name__)

# encodeURIComponent leaves these unescaped (besides letters and digits).
_URI_SAFE = "-_.!~*'()"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


# Keys made only of these need no escaping: the common case, answered at once.
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-!~*'()]*$")


@lru_cache(maxsize=65536)
def encode_key(key: str) -> str:
    """``encodeURIComponent(key)`` with ``.`` also escaped; unchanged if unencodable."""
    if _PLAIN_KEY.match(key):
        return key
    try:
        encoded = quote(key, safe=_URI_SAFE, encoding="utf-8", errors="strict")
    except UnicodeEncodeError:
        # JavaScript throws on lone surrogates; SciCat then keeps the key.
        return key
    return encoded.replace(".", "%2E")


@lru_cache(maxsize=65536)
def decode_key(key: str) -> str:
    """``decodeURIComponent(key)`` with ``%2E`` as ``.``; unchanged if malformed."""
    if "%" not in key:
        return key
    if _BAD_ESCAPE.search(key):
        return key
    try:
        return unquote(key, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return key


@lru_cache(maxsize=65536)
def _stored_key(key: str) -> str:
    """The key as stored: encoded unless it is already an encoded key."""
    return encode_key(key) if decode_key(key) == key else key


def encode_keys(metadata: Any) -> Any:
    """Encode every key through nested objects (not arrays); encoded keys stay."""
    if not isinstance(metadata, dict):
        return metadata
    encoded: dict[str, Any] = {}
    for key, value in metadata.items():
        stored_key = _stored_key(key)
        encoded[stored_key] = encode_keys(value) if isinstance(value, dict) else value
    return encoded


def decode_keys(metadata: Any) -> Any:
    """Decode every key through nested objects (not arrays), for v3 output."""
    if not isinstance(metadata, dict):
        return metadata
    return {
        decode_key(key): decode_keys(value) if isinstance(value, dict) else value
        for key, value in metadata.items()
    }


def _quantity_keys(entry: dict[str, Any]) -> tuple[Any, Any, bool]:
    """The entry's value and unit: the last ``v*`` and ``u*`` keys not ending in SI."""
    value: Any = None
    unit: Any = None
    has_value = False
    for key, item in entry.items():
        if key.endswith("SI"):
            continue
        if key.startswith("u"):
            unit = item
        if key.startswith("v"):
            value = item
            has_value = True
    return value, unit, has_value


def _si_of(value: Any, unit: str) -> tuple[Any, Any]:
    """SciCat's convertToSI: a number or a pair; on failure the input as it was."""
    try:
        if isinstance(value, list):
            if len(value) != 2:
                raise UnitError("a range needs exactly two values")
            pair = [to_si(item, unit) for item in value]
            return [si for si, _ in pair], pair[0][1]
        return to_si(value, unit)
    except UnitError as error:
        logger.debug("no SI form", extra={"unit": unit, "reason": str(error)})
        return value, unit


def add_si_units(metadata: Any) -> Any:
    """Add ``valueSI``/``unitSI`` to every quantity object, recursing into the rest.

    A quantity is an object with a key starting with ``v`` and one starting
    with ``u`` (neither ending in ``SI``) whose unit is a non-empty string.
    """
    if not isinstance(metadata, dict):
        return metadata
    augmented: dict[str, Any] = {}
    for key, entry in metadata.items():
        if not isinstance(entry, dict):
            augmented[key] = entry
            continue
        value, unit, has_value = _quantity_keys(entry)
        if has_value and isinstance(unit, str) and unit:
            value_si, unit_si = _si_of(value, unit)
            augmented[key] = {**entry, "valueSI": value_si, "unitSI": unit_si}
        else:
            augmented[key] = add_si_units(entry)
    return augmented


# MongoDB refuses documents nested deeper than 100 levels; the metadata sits
# one level down, and refusing early keeps the recursive walks bounded.
MAX_DEPTH = 90


def depth(value: Any) -> int:
    """How deeply objects and arrays nest in ``value`` (a scalar is 0)."""
    if not isinstance(value, dict | list):
        return 0
    deepest = 0
    # Only containers are stacked: scalars, most of the metadata, cost one check.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
    return deepest


def prepare_for_storage(metadata: Any) -> Any:
    """What SciCat does to incoming metadata: SI augmentation, then key encoding.

    Raises ValueError for metadata nested deeper than MAX_DEPTH.
    """
    if depth(metadata) > MAX_DEPTH:
        raise ValueError(f"must not be nested deeper than {MAX_DEPTH} levels")
    return _augment_and_encode(metadata)


def _augment_and_encode(metadata: Any) -> Any:
    """``encode_keys(add_si_units(metadata))`` in one walk, copying each level once."""
    if not isinstance(metadata, dict):
        return metadata
    prepared: dict[str, Any] = {}
    for key, entry in metadata.items():
        stored_key = _stored_key(key)
        if not isinstance(entry, dict):
            prepared[stored_key] = entry
            continue
        value, unit, has_value = _quantity_keys(entry)
        if has_value and isinstance(unit, str) and unit:
            value_si, unit_si = _si_of(value, unit)
            prepared[stored_key] = encode_keys(
                {**entry, "valueSI": value_si, "unitSI": unit_si}
            )
        else:
            prepared[stored_key] = _augment_and_encode(entry)
    return prepared


def _is_value_unit(entry: Any) -> bool:
    return isinstance(entry, dict) and ("value" in entry or "unit" in entry)


def _at(document: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def value_unit_mismatches(
    update: dict[str, Any], stored: dict[str, Any], path: tuple[str, ...] = ()
) -> list[str]:
    """Paths where the stored object has both value and unit but the update lacks one.

    Walks the whole update body (keys as stored, i.e. encoded), as SciCat's v4
    PATCH does before it writes.
    """
    found: list[str] = []
    for key, entry in update.items():
        current = [*path, key]
        if _is_value_unit(entry):
            original = _at(stored, current)
            if (
                _is_value_unit(original)
                and "value" in original
                and "unit" in original
                and not ("value" in entry and "unit" in entry)
            ):
                found.append(".".join(current))
        if isinstance(entry, dict):
            found.extend(value_unit_mismatches(entry, stored, tuple(current)))
    return found


def check_value_unit_update(
    pid: str, update: dict[str, Any], stored: dict[str, Any]
) -> None:
    """Refuse a v4 PATCH that would split a stored value from its unit."""
    mismatched = value_unit_mismatches(update, stored)
    if mismatched:
        raise InvalidError(
            f"Original dataset {pid} contains both value and unit in "
            f"{', '.join(mismatched)}. Please provide both when updating.",
            details=[{"field": path, "constraint": "valueUnit"} for path in mismatched],
        )
