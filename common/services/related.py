"""``include``: the related documents of a page of results, one query per relation.

SciCat joins relations with ``$lookup`` per document; we read each relation's
documents for the whole page at once (``foreign_field $in`` the page's values)
and hand every parent its own, applying the include scope per parent. The
caller's access to the related entity narrows the query when given (v4).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from common.query.include import ALL, IncludeScope, IncludeSpec, Relation
from common.query.projection import to_projection
from common.services.entity import Document, and_filters
from common.services.store_types import StoreLike

__all__ = ["attach_related", "relation_names", "values_at"]


def relation_names(
    specs: Sequence[IncludeSpec], relations: Mapping[str, Relation]
) -> list[str]:
    """The relation names ``specs`` ask for (``all`` expanded), in order."""
    if not specs:
        return []
    if any(spec.relation == ALL for spec in specs):
        return list(relations)
    return list(dict.fromkeys(spec.relation for spec in specs))


def values_at(document: Mapping[str, Any], path: str) -> list[Any]:
    """Every value at a dotted ``path``, looking through arrays as MongoDB does."""
    return list(_walk(document, path.split(".")))


def _walk(value: Any, parts: list[str]) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, parts)
        return
    if not parts:
        yield value
        return
    if isinstance(value, Mapping) and parts[0] in value:
        yield from _walk(value[parts[0]], parts[1:])


async def attach_related(
    store: StoreLike,
    documents: Sequence[Document],
    specs: Sequence[IncludeSpec],
    relations: Mapping[str, Relation],
    *,
    access: Mapping[str, Mapping[str, Any] | None] | None = None,
    max_time_ms: int,
) -> None:
    """Add one list per requested relation to every document (key: relation name).

    ``access`` maps a relation name to the filter of related documents the
    caller may see (absent or None: all of them).
    """
    if not documents or not specs:
        return
    scopes = {spec.relation: spec.scope for spec in specs}
    for name in relation_names(specs, relations):
        relation = relations[name]
        scope = scopes.get(name) or scopes.get(ALL) or IncludeScope()
        related = await _related(
            store, documents, relation, scope, (access or {}).get(name), max_time_ms
        )
        for document in documents:
            keys = {_hashable(v) for v in values_at(document, relation.local_field)}
            matches = [
                item
                for item in related
                if keys.intersection(
                    _hashable(v) for v in values_at(item, relation.foreign_field)
                )
            ]
            document[name] = _page(matches, scope)


async def _related(
    store: StoreLike,
    documents: Sequence[Document],
    relation: Relation,
    scope: IncludeScope,
    access: Mapping[str, Any] | None,
    max_time_ms: int,
) -> list[Document]:
    unique = {
        _hashable(value): value
        for document in documents
        for value in values_at(document, relation.local_field)
    }
    wanted = list(unique.values())
    if not wanted:
        return []
    query = and_filters(
        {relation.foreign_field: {"$in": wanted}},
        relation.match,
        access,
        scope.where,
    )
    projection = None
    if scope.fields is not None:
        # The join key is needed to hand each document to its parent.
        projection = to_projection(scope.fields, (relation.foreign_field,))
    cursor = store.collection(relation.collection).find(
        query, projection, max_time_ms=max_time_ms
    )
    if scope.limits is not None and scope.limits.sort:
        cursor = cursor.sort(list(scope.limits.sort.items()))
    found: list[Document] = await cursor.to_list(None)
    return found


def _page(matches: list[Document], scope: IncludeScope) -> list[Document]:
    limits = scope.limits
    if limits is None:
        return matches
    end = None if limits.limit is None else limits.skip + limits.limit
    return matches[limits.skip : end]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else str(value)
