"""The embedded store's planner and native pipeline agree with plain mongomock.

Seeded random dataset-shaped documents and seeded random filters and
facet pipelines: every answer of the embedded store (counts, finds, sorted
pages, aggregations) must equal plain mongomock's on the same documents.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

import mongomock
import pytest

GROUPS = ["g0", "g1", "g2", "g3", "g4", "g5"]
EMAILS = ["a@x.org", "b@x.org", "c@x.org"]
KEYWORDS = ["k0", "k1", "k2", "k3"]
STATUSES = ["created", "archived", "failed"]
BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def maybe(rng: random.Random, value: Any, missing: float = 0.15) -> Any:
    return MISSING if rng.random() < missing else value


MISSING = object()


def random_document(number: int, rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "_id": f"pid/{number:04d}",
        "pid": f"pid/{number:04d}",
        "ownerGroup": maybe(rng, rng.choice(GROUPS), 0.05),
        "accessGroups": maybe(
            rng,
            rng.choice(
                [
                    rng.sample(GROUPS, rng.randint(0, 3)),
                    rng.choice(GROUPS),  # a scalar where an array is usual
                    [],
                ]
            ),
        ),
        "sharedWith": maybe(rng, rng.sample(EMAILS, rng.randint(0, 2)), 0.4),
        "isPublished": maybe(rng, rng.choice([True, False, True, 1, 0])),
        "size": maybe(rng, rng.choice([rng.randint(0, 100), rng.random() * 100, None])),
        "keywords": maybe(
            rng,
            rng.choice(
                [rng.sample(KEYWORDS, rng.randint(0, 3)), None, "k1", ["k1", "k1"]]
            ),
        ),
        "type": rng.choice(["raw", "derived"]),
        "creationTime": BASE + dt.timedelta(days=rng.randint(0, 90)),
        "createdAt": BASE + dt.timedelta(minutes=rng.randint(0, 50)),
        "datasetlifecycle": maybe(
            rng, {"archiveStatusMessage": rng.choice(STATUSES)}, 0.2
        ),
    }
    return {k: v for k, v in fields.items() if v is not MISSING}


def random_leaf(rng: random.Random) -> dict[str, Any]:
    field = rng.choice(
        [
            "ownerGroup",
            "accessGroups",
            "sharedWith",
            "isPublished",
            "size",
            "keywords",
            "type",
            "datasetlifecycle.archiveStatusMessage",
            "_id",
        ]
    )
    values = {
        "ownerGroup": GROUPS,
        "accessGroups": GROUPS,
        "sharedWith": EMAILS,
        "isPublished": [True, False, 1],
        "size": [10, 50, 50.5, None],
        "keywords": KEYWORDS,
        "type": ["raw", "derived"],
        "datasetlifecycle.archiveStatusMessage": STATUSES,
        "_id": [f"pid/{n:04d}" for n in range(0, 200, 7)],
    }[field]
    kind = rng.random()
    if kind < 0.4:
        return {field: rng.choice(values)}
    if kind < 0.6:
        return {field: {"$in": rng.sample(values, min(len(values), rng.randint(0, 3)))}}
    if kind < 0.7:
        return {field: {"$eq": rng.choice(values)}}
    if kind < 0.8:
        return {field: {"$ne": rng.choice(values)}}
    if kind < 0.9:
        return {"size": {rng.choice(["$gt", "$lte"]): rng.randint(0, 100)}}
    return {field: {"$exists": rng.random() < 0.5}}


def random_filter(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    roll = rng.random()
    if depth >= 2 or roll < 0.35:
        return random_leaf(rng)
    branches = [random_filter(rng, depth + 1) for _ in range(rng.randint(1, 4))]
    if roll < 0.6:
        return {"$or": branches}
    if roll < 0.8:
        return {"$and": branches}
    if roll < 0.85:
        return {"$nor": branches}
    merged: dict[str, Any] = {}
    for branch in branches:
        merged.update(branch)
    return merged


def visibility(rng: random.Random) -> dict[str, Any]:
    groups = rng.sample(GROUPS, rng.randint(0, 2))
    return {
        "$or": [
            {"ownerGroup": {"$in": groups}},
            {"accessGroups": {"$in": groups}},
            {"sharedWith": rng.choice(EMAILS)},
            {"isPublished": True},
        ]
    }


def random_query(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {"$and": [random_filter(rng), visibility(rng)]}
    return random_filter(rng)


def facet_branch(rng: random.Random) -> list[dict[str, Any]]:
    field = rng.choice(
        ["keywords", "type", "ownerGroup", "accessGroups", "creationTime", "size"]
    )
    stages: list[dict[str, Any]] = []
    if field in ("keywords", "accessGroups") and rng.random() < 0.8:
        preserve = rng.random() < 0.3
        stages.append(
            {"$unwind": {"path": f"${field}", "preserveNullAndEmptyArrays": True}}
            if preserve
            else {"$unwind": f"${field}"}
        )
    if rng.random() < 0.5:
        stages.append({"$match": random_filter(rng, 1)})
    group_id: Any = f"${field}"
    if field == "creationTime":
        group_id = {
            "year": {"$year": "$creationTime"},
            "month": {"$month": "$creationTime"},
            "day": {"$dayOfMonth": "$creationTime"},
        }
    total: Any = 1 if rng.random() < 0.7 else "$size"
    stages.append({"$group": {"_id": group_id, "count": {"$sum": total}}})
    stages.append({"$sort": {"_id": rng.choice([1, -1])}})
    return stages


def random_pipeline(rng: random.Random) -> list[dict[str, Any]]:
    roll = rng.random()
    head = [{"$match": random_query(rng)}] if rng.random() < 0.8 else []
    if roll < 0.6:
        branches = {f"f{n}": facet_branch(rng) for n in range(rng.randint(1, 4))}
        branches["all"] = [
            {"$match": random_filter(rng, 1)},
            {"$group": {"_id": 1, "totalSets": {"$sum": 1}}},
            {"$project": {"_id": 0, "totalSets": 1}},
        ]
        return [*head, {"$facet": branches}]
    if roll < 0.8:
        return [
            *head,
            {"$sort": {"createdAt": rng.choice([1, -1]), "size": -1}},
            {"$skip": rng.randint(0, 5)},
            {"$limit": rng.randint(1, 20)},
            {"$project": {"size": 1, "type": 1, "_id": rng.choice([0, 1])}},
        ]
    return [*head, *facet_branch(rng)]


@pytest.fixture
async def loaded(store):
    if store.kind != "embedded":
        pytest.skip("compares the embedded store with mongomock")
    rng = random.Random(20261203)
    documents = [random_document(n, rng) for n in range(200)]
    plain = mongomock.MongoClient(tz_aware=True).db.Dataset
    plain.insert_many(copy.deepcopy(documents))
    ours = store.collection("Dataset")
    await ours.create_index("keywords")
    await ours.create_index("size")
    await ours.insert_many(copy.deepcopy(documents))
    return ours, plain


def ids(documents: list[dict[str, Any]]) -> list[Any]:
    return [d["_id"] for d in documents]


async def test_counts_and_finds_agree_with_mongomock(loaded):
    ours, plain = loaded
    rng = random.Random(7)
    narrowed = 0
    for _ in range(150):
        query = random_query(rng)
        expected = ids(plain.find(copy.deepcopy(query)))
        assert await ours.count_documents(query) == len(expected), query
        assert ids(await ours.find(query).to_list(None)) == expected, query
        key, direction = rng.choice([("createdAt", -1), ("createdAt", 1), ("size", 1)])
        skip, limit = rng.randint(0, 10), rng.randint(1, 15)
        page = plain.find(copy.deepcopy(query)).sort(key, direction)
        expected_page = ids(page.skip(skip).limit(limit))
        found = ours.find(query).sort(key, direction).skip(skip).limit(limit)
        assert ids(await found.to_list(None)) == expected_page, (query, key)
        narrowed += ours._engine.plan(ours._prepare_filter(query)) is not None
    # The generator exercises the planner, not only scans.
    assert narrowed > 50


async def test_pipelines_agree_with_mongomock(loaded, monkeypatch):
    ours, plain = loaded
    handed_over = []
    to_mongomock = ours._run_in_mongomock

    def counted(documents, stages):
        handed_over.append(stages)
        return to_mongomock(documents, stages)

    monkeypatch.setattr(ours, "_run_in_mongomock", counted)
    rng = random.Random(11)
    for _ in range(80):
        pipeline = random_pipeline(rng)
        expected = list(plain.aggregate(copy.deepcopy(pipeline)))
        found = await (await ours.aggregate(pipeline)).to_list(None)
        assert found == expected, pipeline
    # Every generated stage has a native form (the equivalence is the runner's).
    assert handed_over == []


async def test_visibility_count_is_answered_without_evaluating_documents(
    loaded, monkeypatch
):
    ours, plain = loaded
    query = {
        "$or": [
            {"ownerGroup": {"$in": ["g1", "g2"]}},
            {"accessGroups": {"$in": ["g1", "g2"]}},
            {"sharedWith": "a@x.org"},
            {"isPublished": True},
        ]
    }
    expected = plain.count_documents(query)
    found = ours._engine.plan(ours._prepare_filter(query))
    assert found is not None and found.exact
    from common.store.embedded import engine

    def refuse(*_args):
        raise AssertionError("a document was evaluated")

    monkeypatch.setattr(engine, "filter_applies", refuse)
    assert await ours.count_documents(query) == expected
    # The implicit sharedWith map is internal: not a declared index.
    assert not any("sharedWith" in name for name in await ours.index_information())


async def test_implicit_maps_follow_later_writes(loaded):
    ours, _ = loaded
    query = {"$or": [{"sharedWith": "z@x.org"}, {"ownerGroup": "nobody"}]}
    assert await ours.count_documents(query) == 0  # builds the sharedWith map
    await ours.insert_one({"_id": "new", "pid": "new", "sharedWith": ["z@x.org"]})
    await ours.update_one({"_id": "pid/0001"}, {"$set": {"sharedWith": "z@x.org"}})
    assert sorted(ids(await ours.find(query).to_list(None))) == ["new", "pid/0001"]
    await ours.delete_one({"_id": "new"})
    await ours.update_one({"_id": "pid/0001"}, {"$unset": {"sharedWith": 1}})
    assert await ours.count_documents(query) == 0


async def test_range_residual_is_checked_without_mongomock_for_numbers(
    loaded, monkeypatch
):
    ours, plain = loaded
    query = {"$and": [{"size": {"$gt": 40}}, {"type": "raw"}]}
    expected = plain.count_documents(query)
    from common.store.embedded import engine

    checked = []
    matcher = engine.filter_applies

    def spy(filter, document):
        checked.append(document.get("size"))
        return matcher(filter, document)

    monkeypatch.setattr(engine, "filter_applies", spy)
    assert await ours.count_documents(query) == expected
    # Only documents whose size is not a plain number reach mongomock's matcher.
    assert checked and all(type(size) not in (int, float) for size in checked)


async def test_point_reads_by_string_id_or_object_id_evaluate_no_document(
    store, monkeypatch
):
    if store.kind != "embedded":
        pytest.skip("inspects the embedded store's plans")
    from bson import ObjectId

    from common.store.embedded import engine

    users = [ObjectId() for _ in range(3)]
    rows = [
        {"_id": f"row/{n}", "userId": users[n % 3], "n": n, "flag": n == 1}
        for n in range(9)
    ]
    plain = mongomock.MongoClient(tz_aware=True).db.UserRole
    plain.insert_many(copy.deepcopy(rows))
    ours = store.collection("UserRole")
    await ours.create_index("userId")
    await ours.insert_many(copy.deepcopy(rows))
    exact_queries = [
        {"_id": "row/4"},
        {"_id": {"$in": ["row/1", "row/8", "missing"]}},
        {"userId": users[1]},
        {"userId": {"$in": [users[0], ObjectId()]}},
    ]
    for query in exact_queries:
        found = ours._engine.plan(ours._prepare_filter(query))
        assert found is not None and found.exact, query

    def refuse(*_args):
        raise AssertionError("a document was evaluated")

    with monkeypatch.context() as patched:
        patched.setattr(engine, "filter_applies", refuse)
        for query in exact_queries:
            expected = ids(plain.find(copy.deepcopy(query)))
            assert ids(await ours.find(query).to_list(None)) == expected, query
    for query in (
        {"flag": True},
        {"n": 4, "userId": users[1]},
        {"n": True},
        {"missing": "x"},
        {"_id": "row/2", "flag": False},
        {"n": {"$in": [1, 4, True]}},
        {"flag": {"$in": []}},
    ):
        expected = ids(plain.find(copy.deepcopy(query)))
        assert ids(await ours.find(query).to_list(None)) == expected, query
        assert await ours.count_documents(query) == len(expected), query
    # A number id stays checked: True and 1 are one dict key, not one value.
    found = ours._engine.plan(ours._prepare_filter({"_id": 1}))
    assert found is not None and not found.exact
