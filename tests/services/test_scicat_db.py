"""An existing SciCat database read, counted and patched through the services."""

from __future__ import annotations

import pytest

from common.errors import ForbiddenError
from common.services import ListQuery
from tests.fixtures.scicat_db import CUSTOM_PID, DERIVED_PID, RAW_PID
from tests.services.conftest import file_list, raw_dataset


@pytest.fixture
async def legacy(scicat_db, make_env):
    return scicat_db, make_env()


async def test_stored_dataset_is_read_exactly_as_stored(legacy):
    db, env = legacy
    got = await env.services.datasets.get(env.ctx("user1"), RAW_PID)
    assert got == db.original("Dataset", RAW_PID)


async def test_visibility_counts_over_the_stored_datasets(legacy):
    _, env = legacy
    datasets = env.services.datasets
    assert await datasets.count(env.ctx("admin"), {}) == 3
    assert await datasets.count(env.ctx("user1"), {}) == 2
    assert await datasets.count(env.ctx("anonymous"), {}) == 1
    listed = await datasets.find(
        env.ctx("user2"), ListQuery(sort=[("createdAt", 1)], projection={"pid": 1})
    )
    # group2: owner of the custom one, access group of the raw one; the
    # derived one is published.
    assert {doc["pid"] for doc in listed} == {RAW_PID, CUSTOM_PID, DERIVED_PID}
    assert await datasets.count(env.ctx("user4"), {}) == 1
    with pytest.raises(ForbiddenError):
        await datasets.get(env.ctx("user4"), RAW_PID)
    assert (await datasets.get(env.ctx("anonymous"), DERIVED_PID))["pid"] == DERIVED_PID


async def test_patch_leaves_untouched_fields_as_they_were(legacy):
    db, env = legacy
    original = db.original("Dataset", RAW_PID)
    updated = await env.services.datasets.patch(
        env.ctx("user1"), RAW_PID, {"comment": "checked"}
    )
    changed = {"comment", "updatedAt", "updatedBy"}
    assert {k: v for k, v in updated.items() if k not in changed} == {
        k: v for k, v in original.items() if k not in changed
    }
    assert updated["comment"] == "checked"
    assert updated["updatedBy"] == "user1"
    # MetadataKeys rows rebuilt from the stored (encoded) top-level keys.
    rows = (
        await env.store.collection("MetadataKeys")
        .find({"sourceId": RAW_PID})
        .to_list(None)
    )
    assert sorted(row["key"] for row in rows) == sorted(original["scientificMetadata"])


async def test_new_file_list_sums_with_the_stored_ones(legacy):
    db, env = legacy
    stored_sizes = [
        odb["size"]
        for odb in db.documents["OrigDatablock"]
        if odb["datasetId"] == RAW_PID
    ]
    stored_files = sum(
        len(odb["dataFileList"])
        for odb in db.documents["OrigDatablock"]
        if odb["datasetId"] == RAW_PID
    )
    await env.services.origdatablocks.create(
        env.ctx("user1"), file_list(RAW_PID, [100])
    )
    dataset = await env.store.collection("Dataset").find_one({"_id": RAW_PID})
    assert dataset["size"] == sum(stored_sizes) + 100
    assert dataset["numberOfFiles"] == stored_files + 1


async def test_stored_file_list_and_datablock_read_unchanged(legacy):
    db, env = legacy
    odb = db.documents["OrigDatablock"][0]
    got = await env.services.origdatablocks.get(env.ctx("user1"), odb["_id"])
    assert got == odb
    block = db.documents["Datablock"][0]
    got_block = await env.services.datablocks.get(env.ctx("admin"), block["_id"])
    assert got_block == block


async def test_existing_policy_is_reused_for_new_datasets(legacy):
    db, env = legacy
    created = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    policy = db.documents["Policy"][0]
    assert created["classification"].startswith("IN=medium,AV=")
    assert await env.count("Policy", {"ownerGroup": "group1"}) == 1
    assert (await env.store.collection("Policy").find_one({"ownerGroup": "group1"}))[
        "_id"
    ] == policy["_id"]
