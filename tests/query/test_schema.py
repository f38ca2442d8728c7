"""Field types and key sets derived from pydantic models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from common.query.fullquery import FieldType
from common.query.schema import field_types_from_model, keys_from_models, query_spec


class Lifecycle(BaseModel):
    archivable: bool | None = None
    archiveStatusMessage: str | None = None
    dateOfPublishing: datetime | None = None


class Technique(BaseModel):
    pid: str
    name: str


class Thing(BaseModel):
    pid: str
    size: Annotated[int, Field(ge=0)] = 0
    ratio: float | None = None
    creationTime: datetime
    isPublished: bool = False
    keywords: list[str] | None = None
    techniques: list[Technique] | None = None
    datasetlifecycle: Lifecycle | None = None
    scientificMetadata: dict[str, Any] | None = None
    extra: Any = None
    union: float | list[float] | None = None
    aliased: str = Field(default="", alias="otherName")


def test_field_types_follow_annotations():
    assert field_types_from_model(Thing) == {
        "pid": FieldType.STRING,
        "size": FieldType.NUMBER,
        "ratio": FieldType.NUMBER,
        "creationTime": FieldType.DATE,
        "isPublished": FieldType.BOOLEAN,
        "keywords": FieldType.ARRAY,
        "techniques": FieldType.ARRAY,
        "techniques.pid": FieldType.STRING,
        "techniques.name": FieldType.STRING,
        "datasetlifecycle": FieldType.OBJECT,
        "datasetlifecycle.archivable": FieldType.BOOLEAN,
        "datasetlifecycle.archiveStatusMessage": FieldType.STRING,
        "datasetlifecycle.dateOfPublishing": FieldType.DATE,
        "scientificMetadata": FieldType.OBJECT,
        "extra": FieldType.OBJECT,
        "union": FieldType.ARRAY,
        "otherName": FieldType.STRING,
    }


def test_keys_include_nested_model_keys():
    keys = keys_from_models(Thing)
    assert {"pid", "techniques", "name", "datasetlifecycle", "archivable"} <= keys
    assert "otherName" in keys


def test_query_spec_from_a_model():
    spec = query_spec(Thing, "pid")
    assert spec.id_field == "pid"
    assert spec.type_of("creationTime") == FieldType.DATE
    assert spec.has_owner_group is False
