"""The operator allow-list and the regex bounds."""

from __future__ import annotations

import time

import pytest

from common.errors import InvalidError
from common.query.operators import check_filter, check_regex

ALLOWED = [
    {"pid": "20.500/abc"},
    {"size": {"$gt": 1, "$lte": 5}},
    {"size": {"$gte": 1, "$lt": 5, "$ne": 3}},
    {"ownerGroup": {"$in": ["g1", "g2"]}, "type": {"$nin": ["raw"]}},
    {"$and": [{"a": 1}, {"$or": [{"b": 2}, {"c": {"$eq": 3}}]}]},
    {"$nor": [{"a": 1}]},
    {"keywords": {"$all": ["x", "y"]}, "techniques": {"$size": 2}},
    {"name": {"$regex": "^abc", "$options": "i"}},
    {"name": {"$not": {"$regex": "abc"}}},
    {"description": {"$exists": True}, "size": {"$type": "number"}},
    {"relationships": {"$elemMatch": {"targetId": "x", "targetType": "dataset"}}},
    {"scores": {"$elemMatch": {"$gte": 80, "$lt": 85}}},
    {"$text": {"$search": "water", "$caseSensitive": False}},
    {"$and": [{"$text": {"$search": "water"}}, {"a": 1}]},
    {"size": {"$mod": [4, 0]}},
    {"scientificMetadata.temperature.value": {"$gt": 10}},
    {"embedded": {"a": 1, "b": [1, 2, {"c": 3}]}},
]


@pytest.mark.parametrize("query", ALLOWED)
def test_allowed_filters_pass(query):
    check_filter(query)


FORBIDDEN = [
    {"$where": "sleep(1000)"},
    {"$expr": {"$gt": ["$a", "$b"]}},
    {"a": {"$function": {"body": "x", "args": [], "lang": "js"}}},
    {"a": {"$accumulator": {}}},
    {"$jsonSchema": {}},
    {"$or": [{"a": 1}, {"$where": "true"}]},
    {"$and": [{"$or": [{"b": {"$expr": 1}}]}]},
    {"items": {"$elemMatch": {"$where": "true"}}},
    {"items": {"$elemMatch": {"x": {"$function": {}}}}},
    {"a": {"$in": [{"$where": "true"}]}},
    {"a": {"$eq": {"nested": {"$expr": 1}}}},
    {"a": [{"$where": "true"}]},
    {"$comment": "x"},
    {"a": {"$near": [1, 2]}},
    {"a": {"$match": {}}},
    {"$unknown": 1},
]


@pytest.mark.parametrize("query", FORBIDDEN)
def test_forbidden_operators_are_refused(query):
    with pytest.raises(InvalidError, match="not allowed"):
        check_filter(query)


@pytest.mark.parametrize(
    "query",
    [
        {"$bad.field": 1},
        {"a.$b": 1},
        {"": 1},
        {"a\x00b": 1},
        {"a": {"$in": "notalist"}},
        {"$or": []},
        {"$or": {"a": 1}},
        {"$or": ["a"]},
        {"a": {"$regex": 5}},
        {"a": {"$regex": "x", "$options": "g"}},
        {"a": {"$options": "i"}},
        {"a": {"$gt": 1, "plain": 2}},
        {"a": {"$not": "x"}},
        {"a": {"$size": -1}},
        {"a": {"$size": 1.5}},
        {"a": {"$mod": [0, 1]}},
        {"a": {"$type": True}},
        {"$text": {"$search": 5}},
        {"$text": {"$search": "x", "$where": "y"}},
        {"$or": [{"$text": {"$search": "x"}}]},
        {"$and": [{"$and": [{"$text": {"$search": "x"}}]}]},
        {"a": {"$elemMatch": {"$text": {"$search": "x"}}}},
        {"a": {"$exists": "yes"}},
        "not an object",
    ],
)
def test_malformed_operators_are_refused(query):
    with pytest.raises(InvalidError):
        check_filter(query)


def test_deeply_nested_filter_is_refused_not_crashing():
    query: dict = {"a": 1}
    for _ in range(200):
        query = {"$and": [query]}
    with pytest.raises(InvalidError, match="nested deeper"):
        check_filter(query)


@pytest.mark.parametrize(
    "pattern",
    [
        "^abc",
        "abc$",
        "a.*b",
        "(ab)+",
        "(foo|bar)",
        "[a-z]+@[a-z]+\\.org",
        "(?i)name",
        "(?:x|y)z",
        "(?<year>\\d{4})-\\d{2}",
        "a{2,5}",
        "\\p{L}+",
        "[(]+",
        "x{",
        "(a+)?",
    ],
)
def test_ordinary_regexes_pass(pattern):
    check_regex(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "(a+)+$",
        "(a*)*b",
        "(.*a){20}",
        "(a|aa)+",
        "((ab)*c)+",
        "(x+x+)+y",
        "(?:a+)+",
        "(a)\\1",
        "(?P<x>a)(?P=x)",
        "\\k<x>",
        "(?R)",
        "(*ACCEPT)",
        "a{1,100000}",
        "a" * 600,
        "a+" * 30,
        "(abc",
        "abc)",
        "[abc",
    ],
)
def test_dangerous_or_malformed_regexes_are_refused(pattern):
    with pytest.raises(InvalidError, match="Regular expression"):
        check_regex(pattern)


@pytest.mark.parametrize(
    "pattern", ["(a+)+$", "(.*a){20}", "(" * 200 + "a+" + ")+" * 200]
)
def test_catastrophic_regex_is_refused_quickly(pattern):
    start = time.perf_counter()
    with pytest.raises(InvalidError):
        check_filter({"name": {"$regex": pattern}})
    assert time.perf_counter() - start < 0.01
