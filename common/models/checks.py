"""SciCat's class-validator rules as pydantic field annotations.

A field declares the checks SciCat's DTO puts on it, in the order class-validator
registers them (the decorator nearest the property first)::

    sourceFolder: Annotated[str, CV(IS_NOT_EMPTY, IS_STRING)]

The checks run on the raw input before pydantic's own type validation, so a
failure carries the exact constraint names and messages SciCat would produce;
:mod:`common.models.validation` turns them into SciCat's error bodies. A field
marked ``optional`` skips every check for ``None`` (class-validator's
``@IsOptional``). Required fields that are absent are checked as ``undefined``
by :class:`CVModel`, so a missing ``sourceFolder`` reports both "should not be
empty" and "must be a string", as SciCat does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, model_validator
from pydantic_core import PydanticCustomError, PydanticUndefined, core_schema

CV_ERROR = "class_validator"


class _Undefined:
    """JavaScript's ``undefined``: a required property that was not sent."""

    _instance: ClassVar[_Undefined | None] = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()


@dataclass(frozen=True, slots=True)
class Check:
    """One class-validator constraint: its key, its message and its test."""

    name: str
    template: str  # "{property}" is replaced by the property's name
    test: Callable[[Any], bool]
    each: bool = False

    def passes(self, value: Any) -> bool:
        if self.each and isinstance(value, list):
            return all(self.test(item) for item in value)
        return self.test(value)

    def message(self) -> str:
        prefix = "each value in " if self.each else ""
        return prefix + self.template

    def for_each(self) -> Check:
        return Check(self.name, self.template, self.test, each=True)


# --- predicates (JavaScript semantics on JSON-decoded values) ------------------


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_not_empty(value: Any) -> bool:
    return value not in ("", None) and value is not UNDEFINED


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _is_int(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _is_array(value: Any) -> bool:
    return isinstance(value, list)


def _array_not_empty(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0


def is_iso_date_string(value: Any) -> bool:
    """An ISO 8601 date or date-time string (class-validator's IsDateString)."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


_ISO_DATE = re.compile(
    r"^\d{4}-?\d{2}-?\d{2}"
    r"([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?)?"
    r"([zZ]|[+-]\d{2}(:?\d{2})?)?$"
)
# Close to validator.js isEmail defaults: a dotted domain with a 2+ letter TLD.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}$"
)
_HOST_URL = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?"
    r"(?:[^\s:@/]+(?::[^\s@/]*)?@)?"
    r"(?:localhost|(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?::\d{1,5})?(?:[/?#]\S*)?$"
)


def is_email(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 254 and bool(_EMAIL.match(value))


def is_email_list(value: Any) -> bool:
    """SciCat's contactEmail rule: one or more e-mails separated by ``;``."""
    if not isinstance(value, str) or not value:
        return False
    return all(is_email(part.strip()) for part in value.split(";"))


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and bool(_HOST_URL.match(value))


# --- the constraints SciCat's DTOs use -----------------------------------------

IS_STRING = Check("isString", "{property} must be a string", _is_string)
IS_NOT_EMPTY = Check("isNotEmpty", "{property} should not be empty", _is_not_empty)
IS_NUMBER = Check(
    "isNumber",
    "{property} must be a number conforming to the specified constraints",
    _is_number,
)
IS_INT = Check("isInt", "{property} must be an integer number", _is_int)
IS_BOOLEAN = Check("isBoolean", "{property} must be a boolean value", _is_boolean)
IS_OBJECT = Check("isObject", "{property} must be an object", _is_object)
IS_ARRAY = Check("isArray", "{property} must be an array", _is_array)
ARRAY_NOT_EMPTY = Check(
    "arrayNotEmpty", "{property} should not be empty", _array_not_empty
)
IS_DATE_STRING = Check(
    "isDateString",
    "{property} must be a valid ISO 8601 date string",
    is_iso_date_string,
)
IS_EMAIL = Check("isEmail", "{property} must be an email", is_email)
IS_URL = Check("isUrl", "{property} must be a URL address", _is_url)
EACH_STRING = IS_STRING.for_each()


def is_enum(values: Iterable[str]) -> Check:
    allowed = tuple(values)
    return Check(
        "isEnum",
        "{property} must be one of the following values: " + ", ".join(allowed),
        lambda value: value in allowed,
    )


def email_list_check() -> Check:
    """SciCat's CustomEmailList; its message quotes the rejected value."""
    return Check(
        "customEmailList",
        "Expected an email or a list of semicolon separated emails, got {value}",
        is_email_list,
    )


CONTACT_EMAIL = email_list_check()


def js_string(value: Any) -> str:
    """How JavaScript's template literals print a JSON value."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class CV:
    """Annotation: run these class-validator checks on the raw value first."""

    checks: tuple[Check, ...] = field(default_factory=tuple)
    optional: bool = False

    def __init__(self, *checks: Check, optional: bool = False) -> None:
        object.__setattr__(self, "checks", tuple(checks))
        object.__setattr__(self, "optional", optional)

    def as_optional(self) -> CV:
        return CV(*self.checks, optional=True)

    def failures(self, value: Any) -> list[tuple[str, str]]:
        """The (constraint, message template) pairs this value breaks."""
        if self.optional and (value is None or value is UNDEFINED):
            return []
        failed: list[tuple[str, str]] = []
        for check in self.checks:
            if not check.passes(value):
                template = check.message().replace("{value}", js_string(value))
                failed.append((check.name, template))
        return failed

    def _validate(self, value: Any) -> Any:
        failed = self.failures(value)
        if failed:
            raise PydanticCustomError(
                CV_ERROR,
                "; ".join(template for _, template in failed),
                {"constraints": failed},
            )
        if value is UNDEFINED:
            # Only reached when no check covers absence: report it plainly.
            raise PydanticCustomError("missing", "Field required")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            self._validate, handler(source)
        )


class CVModel(BaseModel):
    """Input body base: unknown properties refused (forbidNonWhitelisted)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    _cv_required: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._cv_required = tuple(
            name
            for name, info in cls.model_fields.items()
            if info.is_required() and any(isinstance(m, CV) for m in info.metadata)
        )

    @model_validator(mode="before")
    @classmethod
    def _absent_is_undefined(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not cls._cv_required:
            return data
        missing = [name for name in cls._cv_required if name not in data]
        if not missing:
            return data
        return {**data, **dict.fromkeys(missing, UNDEFINED)}

    def payload(self) -> dict[str, Any]:
        """The fields the client sent (nested ones too) plus non-None defaults."""
        dumped = self.model_dump(exclude_unset=True)
        for name, info in type(self).model_fields.items():
            if name not in dumped and info.default not in (None, PydanticUndefined):
                dumped[name] = getattr(self, name)
        return dumped
