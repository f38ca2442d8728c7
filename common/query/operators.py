"""The operator allow-list for user filters and the bounds on user regexes.

A user filter may use only the query operators below. Everything else,
``$where``, ``$function``, ``$accumulator``, ``$expr`` and ``$jsonSchema``
among them, is refused with :class:`InvalidError`, wherever it sits: at the
top, inside ``$and``/``$or``/``$elemMatch``, inside arrays or inside embedded
documents. Field names may not start with ``$``.

Regexes reach MongoDB's backtracking engine, so one bad pattern could hold the
database (and, on the embedded store, the event loop) for minutes. A pattern is
accepted only if it is short and has no shape known to backtrack
exponentially: no quantified group that itself holds a quantifier or an
alternation (``(a+)+``, ``(.*a){20}``, ``(a|ab)*``), no backreferences, few
quantifiers and bounded repetition counts. The check is a linear scan.

TODO(query): several unbounded quantifiers over overlapping atoms in a row
(``.*a.*b.*c``) are polynomial, not exponential, and still pass; the store's
query time limit (``STORE_QUERY_TIMEOUT_MS``) bounds them on MongoDB. An
adjacency analysis of the atoms' character sets would reject them here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.errors import InvalidError

# Operators that combine whole queries; valid where field names are valid.
LOGICAL_OPERATORS = frozenset({"$and", "$or", "$nor"})
# Operators that apply to one field's value.
FIELD_OPERATORS = frozenset(
    {
        "$eq",
        "$ne",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$in",
        "$nin",
        "$not",
        "$exists",
        "$type",
        "$regex",
        "$options",
        "$elemMatch",
        "$all",
        "$size",
        "$mod",
    }
)
TEXT_OPERATOR = "$text"
TEXT_OPTIONS = frozenset(
    {"$search", "$language", "$caseSensitive", "$diacriticSensitive"}
)
ALLOWED_OPERATORS = LOGICAL_OPERATORS | FIELD_OPERATORS | {TEXT_OPERATOR} | TEXT_OPTIONS

MAX_DEPTH = 32
MAX_REGEX_LENGTH = 512
MAX_REGEX_QUANTIFIERS = 20
MAX_REPEAT_COUNT = 1000
REGEX_OPTIONS = frozenset("imsx")


def check_filter(query: Any, *, allow_text: bool = True) -> None:
    """Raise InvalidError unless ``query`` uses only allowed operators and regexes."""
    if not isinstance(query, Mapping):
        raise InvalidError("A filter must be a JSON object")
    _check_document(query, depth=0, allow_text=allow_text)


def check_field_name(name: str) -> None:
    """Raise InvalidError for a field path that MongoDB would read as an operator."""
    if not isinstance(name, str) or name == "":
        raise InvalidError("Field names must be non-empty strings")
    if "\x00" in name:
        raise InvalidError("Field names must not contain NUL characters")
    for segment in name.split("."):
        if segment.startswith("$"):
            raise InvalidError(f"Field name {name!r} must not start with '$'")


def _check_document(query: Mapping[Any, Any], *, depth: int, allow_text: bool) -> None:
    """A query document: field conditions and logical operators."""
    _check_depth(depth)
    for key, value in query.items():
        if not isinstance(key, str):
            raise InvalidError("Filter keys must be strings")
        if key in LOGICAL_OPERATORS:
            # MongoDB takes $text at the top or directly in a top-level $and.
            text_inside = allow_text and depth == 0 and key == "$and"
            _check_logical(key, value, depth=depth, allow_text=text_inside)
        elif key == TEXT_OPERATOR:
            if not allow_text:
                raise InvalidError("$text is not allowed here")
            _check_text(value)
        elif key.startswith("$"):
            raise _forbidden(key)
        else:
            check_field_name(key)
            _check_condition(value, depth=depth + 1)


def _check_logical(key: str, value: Any, *, depth: int, allow_text: bool) -> None:
    if not isinstance(value, list) or not value:
        raise InvalidError(f"{key} needs a non-empty array of filters")
    for item in value:
        if not isinstance(item, Mapping):
            raise InvalidError(f"{key} needs a non-empty array of filters")
        _check_document(item, depth=depth + 1, allow_text=allow_text)


def _check_text(value: Any) -> None:
    if not isinstance(value, Mapping) or not isinstance(value.get("$search"), str):
        raise InvalidError("$text needs an object with a string $search")
    for key, option in value.items():
        if key not in TEXT_OPTIONS:
            raise _forbidden(key)
        if key in {"$caseSensitive", "$diacriticSensitive"} and not isinstance(
            option, bool
        ):
            raise InvalidError(f"{key} must be a boolean")
        if key == "$language" and not isinstance(option, str):
            raise InvalidError("$language must be a string")


def _check_condition(value: Any, *, depth: int) -> None:
    """The value of a field: a literal or an object of field operators."""
    _check_depth(depth)
    if isinstance(value, Mapping):
        keys = [key for key in value if isinstance(key, str) and key.startswith("$")]
        if not keys:
            _check_literal(value, depth=depth + 1)
            return
        if len(keys) != len(value):
            raise InvalidError("Operators and plain keys cannot be mixed in one object")
        _check_operators(value, depth=depth)
        return
    _check_literal(value, depth=depth + 1)


def _check_operators(expression: Mapping[str, Any], *, depth: int) -> None:
    if "$options" in expression and "$regex" not in expression:
        raise InvalidError("$options needs $regex in the same object")
    for key, operand in expression.items():
        if key not in FIELD_OPERATORS:
            raise _forbidden(key)
        checker = _OPERAND_CHECKS.get(key, _check_literal_operand)
        checker(key, operand, depth + 1)


def _check_literal_operand(_key: str, operand: Any, depth: int) -> None:
    _check_literal(operand, depth=depth)


def _check_list_operand(key: str, operand: Any, depth: int) -> None:
    if not isinstance(operand, list):
        raise InvalidError(f"{key} needs an array")
    for item in operand:
        if isinstance(item, Mapping) and "$elemMatch" in item and key == "$all":
            _check_operators(item, depth=depth + 1)
        else:
            _check_literal(item, depth=depth + 1)


def _check_not(key: str, operand: Any, depth: int) -> None:
    if not isinstance(operand, Mapping) or not operand:
        raise InvalidError("$not needs an object of operators")
    if not all(isinstance(name, str) and name.startswith("$") for name in operand):
        raise InvalidError("$not needs an object of operators")
    _check_operators(operand, depth=depth)


def _check_elem_match(key: str, operand: Any, depth: int) -> None:
    if not isinstance(operand, Mapping):
        raise InvalidError("$elemMatch needs an object")
    operator_keys = [k for k in operand if isinstance(k, str) and k.startswith("$")]
    field_operators = [k for k in operator_keys if k in FIELD_OPERATORS]
    if operator_keys and len(field_operators) == len(operand):
        _check_operators(operand, depth=depth)
    else:
        _check_document(operand, depth=depth, allow_text=False)


def _check_regex_operand(key: str, operand: Any, depth: int) -> None:
    if not isinstance(operand, str):
        raise InvalidError("$regex needs a string")
    check_regex(operand)


def _check_options_operand(key: str, operand: Any, depth: int) -> None:
    check_regex_options(operand)


def _check_exists(key: str, operand: Any, depth: int) -> None:
    if not isinstance(operand, bool | int | float):
        raise InvalidError("$exists needs a boolean")


def _check_type(key: str, operand: Any, depth: int) -> None:
    items = operand if isinstance(operand, list) else [operand]
    if not items or not all(
        isinstance(item, str | int) and not isinstance(item, bool) for item in items
    ):
        raise InvalidError("$type needs a type name or number, or an array of them")


def _check_size(key: str, operand: Any, depth: int) -> None:
    if isinstance(operand, bool) or not isinstance(operand, int) or operand < 0:
        raise InvalidError("$size needs a non-negative integer")


def _check_mod(key: str, operand: Any, depth: int) -> None:
    if (
        not isinstance(operand, list)
        or len(operand) != 2
        or not all(_is_number(item) for item in operand)
        or operand[0] == 0
    ):
        raise InvalidError("$mod needs [divisor, remainder] with a non-zero divisor")


_OPERAND_CHECKS = {
    "$in": _check_list_operand,
    "$nin": _check_list_operand,
    "$all": _check_list_operand,
    "$not": _check_not,
    "$elemMatch": _check_elem_match,
    "$regex": _check_regex_operand,
    "$options": _check_options_operand,
    "$exists": _check_exists,
    "$type": _check_type,
    "$size": _check_size,
    "$mod": _check_mod,
}


def _check_literal(value: Any, *, depth: int) -> None:
    """A plain value: embedded documents may not hide operators."""
    _check_depth(depth)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidError("Filter keys must be strings")
            if key.startswith("$"):
                raise _forbidden(key)
            _check_literal(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_literal(item, depth=depth + 1)


def _check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidError(f"Filter is nested deeper than {MAX_DEPTH} levels")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _forbidden(key: str) -> InvalidError:
    return InvalidError(
        f"Operator {key} is not allowed in a filter", details={"operator": key}
    )


# --- regexes ----------------------------------------------------------------


def check_regex_options(options: Any) -> None:
    """Raise InvalidError unless ``options`` is a string of ``imsx`` flags."""
    if not isinstance(options, str) or not set(options) <= REGEX_OPTIONS:
        raise InvalidError("$options may only contain the flags i, m, s and x")


@dataclass
class _Group:
    """What the scanner has seen inside one open group."""

    quantified_inside: bool = False
    alternation: bool = False


def check_regex(pattern: str) -> None:
    """Raise InvalidError for a pattern that is too long or may backtrack badly."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise InvalidError(
            f"Regular expressions are limited to {MAX_REGEX_LENGTH} characters"
        )
    _RegexScanner(pattern).scan()


