"""The JSON codec renders values as SciCat's responses and messages show them."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import pytest
from bson import ObjectId
from bson.decimal128 import Decimal128
from pydantic import BaseModel, Field

from common import jsoncodec


class Colour(enum.Enum):
    RED = "red"


class Aliased(BaseModel):
    dataset_name: str = Field(alias="datasetName")
    created: dt.datetime


def test_datetimes_render_as_javascript_dates():
    cet = dt.timezone(dt.timedelta(hours=1))
    value = {
        "utc": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        "offset": dt.datetime(2026, 1, 2, 4, 4, 5, tzinfo=cet),
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5),
    }

    assert jsoncodec.loads(jsoncodec.dumps(value)) == {
        "utc": "2026-01-02T03:04:05.678Z",
        "offset": "2026-01-02T03:04:05.000Z",
        "naive": "2026-01-02T03:04:05.000Z",
    }


def test_early_years_are_padded_as_javascript_pads_them():
    value = dt.datetime(999, 3, 4, 5, 6, 7, 8000, tzinfo=dt.UTC)

    assert jsoncodec.format_datetime(value) == "0999-03-04T05:06:07.008Z"


def test_bson_and_python_values_render_as_json():
    oid = ObjectId("65a1b2c3d4e5f60718293a4b")
    value = {
        "_id": oid,
        "nested": [{"_id": oid}],
        "price": Decimal("1.5"),
        "big": Decimal128("2.25"),
        "colour": Colour.RED,
        "tags": {"a"},
        "pair": (1, 2),
        "day": dt.date(2026, 1, 2),
    }

    assert jsoncodec.loads(jsoncodec.dumps(value)) == {
        "_id": "65a1b2c3d4e5f60718293a4b",
        "nested": [{"_id": "65a1b2c3d4e5f60718293a4b"}],
        "price": 1.5,
        "big": 2.25,
        "colour": "red",
        "tags": ["a"],
        "pair": [1, 2],
        "day": "2026-01-02",
    }


def test_models_render_by_alias_with_scicat_dates():
    model = Aliased(
        datasetName="run 1", created=dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    )

    assert jsoncodec.loads(jsoncodec.dumps([model])) == [
        {"datasetName": "run 1", "created": "2026-05-06T07:08:09.000Z"}
    ]


def test_unknown_types_are_refused_not_guessed():
    with pytest.raises(TypeError):
        jsoncodec.dumps({"x": object()})


@pytest.mark.parametrize("text", [b'{"a": NaN}', b"{'a': 1}", b'{"a": 1', b""])
def test_loads_is_strict(text):
    with pytest.raises(jsoncodec.JSONDecodeError):
        jsoncodec.loads(text)


def test_loads_accepts_str_and_bytes():
    assert jsoncodec.loads('{"a": [1, "é"]}') == jsoncodec.loads(
        '{"a": [1, "é"]}'.encode()
    )
