"""Native execution of the common aggregation stages, mongomock for the rest.

mongomock runs a pipeline on deep copies and groups by sorting every document
with Python comparisons; the catalogue's pipelines (fullfacet, counts,
includes) use a handful of stages that are simple to run directly on the
stored documents, which are never changed here (a stage that needs a changed
document builds a new top-level dict). The first stage this module does not
handle, or handles only in its plain forms, sends the documents (as copies)
and the rest of the pipeline to mongomock, so the answer is the same either way.

Semantics are MongoDB's: a missing ``$group`` key groups under ``null``,
``$unwind`` drops missing, null and empty arrays unless told to preserve
them, ``$count`` of nothing is no document. Groups come out ordered by their
``_id`` (BSON order), as mongomock orders them; MongoDB leaves it open.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import bson

from common.store.embedded import mongomock_api as mm
from common.store.embedded.documents import NAIVE
from common.store.embedded.engine import QueryTimeout
from common.store.embedded.ordered import native_sort_key

Doc = dict[str, Any]
Fallback = Callable[[list[Doc], list[Mapping[str, Any]]], list[Doc]]
# (from, query) -> the foreign collection's stored documents matching query.
ForeignFind = Callable[[str, Mapping[str, Any]], list[Doc]]

_MISSING = object()
_DATE_PARTS: dict[str, Callable[[dt.datetime], int]] = {
    "$year": lambda d: d.year,
    "$month": lambda d: d.month,
    "$dayOfMonth": lambda d: d.day,
}
_CHECK_EVERY = 1024


class Unsupported(Exception):
    """A stage (or a value met while running it) that mongomock must handle."""


class Runner:
    """Runs one pipeline over stored documents; never changes them."""

    def __init__(
        self,
        fallback: Fallback,
        foreign_find: ForeignFind,
        deadline: float | None,
    ) -> None:
        self._fallback = fallback
        self._foreign_find = foreign_find
        self._deadline = deadline
        self._ticks = 0

    def run(self, documents: list[Doc], stages: Sequence[Mapping[str, Any]]) -> Any:
        """The pipeline's output documents (they may share parts with the input)."""
        current = documents
        for position, stage in enumerate(stages):
            ((name, options),) = stage.items()
            handler = _HANDLERS.get(name)
            try:
                if handler is None:
                    raise Unsupported(name)
                current = handler(self, current, options)
            except Unsupported:
                rest = list(stages[position:])
                return self._fallback([_copy(d) for d in current], rest)
        return current

    def tick(self, count: int = 1) -> None:
        """Stop a pipeline that runs past its time limit."""
        self._ticks += count
        if self._ticks >= _CHECK_EVERY:
            self._ticks = 0
            if self._deadline is not None and time.monotonic() > self._deadline:
                raise QueryTimeout("operation exceeded time limit")

    # --- stages ---------------------------------------------------------------

    def match(self, documents: list[Doc], options: Any) -> list[Doc]:
        if not isinstance(options, Mapping):
            raise Unsupported("$match")
        if not options:
            return documents
        kept = []
        for document in documents:
            self.tick()
            if mm.filter_applies(options, document):
                kept.append(document)
        return kept

    def unwind(self, documents: list[Doc], options: Any) -> list[Doc]:
        preserve = False
        if isinstance(options, Mapping):
            if set(options) - {"path", "preserveNullAndEmptyArrays"}:
                raise Unsupported("$unwind")
            preserve = options.get("preserveNullAndEmptyArrays") is True
            if options.get("preserveNullAndEmptyArrays") not in (None, True, False):
                raise Unsupported("$unwind")
            options = options.get("path")
        if not isinstance(options, str) or not options.startswith("$"):
            raise Unsupported("$unwind")
        field_name = options[1:]
        if not field_name or "." in field_name or field_name.startswith("$"):
            raise Unsupported("$unwind")
        unwound: list[Doc] = []
        for document in documents:
            self.tick()
            value = document.get(field_name, _MISSING)
            if type(value) is list:
                if value:
                    unwound.extend({**document, field_name: v} for v in value)
                elif preserve:
                    unwound.append(
                        {k: v for k, v in document.items() if k != field_name}
                    )
            elif (value is not _MISSING and value is not None) or preserve:
                unwound.append(document)
        return unwound

    def group(self, documents: list[Doc], options: Any) -> list[Doc]:
        if not isinstance(options, Mapping) or "_id" not in options:
            raise Unsupported("$group")
        key_of = _group_key(options["_id"])
        accumulators = [
            (name, _accumulator(spec))
            for name, spec in options.items()
            if name != "_id"
        ]
        counts = _integer_sums(options)
        if counts is not None:
            return self._count_groups(documents, key_of, counts)
        groups: dict[Hashable, tuple[Any, list[Any]]] = {}
        for document in documents:
            self.tick()
            value = key_of(document)
            frozen = _freeze(value)
            entry = groups.get(frozen)
            if entry is None:
                entry = (value, [start for _, (start, _step) in accumulators])
                groups[frozen] = entry
            totals = entry[1]
            for position, (_, (_start, step)) in enumerate(accumulators):
                totals[position] = step(totals[position], document)
        output = []
        for value, totals in groups.values():
            row: Doc = {"_id": value}
            for (name, _), total in zip(accumulators, totals, strict=True):
                row[name] = total
            output.append(row)
        output.sort(key=lambda row: mm.bson_comparable(row["_id"]))
        return output

    def _count_groups(
        self,
        documents: list[Doc],
        key_of: Callable[[Doc], Any],
        sums: dict[str, int],
    ) -> list[Doc]:
        """``$group`` whose accumulators are all ``$sum`` of an integer: counts."""
        counts: dict[Hashable, int] = {}
        values: dict[Hashable, Any] = {}
        self.tick(len(documents))
        for document in documents:
            value = key_of(document)
            frozen = _freeze(value)
            seen = counts.get(frozen)
            if seen is None:
                counts[frozen] = 1
                values[frozen] = value
            else:
                counts[frozen] = seen + 1
        output = []
        for frozen, count in counts.items():
            row: Doc = {"_id": values[frozen]}
            for name, step in sums.items():
                row[name] = count * step
            output.append(row)
        output.sort(key=lambda row: mm.bson_comparable(row["_id"]))
        return output

    def sort(self, documents: list[Doc], options: Any) -> list[Doc]:
        if not isinstance(options, Mapping) or not options:
            raise Unsupported("$sort")
        ordered = list(documents)
        # Successive stable sorts, last key first: ties keep their input order.
        for field_name, direction in reversed(list(options.items())):
            if direction not in (1, -1) or isinstance(direction, bool):
                raise Unsupported("$sort")
            self.tick(len(ordered))
            ordered.sort(key=_sort_key(field_name), reverse=direction < 0)
        return ordered

    def skip(self, documents: list[Doc], options: Any) -> list[Doc]:
        return documents[_count_operand(options) :]

    def limit(self, documents: list[Doc], options: Any) -> list[Doc]:
        count = _count_operand(options)
        if count == 0:
            raise Unsupported("$limit")  # MongoDB refuses it; mongomock says why
        return documents[:count]

    def count(self, documents: list[Doc], options: Any) -> list[Doc]:
        if not isinstance(options, str) or not options or options.startswith("$"):
            raise Unsupported("$count")
        if "." in options:
            raise Unsupported("$count")
        return [{options: len(documents)}] if documents else []

    def project(self, documents: list[Doc], options: Any) -> list[Doc]:
        if not isinstance(options, Mapping) or not options:
            raise Unsupported("$project")
        keep_id = True
        fields = []
        for key, value in options.items():
            if type(value) not in (int, bool) or "." in key or key.startswith("$"):
                raise Unsupported("$project")
            if key == "_id":
                keep_id = bool(value)
            elif not value:
                raise Unsupported("$project")  # exclusion: mongomock's path
            else:
                fields.append(key)
        if not fields and not keep_id:
            raise Unsupported("$project")  # {_id: 0} alone excludes: mongomock's
        wanted = set(fields)
        if keep_id:
            wanted.add("_id")
        return [{k: v for k, v in d.items() if k in wanted} for d in documents]

    def facet(self, documents: list[Doc], options: Any) -> list[Doc]:
        if not isinstance(options, Mapping) or not options:
            raise Unsupported("$facet")
        output: Doc = {}
        for name, sub in options.items():
            if not isinstance(sub, list) or not all(
                isinstance(s, Mapping) and len(s) == 1 for s in sub
            ):
                raise Unsupported("$facet")
            output[name] = list(self.run(documents, sub))
        return [output]

    def lookup(self, documents: list[Doc], options: Any) -> list[Doc]:
        if not isinstance(options, Mapping):
            raise Unsupported("$lookup")
        allowed = {"from", "localField", "foreignField", "as", "pipeline", "let"}
        if set(options) - allowed:
            raise Unsupported("$lookup")
        source, target = options.get("from"), options.get("as")
        if not isinstance(source, str) or not _plain_field(target):
            raise Unsupported("$lookup")
        pipeline = options.get("pipeline")
        variables = options.get("let") or {}
        if pipeline is not None and not isinstance(pipeline, list):
            raise Unsupported("$lookup")
        if not isinstance(variables, Mapping) or not all(
            isinstance(v, str) and v.startswith("$") and _plain_path(v[1:])
            for v in variables.values()
        ):
            raise Unsupported("$lookup")
        local, foreign = options.get("localField"), options.get("foreignField")
        joined = local is not None or foreign is not None
        if joined and not (_plain_path(local) and _plain_path(foreign)):
            raise Unsupported("$lookup")
        if not joined and pipeline is None:
            raise Unsupported("$lookup")
        everything: list[Doc] | None = None
        output: list[Doc] = []
        for document in documents:
            self.tick()
            stages = None
            if pipeline is not None:
                bound = {
                    name: _path_value(document, path[1:])
                    for name, path in variables.items()
                }
                stages = _bind(pipeline, bound)
            prefilter = None if joined else _expr_prefilter(stages)
            if joined:
                value = _path_value(document, str(local))
                query: Any = None if value is _MISSING else value
                if isinstance(query, list):
                    query = {"$in": query}
                related = self._foreign_find(source, {str(foreign): query})
            elif prefilter is not None:
                related = self._foreign_find(source, prefilter)
            else:
                if everything is None:
                    everything = self._foreign_find(source, {})
                related = everything
            if stages is not None:
                related = list(self.run(related, stages))
            output.append({**document, str(target): related})
        return output

    def union_with(self, documents: list[Doc], options: Any) -> list[Doc]:
        if isinstance(options, str):
            options = {"coll": options}
        if not isinstance(options, Mapping) or set(options) - {"coll", "pipeline"}:
            raise Unsupported("$unionWith")
        source, pipeline = options.get("coll"), options.get("pipeline", [])
        if not isinstance(source, str) or not isinstance(pipeline, list):
            raise Unsupported("$unionWith")
        others = self._foreign_find(source, {})
        self.tick(len(others))
        return [*documents, *self.run(others, pipeline)]


