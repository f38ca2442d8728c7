"""The store interface the services are written against (see common/store)."""

from __future__ import annotations

from common.store.interface import Store

# Kept as a name of its own: the services need only ``collection(name)``.
StoreLike = Store
