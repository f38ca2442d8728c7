"""Type names shared by the query modules."""

from __future__ import annotations

from typing import Any, TypeAlias

# A MongoDB query document, as PyMongo takes it.
MongoFilter: TypeAlias = dict[str, Any]
# One aggregation pipeline stage.
Stage: TypeAlias = dict[str, Any]
# A projection document with boolean values only.
Projection: TypeAlias = dict[str, bool]