class _RegexScanner:
    """One left-to-right pass over a PCRE pattern, tracking groups and quantifiers."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.stack: list[_Group] = [_Group()]
        self.quantifiers = 0
        # The group that just closed, so a following quantifier can judge it.
        self.closed: _Group | None = None

    def scan(self) -> None:
        while self.pos < len(self.pattern):
            char = self.pattern[self.pos]
            closed, self.closed = self.closed, None
            if char == "\\":
                self._escape()
            elif char == "[":
                self._char_class()
            elif char == "(":
                self._open_group()
            elif char == ")":
                self._close_group()
                continue
            elif char == "|":
                self.stack[-1].alternation = True
                self.pos += 1
            elif char in "*+?{":
                self._quantifier(closed)
                continue
            else:
                self.pos += 1
        if len(self.stack) != 1:
            raise self._invalid("unbalanced parentheses")

    def _escape(self) -> None:
        following = self.pattern[self.pos + 1 : self.pos + 2]
        if following == "":
            raise self._invalid("trailing backslash")
        if (following.isdigit() and following != "0") or following in {"k", "g"}:
            raise self._invalid("backreferences are not allowed")
        self.pos += 2

    def _char_class(self) -> None:
        end = self.pos + 1
        if self.pattern[end : end + 1] == "^":
            end += 1
        if self.pattern[end : end + 1] == "]":
            end += 1
        while end < len(self.pattern) and self.pattern[end] != "]":
            end += 2 if self.pattern[end] == "\\" else 1
        if end >= len(self.pattern):
            raise self._invalid("unterminated character class")
        self.pos = end + 1

    def _open_group(self) -> None:
        rest = self.pattern[self.pos + 1 :]
        if rest.startswith("*"):
            raise self._invalid("backtracking control verbs are not allowed")
        if rest.startswith(("?P=", "?P>", "?&")):
            raise self._invalid("backreferences and subroutine calls are not allowed")
        if rest.startswith("?R") or re.match(r"\?[-+]?\d", rest):
            raise self._invalid("recursion is not allowed")
        self.stack.append(_Group())
        self.pos += 1 + self._group_prefix_length(rest)

    @staticmethod
    def _group_prefix_length(rest: str) -> int:
        """Length of ``?:``, ``?<name>``, ``?i`` ... after an opening parenthesis."""
        if not rest.startswith("?"):
            return 0
        kind = rest[1:2]
        if kind in {":", "=", "!", ">", "|"}:
            return 2
        if kind == "<" and rest[2:3] in {"=", "!"}:
            return 3
        if kind in {"<", "'"} or rest[1:3] == "P<":
            closing = ">" if kind != "'" else "'"
            end = rest.find(closing, 2)
            return end + 1 if end > 0 else len(rest)
        # Inline flags: (?i) or (?i-s:...)
        length = 1
        while length < len(rest) and (rest[length].isalpha() or rest[length] == "-"):
            length += 1
        if rest[length : length + 1] == ":":
            length += 1
        return length

    def _close_group(self) -> None:
        if len(self.stack) == 1:
            raise self._invalid("unbalanced parentheses")
        group = self.stack.pop()
        parent = self.stack[-1]
        parent.quantified_inside = parent.quantified_inside or group.quantified_inside
        self.closed = group
        self.pos += 1

    def _quantifier(self, closed: _Group | None) -> None:
        char = self.pattern[self.pos]
        if char == "{":
            repeat = self._counted_repeat()
            if repeat is None:
                # A "{" that is not a repetition is a literal character.
                self.pos += 1
                return
            unbounded = repeat
        else:
            self.pos += 1
            unbounded = char != "?"
        # Lazy and possessive suffixes change nothing for the shape.
        if self.pattern[self.pos : self.pos + 1] in {"?", "+"}:
            self.pos += 1
        self.quantifiers += 1
        if self.quantifiers > MAX_REGEX_QUANTIFIERS:
            raise self._invalid(f"more than {MAX_REGEX_QUANTIFIERS} quantifiers")
        if (
            closed is not None
            and unbounded
            and (closed.quantified_inside or closed.alternation)
        ):
            raise self._invalid("a repeated group may not contain a quantifier or '|'")
        self.stack[-1].quantified_inside = True

    def _counted_repeat(self) -> bool | None:
        """Parse ``{n}``, ``{n,}``, ``{n,m}``; True if it repeats more than once."""
        end = self.pattern.find("}", self.pos)
        if end < 0:
            return None
        body = self.pattern[self.pos + 1 : end]
        low, comma, high = body.partition(",")
        if not low.isdigit() or (high and not high.isdigit()):
            return None
        counts = [int(low)] + ([int(high)] if high else [])
        if max(counts) > MAX_REPEAT_COUNT:
            raise self._invalid(f"repetition counts are limited to {MAX_REPEAT_COUNT}")
        self.pos = end + 1
        return bool(comma and not high) or max(counts) > 1

    def _invalid(self, reason: str) -> InvalidError:
        return InvalidError(
            f"Regular expression rejected: {reason}", details={"pattern": self.pattern}
        )
