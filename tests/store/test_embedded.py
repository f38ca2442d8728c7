"""What only the embedded store has to prove: indexes agree with scans, reopening
keeps everything, TTL, time limits, and a failed disk write is never acknowledged."""

from __future__ import annotations

import datetime as dt
import random

import mongomock
import pytest

from common.errors import StoreQueryError, StoreUnavailableError
from common.store import EmbeddedStore


@pytest.fixture
async def embedded(tmp_path):
    store = EmbeddedStore(tmp_path / "embedded")
    await store.open()
    yield store
    await store.close()


def _random_documents(count: int) -> list[dict]:
    rng = random.Random(7)
    values = [
        "g1",
        "g2",
        "g3",
        1,
        1.0,
        True,
        None,
        ["g1", "g2"],
        [],
        {"x": 1},
        [["g1"]],
    ]
    documents = []
    for number in range(count):
        document: dict = {"_id": f"d{number}", "n": rng.randint(0, 20)}
        if rng.random() < 0.9:
            document["ownerGroup"] = rng.choice(values)
        if rng.random() < 0.8:
            document["meta"] = {"group": rng.choice(values), "k": rng.randint(0, 3)}
        if rng.random() < 0.5:
            document["items"] = [
                {"group": rng.choice(values)} for _ in range(rng.randint(0, 3))
            ]
        documents.append(document)
    return documents


FILTERS = [
    {"ownerGroup": "g1"},
    {"ownerGroup": 1},
    {"ownerGroup": True},
    {"ownerGroup": None},
    {"ownerGroup": ["g1", "g2"]},
    {"ownerGroup": {"$in": ["g1", 1, None]}},
    {"ownerGroup": {"$eq": "g2"}},
    {"ownerGroup": "g1", "n": {"$gt": 5}},
    {"$and": [{"ownerGroup": "g3"}, {"n": {"$lt": 10}}]},
    {"$or": [{"ownerGroup": "g3"}, {"meta.group": "g1"}]},
    {"meta.group": "g2"},
    {"meta.group": {"$in": ["g1", "g3"]}},
    {"items.group": "g1"},
    {"items.group": {"$exists": False}},
    {"_id": "d5"},
    {"_id": {"$in": ["d1", "d2", "nope"]}},
    {"_id": "d5", "ownerGroup": "g1"},
    {"ownerGroup": {"x": 1}},
    {"ownerGroup": {"$ne": "g1"}},
    # A clause matching nothing empties its conjunction, not an enclosing $or.
    {"ownerGroup": "nope", "n": {"$gt": 5}},
    {"n": 3, "ownerGroup": "nope", "meta.group": "g1"},
    {"$and": [{"ownerGroup": "g1"}, {"ownerGroup": "nope"}]},
    {"$or": [{"ownerGroup": "nope", "n": 3}, {"meta.group": "g1"}]},
    {"$or": [{"$and": [{"_id": "nope"}]}, {"_id": "d7"}]},
]


@pytest.mark.parametrize("filter", FILTERS, ids=[str(f) for f in FILTERS])
async def test_indexed_answers_equal_mongomock_scans(embedded, filter):
    documents = _random_documents(300)
    ours = embedded.collection("Thing")
    for path in ("ownerGroup", "meta.group", "items.group", "n"):
        await ours.create_index(path)
    await ours.insert_many([dict(d) for d in documents])
    plain = mongomock.MongoClient().db.things
    plain.insert_many([dict(d) for d in documents])

    found = await ours.find(filter).to_list(None)
    expected = list(plain.find(filter))

    assert [d["_id"] for d in found] == [d["_id"] for d in expected]
    assert await ours.count_documents(filter) == plain.count_documents(filter)


async def test_reopening_finds_documents_indexes_updates_and_deletes(tmp_path):
    folder = tmp_path / "reopen"
    store = EmbeddedStore(folder)
    await store.open()
    things = store.collection("Thing")
    await things.create_index("code", unique=True)
    await things.insert_many([{"_id": i, "code": f"c{i}"} for i in range(5)])
    await things.update_one({"_id": 1}, {"$set": {"code": "changed"}})
    await things.delete_one({"_id": 2})
    await store.collection("Gone").insert_one({"_id": 1})
    await store.drop_collection("Gone")
    await store.close()

    reopened = EmbeddedStore(folder)
    await reopened.open()
    try:
        things = reopened.collection("Thing")
        assert [d["code"] for d in await things.find({}).to_list(None)] == [
            "c0",
            "changed",
            "c3",
            "c4",
        ]
        assert (await things.index_information())["code_1"]["unique"] is True
        assert await reopened.list_collection_names() == ["Thing"]
        from common.errors import DuplicateKeyError

        with pytest.raises(DuplicateKeyError):
            await things.insert_one({"code": "c3"})
    finally:
        await reopened.close()


