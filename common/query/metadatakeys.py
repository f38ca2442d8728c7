"""The legacy metadataKeys listing of datasets and samples (reference §4.4).

The keys of the matching documents' metadata are flattened into dotted paths
(quantities, objects with a ``unit`` or ``u``, and arrays are leaves), in the
order first seen, as SciCat returns them; blacklisted keys are dropped, the
rest decoded, filtered by the ``metadataKey`` substring (case-insensitive) and
cut to ``METADATA_KEYS_RETURN_LIMIT``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from common.query.limits import Limits, parse_v3_limits
from common.scimeta import decode_key

DATASET_BLACKLIST = tuple(
    re.compile(pattern)
    for pattern in (
        ".*_date",
        "runNumber",
        "Entrych*.",
        "entryCh*.",
        "FMC-PICO*.",
        "BW_measurement*.",
        "Linearity_measurement*.",
        "Pulse_measurement*.",
    )
)
SAMPLE_BLACKLIST = (re.compile(".*_date"),)
_MAX_DEPTH = 50


def metadata_keys(
    documents: Iterable[Mapping[str, Any]],
    prop: str = "scientificMetadata",
    *,
    blacklist: Iterable[re.Pattern[str]] = DATASET_BLACKLIST,
    metadata_key: Any = None,
    return_limit: int | None = None,
) -> list[str]:
    """The decoded dotted metadata keys of ``documents``, as SciCat lists them."""
    patterns = tuple(blacklist)
    keys = [
        key
        for key in flatten_metadata_keys(documents, prop)
        if not any(pattern.search(key) for pattern in patterns)
    ]
    decoded = [decode_key(key) for key in keys]
    if isinstance(metadata_key, str) and metadata_key:
        wanted = metadata_key.lower()
        decoded = [key for key in decoded if wanted in key.lower()]
    return decoded if return_limit is None else decoded[: max(return_limit, 0)]


def flatten_metadata_keys(
    documents: Iterable[Mapping[str, Any]], prop: str
) -> list[str]:
    """Dotted key paths under ``prop``, each once, in first-seen order."""
    seen: dict[str, None] = {}
    for document in documents:
        metadata = document.get(prop)
        if isinstance(metadata, Mapping):
            _flatten(metadata, "", seen, depth=0)
    return list(seen)


def parent_limits(limits: Any, maximum: int | None) -> Limits:
    """The fullquery page for the parents whose keys are listed: at most
    ``METADATA_PARENT_INSTANCES_RETURN_LIMIT`` (``maximum``) when it is set."""
    parsed = parse_v3_limits(limits)
    if not maximum:
        return parsed
    given = limits.get("limit") if isinstance(limits, Mapping) else None
    limit = maximum if not given or parsed.limit is None else min(parsed.limit, maximum)
    return Limits(limit=limit, skip=parsed.skip, sort=parsed.sort)


def _flatten(
    metadata: Mapping[str, Any], prefix: str, seen: dict[str, None], depth: int
) -> None:
    for key, value in metadata.items():
        path = f"{prefix}{key}"
        if depth < _MAX_DEPTH and _is_plain_object(value):
            _flatten(value, f"{path}.", seen, depth + 1)
        else:
            seen.setdefault(path, None)


def _is_plain_object(value: Any) -> bool:
    """An object to descend into: not a quantity (no ``unit``/``u``, even empty)."""
    if not isinstance(value, Mapping):
        return False
    return not any(
        _js_truthy(value.get(k)) or value.get(k) == "" for k in ("unit", "u")
    )


def _js_truthy(value: Any) -> bool:
    return value is not None and value is not False and value != 0 and value != ""
