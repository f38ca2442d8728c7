"""Index management and unique-key semantics (sparse, compound, multikey)."""

from __future__ import annotations

import pytest

from common.errors import DuplicateKeyError, StoreQueryError


async def test_migrated_store_declares_scicat_unique_keys(store):
    info = await store.collection("Dataset").index_information()
    pid = next(i for i in info.values() if [tuple(k) for k in i["key"]] == [("pid", 1)])
    assert pid.get("unique") is True


async def test_create_index_is_idempotent_and_listed(store):
    things = store.collection("Thing")
    first = await things.create_index([("code", 1)], unique=True)
    again = await things.create_index([("code", 1)], unique=True)

    assert first == again == "code_1"
    assert (await things.index_information())["code_1"]["unique"] is True


async def test_dropped_unique_index_no_longer_refuses(store):
    things = store.collection("Thing")
    await things.create_index("code", unique=True)
    await things.insert_one({"code": 1})
    await things.drop_index("code_1")

    await things.insert_one({"code": 1})
    assert await things.count_documents({"code": 1}) == 2


async def test_unique_index_over_existing_duplicates_is_refused(store):
    things = store.collection("Thing")
    await things.insert_many([{"code": 1}, {"code": 1}])

    with pytest.raises(DuplicateKeyError):
        await things.create_index("code", unique=True)
    assert "code_1" not in await things.index_information()


async def test_sparse_unique_allows_many_missing_values(store):
    datablocks = store.collection("Datablock")
    await datablocks.insert_many([{"_id": "a"}, {"_id": "b"}])
    await datablocks.insert_one({"_id": "c", "archiveId": "arch-1"})

    with pytest.raises(DuplicateKeyError):
        await datablocks.insert_one({"_id": "d", "archiveId": "arch-1"})


async def test_compound_unique_key_refuses_only_the_same_pair(store):
    claims = store.collection("IngestClaim")
    await claims.insert_one({"routingKey": "dataset.create", "messageId": "m1"})
    await claims.insert_one({"routingKey": "origdatablock.create", "messageId": "m1"})

    with pytest.raises(DuplicateKeyError) as caught:
        await claims.insert_one({"routingKey": "dataset.create", "messageId": "m1"})
    assert caught.value.key == {"routingKey": "dataset.create", "messageId": "m1"}


async def test_ingest_claims_expire(store):
    info = await store.collection("IngestClaim").index_information()
    ttl = [i for i in info.values() if "expireAfterSeconds" in i]
    assert [tuple(k) for k in ttl[0]["key"]] == [("claimedAt", 1)]
    assert ttl[0]["expireAfterSeconds"] == 30 * 86400


async def test_dropping_a_missing_index_is_a_query_error(store):
    with pytest.raises(StoreQueryError):
        await store.collection("Thing").drop_index("nope_1")


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (["a", "b", "a"], (("a",), ("b",))),
        (["a", 1, None, 2.5], (("a",), (1,), (None,), (2.5,))),
        (["a", {"x": 1}], (("a",), (("\x00doc", (("x", 1),)),))),
        ([], ((None,),)),
    ],
)
def test_multikey_entries_of_an_array_are_its_distinct_values(groups, expected):
    from common.store.embedded.indexes import HashIndex, IndexSpec

    index = HashIndex(IndexSpec("userGroups_1", [("userGroups", 1)]))
    assert index.keys_of({"userGroups": groups}) == expected