async def test_ttl_index_removes_old_documents_now_and_at_open(tmp_path):
    folder = tmp_path / "ttl"
    store = EmbeddedStore(folder)
    await store.open()
    claims = store.collection("IngestClaim")
    await claims.create_index("claimedAt", expireAfterSeconds=3600)
    now = dt.datetime.now(dt.UTC)
    await claims.insert_many(
        [
            {"_id": "old", "claimedAt": now - dt.timedelta(hours=2)},
            {"_id": "new", "claimedAt": now},
            {"_id": "undated", "claimedAt": "not a date"},
        ]
    )

    assert await store.expire_now() == 1
    assert sorted(d["_id"] for d in await claims.find({}).to_list(None)) == [
        "new",
        "undated",
    ]

    await claims.update_one(
        {"_id": "new"}, {"$set": {"claimedAt": now - dt.timedelta(hours=5)}}
    )
    await store.close()
    reopened = EmbeddedStore(folder)
    await reopened.open()
    try:
        remaining = await reopened.collection("IngestClaim").find({}).to_list(None)
        assert [d["_id"] for d in remaining] == ["undated"]
    finally:
        await reopened.close()


async def test_a_scan_past_its_time_limit_is_unavailable(embedded):
    things = embedded.collection("Thing")
    await things.insert_many([{"n": i, "text": "x" * 50} for i in range(3_000)])

    with pytest.raises(StoreUnavailableError):
        await things.find({"text": {"$regex": "y$"}}, max_time_ms=1).to_list(None)
    assert await things.count_documents({"n": 5}, max_time_ms=0) == 1


async def test_a_failed_commit_is_not_acknowledged_and_the_store_reports_it(embedded):
    things = embedded.collection("Thing")
    await things.insert_one({"_id": 1})
    embedded._journal._connection.close()  # the file can no longer be written

    with pytest.raises(StoreUnavailableError):
        await things.insert_one({"_id": 2})
    with pytest.raises(StoreUnavailableError):
        await embedded.ping()
    with pytest.raises(StoreUnavailableError):
        await things.insert_one({"_id": 3})


async def test_a_closed_store_is_unavailable(tmp_path):
    store = EmbeddedStore(tmp_path / "closed")
    await store.open()
    await store.close()

    with pytest.raises(StoreUnavailableError):
        await store.collection("Thing").find_one({})


SORTED_CASES = [
    ({}, [("n", 1)], 0, 25),
    ({}, [("n", -1)], 10, 25),
    ({"ownerGroup": "g1"}, [("n", -1)], 0, 5),
    ({"meta.k": {"$gte": 2}}, [("n", 1)], 3, 7),
    ({}, [("ownerGroup", 1)], 0, 0),
    ({}, [("ownerGroup", -1)], 5, 40),
    ({"n": {"$lt": 3}}, [("ownerGroup", -1)], 0, 0),
]


@pytest.mark.parametrize(
    ("filter", "sort", "skip", "limit"),
    SORTED_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}" for c in SORTED_CASES],
)
async def test_sorted_pages_from_ordered_views_equal_mongomock(
    embedded, filter, sort, skip, limit
):
    documents = _random_documents(400)
    ours = embedded.collection("Thing")
    for path in ("ownerGroup", "n"):
        await ours.create_index(path)
    await ours.insert_many([dict(d) for d in documents[:300]])
    # writes after the view exists must keep it in order
    await ours.find({}, sort=sort, limit=1).to_list(None)
    await ours.insert_many([dict(d) for d in documents[300:]])
    await ours.update_many({"n": 5}, {"$set": {"n": 15, "ownerGroup": "g2"}})
    await ours.delete_many({"n": 7})
    plain = mongomock.MongoClient().db.things
    plain.insert_many([dict(d) for d in documents])
    plain.update_many({"n": 5}, {"$set": {"n": 15, "ownerGroup": "g2"}})
    plain.delete_many({"n": 7})

    found = await ours.find(filter, sort=sort, skip=skip, limit=limit).to_list(None)
    expected = list(plain.find(filter, sort=sort, skip=skip, limit=limit))

    assert [d["_id"] for d in found] == [d["_id"] for d in expected]


async def test_documents_expired_by_a_new_ttl_index_are_deleted_on_disk(tmp_path):
    folder = tmp_path / "ttl-create"
    store = EmbeddedStore(folder)
    await store.open()
    claims = store.collection("IngestClaim")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    await claims.insert_one({"_id": "old", "claimedAt": old})

    await claims.create_index("claimedAt", expireAfterSeconds=60)
    assert await claims.count_documents({}) == 0
    await store.close()

    import sqlite3

    with sqlite3.connect(folder / "store.sqlite3") as database:
        rows = database.execute(
            "SELECT count(*) FROM documents WHERE collection = 'IngestClaim'"
        ).fetchone()
    assert rows == (0,)


