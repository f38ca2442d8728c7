"""The v4 filter parameter and the list pipeline, run on a small collection."""

from __future__ import annotations

import json

import pytest

from common.errors import InvalidError
from common.query.allowlist import ELEM_MATCH
from common.query.include import DATASET_RELATIONS, build_lookups
from common.query.limits import V4_DATASET_DEFAULTS, Limits
from common.query.v4 import list_pipeline, parse_v4_filter

KEYS = frozenset(
    {"pid", "size", "ownerGroup", "createdAt", "keywords", "scientificMetadata"}
)


def parse(filter_, **options):
    options.setdefault("relations", DATASET_RELATIONS)
    return parse_v4_filter(json.dumps(filter_), entity_keys=KEYS, **options)


def test_defaults_for_an_absent_filter():
    parsed = parse_v4_filter(None, entity_keys=KEYS, limit_defaults=V4_DATASET_DEFAULTS)
    assert parsed.where == {}
    assert parsed.limits == Limits(10, 0, {"createdAt": -1})


def test_a_full_filter_is_parsed():
    parsed = parse(
        {
            "where": {"size": {"$gt": 1}, "scientificMetadata.a.b": 1},
            "fields": ["pid"],
            "include": ["origdatablocks"],
            "limits": {"limit": 2, "skip": 1, "sort": {"size": "asc"}},
        }
    )
    assert parsed.where == {"size": {"$gt": 1}, "scientificMetadata.a.b": 1}
    assert parsed.fields == ["pid"]
    assert [spec.relation for spec in parsed.include] == ["origdatablocks"]
    assert parsed.limits == Limits(2, 1, {"size": 1})


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        (
            {"where": {"nope": 1}},
            "Property where.nope should not exist in the filter object",
        ),
        ({"where": {"pid": {"$where": "1"}}}, "should not exist"),
        ({"where": {"scientificMetadata": {"$where": "1"}}}, "not allowed"),
        ({"where": {"$or": [{"$expr": {"$eq": [1, 1]}}]}}, "not allowed"),
        ({"where": {"pid": {"$regex": "(a+)+$"}}}, "Regular expression"),
        ({"include": ["nope"]}, 'Provided include field "nope"'),
        ({"limits": {"limit": -1}}, "non-negative"),
    ],
)
def test_violations_are_refused(filter_, message):
    with pytest.raises(InvalidError, match=message.replace("$", r"\$")):
        parse(filter_)


def test_count_allows_only_where():
    parse({"where": {"pid": "x"}}, groups=["where"])
    with pytest.raises(InvalidError, match="Property limits"):
        parse({"limits": {"limit": 1}}, groups=["where"])


def test_elem_match_where_allowed():
    filter_ = {"where": {"keywords": {"$elemMatch": {"$eq": "a"}}}}
    assert parse(filter_, extra_words=ELEM_MATCH).where == filter_["where"]


def test_invalid_json():
    with pytest.raises(InvalidError, match="Invalid JSON in filter"):
        parse_v4_filter("{", entity_keys=KEYS)


def test_list_pipeline_runs(db):
    parsed = parse(
        {
            "where": {"size": {"$gte": 5}},
            "fields": ["pid"],
            "limits": {"limit": 1, "skip": 1, "sort": {"size": "desc"}},
        }
    )
    pipeline = list_pipeline(parsed.where, fields=parsed.fields, limits=parsed.limits)
    assert list(db.Dataset.aggregate(pipeline)) == [{"_id": "p/1", "pid": "p/1"}]


def test_list_pipeline_keeps_included_relations_in_the_projection(db):
    db.OrigDatablock.insert_one({"_id": "o1", "datasetId": "p/2"})
    parsed = parse({"fields": ["pid"], "include": ["origdatablocks"]})
    plan = build_lookups(parsed.include, DATASET_RELATIONS)
    pipeline = list_pipeline(
        {"pid": "p/2"}, fields=parsed.fields, limits=parsed.limits, include=plan
    )
    assert list(db.Dataset.aggregate(pipeline)) == [
        {
            "_id": "p/2",
            "pid": "p/2",
            "origdatablocks": [{"_id": "o1", "datasetId": "p/2"}],
        }
    ]


def test_sorting_on_a_relation_joins_first():
    plan = build_lookups(
        parse({"include": ["origdatablocks"]}).include, DATASET_RELATIONS
    )
    pipeline = list_pipeline(
        {}, limits=Limits(5, 0, {"origdatablocks.size": 1}), include=plan
    )
    assert [next(iter(stage)) for stage in pipeline] == [
        "$match",
        "$lookup",
        "$sort",
        "$skip",
        "$limit",
    ]
    paged = list_pipeline({}, limits=Limits(5, 0, {"size": 1}), include=plan)
    assert [next(iter(stage)) for stage in paged] == [
        "$match",
        "$sort",
        "$skip",
        "$limit",
        "$lookup",
    ]
