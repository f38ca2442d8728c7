"""The one translator from pydantic validation errors to SciCat's error messages.

Every route and the worker validate bodies with :func:`validate` (or catch a
pydantic ``ValidationError`` and call :func:`to_invalid`). The result is a
:class:`ValidationFailed` (an ``InvalidError``) carrying the messages in the
form the caller's route uses:

* ``NEST``: the global validation pipe's list, e.g.
  ``["property foo should not exist", "contactEmail must be an email"]``
  (body ``{"statusCode": 400, "message": [...], "error": "Bad Request"}``);
* ``V3_DATASET``: the v3 dataset create/update message, a JSON string of
  class-validator error objects ``{"property", "children", "constraints"}``
  (body ``{"status": 400, "message": "<json>"}``);
* ``JOINED``: the v3 ``isValid`` answer, top-level constraint messages joined
  with ``"; "`` (unknown properties are not errors there).

``details`` is always the structured form ``[{field, constraint, message}]``
that the worker puts into dead-letter headers and replies.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from common.errors import InvalidError
from common.models.checks import CV_ERROR

ModelT = TypeVar("ModelT", bound=BaseModel)

WHITELIST = "whitelistValidation"


class ErrorForm(enum.StrEnum):
    NEST = "nest"
    V3_DATASET = "v3_dataset"
    JOINED = "joined"


class ResponseShape(enum.StrEnum):
    """Which SciCat error body the HTTP edge should render."""

    NEST = "nest"  # {"statusCode": 400, "message": ..., "error": "Bad Request"}
    STATUS = "status"  # {"status": 400, "message": ...}


@dataclass
class _Node:
    """One class-validator ValidationError: a property, its constraints, children."""

    property: str
    constraints: dict[str, str] = field(default_factory=dict)
    children: list[_Node] = field(default_factory=list)
    whitelist: bool = False

    def child(self, name: str) -> _Node:
        for node in self.children:
            if node.property == name and not node.whitelist:
                return node
        node = _Node(name)
        self.children.append(node)
        return node

    def ordered_children(self) -> list[_Node]:
        # class-validator reports unknown properties before property checks.
        return [n for n in self.children if n.whitelist] + [
            n for n in self.children if not n.whitelist
        ]

    def as_json(self) -> dict[str, Any]:
        if self.whitelist:
            return {"property": self.property, "constraints": self.constraints}
        shaped: dict[str, Any] = {
            "property": self.property,
            "children": [c.as_json() for c in self.ordered_children()],
        }
        if self.constraints or not self.children:
            shaped["constraints"] = self.constraints
        return shaped


_TYPE_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "missing": ("isDefined", "{property} should not be null or undefined"),
    "string_type": ("isString", "{property} must be a string"),
    "string_too_short": ("isNotEmpty", "{property} should not be empty"),
    "int_type": ("isInt", "{property} must be an integer number"),
    "int_parsing": ("isInt", "{property} must be an integer number"),
    "int_from_float": ("isInt", "{property} must be an integer number"),
    "float_type": (
        "isNumber",
        "{property} must be a number conforming to the specified constraints",
    ),
    "float_parsing": (
        "isNumber",
        "{property} must be a number conforming to the specified constraints",
    ),
    "finite_number": (
        "isNumber",
        "{property} must be a number conforming to the specified constraints",
    ),
    "bool_type": ("isBoolean", "{property} must be a boolean value"),
    "bool_parsing": ("isBoolean", "{property} must be a boolean value"),
    "dict_type": ("isObject", "{property} must be an object"),
    "list_type": ("isArray", "{property} must be an array"),
    "too_short": ("arrayNotEmpty", "{property} should not be empty"),
    "datetime_type": (
        "isDateString",
        "{property} must be a valid ISO 8601 date string",
    ),
    "datetime_parsing": (
        "isDateString",
        "{property} must be a valid ISO 8601 date string",
    ),
    "datetime_from_date_parsing": (
        "isDateString",
        "{property} must be a valid ISO 8601 date string",
    ),
}
_NESTED = (
    "nestedValidation",
    "nested property {property} must be either object or array",
)
_UNKNOWN_VALUE = (
    "unknownValue",
    "an unknown value was passed to the validate function",
)


def _constraints(error: ErrorDetails, prop: str) -> tuple[dict[str, str], bool]:
    """The class-validator constraints of one pydantic error, and whether it is a
    whitelist (unknown property) error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == CV_ERROR:
        pairs = ctx.get("constraints", [])
        return {name: text.replace("{property}", prop) for name, text in pairs}, False
    if kind == "extra_forbidden":
        return {WHITELIST: f"property {prop} should not exist"}, True
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        name, text = _NESTED if prop else _UNKNOWN_VALUE
        return {name: text.replace("{property}", prop)}, False
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        text = f"{prop} must be one of the following values: {expected}"
        return {"isEnum": text}, False
    if kind in _TYPE_CONSTRAINTS:
        name, text = _TYPE_CONSTRAINTS[kind]
        return {name: text.replace("{property}", prop)}, False
    message = (
        error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    )
    return {kind: f"{prop} {message}".strip() if prop else message}, False