_HANDLERS: dict[str, Callable[[Runner, list[Doc], Any], list[Doc]]] = {
    "$unionWith": Runner.union_with,
    "$match": Runner.match,
    "$unwind": Runner.unwind,
    "$group": Runner.group,
    "$sort": Runner.sort,
    "$skip": Runner.skip,
    "$limit": Runner.limit,
    "$count": Runner.count,
    "$project": Runner.project,
    "$facet": Runner.facet,
    "$lookup": Runner.lookup,
}


def _copy(document: Doc) -> Doc:
    return bson.decode(bson.encode(document), codec_options=NAIVE)


def _sort_key(field_name: str) -> Callable[[Doc], tuple[Any, ...]]:
    return lambda document: native_sort_key(field_name, document)


def _count_operand(options: Any) -> int:
    if type(options) is not int or options < 0:
        raise Unsupported("$skip/$limit")
    return options


def _plain_field(name: Any) -> bool:
    return isinstance(name, str) and bool(name) and "." not in name and name[0] != "$"


def _plain_path(path: Any) -> bool:
    return isinstance(path, str) and all(_plain_field(p) for p in path.split("."))


def _path_value(document: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path through sub-documents (arrays: mongomock's)."""
    if "." not in path:
        return document.get(path, _MISSING)
    value: Any = document
    for part in path.split("."):
        if isinstance(value, list):
            raise Unsupported("a path through an array")
        if not isinstance(value, dict):
            return _MISSING
        value = value.get(part, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value


def _field_path(expression: Any) -> str | None:
    if (
        isinstance(expression, str)
        and expression.startswith("$")
        and not expression.startswith("$$")
        and _plain_path(expression[1:])
    ):
        return expression[1:]
    return None


def _group_key(expression: Any) -> Callable[[Doc], Any]:
    """The function giving a document's ``$group`` key (MongoDB's value of it)."""
    path = _field_path(expression)
    if path is not None:

        def by_path(document: Doc) -> Any:
            value = _path_value(document, path)
            return None if value is _MISSING else value

        return by_path
    if isinstance(expression, Mapping):
        if not expression or any(
            not _plain_field(k) for k in expression
        ):  # operators as _id, or odd names: mongomock's
            raise Unsupported("$group _id")
        parts = [(name, _part(sub)) for name, sub in expression.items()]

        def by_object(document: Doc) -> Any:
            key: Doc = {}
            for name, part in parts:
                value = part(document)
                if value is not _MISSING:
                    key[name] = value
            return key

        return by_object
    if expression is None or isinstance(expression, str | list | dict):
        raise Unsupported("$group _id")
    return lambda _document: expression


def _part(expression: Any) -> Callable[[Doc], Any]:
    """One field of an object ``_id``: a path, or a date part of a path."""
    path = _field_path(expression)
    if path is not None:
        return lambda document: _path_value(document, path)
    if isinstance(expression, Mapping) and len(expression) == 1:
        ((operator, operand),) = expression.items()
        extract = _DATE_PARTS.get(operator)
        inner = _field_path(operand)
        if extract is not None and inner is not None:
            date_path = inner

            def date_part(document: Doc) -> Any:
                value = _path_value(document, date_path)
                if value is _MISSING or value is None:
                    return None  # MongoDB: a date part of nothing is null
                if not isinstance(value, dt.datetime):
                    raise Unsupported("a date part of a non-date")
                return extract(value)

            return date_part
    raise Unsupported("$group _id field")


def _integer_sums(options: Mapping[str, Any]) -> dict[str, int] | None:
    """Each accumulator's integer if all are ``{$sum: <int>}``, else None."""
    sums: dict[str, int] = {}
    for name, spec in options.items():
        if name == "_id":
            continue
        if not isinstance(spec, Mapping) or len(spec) != 1:
            return None
        operand = spec.get("$sum")
        if type(operand) is not int:
            return None
        sums[name] = operand
    return sums


def _accumulator(
    spec: Any,
) -> tuple[Any, Callable[[Any, Doc], Any]]:
    """Start value and step of a ``$sum`` of a number or of a path."""
    if not isinstance(spec, Mapping) or len(spec) != 1 or "$sum" not in spec:
        raise Unsupported("accumulator")
    operand = spec["$sum"]
    if type(operand) in (int, float):
        return 0, lambda total, _document: total + operand
    path = _field_path(operand)
    if path is None:
        raise Unsupported("$sum operand")

    def add(total: Any, document: Doc) -> Any:
        value = _path_value(document, path)
        if type(value) in (int, float):
            return total + value
        if isinstance(value, bson.Int64 | bson.Decimal128) or type(value) is list:
            raise Unsupported("$sum of this type")
        return total

    return 0, add


def _freeze(value: Any) -> Hashable:
    """A group key: equal exactly when MongoDB puts two values in one group."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return ("\x00bool", value)
    if isinstance(value, dict):
        return ("\x00doc", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("\x00arr", tuple(_freeze(v) for v in value))
    if isinstance(value, float) and value != value:
        return ("\x00nan",)
    try:
        hash(value)
    except TypeError as exc:
        raise Unsupported("an unhashable group key") from exc
    if isinstance(value, str | int | float | dt.datetime) or value is None:
        return value
    return (type(value).__name__, value)


def _expr_prefilter(stages: list[Any] | None) -> dict[str, Any] | None:
    """An indexable query selecting a superset of what a leading
    ``$match: {$expr: {$eq: ["$field", value]}}`` (or ``$in`` of a list) keeps.

    Query equality also matches array elements and missing fields for null,
    so it never loses a document the ``$expr`` would keep; the stage itself
    still runs on what the query selects.
    """
    if not stages or not isinstance(stages[0], Mapping):
        return None
    match = stages[0].get("$match")
    if not isinstance(match, Mapping) or list(match) != ["$expr"]:
        return None
    expression = match["$expr"]
    if not isinstance(expression, Mapping) or len(expression) != 1:
        return None
    ((operator, operands),) = expression.items()
    if operator not in ("$eq", "$in") or not isinstance(operands, list):
        return None
    if len(operands) != 2:
        return None
    first, second = operands
    if operator == "$eq" and _field_path(first) is None:
        first, second = second, first
    path = _field_path(first)
    value = _constant(second)
    if path is None or value is _MISSING:
        return None
    if operator == "$eq":
        if isinstance(value, list | dict):
            return None
        return {path: value}
    if not isinstance(value, list) or any(isinstance(v, list | dict) for v in value):
        return None
    return {path: {"$in": value}}


def _constant(expression: Any) -> Any:
    """The value of a ``{$literal: v}`` or of a plain constant, else _MISSING."""
    if isinstance(expression, Mapping):
        if list(expression) == ["$literal"]:
            return expression["$literal"]
        return _MISSING
    if isinstance(expression, str) and expression.startswith("$"):
        return _MISSING
    return expression


def _bind(pipeline: list[Any], variables: Mapping[str, Any]) -> list[Any]:
    """The sub-pipeline with ``$$name`` replaced by the bound values."""
    if not variables:
        return pipeline

    def substitute(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$$"):
            name = value[2:].split(".")[0]
            if name in variables:
                if "." in value:
                    raise Unsupported("a path into a variable")
                bound = variables[name]
                return {"$literal": None if bound is _MISSING else bound}
            return value
        if isinstance(value, dict):
            return {k: substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [substitute(v) for v in value]
        return value

    return [substitute(stage) for stage in pipeline]
