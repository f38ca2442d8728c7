"""The query languages through HTTP (reference §4.1): every operator, the refused
ones, bounded regexes, and generated filters that must never produce a 500."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

V3 = "/api/v3/datasets"
V4 = "/api/v4/datasets"


def day(n: int) -> dt.datetime:
    return dt.datetime(2026, 1, n, tzinfo=dt.UTC)


DATASETS = [
    {
        "_id": f"f/{n}",
        "pid": f"f/{n}",
        "ownerGroup": "group1",
        "accessGroups": [],
        "isPublished": n == 3,
        "datasetName": name,
        "size": n * 10,
        "keywords": keywords,
        "creationTime": day(n),
        "createdAt": day(n),
        "scientificMetadata": {"energy": {"value": n, "unit": "eV"}},
        **extra,
    }
    for n, name, keywords, extra in (
        (1, "Alpha scan", ["x"], {"comment": "c"}),
        (2, "beta scan", ["y"], {}),
        (3, "Gamma run", ["x", "y"], {}),
        (4, "delta run", [], {}),
    )
]


@pytest.fixture
async def api(catalogue_api):  # type: ignore[no-untyped-def]
    await catalogue_api.store.collection("Dataset").insert_many(
        [dict(d) for d in DATASETS]
    )
    return catalogue_api


async def v3_pids(api: Any, where: Any, user: str = "user1") -> list[str]:
    response = await api.call(
        "GET",
        V3,
        user,
        params={"filter": json.dumps({"where": where, "limits": {"order": "pid:asc"}})},
    )
    assert response.status == 200, await response.text()
    return [item["pid"] for item in await response.json()]


async def v4_pids(api: Any, where: Any, user: str = "user1") -> list[str]:
    response = await api.call(
        "GET",
        V4,
        user,
        params={
            "filter": json.dumps({"where": where, "limits": {"sort": {"pid": "asc"}}})
        },
    )
    assert response.status == 200, await response.text()
    return [item["pid"] for item in await response.json()]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"size": {"inq": [10, 30]}}, [1, 3]),
        ({"size": {"nin": [10, 30]}}, [2, 4]),
        ({"and": [{"size": {"gt": 10}}, {"size": {"lt": 40}}]}, [2, 3]),
        ({"or": [{"size": 10}, {"size": 40}]}, [1, 4]),
        ({"datasetName": {"like": "scan$"}}, [1, 2]),
        ({"datasetName": {"ilike": "^alpha"}}, [1]),
        ({"size": {"gte": 30}}, [3, 4]),
        ({"size": {"lte": 20}}, [1, 2]),
        ({"size": {"neq": 20}}, [1, 3, 4]),
        ({"size": {"between": [20, 30]}}, [2, 3]),
        ({"comment": {"exists": True}}, [1]),
        ({"keywords": "x"}, [1, 3]),
        ({"creationTime": {"gt": "2026-01-02T12:00:00Z"}}, [3, 4]),
        ({"scientificMetadata.energy.value": {"gte": 3}}, [3, 4]),
        ({"size": {"$in": [20]}}, [2]),
    ],
)
async def test_each_loopback_operator(api, where, expected) -> None:
    assert await v3_pids(api, where) == [f"f/{n}" for n in expected]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"size": {"$in": [10, 30]}}, [1, 3]),
        ({"size": {"$nin": [10, 30]}}, [2, 4]),
        ({"$and": [{"size": {"$gt": 10}}, {"size": {"$lt": 40}}]}, [2, 3]),
        ({"$or": [{"size": 10}, {"size": {"$eq": 40}}]}, [1, 4]),
        ({"$nor": [{"size": 10}, {"size": 40}]}, [2, 3]),
        ({"datasetName": {"$regex": "^alpha", "$options": "i"}}, [1]),
        ({"size": {"$gte": 30}}, [3, 4]),
        ({"size": {"$lte": 20}}, [1, 2]),
        ({"size": {"$ne": 20}}, [1, 3, 4]),
        ({"size": {"$not": {"$gt": 20}}}, [1, 2]),
        ({"comment": {"$exists": True}}, [1]),
        ({"scientificMetadata.energy.value": {"$gt": 2}}, [3, 4]),
    ],
)
async def test_each_v4_operator(api, where, expected) -> None:
    assert await v4_pids(api, where) == [f"f/{n}" for n in expected]


FORBIDDEN = [
    {"$where": "sleep(1000) || true"},
    {"size": {"$function": {"body": "return true", "args": [], "lang": "js"}}},
    {"$expr": {"$gt": ["$size", 0]}},
    {"size": {"$accumulator": {}}},
    {"$or": [{"$where": "true"}]},
    {"keywords": {"$elemMatch": {"$where": "true"}}},
    {"$jsonSchema": {}},
]


@pytest.mark.parametrize("where", FORBIDDEN)
async def test_forbidden_operators_are_400_everywhere(api, where) -> None:
    text = json.dumps({"where": where})
    for path, user in (
        (V3, "user1"),
        (f"{V3}/count", "user1"),
        (f"{V3}/findOne", "user1"),
        (V4, "user1"),
        (f"{V4}/count", "user1"),
        (f"{V4}/public", "anonymous"),
    ):
        response = await api.call("GET", path, user, params={"filter": text})
        assert response.status == 400, (path, where, await response.text())


async def test_forbidden_operator_in_the_filter_header_is_400(api) -> None:
    response = await api.call(
        "GET", V3, "user1", headers={"filter": '{"where": {"$where": "1"}}'}
    )

    assert response.status == 400


@pytest.mark.parametrize(
    "where",
    [
        {"datasetName": {"like": "(a+)+$"}},
        {"datasetName": {"ilike": "(.*a){25}"}},
        {"datasetName": {"regexp": "/(a|aa)*b/"}},
        {"datasetName": {"like": "x" * 5000}},
    ],
)
async def test_catastrophic_regexes_are_refused_quickly(api, where) -> None:
    started = time.perf_counter()
    response = await api.call(
        "GET", V3, "user1", params={"filter": json.dumps({"where": where})}
    )

    assert response.status == 400
    assert time.perf_counter() - started < 1.0


async def test_fields_and_limits_shapes(api) -> None:
    by_array = await api.call(
        "GET",
        V3,
        "user1",
        params={"filter": '{"fields": ["pid"], "limits": {"limit": 2}}'},
    )
    by_object = await api.call(
        "GET", V3, "user1", params={"filter": '{"fields": {"pid": 1, "size": true}}'}
    )
    bad_limit = await api.call(
        "GET", V3, "user1", params={"filter": '{"limits": {"limit": -1}}'}
    )
    bad_order = await api.call(
        "GET", V3, "user1", params={"filter": '{"limits": {"order": "$size:asc"}}'}
    )
    bad_fields = await api.call("GET", V3, "user1", params={"filter": '{"fields": 7}'})

    assert [set(item) for item in await by_array.json()] == [{"_id", "pid", "id"}] * 2
    assert all(
        set(item) == {"_id", "pid", "size", "id"} for item in await by_object.json()
    )
    for response in (bad_limit, bad_order, bad_fields):
        assert response.status == 400


# --- generated filters: a 4xx or a 200, never a 500 ------------------------------

KEYS = st.sampled_from(
    [
        "where",
        "fields",
        "limits",
        "include",
        "pid",
        "size",
        "datasetName",
        "scientificMetadata",
        "inq",
        "like",
        "ilike",
        "between",
        "and",
        "or",
        "$in",
        "$or",
        "$regex",
        "$where",
        "$expr",
        "$elemMatch",
        "$text",
        "$search",
        "limit",
        "skip",
        "order",
        "sort",
        "relation",
        "scope",
        "",
        "a.b",
        "$",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["(a+)+", "2026-01-01", "size:desc", "[", '{"a": 1}', "\x00"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(KEYS | st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)
FILTERS = st.dictionaries(KEYS, JSON_VALUES, max_size=4).map(json.dumps) | st.text(
    max_size=30
)


def generated(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, drawn the same way on every run."""
    examples: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        examples.append(value)

    collect()
    return examples


async def test_generated_filters_never_produce_a_500(api) -> None:
    for text in generated(FILTERS, 60):
        for path in (V3, f"{V3}/count", V4, f"{V4}/count"):
            response = await api.call("GET", path, "user1", params={"filter": text})
            assert response.status < 500, (path, text, await response.text())


async def test_generated_fields_and_limits_never_produce_a_500(api) -> None:
    values = generated(st.tuples(JSON_VALUES, JSON_VALUES), 40)
    for fields, limits in values:
        text = json.dumps({"fields": fields, "limits": limits})
        for path in (V3, V4, f"{V4}/public"):
            response = await api.call("GET", path, "user1", params={"filter": text})
            assert response.status < 500, (path, text, await response.text())
