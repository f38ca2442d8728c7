"""The embedded store's copy-out: what a BSON round trip with UTC dates returns."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

import bson
import pytest
from bson import (
    Binary,
    Code,
    DBRef,
    Decimal128,
    Int64,
    MaxKey,
    MinKey,
    ObjectId,
    Regex,
    Timestamp,
)

from common.store.embedded.documents import AWARE, export, normalize


def _round_trip(document: dict) -> dict:
    return bson.decode(bson.encode(document), codec_options=AWARE)


def _stored(document: dict) -> dict:
    """The document as the embedded store keeps it (normalised, naive dates)."""
    return normalize(document)[1]


PLAIN = {
    "_id": "20.500.12269/abc",
    "size": 10**12,
    "count": Int64(3),
    "ratio": 0.25,
    "flag": True,
    "nothing": None,
    "oid": ObjectId(),
    "decimal": Decimal128("1.10"),
    "raw": b"\x00\x01",
    "createdAt": dt.datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=dt.UTC),
    "scientificMetadata": {
        "temperature": {"value": 280, "unit": "K"},
        "runs": [[1, 2], {"at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}],
    },
    "keywords": ["powder", "xrd"],
}


def test_a_plain_stored_document_copies_as_the_bson_round_trip_does():
    stored = _stored(PLAIN)

    copied = export(stored)

    assert copied == _round_trip(stored)
    assert list(copied) == list(_round_trip(stored))
    assert copied["createdAt"].tzinfo is dt.UTC
    assert copied["scientificMetadata"]["runs"][1]["at"].tzinfo is dt.UTC


def test_the_copy_shares_no_container_with_the_stored_document():
    stored = _stored(PLAIN)

    copied = export(stored)
    copied["keywords"].append("mutated")
    copied["scientificMetadata"]["temperature"]["value"] = 0
    copied["scientificMetadata"]["runs"][0].append(3)

    assert stored["keywords"] == ["powder", "xrd"]
    assert stored["scientificMetadata"]["temperature"]["value"] == 280
    assert stored["scientificMetadata"]["runs"][0] == [1, 2]


@pytest.mark.parametrize(
    "value",
    [
        Regex("^run", "i"),
        re.compile("^run"),
        Code("function () {}"),
        Code("f(x)", {"x": 1}),
        DBRef("Dataset", "p/1"),
        Timestamp(1700000000, 1),
        MinKey(),
        MaxKey(),
        Binary(uuid.uuid4().bytes, 4),
        (1, 2),
    ],
    ids=repr,
)
def test_other_bson_values_come_out_as_bson_gives_them(value):
    document = {"_id": 1, "nested": {"list": [1, {"value": value}]}}

    copied = export(document)

    assert copied == _round_trip(document)
    assert type(copied["nested"]["list"][1]["value"]) is type(
        _round_trip(document)["nested"]["list"][1]["value"]
    )


def test_aware_dates_come_out_in_utc_with_milliseconds():
    zurich = dt.datetime(2024, 7, 1, 14, 0, 0, 123456, tzinfo=ZoneInfo("Europe/Zurich"))
    naive = dt.datetime(2024, 7, 1, 12, 0, 0, 999999)

    copied = export({"_id": 1, "zurich": zurich, "naive": [naive]})

    assert copied == _round_trip({"_id": 1, "zurich": zurich, "naive": [naive]})
    assert copied["zurich"] == dt.datetime(2024, 7, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)
    assert copied["zurich"].tzinfo is dt.UTC
    late = dt.datetime(2024, 7, 1, 12, 0, 0, 999000, tzinfo=dt.UTC)
    assert copied["naive"] == [late]
