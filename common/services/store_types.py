"""The slice of the store interface the services use (see common/store)."""

from __future__ import annotations

from typing import Any, Protocol


class StoreLike(Protocol):
    """Anything with SciCat-named collections in PyMongo's async shape."""

    def collection(self, name: str) -> Any: ...