async def test_the_generation_changes_with_every_write_to_its_collections(embedded):
    roles = embedded.collection("Role")
    marks = [embedded.generation(["Role", "UserRole"])]

    def changed() -> bool:
        marks.append(embedded.generation(["Role", "UserRole"]))
        return marks[-1] != marks[-2]

    await roles.insert_one({"_id": 1, "name": "a"})
    assert changed()
    await roles.insert_many([{"_id": 2}, {"_id": 3}])
    assert changed()
    await roles.update_one({"_id": 1}, {"$set": {"name": "b"}})
    assert changed()
    await roles.replace_one({"_id": 2}, {"name": "c"})
    assert changed()
    await roles.delete_one({"_id": 3})
    assert changed()
    await embedded.collection("UserRole").insert_one({"_id": 1})
    assert changed()
    await roles.create_index("name")
    assert changed()
    await roles.drop()
    assert changed()

    await embedded.collection("Dataset").insert_one({"_id": "other"})
    await roles.update_one({"_id": "missing"}, {"$set": {"name": "x"}})
    assert not changed()


async def test_the_generation_changes_when_a_ttl_sweep_deletes(embedded):
    claims = embedded.collection("IngestClaim")
    await claims.create_index("at", expireAfterSeconds=1)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    await claims.insert_one({"_id": 1, "at": old})
    before = embedded.generation(["IngestClaim"])

    assert await embedded.expire_now() == 1
    assert embedded.generation(["IngestClaim"]) != before


def test_mongodb_cannot_tell_when_collections_change():
    from common.store.mongo import MongoStore

    store = MongoStore("mongodb://127.0.0.1:1/scicat")
    assert store.generation(["Role"]) is None


async def test_the_planner_follows_indexes_created_and_dropped_after_queries(
    embedded,
):
    rows = embedded.collection("Rows")
    await rows.insert_many(
        [{"_id": n, "meta": {"group": f"g{n % 3}"}} for n in range(9)]
    )
    query = {"meta.group": "g1"}

    def planned() -> bool:
        return rows._engine.plan(rows._prepare_filter(query)) is not None

    assert not planned()
    name = await rows.create_index("meta.group")
    assert planned()
    assert [d["_id"] for d in await rows.find(query).to_list(None)] == [1, 4, 7]

    await rows.drop_index(name)
    assert not planned()
    assert [d["_id"] for d in await rows.find(query).to_list(None)] == [1, 4, 7]


async def test_the_planner_forgets_indexes_of_a_dropped_collection(embedded):
    rows = embedded.collection("Rows")
    await rows.create_index("group")
    await rows.insert_many([{"_id": n, "group": f"g{n % 2}"} for n in range(4)])
    query = {"group": "g1"}

    def planned() -> bool:
        return rows._engine.plan(rows._prepare_filter(query)) is not None

    assert planned()
    await rows.drop()
    assert not planned()
    await rows.insert_many([{"_id": n, "group": f"g{n % 2}"} for n in range(4)])
    assert [d["_id"] for d in await rows.find(query).to_list(None)] == [1, 3]


def test_an_index_table_rebuilds_its_field_map_only_after_a_change():
    from common.store.embedded.indexes import HashIndex, IndexSpec, IndexTable

    def index(name: str, field: str) -> HashIndex:
        return HashIndex(IndexSpec(name=name, keys=[(field, 1)]))

    table = IndexTable()
    first, second = index("a_1", "a"), index("a_2", "a")
    table.put("a_1", first)
    table.put("a_2", second)
    table.put("ab", HashIndex(IndexSpec(name="ab", keys=[("a", 1), ("b", 1)])))

    served = table.by_field()
    assert served == {"a": first}
    assert table.by_field() is served
    table.remove("a_1")
    assert table.by_field() == {"a": second}
    table.remove("missing")
    table.clear()
    assert table.by_field() == {}
    assert list(table.names()) == list(table.values()) == []


async def test_a_point_read_of_a_missing_value_still_vets_its_sort(embedded):
    rows = embedded.collection("Rows")
    await rows.create_index("group")
    await rows.insert_many([{"_id": n, "group": "g1"} for n in range(3)])

    assert await rows.find({"group": "none"}).sort("_id", -1).to_list(None) == []
    for query in ({"group": "none"}, {"group": "g1"}):
        with pytest.raises(StoreQueryError, match="sort"):
            await rows.find(query).sort([("_id", 5)]).to_list(None)
        with pytest.raises(StoreQueryError, match="natural"):
            await rows.find(query).sort([("$natural", 1), ("_id", 1)]).to_list(None)


@pytest.mark.parametrize(
    "query",
    [
        {"group": "none", "n": {"$bogus": 1}},
        {"n": {"$bogus": 1}, "group": "none"},
    ],
    ids=str,
)
async def test_a_malformed_clause_is_refused_beside_one_matching_nothing(
    embedded, query
):
    rows = embedded.collection("Rows")
    await rows.create_index("group")
    await rows.insert_many([{"_id": n, "group": "g1", "n": n} for n in range(3)])

    with pytest.raises(StoreQueryError):
        await rows.find(query).to_list(None)
    with pytest.raises(StoreQueryError):
        await rows.count_documents(query)
