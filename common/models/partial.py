"""Partial-update bodies: every field of a body model made optional."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import create_model
from pydantic.fields import FieldInfo

from common.models.checks import CV, CVModel


def _optional(info: FieldInfo) -> tuple[Any, Any]:
    metadata = [
        item.as_optional() if isinstance(item, CV) else item for item in info.metadata
    ]
    annotation: Any = info.annotation
    optional_type: Any = annotation | None
    if metadata:
        optional_type = Annotated[(optional_type, *metadata)]
    return optional_type, None


def partial_model(model: type[CVModel], name: str) -> type[CVModel]:
    """``model`` with every field optional and no defaults (NestJS PartialType,
    minus the class initialisers: an omitted field stays unset)."""
    fields: dict[str, Any] = {
        field_name: _optional(info) for field_name, info in model.model_fields.items()
    }
    partial: type[CVModel] = create_model(
        name,
        __base__=CVModel,
        __module__=model.__module__,
        __doc__=f"Partial update body: every field of {model.__name__} optional.",
        **fields,
    )
    return partial
