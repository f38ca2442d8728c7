"""bulk_write on the embedded store: PyMongo's requests, one commit, errors."""

from __future__ import annotations

import pytest
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateOne

from common.errors import DuplicateKeyError


@pytest.fixture
async def keys(store):
    if store.kind != "embedded":
        pytest.skip("bulk_write is an embedded-store operation (PyMongo has its own)")
    return store.collection("MetadataKeys")


def row(source: str, key: str, group: str = "g1") -> dict:
    row_id = f"dataset_{source}_{key}"
    return {"_id": row_id, "sourceId": source, "key": key, "userGroups": [group]}


async def test_replace_one_upserts_in_one_commit(keys, store, monkeypatch):
    await keys.insert_many([row("p1", "a"), row("p1", "b")])
    commits = []
    submit = store.journal_submit

    async def counted(entries):
        commits.append(len(entries))
        await submit(entries)

    monkeypatch.setattr(store, "journal_submit", counted)
    result = await keys.bulk_write(
        [
            ReplaceOne({"_id": r["_id"]}, r, upsert=True)
            for r in [row("p1", "a", "g2"), row("p1", "b"), row("p1", "c")]
        ]
        + [DeleteMany({"sourceId": "p1", "key": {"$nin": ["a", "b", "c"]}})]
    )
    assert len(commits) == 1  # three rows, one transaction
    assert (result.matched_count, result.modified_count) == (2, 1)
    assert result.upserted_ids == {2: "dataset_p1_c"}
    stored = await keys.find({"sourceId": "p1"}).sort("key", 1).to_list(None)
    assert [(d["key"], d["userGroups"]) for d in stored] == [
        ("a", ["g2"]),
        ("b", ["g1"]),
        ("c", ["g1"]),
    ]


async def test_ordered_bulk_stops_at_a_duplicate_and_keeps_what_came_before(keys):
    await keys.insert_one(row("p2", "a"))
    with pytest.raises(DuplicateKeyError):
        await keys.bulk_write(
            [
                InsertOne(row("p2", "b")),
                InsertOne(row("p2", "a")),
                InsertOne(row("p2", "c")),
            ]
        )
    assert sorted(await keys.distinct("key", {"sourceId": "p2"})) == ["a", "b"]


async def test_unordered_bulk_skips_the_refused_request(keys):
    await keys.insert_one(row("p3", "a"))
    with pytest.raises(DuplicateKeyError):
        await keys.bulk_write(
            [
                InsertOne(row("p3", "a")),
                UpdateOne({"_id": "dataset_p3_a"}, {"$set": {"key": "z"}}),
                DeleteOne({"_id": "missing"}),
                InsertOne(row("p3", "c")),
            ],
            ordered=False,
        )
    assert sorted(await keys.distinct("key", {"sourceId": "p3"})) == ["c", "z"]
