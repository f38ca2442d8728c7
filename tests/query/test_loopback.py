"""The loopback filter pipe of the v3 routes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from common.errors import InvalidError
from common.query.limits import Limits
from common.query.loopback import parse_loopback_filter, translate_where


def where_of(where: dict) -> dict:
    return parse_loopback_filter(json.dumps({"where": where})).where


@pytest.mark.parametrize(
    ("loopback", "mongo"),
    [
        ({"pid": {"inq": ["a", "b"]}}, {"pid": {"$in": ["a", "b"]}}),
        ({"pid": {"nin": ["a"]}}, {"pid": {"$nin": ["a"]}}),
        ({"size": {"gt": 1}}, {"size": {"$gt": 1}}),
        ({"size": {"gte": 1}}, {"size": {"$gte": 1}}),
        ({"size": {"lt": 1}}, {"size": {"$lt": 1}}),
        ({"size": {"lte": 1}}, {"size": {"$lte": 1}}),
        ({"name": {"like": "^ab"}}, {"name": {"$regex": "^ab"}}),
        ({"name": {"ilike": "ab"}}, {"name": {"$regex": "ab", "$options": "i"}}),
        (
            {"and": [{"a": 1}, {"or": [{"b": 2}, {"c": 3}]}]},
            {"$and": [{"a": 1}, {"$or": [{"b": 2}, {"c": 3}]}]},
        ),
        ({"size": {"neq": 3}}, {"size": {"$ne": 3}}),
        ({"size": {"between": [1, 5]}}, {"size": {"$gte": 1, "$lte": 5}}),
        ({"doi": {"exists": True}}, {"doi": {"$exists": True}}),
        ({"name": {"nlike": "tmp"}}, {"name": {"$not": {"$regex": "tmp"}}}),
        (
            {"name": {"nilike": "tmp"}},
            {"name": {"$not": {"$regex": "(?i)tmp"}}},
        ),
        ({"name": {"regexp": "/^ab/i"}}, {"name": {"$regex": "^ab", "$options": "i"}}),
        ({"name": {"regexp": "/^ab/gm"}}, {"name": {"$regex": "^ab", "$options": "m"}}),
        ({"name": {"regexp": "^ab"}}, {"name": {"$regex": "^ab"}}),
        ({"size": {"$gt": 2}}, {"size": {"$gt": 2}}),
    ],
)
def test_loopback_operators_are_translated(loopback, mongo):
    assert where_of(loopback) == mongo


def test_date_strings_in_where_become_utc_dates():
    where = where_of(
        {
            "creationTime": {
                "gte": "2020-01-01",
                "lte": "2020-02-01T10:00:00.000Z",
            }
        }
    )
    assert where == {
        "creationTime": {
            "$gte": datetime(2020, 1, 1, tzinfo=UTC),
            "$lte": datetime(2020, 2, 1, 10, tzinfo=UTC),
        }
    }


def test_between_dates_become_dates():
    where = where_of({"createdAt": {"between": ["2021-01-01", "2021-12-31"]}})
    assert where["createdAt"]["$gte"] == datetime(2021, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2",
        "1.5",
        "Dataset 12",
        "hello 2020",
        "group1",
        "p12345",
        "20.500.12269/x",
        "2020",
    ],
)
def test_ids_and_names_never_become_dates(value):
    assert where_of({"field": value}) == {"field": value}


def test_regex_patterns_are_not_turned_into_dates():
    assert where_of({"name": {"like": "2020-01-01"}}) == {
        "name": {"$regex": "2020-01-01"}
    }


def test_nested_stringified_json_is_parsed():
    text = json.dumps(
        {"where": json.dumps({"pid": {"inq": ["a"]}}), "limits": '{"limit": 5}'}
    )
    parsed = parse_loopback_filter(text)
    assert parsed.where == {"pid": {"$in": ["a"]}}
    assert parsed.limits.limit == 5


def test_numeric_strings_stay_strings():
    parsed = parse_loopback_filter(json.dumps({"where": {"proposalId": "20170266"}}))
    assert parsed.where == {"proposalId": "20170266"}


def test_field_map_renames_fields_everywhere():
    parsed = parse_loopback_filter(
        json.dumps(
            {
                "where": {"creationTime": {"gt": "2020-01-01"}},
                "fields": ["creationTime"],
                "limits": {"order": "creationTime:desc"},
            }
        ),
        field_map={"creationTime": "createdAt"},
    )
    assert list(parsed.where) == ["createdAt"]
    assert parsed.fields == ["createdAt"]
    assert parsed.limits.sort == {"createdAt": -1}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"pid": True, "size": 0, "_id": 0}, {"pid": True, "_id": False}),
        ({"pid": 1, "size": "yes"}, {"pid": True, "size": True}),
        ({"size": False, "_id": 0}, {"size": False, "_id": False}),
        (["pid", "size"], ["pid", "size"]),
        ({"pid": {"$function": {}}}, {"pid": True}),
    ],
)
def test_fields_are_normalised(fields, expected):
    parsed = parse_loopback_filter(json.dumps({"fields": fields}))
    assert parsed.fields == expected


def test_fields_object_form_can_be_refused():
    with pytest.raises(InvalidError):
        parse_loopback_filter(
            json.dumps({"fields": {"a": 1}}), allow_object_fields=False
        )


def test_defaults_when_absent():
    parsed = parse_loopback_filter(None)
    assert parsed.where == {}
    assert parsed.limits == Limits(limit=100, skip=0, sort={})
    assert parse_loopback_filter("").include == []


def test_include_is_parsed():
    parsed = parse_loopback_filter(
        json.dumps({"include": [{"relation": "origdatablocks"}, "attachments"]})
    )
    assert [spec.relation for spec in parsed.include] == [
        "origdatablocks",
        "attachments",
    ]


@pytest.mark.parametrize(
    "text",
    ["{bad json", "[1,", '{"where": NaN}', "[" * 100_000 + "]" * 100_000],
)
def test_invalid_json_is_reported(text):
    with pytest.raises(InvalidError, match=r"^Invalid JSON in filter"):
        parse_loopback_filter(text)


@pytest.mark.parametrize(
    "where",
    [
        {"$where": "sleep(10000)"},
        {"or": [{"a": 1}, {"$expr": {"$eq": [1, 1]}}]},
        {"name": {"like": "(a+)+$"}},
        {"size": {"between": [1]}},
        {"name": {"regexp": "/x/q"}},
        {"name": {"like": {"$gt": ""}}},
    ],
)
def test_injections_and_bad_operators_are_refused(where):
    with pytest.raises(InvalidError):
        parse_loopback_filter(json.dumps({"where": where}))


@pytest.mark.parametrize("text", ['"just a string"', "[1, 2]", "5"])
def test_filter_must_be_an_object(text):
    with pytest.raises(InvalidError):
        parse_loopback_filter(text)


def test_where_must_be_an_object():
    with pytest.raises(InvalidError):
        translate_where(["a"])


def test_projection_of_the_fields():
    assert parse_loopback_filter('{"fields": ["pid"]}').projection == {"pid": True}
    assert parse_loopback_filter("{}").projection is None


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"creationTime": {"gt": "2021-03-04T12:00:00Z"}}, ["p/2", "p/3"]),
        ({"creationTime": {"between": ["2021-03-04", "2021-03-04T12:00"]}}, ["p/1"]),
        ({"creationLocation": {"ilike": "ess"}}, ["p/1", "p/3"]),
        ({"creationLocation": {"like": "ess"}}, []),
        ({"creationLocation": {"nilike": "^e"}}, ["p/2"]),
        (
            {"or": [{"size": {"lt": 10}}, {"keywords": {"inq": ["alpha"]}}]},
            ["p/1", "p/3"],
        ),
        ({"size": {"neq": 100}, "type": {"nin": ["derived"]}}, ["p/3"]),
        ({"creationLocation": {"exists": False}}, []),
        ({"creationLocation": {"regexp": "/^p/i"}}, ["p/2"]),
    ],
)
def test_translated_where_selects_documents(db, where, expected):
    translated = parse_loopback_filter(json.dumps({"where": where})).where
    assert sorted(d["pid"] for d in db.Dataset.find(translated)) == expected