def _tree(exc: ValidationError) -> list[_Node]:
    root = _Node("")
    for error in exc.errors(include_url=False):
        path = [str(part) for part in error["loc"]]
        prop = path[-1] if path else ""
        constraints, whitelist = _constraints(error, prop)
        parent = root
        for name in path[:-1]:
            parent = parent.child(name)
        if whitelist:
            parent.children.append(_Node(prop, constraints, whitelist=True))
            continue
        node = parent.child(prop) if path else parent
        node.constraints.update(constraints)
    if root.constraints:
        # The body itself was not an object.
        return [_Node("", root.constraints)]
    return root.ordered_children()


def _flatten(nodes: list[_Node], prefix: str = "") -> list[tuple[str, str, str]]:
    """(field path, constraint, message) in Nest's order, messages path-prefixed."""
    flat: list[tuple[str, str, str]] = []
    for node in nodes:
        path = f"{prefix}{node.property}"
        for name, text in node.constraints.items():
            message = f"{prefix}{text}" if prefix else text
            flat.append((path, name, message))
        flat.extend(_flatten(node.ordered_children(), f"{path}."))
    return flat


class ValidationFailed(InvalidError):
    """A body failed validation; carries SciCat's messages in the route's form."""

    def __init__(
        self,
        message: str,
        *,
        form: ErrorForm,
        messages: list[str],
        details: list[dict[str, str]],
        errors: list[dict[str, Any]],
    ) -> None:
        super().__init__(message, details=details)
        self.form = form
        self.messages = messages
        self.errors = errors

    @property
    def response_shape(self) -> ResponseShape:
        if self.form is ErrorForm.NEST:
            return ResponseShape.NEST
        return ResponseShape.STATUS

    @property
    def response_message(self) -> str | list[str]:
        """The ``message`` of SciCat's error body for this form."""
        if self.form is ErrorForm.NEST:
            return self.messages
        return self.message


def class_validator_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """class-validator's error objects (without target and value) for ``exc``."""
    return [node.as_json() for node in _tree(exc)]


def to_invalid(
    exc: ValidationError, form: ErrorForm = ErrorForm.NEST
) -> ValidationFailed:
    """Translate a pydantic ValidationError into SciCat's messages."""
    nodes = _tree(exc)
    flat = _flatten(nodes)
    details = [
        {"field": path, "constraint": name, "message": text}
        for path, name, text in flat
    ]
    messages = [text for _, _, text in flat]
    errors = [node.as_json() for node in nodes]
    if form is ErrorForm.V3_DATASET:
        message = json.dumps(errors, separators=(",", ":"), ensure_ascii=False)
    elif form is ErrorForm.JOINED:
        message = "; ".join(
            text
            for node in nodes
            if not node.whitelist
            for text in node.constraints.values()
        )
    else:
        message = "; ".join(messages)
    return ValidationFailed(
        message, form=form, messages=messages, details=details, errors=errors
    )


def validate(
    model: type[ModelT], data: Any, form: ErrorForm = ErrorForm.NEST
) -> ModelT:
    """``model.model_validate(data)``, raising ValidationFailed in SciCat's form."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise to_invalid(exc, form) from exc


def is_valid_answer(model: type[BaseModel], data: Any) -> dict[str, Any]:
    """The v3 ``isValid`` answer: ``{"valid": true}`` or ``{"valid": false, "error"}``.

    SciCat validates there without the whitelist option, so unknown
    properties alone do not make a body invalid.
    """
    try:
        model.model_validate(data)
    except ValidationError as exc:
        failing = [node for node in _tree(exc) if not node.whitelist]
        if failing:
            error = "; ".join(
                text for node in failing for text in node.constraints.values()
            )
            return {"valid": False, "error": error}
    return {"valid": True}
