"""Regex emulation of MongoDB's ``$text`` search for the embedded store.

A document matches ``{"$text": {"$search": "a b"}}`` when any string covered
by the collection's text index contains any term, case-insensitively; a
quoted ``"phrase"`` must appear as written (all phrases must appear), and a
``-term`` excludes documents containing it. There is no stemming and no
relevance score (see :mod:`common.store.limitations`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from common.errors import StoreQueryError

_PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class TextQuery:
    terms: tuple[str, ...]
    phrases: tuple[str, ...]
    excluded: tuple[str, ...]
    case_sensitive: bool

    def matches(self, strings: Iterable[str]) -> bool:
        fold = (lambda s: s) if self.case_sensitive else str.casefold
        text = "\x00".join(fold(s) for s in strings)
        if any(fold(word) in text for word in self.excluded):
            return False
        if self.phrases:
            return all(fold(phrase) in text for phrase in self.phrases)
        return any(fold(term) in text for term in self.terms)


def parse_text_operator(operand: Any) -> TextQuery:
    """Validate a ``$text`` operand the way MongoDB does and split its search."""
    if not isinstance(operand, Mapping) or not isinstance(operand.get("$search"), str):
        raise StoreQueryError("$text needs a $search string")
    unknown = set(operand) - {
        "$search",
        "$language",
        "$caseSensitive",
        "$diacriticSensitive",
    }
    if unknown:
        raise StoreQueryError(f"unknown $text option {sorted(unknown)[0]}")
    search: str = operand["$search"]
    phrases = tuple(p for p in _PHRASE.findall(search) if p.strip())
    rest = _PHRASE.sub(" ", search).split()
    terms = tuple(t for t in rest if not t.startswith("-"))
    excluded = tuple(t[1:] for t in rest if t.startswith("-") and len(t) > 1)
    return TextQuery(terms, phrases, excluded, bool(operand.get("$caseSensitive")))


def strings_in(value: Any, paths: Sequence[str] | None) -> Iterator[str]:
    """Every string in a document (or under the given dotted paths), recursively."""
    if paths is None:
        yield from _walk(value)
        return
    for path in paths:
        yield from _walk(_at(value, path.split(".")))


def _at(value: Any, parts: list[str]) -> Any:
    for position, part in enumerate(parts):
        if isinstance(value, list):
            return [_at(item, parts[position:]) for item in value]
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def split_text_clause(
    filter: Mapping[str, Any],
) -> tuple[Any | None, dict[str, Any]]:
    """Take ``$text`` out of a filter (top level or a top-level ``$and``)."""
    if not isinstance(filter, Mapping):
        return None, filter
    rest = dict(filter)
    operand = rest.pop("$text", None)
    if isinstance(rest.get("$and"), list):
        clauses = []
        for clause in rest["$and"]:
            if isinstance(clause, Mapping) and "$text" in clause:
                if operand is not None:
                    raise StoreQueryError("too many $text expressions")
                inner_operand, inner_rest = split_text_clause(clause)
                operand = inner_operand
                if inner_rest:
                    clauses.append(inner_rest)
            else:
                clauses.append(clause)
        if clauses:
            rest["$and"] = clauses
        else:
            del rest["$and"]
    if _mentions_text(rest):
        raise StoreQueryError(
            "$text is supported only at the top level of a filter or in a "
            "top-level $and"
        )
    return operand, rest


def _mentions_text(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(k == "$text" or _mentions_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions_text(item) for item in value)
    return False
